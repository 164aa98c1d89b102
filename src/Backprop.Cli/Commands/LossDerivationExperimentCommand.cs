using System.CommandLine;
using Backprop.Experiments;

namespace Backprop.Cli.Commands;

/// <summary>backprop experiment loss-derivation: each learner's update rule against the gradient of its derived loss.</summary>
internal static class LossDerivationExperimentCommand
{
    public static Command Create(TextWriter stdout, TextWriter stderr)
    {
        var seed = ExperimentCommand.Seed();
        var lr = ExperimentCommand.LearningRate(new LossDerivationOptions().LearningRate);
        var command = new Command("loss-derivation",
            "Seed 001, 1.4: for the perceptron, Adaline and tanh logistic regression, the rule w ← w + η(y − ŷ)x against −κη∇ℓ of the derived loss, on random data")
        {
            seed, lr,
        };
        command.SetAction(parse => CommandRunner.Run(stderr, () =>
        {
            var r = LossDerivationExperiment.Run(new LossDerivationOptions
            {
                Seed = ExperimentCommand.SeedValue(parse, seed),
                LearningRate = ExperimentCommand.LearningRateValue(parse, lr),
            });
            stdout.WriteLine($"Update rule w ← w + η(y − ŷ)x against −κ·η·∇ℓ (central differences), η = {NumberFormat.RoundTrip(r.Options.LearningRate)}, " +
                $"{r.Options.Examples} random (w, b, x, y) in {r.Options.Dimension} dimensions, seed {r.Options.Seed}");
            var table = ExperimentCommand.Table(3, "learner", "rule", "derived loss ℓ(a; y), a = b + wᵀx", "κ", "points", "left out at kinks", "max |update + κη∇ℓ|", "max |update|");
            foreach (var row in r.Rows)
                ExperimentCommand.Row(table, row.Learner, row.Rule, row.Loss, NumberFormat.RoundTrip(row.StepScale), row.Compared.ToString(),
                    row.SkippedAtKinks.ToString(), ExperimentCommand.Sci(row.MaxDifference), ExperimentCommand.Sci(row.MaxUpdate));
            ExperimentCommand.Console(stdout).Write(table);
            stdout.WriteLine("κ = 2 for the perceptron: on a mistake y − ŷ = 2y, so its rule takes twice the step of the criterion's gradient.");
            return ExitCodes.Ok;
        }));
        return command;
    }
}
