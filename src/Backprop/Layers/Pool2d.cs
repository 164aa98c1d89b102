using System.Numerics;
using Backprop.Kernels;
using Backprop.Tensors;

namespace Backprop.Layers;

/// <summary>
/// A pooling window over [N, C, H, W] → [N, C, Ho, Wo], no padding, ragged edge dropped (PyTorch's floor mode).
/// Subclasses say how one window is reduced and how its gradient flows back; this class owns shapes and buffers.
/// </summary>
public abstract class Pool2d<T> : Layer<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private Tensor<T>? _input, _output, _inputGrad;

    protected Pool2d(int[] inputShape, (int H, int W) kernel, (int H, int W) stride)
        : base(inputShape, [inputShape[0], (inputShape[1] - kernel.H) / stride.H + 1, (inputShape[2] - kernel.W) / stride.W + 1])
    {
        Geometry = new WindowGeometry(1, inputShape[1], inputShape[2], kernel.H, kernel.W, stride.H, stride.W, 0, 0);
        KernelSize = kernel;
        Stride = stride;
    }

    public (int H, int W) KernelSize { get; }
    public (int H, int W) Stride { get; }
    protected WindowGeometry Geometry { get; }

    public sealed override Tensor<T> Forward(Tensor<T> input)
    {
        // input [N, C, H, W] -> output [N, C, Ho, Wo]
        _input = input;
        var output = Tensor.Reuse(ref _output, Tensor.Batched(input.Shape[0], OutputShape));
        int planes = input.Shape[0] * InputShape[0], inPlane = Geometry.Height * Geometry.Width, outPlane = Geometry.OutPixels;
        for (int p = 0; p < planes; p++)
            ForwardPlane(input.Span.Slice(p * inPlane, inPlane), output.Span.Slice(p * outPlane, outPlane), p);
        return output;
    }

    public sealed override Tensor<T> Backward(Tensor<T> outputGrad)
    {
        // outputGrad [N, C, Ho, Wo] -> inputGrad [N, C, H, W]
        var input = _input ?? throw new InvalidOperationException($"{Type}: Backward called before Forward");
        var inputGrad = Tensor.Reuse(ref _inputGrad, input.Shape);
        inputGrad.Clear();
        int planes = input.Shape[0] * InputShape[0], inPlane = Geometry.Height * Geometry.Width, outPlane = Geometry.OutPixels;
        for (int p = 0; p < planes; p++)
            BackwardPlane(input.Span.Slice(p * inPlane, inPlane), outputGrad.Span.Slice(p * outPlane, outPlane),
                inputGrad.Span.Slice(p * inPlane, inPlane), p);
        return inputGrad;
    }

    /// <summary>Reduces each window of one [H, W] plane; <paramref name="plane"/> numbers the plane (n·C + c).</summary>
    protected abstract void ForwardPlane(ReadOnlySpan<T> x, Span<T> y, int plane);

    /// <summary>Adds each window's share of dy into dx (dx is zeroed beforehand; windows may overlap).</summary>
    protected abstract void BackwardPlane(ReadOnlySpan<T> x, ReadOnlySpan<T> dy, Span<T> dx, int plane);
}

/// <summary>Maximum over each window. The gradient goes to the first maximum in row-major order (PyTorch's tie rule).</summary>
public sealed class MaxPool2d<T>(int[] inputShape, (int H, int W) kernel, (int H, int W) stride) : Pool2d<T>(inputShape, kernel, stride)
    where T : unmanaged, IFloatingPointIeee754<T>
{
    private int[] _argmax = [];

    public override string Type => "maxpool2d";

    protected override void ForwardPlane(ReadOnlySpan<T> x, Span<T> y, int plane)
    {
        var g = Geometry;
        int outPlane = g.OutPixels;
        if (_argmax.Length < (plane + 1) * outPlane) Array.Resize(ref _argmax, Math.Max((plane + 1) * outPlane, _argmax.Length * 2));
        for (int oy = 0; oy < g.OutHeight; oy++)
            for (int ox = 0; ox < g.OutWidth; ox++)
            {
                int best = oy * g.StrideHeight * g.Width + ox * g.StrideWidth;
                for (int ky = 0; ky < g.KernelHeight; ky++)
                    for (int kx = 0; kx < g.KernelWidth; kx++)
                    {
                        int i = (oy * g.StrideHeight + ky) * g.Width + ox * g.StrideWidth + kx;
                        if (x[i] > x[best] || T.IsNaN(x[i]) && !T.IsNaN(x[best])) best = i; // strict '>' keeps the first maximum
                    }
                y[oy * g.OutWidth + ox] = x[best];
                _argmax[plane * outPlane + oy * g.OutWidth + ox] = best;
            }
    }

    protected override void BackwardPlane(ReadOnlySpan<T> x, ReadOnlySpan<T> dy, Span<T> dx, int plane)
    {
        ReadOnlySpan<int> argmax = _argmax.AsSpan(plane * dy.Length, dy.Length);
        for (int o = 0; o < dy.Length; o++) dx[argmax[o]] += dy[o];
    }
}

/// <summary>Mean over each window; each input in a window receives dy / (kh·kw).</summary>
public sealed class AvgPool2d<T>(int[] inputShape, (int H, int W) kernel, (int H, int W) stride) : Pool2d<T>(inputShape, kernel, stride)
    where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly T _area = T.CreateChecked(kernel.H * kernel.W); // divided by, not multiplied by its inverse, to round as PyTorch does

    public override string Type => "avgpool2d";

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
