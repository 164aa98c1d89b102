using Backprop.Layers;

namespace Backprop.Tests.Layers;

public class SoftplusTests
{
    [Fact]
    public void Forward_is_log1p_exp_over_beta_below_the_threshold_and_x_above() =>
        ActivationReference.AssertForwardMatches("softplus", (r, x) => r.Spec is Softplus s && s.Beta * x > s.Threshold ? x : Math.Log(1 + Math.Exp(((Softplus)r.Spec).Beta * x)) / ((Softplus)r.Spec).Beta);

    [Fact]
    public void Above_the_threshold_returns_x_exactly_and_passes_the_gradient_through()
    {
        // Default β = 1, threshold 20: 25 > 20. With β = 2, 10.5 gives βx = 21 > 20.
        var (y, dx) = ActivationReference.Run(new Softplus<double>([2]), [25.0, 20.000001], [0.3, 0.7]);
        Assert.Equal([25.0, 20.000001], y);
        Assert.Equal([0.3, 0.7], dx);

        var (yBeta, dxBeta) = ActivationReference.Run(new Softplus<double>([1], beta: 2), [10.5], [0.3]);
        Assert.Equal([10.5], yBeta);
        Assert.Equal([0.3], dxBeta);

        var (y32, dx32) = ActivationReference.Run(new Softplus<float>([1]), [25.0], [0.5]);
        Assert.Equal([25.0], y32);
        Assert.Equal([0.5], dx32);
    }

    [Fact]
    public void At_the_threshold_the_log_branch_is_used()
    {
        // PyTorch's test is βx > threshold, so βx = 20 still takes log1p(e^20) = 20 + log1p(e^−20).
        var (y, dx) = ActivationReference.Run(new Softplus<double>([1]), [20.0], [1.0]);
        Assert.Equal(20 + Math.Log(1 + Math.Exp(-20)), y[0], 1e-14);
        Assert.NotEqual(20.0, y[0]);
        Assert.Equal(1 / (1 + Math.Exp(-20)), dx[0], 1e-15);
    }

    [Fact]
    public void Zero_and_the_far_negative_tail()
    {
        var (y, dx) = ActivationReference.Run(new Softplus<double>([2]), [0.0, -1000], [1.0, 1]);
        Assert.Equal(Math.Log(2), y[0], 1e-16);
        Assert.Equal(0.0, y[1]);
        Assert.Equal([0.5, 0], dx);
    }
}
