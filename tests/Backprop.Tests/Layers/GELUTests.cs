using Backprop.Layers;
using Backprop.Tests.Support;
using CsCheck;

namespace Backprop.Tests.Layers;

public class GELUTests
{
    /// <summary>
    /// Φ(x) = ½ + ∫₀ˣ φ(t) dt by composite Simpson's rule with 2000 panels: independent of any erf implementation, and
    /// within about 2e-11 of the true value for |x| ≤ 5 (the rule's error is h⁴/180 · |x| · max |φ⁗|).
    /// </summary>
    private static double Phi(double x)
    {
        const int panels = 2000;
        double h = x / panels, sum = Density(0) + Density(x);
        for (int i = 1; i < panels; i++) sum += (i % 2 == 1 ? 4 : 2) * Density(i * h);
        return 0.5 + sum * h / 3;
    }

    private static double Density(double t) => Math.Exp(-t * t / 2) / Math.Sqrt(2 * Math.PI);

    [Fact]
    public void Forward_is_x_times_the_normal_cdf_over_minus5_to_5() =>
        LayerGens.ByType["gelu"].Sample(c =>
        {
            var expected = c.Input.Select(x => x * Phi(x)).ToArray();
            var y = c.Build<double>().Forward(c.X<double>()).ToDoubleArray();
            Numeric.AssertClose("gelu", expected, y, 1e-10, c);
        }, iter: 40);

    [Fact]
    public void Known_values()
    {
        // Φ(1) = 0.8413447460685429, φ(1) = 0.24197072451914337, Φ(−5) = 2.866515718791939e-7.
        var (y, dx) = ActivationReference.Run(new GELU<double>([4]), [1.0, -1, 0, -5], [1.0, 1, 1, 1]);
        Assert.Equal(0.8413447460685429, y[0], 1e-15);
        Assert.Equal(-0.15865525393145705, y[1], 1e-15);
        Assert.Equal(0.0, y[2]);
        // In the negative tail 1 + erf(x/√2) cancels (as in PyTorch's formula), leaving absolute, not relative, accuracy.
        Assert.Equal(-5 * 2.866515718791939e-7, y[3], 1e-15);
        Assert.Equal(0.8413447460685429 + 0.24197072451914337, dx[0], 1e-15);
        Assert.Equal(0.15865525393145705 - 0.24197072451914337, dx[1], 1e-15);
        Assert.Equal(0.5, dx[2]);
    }
}
