using System.Numerics;

namespace Backprop.Layers;

/// <summary>The description of a <see cref="AvgPool2d{T}"/>: <c>{"type": "avgpool2d", "kernel_size": 2}</c>.</summary>
public sealed record AvgPool2d((int H, int W) KernelSize, (int H, int W) Stride) : Pool2d(KernelSize, Stride)
{
    public static LayerKind Definition { get; } = new("avgpool2d", WindowFields, f =>
    {
        var (kernel, stride) = ReadWindow(f);
        return new AvgPool2d(kernel, stride);
    });

    public override LayerKind Kind => Definition;

    /// <summary>A mean is a convolution with the weight 1/(kh·kw): one multiply-add per window element.</summary>
    protected override long MultiplyAddsPerWindow => (long)KernelSize.H * KernelSize.W;

    public override Layer<T> Create<T>(int[] inputShape) => new AvgPool2d<T>(inputShape, KernelSize, Stride);
}

/// <summary>Mean over each window; each input in a window receives dy / (kh·kw).</summary>
public sealed class AvgPool2d<T>(int[] inputShape, (int H, int W) kernel, (int H, int W) stride) : Pool2d<T>(inputShape, kernel, stride, max: false)
    where T : unmanaged, IFloatingPointIeee754<T>
{
    public override LayerSpec Spec => new AvgPool2d(KernelSize, Stride);
}
