using System.CommandLine;
using Backprop.Experiments;

namespace Backprop.Cli.Commands;

/// <summary>backprop experiment zero-init: small random, all-zero and constant initialisation of the same network.</summary>
internal static class ZeroInitExperimentCommand
{
    public static Command Create(TextWriter stdout, TextWriter stderr) => ExperimentCommand.SeedEpochsLearningRate("zero-init",
        "Seed 000, practice 1b: train the one-hidden-layer ReLU network from N(0, 1)·0.01, from zeros and from a constant; "
        + "print each hidden unit's weight statistics and gradient norms over training",
        stderr, new ZeroInitOptions().Epochs, "Iterations of the loop (one full-batch step each)", new ZeroInitOptions().LearningRate,
        (seed, epochs, lr) => ZeroInitExperiment.Run(new ZeroInitOptions { Seed = seed, Epochs = epochs, LearningRate = lr }),
        r => Print(r, stdout));

    private static void Print(ZeroInitResult r, TextWriter stdout)
    {
        var o = r.Options;
        var f = ExperimentCommand.Fix;
        var sci = ExperimentCommand.Sci;
        stdout.WriteLine("Initialisation (seed 000, practice 1b): the corrected loop, 3-" + o.Hidden + "-1 ReLU network without biases, update-order's data");
        stdout.WriteLine($"schemes: small random = N(0, 1)·{NumberFormat.RoundTrip(o.RandomScale)}; zeros; constant = {NumberFormat.RoundTrip(o.Constant)} everywhere. "
            + $"Full-batch steps, η = {NumberFormat.RoundTrip(o.LearningRate)}, {o.Epochs} iterations, seed {o.Seed}");
        stdout.WriteLine("Per hidden unit j at an iteration (weights before its update, the gradients it used): mean and std of W1[:, j], W2[j], ‖dL/dW1[:, j]‖, |dL/dW2[j]|, max |O1[:, j]|");
        var console = ExperimentCommand.Console(stdout);
        int[] shown = new[] { 1, 2, 10, o.Epochs }.Where(e => e <= o.Epochs).Distinct().ToArray();
        foreach (var run in r.Runs)
        {
            stdout.WriteLine();
            stdout.WriteLine($"{run.Scheme}:");
            var table = ExperimentCommand.Table(1, "iteration", "unit", "mean W1[:, j]", "std W1[:, j]", "W2[j]", "‖dL/dW1[:, j]‖", "|dL/dW2[j]|", "max |O1[:, j]|", "loss");
            foreach (int epoch in shown)
            {
                var e = run.Epochs[epoch - 1];
                for (int j = 0; j < e.Units.Count; j++)
                {
                    var u = e.Units[j];
                    ExperimentCommand.Row(table, j == 0 ? epoch.ToString() : "", (j + 1).ToString(), sci(u.MeanW1), sci(u.StdW1), sci(u.W2),
                        sci(u.GradNormW1), sci(u.GradAbsW2), sci(u.MaxOutput), j == 0 ? f(e.Loss) : "");
                }
            }
            console.Write(table);
            stdout.WriteLine($"  over all {o.Epochs} iterations: largest difference between two hidden units' weights or gradients {sci(run.MaxUnitSpread)}"
                + (run.MaxUnitSpread == 0 ? " (identical copies)" : ""));
            stdout.WriteLine($"  largest |dL/dW| {sci(run.MaxAbsGradient)}{(run.MaxAbsGradient == 0 ? " (no weight ever changes)" : "")}, "
                + $"largest |O1| {sci(run.MaxAbsHiddenOutput)}{(run.MaxAbsHiddenOutput == 0 ? " (every hidden unit outputs 0: dead)" : "")}");
            stdout.WriteLine($"  loss: {f(run.Epochs[0].Loss)} at the start, {f(run.FinalLoss)} after training");
        }
    }
}
