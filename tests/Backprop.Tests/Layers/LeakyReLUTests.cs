using Backprop.Layers;

namespace Backprop.Tests.Layers;

public class LeakyReLUTests
{
    [Fact]
    public void Forward_is_x_or_slope_times_x() =>
        ActivationReference.AssertForwardMatches("leaky_relu", (r, x) => x > 0 ? x : ((LeakyReLU)r.Spec).NegativeSlope * x);

    [Fact]
    public void Default_slope_and_the_derivative_at_zero()
    {
        // PyTorch uses the negative slope at exactly 0.
        var layer = new LeakyReLU<double>([4]);
        Assert.Equal(0.01, layer.NegativeSlope);
        var (y, dx) = ActivationReference.Run(layer, [-3.0, 0, 2, -0.0], [1.0, 1, 1, 100]);
        Assert.Equal([-0.03, 0, 2, 0], y);
        Assert.Equal([0.01, 0.01, 1, 1], dx);
    }

    [Fact]
    public void Custom_slope()
    {
        var (y, dx) = ActivationReference.Run(new LeakyReLU<double>([2], 0.25), [-4.0, 4], [2.0, 2]);
        Assert.Equal([-1.0, 4], y);
        Assert.Equal([0.5, 2], dx);
    }
}
