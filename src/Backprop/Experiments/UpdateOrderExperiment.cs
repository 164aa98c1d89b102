using Backprop.Diagnostics;

namespace Backprop.Experiments;

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
