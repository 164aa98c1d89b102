using System.Numerics;

namespace Backprop.Layers;

/// <summary>The description of a <see cref="MaxPool2d{T}"/>: <c>{"type": "maxpool2d", "kernel_size": 2}</c>.</summary>
public sealed record MaxPool2d((int H, int W) KernelSize, (int H, int W) Stride) : Pool2d(KernelSize, Stride)
{
    public static LayerKind Definition { get; } = new("maxpool2d", WindowFields, f =>
    {
        var (kernel, stride) = ReadWindow(f);
        return new MaxPool2d(kernel, stride);
    });

    public override LayerKind Kind => Definition;

    public override Layer<T> Create<T>(int[] inputShape) => new MaxPool2d<T>(inputShape, KernelSize, Stride);
}

/// <summary>Maximum over each window. The gradient goes to the first maximum in row-major order (PyTorch's tie rule); a NaN in a window is its maximum, as in PyTorch.</summary>
public sealed class MaxPool2d<T>(int[] inputShape, (int H, int W) kernel, (int H, int W) stride) : Pool2d<T>(inputShape, kernel, stride, max: true)
    where T : unmanaged, IFloatingPointIeee754<T>
{
    public override LayerSpec Spec => new MaxPool2d(KernelSize, Stride);
}
