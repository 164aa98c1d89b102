using System.Numerics;
using Backprop.Kernels;
using System.Text;

namespace Backprop.Layers;

/// <summary>
/// The description of a <see cref="Conv2d{T}"/>: <c>{"type": "conv2d", "out_channels": 8, "kernel_size": 3, "stride": 1, "padding": 1}</c>
/// (each size one number or [height, width]; stride 1 and padding 0 by default), "bias": false, values and
/// initialisers (<see cref="WeightedLayerSpec"/>).
/// </summary>
public sealed record Conv2d(int OutChannels, (int H, int W) KernelSize, (int H, int W) Stride, (int H, int W) Padding, bool Bias = true) : WeightedLayerSpec(Bias)
{
    public static LayerKind Definition { get; } = new("conv2d", ["type", "out_channels", "kernel_size", "stride", "padding", .. ParameterFields], f =>
    {
        int outChannels = f.Integer("out_channels", 1);
        int[] kernel = f.Integers("kernel_size", 2, 1), stride = f.Integers("stride", 2, 1, [1, 1]), padding = f.Integers("padding", 2, 0, [0, 0]);
        var p = f.WeightAndBias();
        return new Conv2d(outChannels, (kernel[0], kernel[1]), (stride[0], stride[1]), (padding[0], padding[1]), p.HasBias)
        {
            Values = p.Values, Init = p.Init, BiasInit = p.BiasInit,
        };
    });

    public override LayerKind Kind => Definition;

    /// <summary>The window over an input [channels, height, width].</summary>
    internal static WindowGeometry Geometry(int[] s, (int H, int W) k, (int H, int W) stride, (int H, int W) p) =>
        new(s[0], s[1], s[2], k.H, k.W, stride.H, stride.W, p.H, p.W);

    public override LayerLayout Layout(int[] inputShape, string where)
    {
        NeedRank(inputShape, 3, "an input [channels, height, width]", where);
        var g = Geometry(inputShape, KernelSize, Stride, Padding);
        NeedWindowFits(g.Fits, $"{KernelSize.H}x{KernelSize.W}", inputShape, where);
        int c = inputShape[0], height = g.OutHeight, width = g.OutWidth;
        NeedSize(where, "weight", OutChannels, c, KernelSize.H, KernelSize.W);
        NeedSize(where, "output", OutChannels, height, width);
        NeedSize(where, "im2col buffer", c, KernelSize.H, KernelSize.W, height, width);
        // Each output element is a dot product over in_channels × kh × kw inputs.
        return new LayerLayout(Type, inputShape, [OutChannels, height, width], Parameters([OutChannels, c, KernelSize.H, KernelSize.W]),
            2L * c * KernelSize.H * KernelSize.W * height * width)
        {
            MultiplyAdds = (long)OutChannels * height * width * c * KernelSize.H * KernelSize.W,
        };
    }

    public override Layer<T> Create<T>(int[] inputShape) => new Conv2d<T>(inputShape, OutChannels, KernelSize, Stride, Padding, Bias);

    protected override void WriteArguments(StringBuilder sb)
    {
        Field(sb, "out_channels", OutChannels.ToString());
        Field(sb, "kernel_size", Pair(KernelSize));
        Field(sb, "stride", Pair(Stride));
        Field(sb, "padding", Pair(Padding));
    }
}

/// <summary>
/// 2-D cross-correlation, PyTorch's Conv2d: out[n, o, y, x] = b[o] + Σ_{c,ky,kx} W[o, c, ky, kx] · in[n, c, y·s − p + ky, x·s − p + kx].
/// Weight [out_channels, in_channels, kh, kw], bias [out_channels]; input [N, C, H, W] → output [N, O, Ho, Wo].
/// The passes are <see cref="ConvolutionLayer{T}"/>'s.
/// </summary>
public sealed class Conv2d<T>(int[] inputShape, int outChannels, (int H, int W) kernel, (int H, int W) stride, (int H, int W) padding, bool bias = true)
    : ConvolutionLayer<T>(inputShape,
        [outChannels, Conv2d.Geometry(inputShape, kernel, stride, padding).OutHeight, Conv2d.Geometry(inputShape, kernel, stride, padding).OutWidth],
        Conv2d.Geometry(inputShape, kernel, stride, padding), outChannels, [kernel.H, kernel.W], bias)
    where T : unmanaged, IFloatingPointIeee754<T>
{
    public override LayerSpec Spec => new Conv2d(OutChannels, KernelSize, Stride, Padding, Bias is not null);
    public (int H, int W) KernelSize { get; } = kernel;
    public (int H, int W) Stride { get; } = stride;
    public (int H, int W) Padding { get; } = padding;

}
