using Backprop.Layers;
using Backprop.Tensors;
using Backprop.Tests.Support;
using CsCheck;

namespace Backprop.Tests.Layers;

public class Conv2dTests
{
    /// <summary>
    /// out[n, o, y, x] = b[o] + Σ_{c,ky,kx} W[o, c, ky, kx] · in[n, c, y·sh − ph + ky, x·sw − pw + kx], zero outside the
    /// image, as nested loops straight from the definition (no im2col, no GEMM).
    /// </summary>
    public static (int[] Shape, double[] Values) Reference(LayerCase c)
    {
        var r = c.Recipe;
        var conv = (Conv2d)r.Spec;
        int channels = r.InputShape[0], h = r.InputShape[1], w = r.InputShape[2];
        var (kh, kw) = conv.KernelSize;
        var (sh, sw) = conv.Stride;
        var (ph, pw) = conv.Padding;
        int ho = (h + 2 * ph - kh) / sh + 1, wo = (w + 2 * pw - kw) / sw + 1;
        double[] weight = c.ParameterValues[0], x = c.Input;
        double[]? bias = conv.Bias ? c.ParameterValues[1] : null;
        var y = new double[c.Batch * conv.OutChannels * ho * wo];
        for (int n = 0; n < c.Batch; n++)
            for (int o = 0; o < conv.OutChannels; o++)
                for (int oy = 0; oy < ho; oy++)
                    for (int ox = 0; ox < wo; ox++)
                    {
                        double sum = bias?[o] ?? 0;
                        for (int ch = 0; ch < channels; ch++)
                            for (int ky = 0; ky < kh; ky++)
                                for (int kx = 0; kx < kw; kx++)
                                {
                                    int iy = oy * sh - ph + ky, ix = ox * sw - pw + kx;
                                    if (iy < 0 || iy >= h || ix < 0 || ix >= w) continue;
                                    sum += weight[((o * channels + ch) * kh + ky) * kw + kx] * x[((n * channels + ch) * h + iy) * w + ix];
                                }
                        y[((n * conv.OutChannels + o) * ho + oy) * wo + ox] = sum;
                    }
        return ([conv.OutChannels, ho, wo], y);
    }

    [Fact]
    public void Forward_matches_nested_loops_with_stride_and_padding() =>
        LayerGens.ByType["conv2d"].Sample(c =>
        {
            var (shape, expected) = Reference(c);
            Numeric.AssertForwardMatches(c, shape, expected);
        }, iter: 100);

    [Fact]
    public void Small_example_by_hand()
    {
        // One 3×3 channel, a 2×2 kernel, stride 2, padding 1: the four windows each hold one or more corner cells.
        // Padded input (p marks padding):      windows at (−1,−1) (−1,1) (1,−1) (1,1):
        //   p p p p p                            [p p; p 1] [p p; 2 3] [p 4; p 7] [5 6; 8 9]
        //   p 1 2 3 p
        //   p 4 5 6 p
        //   p 7 8 9 p
        var conv = new Conv2d<double>([1, 3, 3], 1, (2, 2), (2, 2), (1, 1));
        new double[] { 1, 10, 100, 1000 }.CopyTo(conv.Weight.Value.Data, 0);
        conv.Bias!.Value[0] = 0.5;
        var x = new Tensor<double>([1, 2, 3, 4, 5, 6, 7, 8, 9], 1, 1, 3, 3);
        var y = conv.Forward(x);
        Assert.Equal([1, 1, 2, 2], y.Shape);
        Assert.Equal([1000 * 1 + 0.5, 100 * 2 + 1000 * 3 + 0.5, 10 * 4 + 1000 * 7 + 0.5, 1 * 5 + 10 * 6 + 100 * 8 + 1000 * 9 + 0.5], y.ToDoubleArray());

        // dL/dx for dL/dy = 1 everywhere: each cell gets the weight it meets, once per window that covers it.
        var dx = conv.Backward(new Tensor<double>([1.0, 1, 1, 1], 1, 1, 2, 2));
        Assert.Equal([1000, 100, 1000, 10, 1, 10, 1000, 100, 1000], dx.ToDoubleArray());
        Assert.Equal([4.0], conv.Bias.Grad.ToDoubleArray());
        Assert.Equal([5, 6 + 4, 8 + 2, 1 + 3 + 7 + 9], conv.Weight.Grad.ToDoubleArray());
    }
}
