using Backprop.Layers;

namespace Backprop.Tests.Layers;

public class IdentityTests
{
    [Fact]
    public void Passes_values_and_gradients_through() =>
        ActivationReference.AssertForwardMatches("identity", (_, x) => x);

    [Fact]
    public void Backward_returns_the_upstream_gradient_unchanged()
    {
        var (y, dx) = ActivationReference.Run(new Identity<double>([3]), [1.0, -2, double.MaxValue], [4.0, 5, 6]);
        Assert.Equal([1.0, -2, double.MaxValue], y);
        Assert.Equal([4.0, 5, 6], dx);
    }
}
