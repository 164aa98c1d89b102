using System.Numerics;
using Backprop.Kernels;

namespace Backprop.Layers;

/// <summary>
/// 2-D cross-correlation, PyTorch's Conv2d: out[n, o, y, x] = b[o] + Σ_{c,ky,kx} W[o, c, ky, kx] · in[n, c, y·s − p + ky, x·s − p + kx].
/// Weight [out_channels, in_channels, kh, kw], bias [out_channels]; input [N, C, H, W] → output [N, O, Ho, Wo].
/// The passes are <see cref="ConvolutionLayer{T}"/>'s.
/// </summary>
public sealed class Conv2d<T>(int[] inputShape, int outChannels, (int H, int W) kernel, (int H, int W) stride, (int H, int W) padding, bool bias = true)
    : ConvolutionLayer<T>(inputShape, [outChannels, Geometry(inputShape, kernel, stride, padding).OutHeight, Geometry(inputShape, kernel, stride, padding).OutWidth],
        Geometry(inputShape, kernel, stride, padding), outChannels, [kernel.H, kernel.W], bias)
    where T : unmanaged, IFloatingPointIeee754<T>
{
    public override string Type => "conv2d";
    public (int H, int W) KernelSize { get; } = kernel;
    public (int H, int W) Stride { get; } = stride;
    public (int H, int W) Padding { get; } = padding;

    private static WindowGeometry Geometry(int[] s, (int H, int W) k, (int H, int W) stride, (int H, int W) p) =>
        new(s[0], s[1], s[2], k.H, k.W, stride.H, stride.W, p.H, p.W);
}
