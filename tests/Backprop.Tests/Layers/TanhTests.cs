using Backprop.Layers;

namespace Backprop.Tests.Layers;

public class TanhTests
{
    [Fact]
    public void Forward_is_tanh() =>
        ActivationReference.AssertForwardMatches("tanh", (_, x) => (Math.Exp(x) - Math.Exp(-x)) / (Math.Exp(x) + Math.Exp(-x)));

    [Fact]
    public void Slope_is_one_at_zero_and_zero_when_saturated()
    {
        var (y, dx) = ActivationReference.Run(new Tanh<double>([3]), [0.0, 1000, -1000], [3.0, 1, 1]);
        Assert.Equal([0.0, 1, -1], y);
        Assert.Equal([3.0, 0, 0], dx);
    }
}
