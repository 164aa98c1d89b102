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

    /// <summary>
    /// As torch.relu (run by hand in PyTorch 1.13): relu(NaN) = NaN, relu(±∞) = ∞ / 0, and backward zeroes the gradient
    /// only where the input is ≤ 0, so a NaN input passes the upstream gradient (and an upstream NaN where x ≤ 0 becomes
    /// 0). 37 elements, so that both the vector loop and the scalar tail see every case, in float and double.
    /// </summary>
    [Fact]
    public void NaN_and_infinity_behave_as_in_torch()
    {
        double[] inputs = [double.NaN, double.PositiveInfinity, double.NegativeInfinity, 0, 1, -1, -2];
        double[] upstream = [1, 1, 1, 1, 1, double.NaN, double.PositiveInfinity];
        var x = Enumerable.Range(0, 37).Select(i => inputs[i % inputs.Length]).ToArray();
        var dy = Enumerable.Range(0, 37).Select(i => upstream[i % upstream.Length] * (i % 3 + 1)).ToArray();
        var expectedY = x.Select(v => 5 * (v <= 0 ? 0 : v)).ToArray();
        var expectedDx = x.Select((v, i) => v <= 0 ? 0 : 5 * dy[i]).ToArray();
        Assert.True(double.IsNaN(expectedY[0]) && expectedDx[0] == 5);
        var (y, dx) = ActivationReference.Run(new ReLU<double>([37], scale: 5), x, dy);
        Assert.Equal(expectedY, y);
        Assert.Equal(expectedDx, dx);
        var (y32, dx32) = ActivationReference.Run(new ReLU<float>([37], scale: 5), x, dy);
        Assert.Equal(expectedY, y32);
        Assert.Equal(expectedDx, dx32);
    }
}
