using Backprop.Layers;
using Backprop.Tensors;
using Backprop.Tests.Support;
using CsCheck;

namespace Backprop.Tests.Layers;

public class Conv1dTests
{
    /// <summary>out[n, o, t] = b[o] + Σ_{c,k} W[o, c, k] · in[n, c, t·s − p + k], zero outside, as nested loops.</summary>
    private static (int[] Shape, double[] Values) Reference(LayerCase c)
    {
        var r = c.Recipe;
        var conv = (Conv1d)r.Spec;
        int channels = r.InputShape[0], length = r.InputShape[1], k = conv.KernelSize, s = conv.Stride, p = conv.Padding;
        int outLength = (length + 2 * p - k) / s + 1;
        double[] weight = c.ParameterValues[0], x = c.Input;
        var y = new double[c.Batch * conv.OutChannels * outLength];
        for (int n = 0; n < c.Batch; n++)
            for (int o = 0; o < conv.OutChannels; o++)
                for (int t = 0; t < outLength; t++)
                {
                    double sum = conv.Bias ? c.ParameterValues[1][o] : 0;
                    for (int ch = 0; ch < channels; ch++)
                        for (int j = 0; j < k; j++)
                        {
                            int i = t * s - p + j;
                            if (i >= 0 && i < length) sum += weight[(o * channels + ch) * k + j] * x[(n * channels + ch) * length + i];
                        }
                    y[(n * conv.OutChannels + o) * outLength + t] = sum;
                }
        return ([conv.OutChannels, outLength], y);
    }

    [Fact]
    public void Forward_matches_nested_loops_with_stride_and_padding() =>
        LayerGens.ByType["conv1d"].Sample(c =>
        {
            var (shape, expected) = Reference(c);
            Numeric.AssertForwardMatches(c, shape, expected);
        }, iter: 100);

    [Fact]
    public void Seed000_mini_cnn()
    {
        // C = 1, L = 3, kernel 2, no bias: a1 = x1·w1 + x2·w2, a2 = x2·w1 + x3·w2.
        var conv = new Conv1d<double>([1, 3], 1, 2, 1, 0, bias: false);
        conv.Weight.Value[0] = 2;
        conv.Weight.Value[1] = -3;
        var y = conv.Forward(new Tensor<double>([5.0, 7, 11], 1, 1, 3));
        Assert.Equal([1, 1, 2], y.Shape);
        Assert.Equal([5 * 2 - 7 * 3, 7 * 2 - 11 * 3], y.ToDoubleArray());

        // dL/da = (1, 10): dL/dw1 = x1 + 10·x2, dL/dw2 = x2 + 10·x3; dL/dx = (w1, w2 + 10·w1, 10·w2).
        var dx = conv.Backward(new Tensor<double>([1.0, 10], 1, 1, 2));
        Assert.Equal([5 + 70, 7 + 110], conv.Weight.Grad.ToDoubleArray());
        Assert.Equal([2, -3 + 20, -30], dx.ToDoubleArray());
        Assert.Null(conv.Bias);
        Assert.Single(conv.Parameters);
    }
}
