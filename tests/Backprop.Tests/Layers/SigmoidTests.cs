using Backprop.Layers;

namespace Backprop.Tests.Layers;

public class SigmoidTests
{
    [Fact]
    public void Forward_is_the_logistic_function() =>
        ActivationReference.AssertForwardMatches("sigmoid", (_, x) => 1 / (1 + Math.Exp(-x)));

    [Fact]
    public void Zero_gives_one_half_and_slope_one_quarter()
    {
        var (y, dx) = ActivationReference.Run(new Sigmoid<double>([1]), [0.0], [1.0]);
        Assert.Equal([0.5], y);
        Assert.Equal([0.25], dx);
    }

    [Fact]
    public void Huge_inputs_saturate_without_NaN()
    {
        var (y, dx) = ActivationReference.Run(new Sigmoid<double>([4]), [1000.0, -1000, 800, -800], [1.0, 1, 1, 1]);
        Assert.Equal([1.0, 0, 1, 0], y);
        Assert.Equal([0.0, 0, 0, 0], dx);

        // In float32, e^−100 ≈ 3.8e-44 is still a (subnormal) number, e^−200 is 0.
        var (y32, dx32) = ActivationReference.Run(new Sigmoid<float>([5]), [1000.0, -1000, 200, -200, -100], [1.0, 1, 1, 1, 1]);
        Assert.Equal([1.0, 0, 1, 0, (double)MathF.Exp(-100)], y32);
        Assert.Equal([0.0, 0, 0, 0, (double)MathF.Exp(-100)], dx32);
    }
}
