using System.Globalization;
using Backprop.Layers;
using Backprop.Tensors;

namespace Backprop.Tests.Support;

/// <summary>Central differences in float64 and the comparisons the property tests share.</summary>
public static class Numeric
{
    public const double Step = 1e-6, AbsoluteTolerance = 1e-7, RelativeTolerance = 1e-5;

    /// <summary>
    /// dF/dθ_i for every element of <paramref name="theta"/> by central differences, where F = Σ_j w_j·f(θ)_j and
    /// <paramref name="f"/> returns a fresh copy of the outputs. The differences f(θ + h) − f(θ − h) are taken
    /// element by element before weighting, which keeps rounding error well below summing F first, and the divisor is
    /// the step actually taken, (θ + h) − (θ − h) as doubles, rather than the nominal 2h.
    /// </summary>
    public static double[] CentralDifferences(double[] theta, double[] weights, Func<double[]> f, double step = Step)
    {
        var result = new double[theta.Length];
        for (int i = 0; i < theta.Length; i++)
        {
            double original = theta[i], up = original + step, down = original - step;
            theta[i] = up;
            double[] plus = f();
            theta[i] = down;
            double[] minus = f();
            theta[i] = original;
            double sum = 0;
            for (int j = 0; j < plus.Length; j++) sum += weights[j] * (plus[j] - minus[j]);
            result[i] = sum / (up - down);
        }
        return result;
    }

    /// <summary>Checks |a − n| ≤ 1e-7 + 1e-5·max(|a|, |n|) element by element, naming the first element that fails.</summary>
    public static void AssertGradientsClose(string what, double[] analytic, double[] numeric, object context)
    {
        Assert.Equal(numeric.Length, analytic.Length);
        for (int i = 0; i < analytic.Length; i++)
        {
            double a = analytic[i], n = numeric[i];
            double error = Math.Abs(a - n), scale = Math.Max(Math.Abs(a), Math.Abs(n));
            if (!(error <= AbsoluteTolerance + RelativeTolerance * scale))
                Assert.Fail(string.Create(CultureInfo.InvariantCulture,
                    $"{what}[{i}]: backward gives {a:R}, central differences {n:R} (|diff| {error:E3})\nanalytic {Values.Format(analytic)}\nnumeric  {Values.Format(numeric)}\n{context}"));
        }
    }

    /// <summary>
    /// For L = Σ r ⊙ layer(x): checks that Backward(r) returns dL/dx and adds dL/dθ to each parameter's gradient,
    /// against central differences of Forward in float64.
    /// </summary>
    public static void AssertLayerGradients(LayerCase c)
    {
        var layer = c.Build<double>();
        var x = c.X<double>();
        // Every forward pass draws from the same generator state, so that dropout keeps one mask.
        ulong[] state = layer.Context.Generator.State;
        layer.ZeroGrad();
        layer.Forward(x);
        var inputGrad = layer.Backward(c.R<double>());
        Assert.Equal(c.InputBatchShape, inputGrad.Shape);
        double[] dx = inputGrad.ToDoubleArray();
        var dParams = layer.Parameters.Select(p => p.Grad.ToDoubleArray()).ToArray();

        double[] Outputs()
        {
            layer.Context.Generator.State = state;
            return layer.Forward(x).ToDoubleArray();
        }
        AssertGradientsClose("dL/dx", dx, CentralDifferences(x.Data, c.Upstream, Outputs), c);
        for (int i = 0; i < dParams.Length; i++)
            AssertGradientsClose($"dL/d{layer.Parameters[i].Name}", dParams[i], CentralDifferences(layer.Parameters[i].Value.Data, c.Upstream, Outputs), c);
    }

    /// <summary>Checks Backward() of a loss against central differences of Forward() in the predictions, in float64.</summary>
    public static void AssertLossGradient(LossCase c)
    {
        var loss = c.Create<double>();
        var p = c.Prediction<double>();
        var y = c.Target<double>();
        loss.Forward(p, y);
        var grad = loss.Backward();
        Assert.Equal(p.Shape, grad.Shape);
        double[] analytic = grad.ToDoubleArray();
        double[] numeric = CentralDifferences(p.Data, [1.0], () => [loss.Forward(p, y)]);
        AssertGradientsClose($"d{c.Name}/dŷ", analytic, numeric, c);
    }

    /// <summary>A loss's value and gradient in float32 against float64, on the case rounded to float32 first.</summary>
    public static void AssertLossSingleAgrees(LossCase original)
    {
        var c = original.RoundedToSingle();
        var loss64 = c.Create<double>();
        var loss32 = c.Create<float>();
        double value64 = loss64.Forward(c.Prediction<double>(), c.Target<double>());
        double value32 = loss32.Forward(c.Prediction<float>(), c.Target<float>());
        AssertSingleClose("loss", [value64], [value32], c);
        AssertSingleClose("dℓ/dŷ", loss64.Backward().ToDoubleArray(), loss32.Backward().ToDoubleArray(), c);
    }

    /// <summary>
    /// float32 against float64 on the same (float-representable) numbers: |f − d| ≤ 1e-4·|d| + floor, where the floor
    /// is <paramref name="floorFraction"/> of the largest |d| in the tensor (and at least that fraction of 1). The floor
    /// covers elements that come out near zero from a sum of larger terms, where float32 keeps only absolute accuracy.
    /// </summary>
    public static void AssertSingleClose(string what, double[] reference, double[] single, object context, double floorFraction = 1e-6)
    {
        Assert.Equal(reference.Length, single.Length);
        double floor = floorFraction * Math.Max(1.0, Values.MaxAbs(reference));
        for (int i = 0; i < reference.Length; i++)
        {
            double d = reference[i], f = single[i];
            if (!(Math.Abs(f - d) <= 1e-4 * Math.Abs(d) + floor))
                Assert.Fail(string.Create(CultureInfo.InvariantCulture,
                    $"{what}[{i}]: float32 gives {f:R}, float64 {d:R} (|diff| {Math.Abs(f - d):E3}, floor {floor:E1})\n{context}"));
        }
    }

    /// <summary>Close in double: |a − e| ≤ tolerance·(1 + |e|).</summary>
    public static void AssertClose(string what, double[] expected, double[] actual, double tolerance, object? context = null)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            if (!(Math.Abs(actual[i] - expected[i]) <= tolerance * (1 + Math.Abs(expected[i]))))
                Assert.Fail(string.Create(CultureInfo.InvariantCulture,
                    $"{what}[{i}]: got {actual[i]:R}, expected {expected[i]:R}\nexpected {Values.Format(expected)}\nactual   {Values.Format(actual)}\n{context}"));
    }

    /// <summary>
    /// Checks the float64 layer's Forward against a reference computed independently by the test: the output shape
    /// per example and every value to within 1e-12·(1 + |expected|) (the summation order may differ).
    /// </summary>
    public static void AssertForwardMatches(LayerCase c, int[] expectedShape, double[] expected)
    {
        var layer = c.Build<double>();
        Assert.Equal(expectedShape, layer.OutputShape);
        var y = layer.Forward(c.X<double>());
        Assert.Equal(Tensor.Batched(c.Batch, expectedShape), y.Shape);
        AssertClose("forward", expected, y.ToDoubleArray(), 1e-12, c);
    }

    /// <summary>Runs one forward and backward pass and returns copies of the output, the input gradient and each parameter gradient.</summary>
    public static (double[] Output, double[] InputGrad, double[][] ParamGrads) Pass<T>(Layer<T> layer, Tensor<T> x, Tensor<T> r)
        where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        layer.ZeroGrad();
        double[] y = layer.Forward(x).ToDoubleArray();
        double[] dx = layer.Backward(r).ToDoubleArray();
        return (y, dx, layer.Parameters.Select(p => p.Grad.ToDoubleArray()).ToArray());
    }
}
