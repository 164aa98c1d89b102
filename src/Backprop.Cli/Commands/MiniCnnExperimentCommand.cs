using System.CommandLine;
using Backprop.Experiments;

namespace Backprop.Cli.Commands;

/// <summary>backprop experiment mini-cnn: seed 000's mini CNN trained by SGD with the logistic loss.</summary>
internal static class MiniCnnExperimentCommand
{
    public static Command Create(TextWriter stdout, TextWriter stderr) => ExperimentCommand.SeedEpochsLearningRate("mini-cnn",
        "Seed 000, problem 2: train the mini CNN (conv width 2, ReLU, linear 2→1, no biases) with the logistic loss by SGD; "
        + "print the first step's gradients beside the closed forms of 2.1 and 2.2, the loss per epoch and the accuracy",
        stderr, new MiniCnnOptions().Epochs, "Passes over the training set", new MiniCnnOptions().LearningRate,
        (seed, epochs, lr) => MiniCnn.Run(new MiniCnnOptions { Seed = seed, Epochs = epochs, LearningRate = lr }),
        r => Print(r, stdout));

    // Every digit; −0 (δ·0 in a closed form) printed as 0.
    private static string Exact(double v) => v == 0 ? "0" : NumberFormat.RoundTrip(v);

    private static void Print(MiniCnnResult r, TextWriter stdout)
    {
        var f = ExperimentCommand.Fix;
        var o = r.Options;
        stdout.WriteLine("Mini CNN (seed 000, problem 2): a = conv(x; w1, w2), o = ReLU(a), ŷ = v1·o1 + v2·o2, ℓ = ln(1 + exp(−y·ŷ))");
        stdout.WriteLine($"data: {o.TrainExamples} training and {o.TestExamples} test examples, x ~ N(0, 1)³, y = sign(ReLU(x1 − x2) − ReLU(x2 − x3)) (|teacher| ≥ {MiniCnn.TeacherMargin})");
        stdout.WriteLine($"SGD: one example per step, shuffled each epoch, η = {NumberFormat.RoundTrip(o.LearningRate)}, {o.Epochs} epochs, seed {o.Seed}");
        stdout.WriteLine($"initial (w1, w2, v1, v2) = ({f(r.Initial.W1)}, {f(r.Initial.W2)}, {f(r.Initial.V1)}, {f(r.Initial.V2)})");
        stdout.WriteLine();

        var s = r.FirstStep;
        stdout.WriteLine($"First step: x = ({f(s.X[0])}, {f(s.X[1])}, {f(s.X[2])}), y = {s.Y:+0;-0}");
        stdout.WriteLine($"  a = ({f(s.Forward.A1)}, {f(s.Forward.A2)}), o = ({f(s.Forward.O1)}, {f(s.Forward.O2)}), ŷ = {f(s.Forward.Prediction)}, ℓ = {f(s.Forward.Loss)}");
        var console = ExperimentCommand.Console(stdout);
        var grads = ExperimentCommand.Table(1, "gradient", "engine (backward)", "closed form", "|difference|");
        foreach (var (name, engine, closed) in new[]
        {
            ("∂ℓ/∂w1 (2.2)", s.EngineGradient.W1, s.ClosedFormGradient.W1), ("∂ℓ/∂w2 (2.2)", s.EngineGradient.W2, s.ClosedFormGradient.W2),
            ("∂ℓ/∂v1 (2.1)", s.EngineGradient.V1, s.ClosedFormGradient.V1), ("∂ℓ/∂v2 (2.1)", s.EngineGradient.V2, s.ClosedFormGradient.V2),
        })
            ExperimentCommand.Row(grads, name, Exact(engine), Exact(closed), ExperimentCommand.Sci(Math.Abs(engine - closed)));
        console.Write(grads);
        stdout.WriteLine();

        var table = ExperimentCommand.Table(1, "epoch", "train loss", "train accuracy", "test loss", "test accuracy");
        foreach (var e in r.Epochs)
            ExperimentCommand.Row(table, e.Epoch.ToString(), f(e.TrainLoss), f(e.TrainAccuracy), f(e.TestLoss), f(e.TestAccuracy));
        console.Write(table);
        var last = r.Epochs[^1];
        stdout.WriteLine($"final (w1, w2, v1, v2) = ({f(r.Final.W1)}, {f(r.Final.W2)}, {f(r.Final.V1)}, {f(r.Final.V2)})");
        stdout.WriteLine($"final accuracy: training {f(last.TrainAccuracy)}, test {f(last.TestAccuracy)}");
    }
}
