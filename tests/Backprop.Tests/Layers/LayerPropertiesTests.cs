using Backprop.Layers;
using Backprop.Tests.Support;
using CsCheck;

namespace Backprop.Tests.Layers;

/// <summary>
/// Properties every layer must have, each checked on random layers of every type in the model-file vocabulary:
/// shapes, hyper-parameters, parameters, inputs and upstream gradients all drawn at random (see <see cref="LayerGens"/>).
/// </summary>
public class LayerPropertiesTests
{
    private const int Iterations = 60;

    public static TheoryData<string> LayerTypes => new(LayerKinds.Names);

    [Fact]
    public void Every_layer_type_has_a_generator()
    {
        Assert.Equal(LayerKinds.Names.Order(), LayerGens.ByType.Keys.Order());
        foreach (var (type, gen) in LayerGens.ByType)
            Assert.Equal(type, gen.Single().Build<double>().Type);
    }

    [Theory, MemberData(nameof(LayerTypes))]
    public void Backward_matches_central_differences(string type) =>
        LayerGens.ByType[type].Sample(Numeric.AssertLayerGradients, iter: Iterations);

    [Theory, MemberData(nameof(LayerTypes))]
    public void Float32_agrees_with_float64(string type) =>
        LayerGens.ByType[type].Sample(original =>
        {
            var c = original.RoundedToSingle();
            var (y64, dx64, dp64) = Numeric.Pass(c.Build<double>(), c.X<double>(), c.R<double>());
            var (y32, dx32, dp32) = Numeric.Pass(c.Build<float>(), c.X<float>(), c.R<float>());
            Numeric.AssertSingleClose("output", y64, y32, c);
            Numeric.AssertSingleClose("dL/dx", dx64, dx32, c, InputGradientFloor(c, dx64));
            for (int i = 0; i < dp64.Length; i++) Numeric.AssertSingleClose($"dL/dθ{i}", dp64[i], dp32[i], c, ParameterGradientFloor(c, i, dp64[i]));
        }, iter: Iterations);

    /// <summary>
    /// The floor of <see cref="Numeric.AssertSingleClose"/> for dL/dx. A batch norm in training mode computes dL/dx as
    /// γ/σ·(r − mean(r) − x̂·mean(r·x̂)): terms of size |r|·|γ|/σ that cancel (exactly, up to eps, for a batch of two,
    /// where x̂ = ±1), so float32 keeps only an absolute accuracy relative to those terms, not to the result; and x̂
    /// itself carries the rounding of x − μ divided by σ.
    /// </summary>
    private static double InputGradientFloor(LayerCase c, double[] dx64)
    {
        if (BatchStatistics(c) is not (double smallestSigma, double gamma)) return DefaultFloor;
        // x − μ in float32 is off by about an ulp of |x|, which x̂ = (x − μ)/σ divides by σ
        double terms = 3 * Values.MaxAbs(c.Upstream) * gamma / smallestSigma * (1 + Values.MaxAbs(c.Input) / smallestSigma);
        return Math.Max(DefaultFloor, DefaultFloor * terms / Math.Max(1, Values.MaxAbs(dx64)));
    }

    /// <summary>
    /// The floor for dL/dθ. A batch norm's dL/dγ = Σ r·x̂ over the batch and positions: x̂ carries the rounding of x − μ
    /// (an ulp of |x|) divided by σ, so where x̂ = ±1 terms cancel (a batch of two values, say) float32 keeps only an
    /// absolute accuracy of about Σ|r|·ulp(|x|)/σ. dL/dβ = Σ r has no x̂ and keeps the default floor.
    /// </summary>
    private static double ParameterGradientFloor(LayerCase c, int parameter, double[] dp64)
    {
        if (parameter != 0 || c.Recipe.Spec is not BatchNorm { Affine: true } || BatchStatistics(c) is not (double smallestSigma, _))
            return DefaultFloor;
        int terms = c.Input.Length / c.Recipe.InputShape[0];
        double error = 3 * terms * Values.MaxAbs(c.Upstream) * (1 + Values.MaxAbs(c.Input) / smallestSigma);
        return Math.Max(DefaultFloor, DefaultFloor * error / Math.Max(1, Values.MaxAbs(dp64)));
    }

    private const double DefaultFloor = 1e-6;

    /// <summary>
    /// For a batch norm that normalises with the batch's statistics: the smallest σ over the channels and the largest
    /// |γ| (at least 1); null for any other layer, or one that uses its running statistics.
    /// </summary>
    private static (double SmallestSigma, double Gamma)? BatchStatistics(LayerCase c)
    {
        // without running statistics it normalises with the batch's in evaluation mode too
        if (c.Recipe.Spec is not BatchNorm bn || (!c.Recipe.Training && bn.TrackRunningStats)) return null;
        int channels = c.Recipe.InputShape[0], perExample = c.Input.Length / c.Batch, spatial = perExample / channels;
        double smallestSigma = double.PositiveInfinity;
        for (int ch = 0; ch < channels; ch++)
        {
            double sum = 0, squares = 0;
            int count = 0;
            for (int n = 0; n < c.Batch; n++)
                for (int s = 0; s < spatial; s++, count++)
                {
                    double v = c.Input[n * perExample + ch * spatial + s];
                    sum += v;
                    squares += v * v;
                }
            double mean = sum / count;
            smallestSigma = Math.Min(smallestSigma, Math.Sqrt(Math.Max(0, squares / count - mean * mean) + bn.Eps));
        }
        double gamma = bn.Affine ? Math.Max(1, Values.MaxAbs(c.ParameterValues[0])) : 1;
        return (smallestSigma, gamma);
    }

    [Theory, MemberData(nameof(LayerTypes))]
    public void Parameter_gradients_accumulate_and_ZeroGrad_clears_them(string type) =>
        LayerGens.ByType[type].Sample(c =>
        {
            var layer = c.Build<double>();
            var r = c.R<double>();
            layer.ZeroGrad();
            layer.Forward(c.X<double>());
            double[] dx1 = layer.Backward(r).ToDoubleArray();
            double[][] once = layer.Parameters.Select(p => p.Grad.ToDoubleArray()).ToArray();
            double[] dx2 = layer.Backward(r).ToDoubleArray();

            // The input gradient is a fresh result each time; only parameter gradients add up.
            Assert.Equal(dx1, dx2);
            for (int i = 0; i < once.Length; i++)
            {
                Numeric.AssertClose($"{layer.Parameters[i].Name} after two backward passes", once[i].Select(v => 2 * v).ToArray(),
                    layer.Parameters[i].Grad.ToDoubleArray(), 1e-12, c);
            }

            layer.ZeroGrad();
            foreach (var p in layer.Parameters) Assert.All(p.Grad.ToDoubleArray(), v => Assert.Equal(0.0, v));
            layer.Backward(r);
            for (int i = 0; i < once.Length; i++) Assert.Equal(once[i], layer.Parameters[i].Grad.ToDoubleArray());
        }, iter: Iterations);

    /// <summary>
    /// Layers reuse their buffers between calls; a pass on another batch size first must not leave anything behind,
    /// and neither pass may write into its input.
    /// </summary>
    [Theory, MemberData(nameof(LayerTypes))]
    public void Results_do_not_depend_on_an_earlier_batch_of_another_size(string type) =>
        LayerGens.ByType[type].Sample(c =>
        {
            var fresh = Numeric.Pass(c.Build<double>(), c.X<double>(), c.R<double>());

            var used = c.Build<double>();
            int otherBatch = c.Batch % 3 + 1;
            if (otherBatch == 1 && c.Recipe.Spec is BatchNorm) otherBatch = c.Batch + 1; // batch statistics need two examples
            var other = new LayerCase(c.Recipe, otherBatch,
                Cycle(c.Input, otherBatch * c.Input.Length / c.Batch), Cycle(c.Upstream, otherBatch * c.Upstream.Length / c.Batch), c.ParameterValues);
            Numeric.Pass(used, other.X<double>(), other.R<double>());
            used.Context.Generator = new Rng(0); // as fresh: dropout draws the same mask
            var x = c.X<double>();
            var again = Numeric.Pass(used, x, c.R<double>());

            Assert.Equal(c.Input, x.ToDoubleArray());
            Assert.Equal(fresh.Output, again.Output);
            Assert.Equal(fresh.InputGrad, again.InputGrad);
            for (int i = 0; i < fresh.ParamGrads.Length; i++) Assert.Equal(fresh.ParamGrads[i], again.ParamGrads[i]);
        }, iter: Iterations);

    /// <summary>The values reversed and repeated to the given length: different numbers, same distribution (and kink gaps).</summary>
    private static double[] Cycle(double[] values, int length) =>
        Enumerable.Range(0, length).Select(i => values[values.Length - 1 - i % values.Length]).ToArray();
}
