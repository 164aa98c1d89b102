namespace Backprop.Tests.Losses;

public class MarginLossesTests
{
    [Fact]
    public void Logistic_is_log_1_plus_exp_minus_margin() =>
        LossReference.AssertForwardMatches("logistic", c => c.PredictionValues.Zip(c.TargetValues, (p, y) => Math.Log(1 + Math.Exp(-y * p))).Average());

    [Fact]
    public void Perceptron_is_max_0_minus_margin() =>
        LossReference.AssertForwardMatches("perceptron", c => c.PredictionValues.Zip(c.TargetValues, (p, y) => Math.Max(0, -y * p)).Average());

    [Fact]
    public void Hinge_is_max_0_1_minus_margin() =>
        LossReference.AssertForwardMatches("hinge", c => c.PredictionValues.Zip(c.TargetValues, (p, y) => Math.Max(0, 1 - y * p)).Average());

    [Fact]
    public void Logistic_does_not_overflow_at_margin_minus_1000()
    {
        // y·ŷ = −1000 costs exactly 1000 (ln(1 + e^1000) would overflow if computed as written); y·ŷ = +1000 costs 0.
        var (value, grad) = LossReference.Run<double>("logistic", [-1000.0], [1, 1], [1.0], [1]);
        Assert.Equal(1000.0, value);
        Assert.Equal([-1.0], grad);

        var (other, otherGrad) = LossReference.Run<double>("logistic", [1000.0, 1000], [2, 1], [-1.0, 1], [2]);
        Assert.Equal(500.0, other);
        Assert.Equal([0.5, 0], otherGrad);

        var (value32, grad32) = LossReference.Run<float>("logistic", [-1000.0], [1, 1], [1.0], [1]);
        Assert.Equal(1000.0, value32);
        Assert.Equal([-1.0], grad32);
    }

    [Fact]
    public void Logistic_at_margin_zero()
    {
        var (value, grad) = LossReference.Run<double>("logistic", [0.0], [1, 1], [-1.0], [1]);
        Assert.Equal(Math.Log(2), value, 1e-16);
        Assert.Equal([0.5], grad); // −y·σ(0) = 0.5
    }

    [Fact]
    public void Perceptron_gradient_is_minus_y_over_N_only_where_the_margin_is_negative()
    {
        // Margins y·ŷ: −2 (wrong), 0 (on the boundary: no gradient, like ReLU at 0), 3 (right), −0.5 (wrong).
        var (value, grad) = LossReference.Run<double>("perceptron", [2.0, 0, 3, -0.5], [4, 1], [-1.0, 1, 1, 1], [4]);
        Assert.Equal((2 + 0 + 0 + 0.5) / 4, value);
        Assert.Equal([0.25, 0, 0, -0.25], grad);
    }

    [Fact]
    public void Hinge_gradient_is_minus_y_over_N_only_where_the_margin_is_below_1()
    {
        // Margins: 1 (exactly at the hinge: no gradient), 0.5, −1, 2.
        var (value, grad) = LossReference.Run<double>("hinge", [1.0, -0.5, 1, 2], [4, 1], [1.0, -1, -1, 1], [4]);
        Assert.Equal((0 + 0.5 + 2 + 0) / 4, value);
        Assert.Equal([0, 0.25, 0.25, 0], grad);
    }
}
