using Backprop.Learners;

namespace Backprop.Experiments;

/// <summary>
/// Seed 001, 1.4: each learner's rule w ← w + η(y − ŷ)x, b ← b + η(y − ŷ) is gradient descent on the loss derived
/// from it. For random w, b, x and y, the rule's update (from <see cref="LinearUnit.Update"/>) is set beside −κη
/// times the central-difference gradient of the learner's loss ℓ(b + wᵀx; y) (from <see cref="LinearUnit.Loss"/>) with
/// respect to (w, b): the perceptron criterion max(0, −y·a) with κ = 2 (the rule's y − ŷ is 2y on a mistake), half the
/// squared error ½(y − a)² for Adaline, and for ŷ = tanh(a) the cross-entropy between (1 + y)/2 and (1 + ŷ)/2,
/// whose derivative in a is −(y − ŷ). Points within 1e-4 of the perceptron's kink (a = 0) are left out.
/// </summary>
public static class LossDerivationExperiment
{
    public static LossDerivationResult Run(LossDerivationOptions options)
    {
        var rows = new List<LossDerivationRow>
        {
            Compare(new Perceptron(options.Dimension), "ŷ = sign(b + wᵀx)", "max(0, −y·a)", options),
            Compare(new Adaline(options.Dimension), "ŷ = b + wᵀx", "½(y − a)²", options),
            Compare(new TanhLogisticRegression(options.Dimension), "ŷ = tanh(b + wᵀx)", "−[(1+y)/2·ln((1+ŷ)/2) + (1−y)/2·ln((1−ŷ)/2)]", options),
        };
        return new LossDerivationResult(options, rows);
    }

    private static LossDerivationRow Compare(LinearUnit unit, string rule, string loss, LossDerivationOptions o)
    {
        var rng = new Rng(o.Seed);
        int d = o.Dimension, compared = 0, skipped = 0;
        double maxDifference = 0, maxUpdate = 0;
        var x = new double[d];
        var w0 = new double[d];
        for (int n = 0; n < o.Examples; n++)
        {
            for (int i = 0; i < d; i++) { w0[i] = rng.Uniform(-1, 1); x[i] = rng.Uniform(-1, 1); }
            double b0 = rng.Uniform(-1, 1), y = rng.NextDouble() < 0.5 ? -1 : 1;
            w0.CopyTo(unit.Weights, 0);
            unit.Bias = b0;
            double a = unit.PreActivation(x);
            if (unit is Perceptron && Math.Abs(a) < 1e-4) { skipped++; continue; }

            // Central differences of ℓ(b + wᵀx; y) in each weight and in b, at (w0, b0).
            const double h = 1e-6;
            var gradient = new double[d + 1];
            for (int i = 0; i <= d; i++)
            {
                double xi = i < d ? x[i] : 1; // ∂a/∂w_i = x_i, ∂a/∂b = 1
                gradient[i] = (unit.Loss(a + h * xi, y) - unit.Loss(a - h * xi, y)) / (2 * h);
            }

            unit.Update(x, y, o.LearningRate);
            for (int i = 0; i <= d; i++)
            {
                double update = i < d ? unit.Weights[i] - w0[i] : unit.Bias - b0;
                double expected = -unit.StepScale * o.LearningRate * gradient[i];
                maxDifference = Math.Max(maxDifference, Math.Abs(update - expected));
                maxUpdate = Math.Max(maxUpdate, Math.Abs(update));
            }
            compared++;
        }
        return new LossDerivationRow(unit.Name, rule, loss, unit.StepScale, compared, skipped, maxDifference, maxUpdate);
    }
}
