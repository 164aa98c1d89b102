using System.Numerics;
using System.Text;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Backprop.Kernels;
using Backprop.Tensors;

namespace Backprop.Layers;

/// <summary>
/// The description of a pooling layer: <c>"kernel_size"</c> (one number or [height, width]) and <c>"stride"</c>
/// (the kernel size by default), over an input [channels, height, width], no padding.
/// </summary>
public abstract record Pool2d((int H, int W) KernelSize, (int H, int W) Stride) : LayerSpec
{
    /// <summary>The fields of a pooling layer's entry.</summary>
    protected static readonly string[] WindowFields = ["type", "kernel_size", "stride"];

    /// <summary>Reads "kernel_size" and "stride".</summary>
    protected static ((int H, int W) Kernel, (int H, int W) Stride) ReadWindow(LayerFields f)
    {
        int[] kernel = f.Integers("kernel_size", 2, 1), stride = f.Integers("stride", 2, 1, kernel);
        return ((kernel[0], kernel[1]), (stride[0], stride[1]));
    }

    /// <summary>The window over one [height, width] plane of an input [channels, height, width].</summary>
    internal static WindowGeometry Geometry(int[] s, (int H, int W) kernel, (int H, int W) stride) =>
        new(1, s[1], s[2], kernel.H, kernel.W, stride.H, stride.W, 0, 0);

    public sealed override LayerLayout Layout(int[] inputShape, string where)
    {
        NeedRank(inputShape, 3, "an input [channels, height, width]", where);
        var g = Geometry(inputShape, KernelSize, Stride);
        NeedWindowFits(g.Fits, $"{KernelSize.H}x{KernelSize.W}", inputShape, where);
        return new LayerLayout(Type, inputShape, [inputShape[0], g.OutHeight, g.OutWidth], [], 0);
    }

    protected sealed override void WriteArguments(StringBuilder sb)
    {
        Field(sb, "kernel_size", Pair(KernelSize));
        Field(sb, "stride", Pair(Stride));
    }
}

/// <summary>
/// A pooling window over [N, C, H, W] → [N, C, Ho, Wo], no padding, ragged edge dropped (PyTorch's floor mode).
/// Subclasses say how one window is reduced and how its gradient flows back; this class owns shapes and buffers.
/// Planes are independent, so a batch's planes are cut into fixed runs spread over the <see cref="WorkerPool"/>.
/// </summary>
public abstract class Pool2d<T> : Layer<T>, IParallelJob where T : unmanaged, IFloatingPointIeee754<T>
{
    private Tensor<T>? _input, _output, _inputGrad, _outputGrad;
    private bool _backward;
    private int _planes;

    // Planes per piece of work: about 32 K input elements.
    private int PlanesPerPiece => Math.Max(1, (1 << 15) / (Geometry.Height * Geometry.Width));

    protected Pool2d(int[] inputShape, (int H, int W) kernel, (int H, int W) stride)
        : base(inputShape, [inputShape[0], Pool2d.Geometry(inputShape, kernel, stride).OutHeight, Pool2d.Geometry(inputShape, kernel, stride).OutWidth])
    {
        Geometry = Pool2d.Geometry(inputShape, kernel, stride);
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
        var output = Tensor.Reuse(ref _output, input.Shape[0], OutputShape);
        _planes = input.Shape[0] * InputShape[0];
        BeginForward(_planes);
        _backward = false;
        WorkerPool.Run(this, (_planes + PlanesPerPiece - 1) / PlanesPerPiece);
        return output;
    }

    public sealed override Tensor<T> Backward(Tensor<T> outputGrad)
    {
        // outputGrad [N, C, Ho, Wo] -> inputGrad [N, C, H, W]
        var input = _input ?? throw new InvalidOperationException($"{Type}: Backward called before Forward");
        _inputGrad = Tensor.Reuse(ref _inputGrad, input.Shape);
        _outputGrad = outputGrad;
        _planes = input.Shape[0] * InputShape[0];
        _backward = true;
        WorkerPool.Run(this, (_planes + PlanesPerPiece - 1) / PlanesPerPiece);
        _outputGrad = null;
        return _inputGrad;
    }

    void IParallelJob.Execute(int piece)
    {
        int inPlane = Geometry.Height * Geometry.Width, outPlane = Geometry.OutPixels;
        int first = piece * PlanesPerPiece, last = Math.Min(_planes, first + PlanesPerPiece);
        if (_backward)
        {
            _inputGrad!.Span.Slice(first * inPlane, (last - first) * inPlane).Clear();
            for (int p = first; p < last; p++)
                BackwardPlane(_input!.Span.Slice(p * inPlane, inPlane), _outputGrad!.Span.Slice(p * outPlane, outPlane),
                    _inputGrad.Span.Slice(p * inPlane, inPlane), p);
        }
        else
        {
            for (int p = first; p < last; p++)
                ForwardPlane(_input!.Span.Slice(p * inPlane, inPlane), _output!.Span.Slice(p * outPlane, outPlane), p);
        }
    }

    /// <summary>Called once before the planes of a forward pass (on the calling thread): room for per-plane caches.</summary>
    protected virtual void BeginForward(int planes) { }

    /// <summary>Reduces each window of one [H, W] plane; <paramref name="plane"/> numbers the plane (n·C + c).</summary>
    protected abstract void ForwardPlane(ReadOnlySpan<T> x, Span<T> y, int plane);

    /// <summary>Adds each window's share of dy into dx (dx is zeroed beforehand; windows may overlap).</summary>
    protected abstract void BackwardPlane(ReadOnlySpan<T> x, ReadOnlySpan<T> dy, Span<T> dx, int plane);
}
