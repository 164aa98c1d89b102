using Backprop.Diagnostics;

namespace Backprop.Experiments;

/// <summary>Settings of <see cref="UpdateOrderExperiment.Run(UpdateOrderOptions)"/>.</summary>
public sealed record UpdateOrderOptions
{
    public ulong Seed { get; init; }

    /// <summary>Iterations of the sheet's loop; each is one full-batch gradient step.</summary>
    public int Epochs { get; init; } = 300;

    public int Examples { get; init; } = 64;
    public int Hidden { get; init; } = 8;

    /// <summary>Both loops run once per learning rate: a small one, where the bug only bends the path, and a larger one.</summary>
    public IReadOnlyList<double> LearningRates { get; init; } = [0.1, 0.6];

    /// <summary>Weights start as N(0, 1)·InitScale (the sheet's initialisation scheme 1: 0.01).</summary>
    public double InitScale { get; init; } = 0.01;

    public void Validate()
    {
        if (Epochs < 1) throw new BackpropException($"epochs: expected at least 1, got {Epochs}");
        if (Examples < 1) throw new BackpropException($"examples: expected at least 1, got {Examples}");
        if (Hidden < 1) throw new BackpropException($"hidden: expected at least 1, got {Hidden}");
        if (LearningRates.Count == 0) throw new BackpropException("learning rates: expected at least one");
        foreach (double lr in LearningRates)
            if (!(lr > 0) || !double.IsFinite(lr)) throw new BackpropException($"learning rate: expected a positive number, got {lr}");
        if (!(InitScale >= 0) || !double.IsFinite(InitScale)) throw new BackpropException($"init scale: expected a number ≥ 0, got {InitScale}");
    }
}

/// <summary>
/// One iteration of both loops. Losses are those of the iteration's forward pass (before its update). For the buggy
/// loop, <see cref="BuggyW1Deviation"/> = ‖dW1 it used − true dW1‖ / ‖true dW1‖ and <see cref="BuggyW1Cosine"/> the
/// cosine between them, the true gradient taken at the buggy loop's own weights of that iteration.
/// </summary>
public sealed record UpdateOrderEpoch(int Epoch, double CorrectLoss, double BuggyLoss, double BuggyW1Deviation, double BuggyW1Cosine);

/// <summary>
/// Both loops at one learning rate: the first iteration's gradients checked against central differences (both loops
/// start from the same weights), the per-iteration record, the losses after the last update, and the iteration at
/// which the buggy loop's loss stopped being finite (null if it never did; it is not stepped after that).
/// </summary>
public sealed record UpdateOrderRun(
    double LearningRate, IReadOnlyList<GradientCheckEntry> CorrectCheck, IReadOnlyList<GradientCheckEntry> BuggyCheck,
    IReadOnlyList<UpdateOrderEpoch> Epochs, double FinalCorrectLoss, double FinalBuggyLoss, int? BuggyDivergedAt);

public sealed record UpdateOrderResult(UpdateOrderOptions Options, IReadOnlyList<UpdateOrderRun> Runs);

/// <summary>
/// Seed 000, practice problem 1a: the sheet's training loop updates W2 (<c>W2 -= learning_rate * dW2</c>) before
/// back-propagating through it (<c>dO1 = np.dot(dA2, W2.T)</c>), so the dW1 it applies is not the gradient of the
/// loss it just computed: it is dW1 with W2 replaced by W2 − η·dW2, off by −η·Xᵀ[(dA2·dW2ᵀ) ⊙ H(A1)]. Runs that loop
/// and the correct one from the same seeded weights on <see cref="RegressionData"/>, once per learning rate; checks the
/// first iteration's gradients against central differences, and records both losses and how far the buggy dW1 is from
/// the true one. The error grows with η: at a small η the buggy loop still trains; at a larger one it can diverge where
/// the correct loop does not.
/// </summary>
public static class UpdateOrderExperiment
{
    private const ulong DataSeedSalt = 0xDA7A_5EED_0000_0000UL;

    public static RegressionData Data(UpdateOrderOptions options) => RegressionData.Create(options.Examples, new Rng(options.Seed ^ DataSeedSalt));

    /// <summary>The starting network: N(0, 1)·InitScale from the seed.</summary>
    public static ReluRegressionNet InitialNet(UpdateOrderOptions options)
    {
        var rng = new Rng(options.Seed);
        return ReluRegressionNet.Create(3, options.Hidden, () => rng.Normal() * options.InitScale);
    }

    public static UpdateOrderResult Run(UpdateOrderOptions options)
    {
        options.Validate();
        var data = Data(options);
        return new UpdateOrderResult(options, options.LearningRates.Select(lr => Run(options, data, lr)).ToList());
    }

    private static UpdateOrderRun Run(UpdateOrderOptions options, RegressionData data, double learningRate)
    {
        var correct = InitialNet(options);
        var buggy = correct.Clone();

        // The first iteration from the shared starting point, each loop on a copy, checked against the loss there.
        var start = correct.Clone();
        var correctFirst = start.Clone().Step(data, learningRate, UpdateOrder.Correct);
        var buggyFirst = start.Clone().Step(data, learningRate, UpdateOrder.W2First);
        GradientCheckEntry[] correctCheck = [start.Check("W1", start.W1, correctFirst.DW1, data), start.Check("W2", start.W2, correctFirst.DW2, data)];
        GradientCheckEntry[] buggyCheck = [start.Check("W1", start.W1, buggyFirst.DW1, data), start.Check("W2", start.W2, buggyFirst.DW2, data)];

        var epochs = new List<UpdateOrderEpoch>();
        int? diverged = null;
        for (int epoch = 1; epoch <= options.Epochs; epoch++)
        {
            var c = correct.Step(data, learningRate, UpdateOrder.Correct);
            double buggyLoss = double.NaN, deviation = double.NaN, cosine = double.NaN;
            if (diverged is null)
            {
                var truth = buggy.Gradients(data);
                var used = buggy.Step(data, learningRate, UpdateOrder.W2First);
                buggyLoss = used.Loss;
                if (double.IsFinite(used.Loss)) (deviation, cosine) = (RelativeDistance(used.DW1, truth.DW1), Cosine(used.DW1, truth.DW1));
                else diverged = epoch;
            }
            epochs.Add(new UpdateOrderEpoch(epoch, c.Loss, buggyLoss, deviation, cosine));
        }
        return new UpdateOrderRun(learningRate, correctCheck, buggyCheck, epochs, correct.Loss(data), diverged is null ? buggy.Loss(data) : double.NaN, diverged);
    }

    /// <summary>‖a − b‖ / ‖b‖ (0 when both are 0).</summary>
    public static double RelativeDistance(double[] a, double[] b)
    {
        var diff = new double[a.Length];
        for (int i = 0; i < a.Length; i++) diff[i] = a[i] - b[i];
        double d = GradientFlow.Norm(diff), n = GradientFlow.Norm(b);
        return d == 0 ? 0 : d / n;
    }

    /// <summary>a·b / (‖a‖‖b‖) (NaN when either is 0).</summary>
    public static double Cosine(double[] a, double[] b)
    {
        double dot = 0;
        for (int i = 0; i < a.Length; i++) dot += a[i] * b[i];
        return dot / (GradientFlow.Norm(a) * GradientFlow.Norm(b));
    }
}
