using Backprop.Layers;
using Backprop.Visualization;

namespace Backprop.Tests.Visualization;

/// <summary>The activation curves: derivatives from the layers' Backward, checked against the forward curve itself.</summary>
public class ActivationCurvesTests
{
    private static readonly IReadOnlyList<ActivationCurve> Curves = ActivationCurves.Compute();

    [Fact]
    public void Six_activations_on_a_grid_through_zero()
    {
        Assert.Equal(["ReLU", "LeakyReLU(0.01)", "Softplus(beta=1)", "GELU", "Tanh", "Sigmoid"], Curves.Select(c => c.Name));
        foreach (var c in Curves)
        {
            Assert.Equal(ActivationCurves.DefaultPoints, c.X.Length);
            Assert.Equal(c.X.Length, c.Y.Length);
            Assert.Equal(c.X.Length, c.Derivative.Length);
            Assert.Equal(-4, c.X[0]);
            Assert.Equal(4, c.X[^1]);
            Assert.Contains(0.0, c.X);
        }
    }

    [Fact]
    public void Derivatives_from_Backward_match_central_differences_of_the_forward_curve()
    {
        foreach (var c in Curves)
        {
            bool kinked = c.Name.Contains("ReLU");
            for (int i = 1; i < c.X.Length - 1; i++)
            {
                // The kink of ReLU and LeakyReLU at 0 has no derivative; Backward's choice there is checked below.
                if (kinked && c.X[i - 1] < 0 && c.X[i + 1] > 0) continue;
                double numeric = (c.Y[i + 1] - c.Y[i - 1]) / (c.X[i + 1] - c.X[i - 1]);
                // Central differences on a grid of step 0.01 are exact to about step²/6 · |f'''| < 1e-4.
                Assert.True(Math.Abs(numeric - c.Derivative[i]) < 1e-4,
                    $"{c.Name} at x = {c.X[i]}: Backward gives {c.Derivative[i]:R}, the curve's slope is {numeric:R}");
            }
        }
    }

    [Fact]
    public void Kinks_take_the_layers_convention()
    {
        int zero = Array.IndexOf(Curves[0].X, 0.0);
        Assert.Equal(0, Curves[0].Derivative[zero]);    // ReLU'(0) = 0
        Assert.Equal(0.01, Curves[1].Derivative[zero]); // LeakyReLU'(0) = negative_slope
        Assert.All(Curves[1].Derivative.Take(zero), d => Assert.Equal(0.01, d));
        Assert.Equal(0.5, Curves[2].Derivative[zero]);  // Softplus'(0) = σ(0)
        Assert.Equal(0.5, Curves[3].Derivative[zero]);  // GELU'(0) = Φ(0)
        Assert.Equal(1, Curves[4].Derivative[zero]);    // tanh'(0) = 1
        Assert.Equal(0.25, Curves[5].Derivative[zero]); // σ'(0) = 1/4
    }

    [Fact]
    public void Sample_uses_the_layer_it_is_given()
    {
        // A 5·ReLU layer (seed 001, 1.2) has derivative 5 on the right: the curve is whatever Backward says.
        var c = ActivationCurves.Sample("5·ReLU", shape => new ReLU<double>(shape, scale: 5), [-1, 0, 2]);
        Assert.Equal([0.0, 0.0, 10.0], c.Y);
        Assert.Equal([0.0, 0.0, 5.0], c.Derivative);
    }

    [Fact]
    public void Save_rejects_other_formats()
    {
        var e = Assert.Throws<BackpropException>(() => ActivationCurves.Save(Curves, "curves.jpg"));
        Assert.Contains("expected a file ending in .png or .svg", e.Message);
    }
}
