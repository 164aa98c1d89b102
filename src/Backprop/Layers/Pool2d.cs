using System.Numerics;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Backprop.Kernels;
using Backprop.Tensors;

namespace Backprop.Layers;

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

/// <summary>
/// Maximum over each window. The gradient goes to the first maximum in row-major order (PyTorch's tie rule). A window
/// holding a NaN gives NaN, and its gradient goes to the last NaN of the window: PyTorch's kernel takes an element when
/// <c>val &gt; max || isnan(val)</c>, so every NaN replaces the one before it.
/// </summary>
public sealed class MaxPool2d<T>(int[] inputShape, (int H, int W) kernel, (int H, int W) stride) : Pool2d<T>(inputShape, kernel, stride)
    where T : unmanaged, IFloatingPointIeee754<T>
{
    private int[] _argmax = [];

    public override string Type => "maxpool2d";

    protected override void BeginForward(int planes)
    {
        if (_argmax.Length < planes * Geometry.OutPixels) _argmax = new int[planes * Geometry.OutPixels];
    }

    protected override void ForwardPlane(ReadOnlySpan<T> x, Span<T> y, int plane)
    {
        var g = Geometry;
        int outPlane = g.OutPixels;
        if (g.KernelHeight == 2 && g.KernelWidth == 2 && g.StrideHeight == 2 && g.StrideWidth == 2)
        {
            Forward2x2(x, y, _argmax.AsSpan(plane * outPlane, outPlane));
            return;
        }
        for (int oy = 0; oy < g.OutHeight; oy++)
            for (int ox = 0; ox < g.OutWidth; ox++)
            {
                int best = oy * g.StrideHeight * g.Width + ox * g.StrideWidth;
                for (int ky = 0; ky < g.KernelHeight; ky++)
                    for (int kx = 0; kx < g.KernelWidth; kx++)
                    {
                        int i = (oy * g.StrideHeight + ky) * g.Width + ox * g.StrideWidth + kx;
                        if (x[i] > x[best] || T.IsNaN(x[i])) best = i; // strict '>' keeps the first maximum; every NaN replaces
                    }
                y[oy * g.OutWidth + ox] = x[best];
                _argmax[plane * outPlane + oy * g.OutWidth + ox] = best;
            }
    }

    /// <summary>The common 2×2, stride 2 window, unrolled: the same comparisons in the same order as the general loop.</summary>
    private void Forward2x2(ReadOnlySpan<T> x, Span<T> y, Span<int> argmax)
    {
        var g = Geometry;
        int w = g.Width, wo = g.OutWidth;
        for (int oy = 0; oy < g.OutHeight; oy++)
        {
            int row = 2 * oy * w;
            ReadOnlySpan<T> r0 = x.Slice(row, 2 * wo), r1 = x.Slice(row + w, 2 * wo);
            Span<T> yr = y.Slice(oy * wo, wo);
            Span<int> ar = argmax.Slice(oy * wo, wo);
            int ox = 0;
            if (typeof(T) == typeof(float) && Avx2.IsSupported)
                ox = Forward2x2Avx(MemoryMarshal.Cast<T, float>(r0), MemoryMarshal.Cast<T, float>(r1), w, row, MemoryMarshal.Cast<T, float>(yr), ar);
            for (; ox < wo; ox++)
            {
                int best = 2 * ox;
                T m = r0[best];
                T v = r0[best + 1];
                if (v > m || T.IsNaN(v)) { m = v; best = 2 * ox + 1; }
                v = r1[2 * ox];
                if (v > m || T.IsNaN(v)) { m = v; best = w + 2 * ox; }
                v = r1[2 * ox + 1];
                if (v > m || T.IsNaN(v)) { m = v; best = w + 2 * ox + 1; }
                yr[ox] = m;
                ar[ox] = row + best;
            }
        }
    }

    /// <summary>
    /// Eight (or four) windows at a time, without branches (random data would mispredict most of them): the even and
    /// odd columns of both rows are separated and compared in the scalar loop's order with the same strict '&gt;'. A row
    /// whose length is not a multiple of the block ends with a block that overlaps the one before (recomputing the same
    /// values). Blocks holding a NaN are left to the scalar loop; returns the first output column not done.
    /// </summary>
    private static unsafe int Forward2x2Avx(ReadOnlySpan<float> r0, ReadOnlySpan<float> r1, int w, int row, Span<float> y, Span<int> argmax)
    {
        int wo = y.Length, ox = 0;
        fixed (float* p0 = r0, p1 = r1, py = y)
        fixed (int* pa = argmax)
        {
            if (wo >= 8)
            {
                for (; ox + 8 <= wo; ox += 8)
                    if (!Block8(p0, p1, w, row, py, pa, ox)) return ox;
                if (ox < wo && Block8(p0, p1, w, row, py, pa, wo - 8)) ox = wo;
            }
            else if (wo >= 4)
            {
                if (Block4(p0, p1, w, row, py, pa, 0)) ox = 4;
                if (ox == 4 && Block4(p0, p1, w, row, py, pa, wo - 4)) ox = wo;
            }
        }
        return ox;
    }

    private static unsafe bool Block8(float* p0, float* p1, int w, int row, float* py, int* pa, int ox)
    {
        Vector256<float> a0 = Avx.LoadVector256(p0 + 2 * ox), a1 = Avx.LoadVector256(p0 + 2 * ox + 8);
        Vector256<float> b0 = Avx.LoadVector256(p1 + 2 * ox), b1 = Avx.LoadVector256(p1 + 2 * ox + 8);
        if ((Avx.MoveMask(Avx.CompareUnordered(a0, a1)) | Avx.MoveMask(Avx.CompareUnordered(b0, b1))) != 0) return false;
        // Shuffle picks the even (0x88) or odd (0xDD) elements within each 128-bit half; the permute puts the halves in order.
        Vector256<float> topLeft = Avx2.Permute4x64(Avx.Shuffle(a0, a1, 0x88).AsDouble(), 0xD8).AsSingle();
        Vector256<float> topRight = Avx2.Permute4x64(Avx.Shuffle(a0, a1, 0xDD).AsDouble(), 0xD8).AsSingle();
        Vector256<float> bottomLeft = Avx2.Permute4x64(Avx.Shuffle(b0, b1, 0x88).AsDouble(), 0xD8).AsSingle();
        Vector256<float> bottomRight = Avx2.Permute4x64(Avx.Shuffle(b0, b1, 0xDD).AsDouble(), 0xD8).AsSingle();
        Vector256<float> m = topLeft, offset = Vector256<float>.Zero;
        Vector256<float> c = Avx.CompareGreaterThan(topRight, m);
        m = Avx.BlendVariable(m, topRight, c);
        offset = Avx.BlendVariable(offset, Vector256.Create(1).AsSingle(), c);
        c = Avx.CompareGreaterThan(bottomLeft, m);
        m = Avx.BlendVariable(m, bottomLeft, c);
        offset = Avx.BlendVariable(offset, Vector256.Create(w).AsSingle(), c);
        c = Avx.CompareGreaterThan(bottomRight, m);
        m = Avx.BlendVariable(m, bottomRight, c);
        offset = Avx.BlendVariable(offset, Vector256.Create(w + 1).AsSingle(), c);
        Avx.Store(py + ox, m);
        Avx.Store(pa + ox, Avx2.Add(Avx2.Add(Vector256.Create(row + 2 * ox), Vector256.Create(0, 2, 4, 6, 8, 10, 12, 14)), offset.AsInt32()));
        return true;
    }

    private static unsafe bool Block4(float* p0, float* p1, int w, int row, float* py, int* pa, int ox)
    {
        Vector128<float> a0 = Sse.LoadVector128(p0 + 2 * ox), a1 = Sse.LoadVector128(p0 + 2 * ox + 4);
        Vector128<float> b0 = Sse.LoadVector128(p1 + 2 * ox), b1 = Sse.LoadVector128(p1 + 2 * ox + 4);
        if ((Sse.MoveMask(Sse.CompareUnordered(a0, a1)) | Sse.MoveMask(Sse.CompareUnordered(b0, b1))) != 0) return false;
        Vector128<float> topLeft = Sse.Shuffle(a0, a1, 0x88), topRight = Sse.Shuffle(a0, a1, 0xDD);
        Vector128<float> bottomLeft = Sse.Shuffle(b0, b1, 0x88), bottomRight = Sse.Shuffle(b0, b1, 0xDD);
        Vector128<float> m = topLeft, offset = Vector128<float>.Zero;
        Vector128<float> c = Sse.CompareGreaterThan(topRight, m);
        m = Sse41.BlendVariable(m, topRight, c);
        offset = Sse41.BlendVariable(offset, Vector128.Create(1).AsSingle(), c);
        c = Sse.CompareGreaterThan(bottomLeft, m);
        m = Sse41.BlendVariable(m, bottomLeft, c);
        offset = Sse41.BlendVariable(offset, Vector128.Create(w).AsSingle(), c);
        c = Sse.CompareGreaterThan(bottomRight, m);
        m = Sse41.BlendVariable(m, bottomRight, c);
        offset = Sse41.BlendVariable(offset, Vector128.Create(w + 1).AsSingle(), c);
        Sse.Store(py + ox, m);
        Sse2.Store(pa + ox, Sse2.Add(Sse2.Add(Vector128.Create(row + 2 * ox), Vector128.Create(0, 2, 4, 6)), offset.AsInt32()));
        return true;
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
