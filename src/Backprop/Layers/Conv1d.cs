using System.Numerics;
using Backprop.Kernels;

namespace Backprop.Layers;

/// <summary>
/// 1-D cross-correlation, PyTorch's Conv1d: out[n, o, t] = b[o] + Σ_{c,k} W[o, c, k] · in[n, c, t·s − p + k].
/// Weight [out_channels, in_channels, kernel_size]; input [N, C, L] → output [N, O, Lout]. Seed 000's mini CNN is
/// C = 1, L = 3, kernel 2: a1 = x1·w1 + x2·w2, a2 = x2·w1 + x3·w2. The passes are <see cref="ConvolutionLayer{T}"/>'s,
/// over a window of height 1.
/// </summary>
public sealed class Conv1d<T>(int[] inputShape, int outChannels, int kernelSize, int stride, int padding, bool bias = true)
    : ConvolutionLayer<T>(inputShape, [outChannels, Geometry(inputShape, kernelSize, stride, padding).OutWidth],
        Geometry(inputShape, kernelSize, stride, padding), outChannels, [kernelSize], bias)
    where T : unmanaged, IFloatingPointIeee754<T>
{
    public override string Type => "conv1d";
    public int KernelSize { get; } = kernelSize;
    public int Stride { get; } = stride;
    public int Padding { get; } = padding;

    private static WindowGeometry Geometry(int[] s, int k, int stride, int p) => new(s[0], 1, s[1], 1, k, 1, stride, 0, p);
}
