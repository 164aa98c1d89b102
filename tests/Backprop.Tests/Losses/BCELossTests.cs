using Backprop.Tensors;
using Backprop.Losses;

namespace Backprop.Tests.Losses;

public class BCELossTests
{
    [Fact]
    public void Bce_is_minus_the_mean_log_likelihood() =>
        LossReference.AssertForwardMatches("bce", c =>
            -c.PredictionValues.Zip(c.TargetValues, (p, y) => y * Math.Log(p) + (1 - y) * Math.Log(1 - p)).Average());

    [Fact]
    public void Bce_with_logits_is_bce_of_the_sigmoid() =>
        LossReference.AssertForwardMatches("bce_with_logits", c =>
            -c.PredictionValues.Zip(c.TargetValues, (z, y) =>
            {
                double p = 1 / (1 + Math.Exp(-z));
                return y * Math.Log(p) + (1 - y) * Math.Log(1 - p);
            }).Average());

    [Fact]
    public void Predictions_of_exactly_0_or_1_give_a_finite_loss()
    {
        // Each log is clamped at −100 (PyTorch): a confident wrong answer costs 100, a confident right one 0.
        // Elements: (ŷ, y) = (0, 1), (1, 0), (0, 0), (1, 1); mean = (100 + 100 + 0 + 0) / 4.
        double[] p = [0, 1, 0, 1], y = [1, 0, 0, 1];
        var (value, grad) = LossReference.Run<double>("bce", p, [4, 1], y, [4, 1]);
        Assert.Equal(50.0, value);
        // dℓ/dŷ = (ŷ − y) / max(ŷ(1 − ŷ), 1e-12) / 4: finite, ±2.5e11, where the true derivative is infinite.
        Assert.Equal([-2.5e11, 2.5e11, 0, 0], grad);

        var (single, _) = LossReference.Run<double>("bce", [0.0], [1, 1], [1.0], [1, 1]);
        Assert.Equal(100.0, single);

        var (value32, grad32) = LossReference.Run<float>("bce", p, [4, 1], y, [4, 1]);
        Assert.Equal(50.0, value32);
        Assert.All(grad32, g => Assert.True(float.IsFinite((float)g)));
    }

    [Theory]
    [InlineData(-0.1)]
    [InlineData(1.5)]
    [InlineData(double.NaN)]
    public void Bce_rejects_predictions_outside_0_1(double p)
    {
        var loss = new BCELoss<double>();
        Assert.Throws<BackpropException>(() => loss.Forward(new Tensor<double>([p], 1, 1), new Tensor<double>([1.0], 1, 1)));
    }

    [Fact]
    public void Bce_with_logits_is_stable_for_huge_logits()
    {
        // ℓ(z, y) for (1000, 0), (−1000, 1), (1000, 1), (−1000, 0): 1000, 1000, 0, 0.
        double[] z = [1000, -1000, 1000, -1000], y = [0, 1, 1, 0];
        var (value, grad) = LossReference.Run<double>("bce_with_logits", z, [4, 1], y, [4, 1]);
        Assert.Equal(500.0, value);
        Assert.Equal([0.25, -0.25, 0, 0], grad);

        var (value32, grad32) = LossReference.Run<float>("bce_with_logits", z, [4, 1], y, [4, 1]);
        Assert.Equal(500.0, value32);
        Assert.Equal([0.25, -0.25, 0, 0], grad32);
    }
}
