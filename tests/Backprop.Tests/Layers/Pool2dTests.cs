using Backprop.Layers;
using Backprop.Tensors;
using Backprop.Tests.Support;
using CsCheck;

namespace Backprop.Tests.Layers;

public class Pool2dTests
{
    /// <summary>
    /// Max pooling by nested loops, with the gradient routed to the first maximum of each window in row-major order
    /// (a later equal value does not displace it). Returns the output shape, the output and dL/dx for upstream r.
    /// </summary>
    private static (int[] Shape, double[] Output, double[] InputGrad) NaiveMaxPool(LayerCase c)
    {
        var r = c.Recipe;
        int planes = c.Batch * r.InputShape[0], h = r.InputShape[1], w = r.InputShape[2];
        var (kh, kw) = ((Pool2d)r.Spec).KernelSize;
        var (sh, sw) = ((Pool2d)r.Spec).Stride;
        int ho = (h - kh) / sh + 1, wo = (w - kw) / sw + 1;
        var y = new double[planes * ho * wo];
        var dx = new double[c.Input.Length];
        for (int p = 0; p < planes; p++)
            for (int oy = 0; oy < ho; oy++)
                for (int ox = 0; ox < wo; ox++)
                {
                    int best = -1;
                    for (int ky = 0; ky < kh; ky++)
                        for (int kx = 0; kx < kw; kx++)
                        {
                            int i = (p * h + oy * sh + ky) * w + ox * sw + kx;
                            if (best < 0 || c.Input[i] > c.Input[best]) best = i;
                        }
                    int o = (p * ho + oy) * wo + ox;
                    y[o] = c.Input[best];
                    dx[best] += c.Upstream[o];
                }
        return ([r.InputShape[0], ho, wo], y, dx);
    }

    /// <summary>Average pooling by nested loops.</summary>
    private static (int[] Shape, double[] Output) NaiveAvgPool(LayerCase c)
    {
        var r = c.Recipe;
        int planes = c.Batch * r.InputShape[0], h = r.InputShape[1], w = r.InputShape[2];
        var (kh, kw) = ((Pool2d)r.Spec).KernelSize;
        var (sh, sw) = ((Pool2d)r.Spec).Stride;
        int ho = (h - kh) / sh + 1, wo = (w - kw) / sw + 1;
        var y = new double[planes * ho * wo];
        for (int p = 0; p < planes; p++)
            for (int oy = 0; oy < ho; oy++)
                for (int ox = 0; ox < wo; ox++)
                {
                    double sum = 0;
                    for (int ky = 0; ky < kh; ky++)
                        for (int kx = 0; kx < kw; kx++) sum += c.Input[(p * h + oy * sh + ky) * w + ox * sw + kx];
                    y[(p * ho + oy) * wo + ox] = sum / (kh * kw);
                }
        return ([r.InputShape[0], ho, wo], y);
    }

    [Fact]
    public void MaxPool_forward_matches_nested_loops() =>
        LayerGens.ByType["maxpool2d"].Sample(c =>
        {
            var (shape, y, _) = NaiveMaxPool(c);
            Numeric.AssertForwardMatches(c, shape, y);
        }, iter: 100);

    /// <summary>
    /// Inputs drawn from {0, 1, 2} are full of exact ties, in overlapping and non-overlapping windows alike: the
    /// gradient of each window must go to its first maximum, exactly as the nested-loop reference routes it.
    /// </summary>
    [Fact]
    public void MaxPool_routes_gradient_to_the_first_maximum_on_ties()
    {
        var cases = LayerGens.Cases(LayerGens.ByType["maxpool2d"].Select(c => c.Recipe),
            (_, n) => Gen.Int[0, 2].Array[n].Select(v => v.Select(i => (double)i).ToArray()));
        cases.Sample(c =>
        {
            var (_, y, dx) = NaiveMaxPool(c);
            var (output, inputGrad, _) = Numeric.Pass(c.Build<double>(), c.X<double>(), c.R<double>());
            Assert.Equal(y, output);
            Numeric.AssertClose("dL/dx", dx, inputGrad, 1e-15, c);
        }, iter: 100);
    }

    [Fact]
    public void MaxPool_ties_by_hand()
    {
        // 2×2 windows, stride 2. Window values (row-major):
        //   top-left {0, 5, 5, 2}: max 5 at (0,1) and (1,0) → (0,1);  top-right {5, 1, 1, 1}: → (0,2)
        //   bottom-left all 1 → (2,0);                                bottom-right all 7 → (2,2)
        double[] x =
        [
            0, 5, 5, 1,
            5, 2, 1, 1,
            1, 1, 7, 7,
            1, 1, 7, 7,
        ];
        var pool = new MaxPool2d<double>([1, 4, 4], (2, 2), (2, 2));
        Assert.Equal([5, 5, 1, 7], pool.Forward(new Tensor<double>(x, 1, 1, 4, 4)).ToDoubleArray());
        var dx = pool.Backward(new Tensor<double>([10.0, 20, 30, 40], 1, 1, 2, 2));
        Assert.Equal(
        [
            0, 10, 20, 0,
            0, 0, 0, 0,
            30, 0, 40, 0,
            0, 0, 0, 0,
        ], dx.ToDoubleArray());

        // Overlapping 2×2 windows, stride 1, over a constant row: every window picks its own first cell.
        var overlapping = new MaxPool2d<double>([1, 2, 3], (2, 2), (1, 1));
        overlapping.Forward(new Tensor<double>([3.0, 3, 3, 3, 3, 3], 1, 1, 2, 3));
        Assert.Equal([1, 2, 0, 0, 0, 0], overlapping.Backward(new Tensor<double>([1.0, 2], 1, 1, 1, 2)).ToDoubleArray());
    }

    /// <summary>
    /// float 2×2 stride-2 pooling takes a vector path (8 or 4 windows at a time, overlapping blocks at the row ends, NaN
    /// blocks left to the scalar loop): on widths up to 40 and values full of ties, ±0 and some NaN it must give the
    /// same bits and route the gradient to the same element as PyTorch's rule "first maximum in row-major order, the last
    /// NaN above all" (its kernel takes an element when val &gt; max || isnan(val)).
    /// </summary>
    [Fact]
    public void MaxPool_2x2_float_vector_path_keeps_the_first_maximum_and_signed_zeros()
    {
        float[] values = [-0f, 0f, 1f, 2f, -1f, float.NaN];
        var gen = from h in Gen.Int[2, 6]
                  from w in Gen.Int[2, 40]
                  from planes in Gen.Int[1, 3]
                  from picks in Gen.Int[0, 40].Array[planes * h * w]
                  select (h, w, planes, x: picks.Select(i => values[Math.Min(i / 8, values.Length - 1)]).ToArray());
        gen.Sample(t =>
        {
            var (h, w, planes, x) = t;
            int ho = h / 2, wo = w / 2;
            var pool = new MaxPool2d<float>([planes, h, w], (2, 2), (2, 2));
            var y = pool.Forward(new Tensor<float>(x, 1, planes, h, w));
            var upstream = Enumerable.Range(1, planes * ho * wo).Select(i => (float)i).ToArray();
            var dx = pool.Backward(new Tensor<float>(upstream, 1, planes, ho, wo));
            var expectedDx = new float[x.Length];
            for (int p = 0; p < planes; p++)
                for (int oy = 0; oy < ho; oy++)
                    for (int ox = 0; ox < wo; ox++)
                    {
                        int best = (p * h + 2 * oy) * w + 2 * ox;
                        foreach (int i in new[] { best + 1, best + w, best + w + 1 })
                            if (x[i] > x[best] || float.IsNaN(x[i])) best = i;
                        int o = (p * ho + oy) * wo + ox;
                        Assert.Equal(BitConverter.SingleToInt32Bits(x[best]), BitConverter.SingleToInt32Bits(y[o]));
                        expectedDx[best] += upstream[o];
                    }
            Assert.Equal(expectedDx, dx.Data);
        }, iter: 300);
    }

    [Fact]
    public void MaxPool_propagates_NaN()
    {
        var pool = new MaxPool2d<double>([1, 2, 2], (2, 2), (2, 2));
        var y = pool.Forward(new Tensor<double>([1.0, double.NaN, 3, 2], 1, 1, 2, 2));
        Assert.True(double.IsNaN(y[0]));
        Assert.Equal([0, 1, 0, 0], pool.Backward(new Tensor<double>([1.0], 1, 1, 1, 1)).ToDoubleArray());
    }

    /// <summary>
    /// Windows with NaN and infinities, as PyTorch 1.13's max_pool2d treats them (run by hand: F.max_pool2d on each
    /// window, then backward with ones): NaN wins and the gradient goes to the last NaN; +∞ ties go to the first; a
    /// window of −∞ only gives −∞ with the gradient on its first element. The general loop (3×3) and the unrolled 2×2
    /// one agree.
    /// </summary>
    [Theory]
    [InlineData(new[] { double.NaN, 1, double.NaN, 3 }, double.NaN, 2)]
    [InlineData(new[] { 1, double.NaN, 5, double.NaN }, double.NaN, 3)]
    [InlineData(new[] { double.PositiveInfinity, double.NaN, 1, 2 }, double.NaN, 1)]
    [InlineData(new[] { double.NaN, double.PositiveInfinity, 1, 2 }, double.NaN, 0)]
    [InlineData(new[] { 2, double.NaN, 2, 1 }, double.NaN, 1)]
    [InlineData(new[] { double.PositiveInfinity, double.PositiveInfinity, 1, 2 }, double.PositiveInfinity, 0)]
    [InlineData(new[] { double.NegativeInfinity, double.NegativeInfinity, double.NegativeInfinity, double.NegativeInfinity }, double.NegativeInfinity, 0)]
    [InlineData(new[] { double.NegativeInfinity, double.NegativeInfinity, 1, double.NegativeInfinity }, 1.0, 2)]
    public void MaxPool_NaN_and_infinity_windows_match_torch(double[] window, double expected, int gradientAt)
    {
        var expectedDx = new double[4];
        expectedDx[gradientAt] = 3;
        var unrolled = new MaxPool2d<double>([1, 2, 2], (2, 2), (2, 2));
        Assert.Equal(expected, unrolled.Forward(new Tensor<double>(window, 1, 1, 2, 2))[0]);
        Assert.Equal(expectedDx, unrolled.Backward(new Tensor<double>([3.0], 1, 1, 1, 1)).ToDoubleArray());
        var general = new MaxPool2d<float>([1, 2, 2], (2, 2), (1, 1));
        Assert.Equal((float)expected, general.Forward(new Tensor<float>(window.Select(v => (float)v).ToArray(), 1, 1, 2, 2))[0]);
        Assert.Equal(expectedDx, general.Backward(new Tensor<float>([3f], 1, 1, 1, 1)).ToDoubleArray());
    }

    [Fact]
    public void AvgPool_forward_matches_nested_loops() =>
        LayerGens.ByType["avgpool2d"].Sample(c =>
        {
            var (shape, y) = NaiveAvgPool(c);
            Numeric.AssertForwardMatches(c, shape, y);
        }, iter: 100);

    [Fact]
    public void AvgPool_by_hand_with_overlap_and_a_dropped_edge()
    {
        // 3×3 input, 2×2 windows, stride 1 (overlapping); then stride 2, where the last row and column are dropped.
        var x = new Tensor<double>([1.0, 2, 3, 4, 5, 6, 7, 8, 9], 1, 1, 3, 3);
        var overlapping = new AvgPool2d<double>([1, 3, 3], (2, 2), (1, 1));
        Assert.Equal([3, 4, 6, 7], overlapping.Forward(x).ToDoubleArray());
        Assert.Equal([0.25, 0.5, 0.25, 0.5, 1, 0.5, 0.25, 0.5, 0.25],
            overlapping.Backward(new Tensor<double>([1.0, 1, 1, 1], 1, 1, 2, 2)).ToDoubleArray());

        var strided = new AvgPool2d<double>([1, 3, 3], (2, 2), (2, 2));
        Assert.Equal([1, 1, 1], strided.OutputShape);
        Assert.Equal([3.0], strided.Forward(x).ToDoubleArray());
        Assert.Equal([2, 2, 0, 2, 2, 0, 0, 0, 0], strided.Backward(new Tensor<double>([8.0], 1, 1, 1, 1)).ToDoubleArray());
    }
}
