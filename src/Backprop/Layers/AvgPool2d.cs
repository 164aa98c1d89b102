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

    public override Layer<T> Create<T>(int[] inputShape) => new AvgPool2d<T>(inputShape, KernelSize, Stride);
}

/// <summary>Mean over each window; each input in a window receives dy / (kh·kw).</summary>
public sealed class AvgPool2d<T>(int[] inputShape, (int H, int W) kernel, (int H, int W) stride) : Pool2d<T>(inputShape, kernel, stride)
    where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly T _area = T.CreateChecked(kernel.H * kernel.W); // divided by, not multiplied by its inverse, to round as PyTorch does

    public override LayerSpec Spec => new AvgPool2d(KernelSize, Stride);

    protected override void ForwardPlane(ReadOnlySpan<T> x, Span<T> y, int plane)
    {
        var g = Geometry;
        for (int oy = 0; oy < g.OutHeight; oy++)
            for (int ox = 0; ox < g.OutWidth; ox++)
            {
                T sum = T.Zero;
                for (int ky = 0; ky < g.KernelHeight; ky++)
                    for (int kx = 0; kx < g.KernelWidth; kx++)
                        sum += x[(oy * g.StrideHeight + ky) * g.Width + ox * g.StrideWidth + kx];
                y[oy * g.OutWidth + ox] = sum / _area;
            }
    }

    protected override void BackwardPlane(ReadOnlySpan<T> x, ReadOnlySpan<T> dy, Span<T> dx, int plane)
    {
        var g = Geometry;
        for (int oy = 0; oy < g.OutHeight; oy++)
            for (int ox = 0; ox < g.OutWidth; ox++)
            {
                T share = dy[oy * g.OutWidth + ox] / _area;
                for (int ky = 0; ky < g.KernelHeight; ky++)
                    for (int kx = 0; kx < g.KernelWidth; kx++)
                        dx[(oy * g.StrideHeight + ky) * g.Width + ox * g.StrideWidth + kx] += share;
            }
    }
}
