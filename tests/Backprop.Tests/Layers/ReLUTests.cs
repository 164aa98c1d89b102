using Backprop.Layers;

namespace Backprop.Tests.Layers;

public class ReLUTests
{
    [Fact]
    public void Forward_is_scale_times_max_0_x() =>
        ActivationReference.AssertForwardMatches("relu", (r, x) => ((ReLU)r.Spec).Scale * Math.Max(0, x));

    [Fact]
    public void Derivative_at_zero_is_zero()
    {
        var (y, dx) = ActivationReference.Run(new ReLU<double>([3]), [0.0, -0.0, 1e-300], [1.0, 1, 1]);
        Assert.Equal([0.0, 0, 1e-300], y);
        Assert.Equal([0.0, 0, 1], dx);
    }

    [Fact]
    public void Scale_multiplies_value_and_slope()
    {
        var (y, dx) = ActivationReference.Run(new ReLU<double>([3], scale: 5), [-2.0, 0, 3], [7.0, 7, 7]);
        Assert.Equal([0.0, 0, 15], y);
        Assert.Equal([0.0, 0, 35], dx);
        var (y32, dx32) = ActivationReference.Run(new ReLU<float>([3], scale: 5), [-2.0, 0, 3], [7.0, 7, 7]);
        Assert.Equal(y, y32);
        Assert.Equal(dx, dx32);
    }
}
