using System.Numerics;
using Backprop.Kernels;
using System.Text;

namespace Backprop.Layers;

/// <summary>
/// The description of a <see cref="Conv1d{T}"/>: <c>{"type": "conv1d", "out_channels": 4, "kernel_size": 3}</c>, with
/// optional "stride" (1) and "padding" (0), "bias": false, values and initialisers (<see cref="WeightedLayerSpec"/>).
/// </summary>
public sealed record Conv1d(int OutChannels, int KernelSize, int Stride = 1, int Padding = 0, bool Bias = true) : WeightedLayerSpec(Bias)
{
    public static LayerKind Definition { get; } = new("conv1d", ["type", "out_channels", "kernel_size", "stride", "padding", .. ParameterFields], f =>
    {
        int outChannels = f.Integer("out_channels", 1);
        int kernel = f.Integers("kernel_size", 1, 1)[0], stride = f.Integers("stride", 1, 1, [1])[0], padding = f.Integers("padding", 1, 0, [0])[0];
        var p = f.WeightAndBias();
        return new Conv1d(outChannels, kernel, stride, padding, p.HasBias) { Values = p.Values, Init = p.Init, BiasInit = p.BiasInit };
    });

    public override LayerKind Kind => Definition;

    /// <summary>The window over an input [channels, length]: a 2-D window of height 1.</summary>
    internal static WindowGeometry Geometry(int[] s, int kernel, int stride, int padding) => new(s[0], 1, s[1], 1, kernel, 1, stride, 0, padding);

    public override LayerLayout Layout(int[] inputShape, string where)
    {
        NeedRank(inputShape, 2, "an input [channels, length]", where);
        var g = Geometry(inputShape, KernelSize, Stride, Padding);
        NeedWindowFits(g.Fits, $"{KernelSize}", inputShape, where);
        NeedSize(where, "weight", OutChannels, inputShape[0], KernelSize);
        NeedSize(where, "output", OutChannels, g.OutWidth);
        // im2col: one column of channels × kernel values per output position, for one example at a time.
        NeedSize(where, "im2col buffer", inputShape[0], KernelSize, g.OutWidth);
        // Each output element is a dot product over in_channels × kernel inputs.
        return new LayerLayout(Type, inputShape, [OutChannels, g.OutWidth], Parameters([OutChannels, inputShape[0], KernelSize]),
            2L * inputShape[0] * KernelSize * g.OutWidth)
        {
            MultiplyAdds = (long)OutChannels * g.OutWidth * inputShape[0] * KernelSize,
        };
    }

    public override Layer<T> Create<T>(int[] inputShape) => new Conv1d<T>(inputShape, OutChannels, KernelSize, Stride, Padding, Bias);

    protected override void WriteArguments(StringBuilder sb)
    {
        Field(sb, "out_channels", OutChannels.ToString());
        Field(sb, "kernel_size", KernelSize.ToString());
        Field(sb, "stride", Stride.ToString());
        Field(sb, "padding", Padding.ToString());
    }
}

/// <summary>
/// 1-D cross-correlation, PyTorch's Conv1d: out[n, o, t] = b[o] + Σ_{c,k} W[o, c, k] · in[n, c, t·s − p + k].
/// Weight [out_channels, in_channels, kernel_size]; input [N, C, L] → output [N, O, Lout]. Seed 000's mini CNN is
/// C = 1, L = 3, kernel 2: a1 = x1·w1 + x2·w2, a2 = x2·w1 + x3·w2. The passes are <see cref="ConvolutionLayer{T}"/>'s,
/// over a window of height 1.
/// </summary>
public sealed class Conv1d<T>(int[] inputShape, int outChannels, int kernelSize, int stride, int padding, bool bias = true)
    : ConvolutionLayer<T>(inputShape, [outChannels, Conv1d.Geometry(inputShape, kernelSize, stride, padding).OutWidth],
        Conv1d.Geometry(inputShape, kernelSize, stride, padding), outChannels, [kernelSize], bias)
    where T : unmanaged, IFloatingPointIeee754<T>
{
    public override LayerSpec Spec => new Conv1d(OutChannels, KernelSize, Stride, Padding, Bias is not null);
    public int KernelSize { get; } = kernelSize;
    public int Stride { get; } = stride;
    public int Padding { get; } = padding;
}
