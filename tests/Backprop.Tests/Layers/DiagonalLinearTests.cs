using Backprop.Layers;
using Backprop.Tensors;
using Backprop.Tests.Support;

namespace Backprop.Tests.Layers;

/// <summary>DiagonalLinear is not a model-file type, so it is checked here rather than through LayerGens.</summary>
public class DiagonalLinearTests
{
    private static (DiagonalLinear<double> Layer, Tensor<double> X, Tensor<double> R) Random(Rng rng, int n, int f)
    {
        var layer = new DiagonalLinear<double>(f);
        for (int k = 0; k < f; k++) layer.Weight.Value[k] = rng.Normal();
        var x = new Tensor<double>(n, f);
        var r = new Tensor<double>(n, f);
        for (int i = 0; i < x.Length; i++) { x[i] = rng.Normal(); r[i] = rng.Normal(); }
        return (layer, x, r);
    }

    [Fact]
    public void Gradients_match_central_differences()
    {
        var rng = new Rng(7);
        for (int trial = 0; trial < 50; trial++)
        {
            int n = 1 + rng.NextInt(4), f = 1 + rng.NextInt(5);
            var (layer, x, r) = Random(rng, n, f);
            layer.ZeroGrad();
            layer.Forward(x);
            double[] dx = layer.Backward(r).ToDoubleArray();
            double[] dw = layer.Weight.Grad.ToDoubleArray();
            double[] Outputs() => layer.Forward(x).ToDoubleArray();
            string context = $"trial {trial}: N = {n}, F = {f}";
            Numeric.AssertGradientsClose("dL/dx", dx, Numeric.CentralDifferences(x.Data, r.Data, Outputs), context);
            Numeric.AssertGradientsClose("dL/dw", dw, Numeric.CentralDifferences(layer.Weight.Value.Data, r.Data, Outputs), context);
        }
    }

    [Fact]
    public void Equals_a_linear_layer_with_a_diagonal_weight_matrix()
    {
        var rng = new Rng(11);
        var (diagonal, x, r) = Random(rng, 3, 4);
        var linear = new Linear<double>(4, 4, bias: false);
        for (int k = 0; k < 4; k++) linear.Weight.Value[k, k] = diagonal.Weight.Value[k];

        var (y, dx, dw) = Numeric.Pass(diagonal, x, r);
        var (yl, dxl, dwl) = Numeric.Pass(linear, x, r);
        // Equal up to rounding: the GEMM behind Linear fuses multiply-adds and orders its sums its own way.
        static void Close(IEnumerable<double> expected, IEnumerable<double> actual)
        {
            foreach (var (e, a) in expected.Zip(actual, (e, a) => (e, a)))
                Assert.True(Math.Abs(e - a) <= 1e-14 * Math.Max(1, Math.Abs(e)), $"{a:R} differs from {e:R}");
            Assert.Equal(expected.Count(), actual.Count());
        }
        Close(yl, y);
        Close(dxl, dx);
        Close(Enumerable.Range(0, 4).Select(k => dwl[0][k * 4 + k]), dw[0]);
    }

    [Fact]
    public void Backward_accumulates_into_the_weight_gradient()
    {
        var (layer, x, r) = Random(new Rng(3), 2, 3);
        layer.ZeroGrad();
        layer.Forward(x);
        layer.Backward(r);
        double[] once = layer.Weight.Grad.ToDoubleArray();
        layer.Backward(r);
        Assert.Equal(once.Select(g => 2 * g), layer.Weight.Grad.ToDoubleArray());
        Assert.Equal("diagonal_linear", layer.Type);
        Assert.Equal(["weight"], layer.Parameters.Select(p => p.Name));
    }
}
