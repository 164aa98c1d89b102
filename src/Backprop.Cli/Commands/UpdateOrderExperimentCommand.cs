using System.CommandLine;
using Backprop.Experiments;
using Backprop.Visualization;

namespace Backprop.Cli.Commands;

/// <summary>backprop experiment update-order: the sheet's loop that updates W2 before back-propagating through it.</summary>
internal static class UpdateOrderExperimentCommand
{
    public const string Picture = "update-order.png";

    public static Command Create(TextWriter stdout, TextWriter stderr)
    {
        var seed = ExperimentCommand.Seed();
        var output = ExperimentCommand.Out();
        var epochs = ExperimentCommand.Epochs(new UpdateOrderOptions().Epochs, "Iterations of the loop (one full-batch step each)");
        var lr = new Option<string>("--lr")
        {
            Description = "Learning rates η, comma-separated; both loops run at each",
            HelpName = "η,η,...",
            DefaultValueFactory = _ => string.Join(",", new UpdateOrderOptions().LearningRates.Select(NumberFormat.RoundTrip)),
        };
        var command = new Command("update-order",
            "Seed 000, practice 1a: train the one-hidden-layer ReLU regression network with the sheet's loop (W2 updated before dO1 = dA2·W2ᵀ) "
            + $"and with the correct loop; gradient-check both loops' first step; write both loss curves to DIR/{Picture}")
        {
            seed, output, epochs, lr,
        };
        command.SetAction(parse => CommandRunner.Run(stderr, () =>
        {
            var options = new UpdateOrderOptions
            {
                Seed = ExperimentCommand.SeedValue(parse, seed),
                Epochs = ExperimentCommand.EpochsValue(parse, epochs),
                LearningRates = ExperimentCommand.NumberList(parse.GetValue(lr)!, "--lr"),
            };
            string path = ExperimentCommand.OutPath(parse, output, Picture);
            var r = UpdateOrderExperiment.Run(options);
            Print(r, stdout);
            ExperimentCharts.UpdateOrder(r, path);
            stdout.WriteLine($"wrote {path}");
            return ExitCodes.Ok;
        }));
        return command;
    }

    private static void Print(UpdateOrderResult r, TextWriter stdout)
    {
        var o = r.Options;
        var f = ExperimentCommand.Fix;
        var sci = ExperimentCommand.Sci;
        stdout.WriteLine("Update order (seed 000, practice 1a): A1 = X·W1, O1 = ReLU(A1), A2 = O1·W2, loss = mean((A2 − y)²), no biases");
        stdout.WriteLine($"data: {o.Examples} examples, x ~ N(0, 1)³, y = |x1| − x2 + x3/2; 3-{o.Hidden}-1 network, weights N(0, 1)·{NumberFormat.RoundTrip(o.InitScale)}; "
            + $"full-batch steps, seed {o.Seed}");
        var console = ExperimentCommand.Console(stdout);
        foreach (var run in r.Runs)
        {
            stdout.WriteLine();
            stdout.WriteLine($"η = {NumberFormat.RoundTrip(run.LearningRate)}. First iteration, both loops from the same weights: the gradients each applies, against central differences of the loss");
            var check = ExperimentCommand.Table(2, "loop", "tensor", "max abs error", "max rel error", "result");
            foreach (var (loop, entries) in new[] { ("correct", run.CorrectCheck), ("W2 updated first", run.BuggyCheck) })
                foreach (var e in entries)
                    ExperimentCommand.Row(check, loop, e.Name, sci(e.MaxAbsoluteError), sci(e.MaxRelativeError), e.Passed ? "ok" : "FAIL");
            console.Write(check);

            var table = ExperimentCommand.Table(1, "iteration", "loss, correct loop", "loss, W2 first", "W2 first: ‖dW1 − true‖/‖true‖", "cosine(dW1, true)");
            foreach (var e in run.Epochs.Where(e => Shown(e.Epoch, o.Epochs) || e.Epoch == run.BuggyDivergedAt))
                ExperimentCommand.Row(table, e.Epoch.ToString(), sci(e.CorrectLoss), sci(e.BuggyLoss), sci(e.BuggyW1Deviation), f(e.BuggyW1Cosine));
            console.Write(table);
            stdout.WriteLine($"loss after {o.Epochs} iterations: correct loop {sci(run.FinalCorrectLoss)}, W2 updated first "
                + (run.BuggyDivergedAt is int k ? $"diverged (loss not finite at iteration {k})" : sci(run.FinalBuggyLoss)));
        }
    }

    // 1, 2, 5, 10, 20, 50, ... and the last.
    private static bool Shown(int epoch, int last)
    {
        if (epoch == last) return true;
        for (int p = 1; p <= epoch; p *= 10)
            if (epoch == p || epoch == 2 * p || epoch == 5 * p) return true;
        return false;
    }
}
