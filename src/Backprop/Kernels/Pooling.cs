using System.Numerics;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Backprop.Kernels;

/// <summary>
/// Max and average pooling over planes: [P, H, W] → [P, Ho, Wo] for a <see cref="WindowGeometry"/> of one channel
/// (no padding, ragged edge dropped: PyTorch's floor mode). Planes are independent, so they are cut into fixed runs
/// spread over the <see cref="WorkerPool"/>; the common 2×2, stride 2 max window has an unrolled path and an AVX one.
/// Every path computes each window with the same comparisons in the same order as <see cref="NaiveForward"/>, its
/// naive twin, so results are bit-identical to it for any thread count (tested).
/// <para>
/// Max: the first maximum in row-major order wins a tie (PyTorch's rule) and a NaN anywhere in the window wins, the
/// last NaN when there are several (PyTorch's kernel takes an element when val &gt; max || isnan(val)); its position is kept for the backward pass, which sends the whole gradient there.
/// Average: the sum over the window divided by its area (divided, not multiplied by the inverse, to round as PyTorch
/// does); backward sends dy / area to every input of the window.
/// </para>
/// One instance per layer: it keeps the argmax positions and the arguments of the call in progress, so a call
/// allocates nothing once its buffers have grown.
/// </summary>
public sealed class Pooling<T>(WindowGeometry geometry, bool max) : IParallelJob where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly WindowGeometry _g = geometry;
    private readonly T _area = T.CreateChecked(geometry.KernelHeight * geometry.KernelWidth);
    private int[] _argmax = [];
    private T[] _x = [], _y = [];
    private int _planes;
    private bool _backward;

    // Planes per piece of work: about 32 K input elements.
    private int PlanesPerPiece => Math.Max(1, (1 << 15) / (_g.Height * _g.Width));

    /// <summary>x [planes, H, W] → y [planes, Ho, Wo].</summary>
    public void Forward(T[] x, T[] y, int planes)
    {
        if (max && _argmax.Length < planes * _g.OutPixels) _argmax = new int[planes * _g.OutPixels];
        Run(x, y, planes, backward: false);
    }

    /// <summary>dy [planes, Ho, Wo] → dx [planes, H, W] (overwritten), for the input of the last <see cref="Forward"/>.</summary>
    public void Backward(T[] dy, T[] dx, int planes) => Run(dy, dx, planes, backward: true);

    private void Run(T[] source, T[] destination, int planes, bool backward)
    {
        (_x, _y, _planes, _backward) = (source, destination, planes, backward);
        WorkerPool.Run(this, (planes + PlanesPerPiece - 1) / PlanesPerPiece);
        (_x, _y) = ([], []);
    }

    void IParallelJob.Execute(int piece)
    {
        int inPlane = _g.Height * _g.Width, outPlane = _g.OutPixels;
        int first = piece * PlanesPerPiece, last = Math.Min(_planes, first + PlanesPerPiece);
        if (_backward)
        {
            Span<T> dx = _y.AsSpan(first * inPlane, (last - first) * inPlane);
            dx.Clear();
            for (int p = first; p < last; p++)
            {
                ReadOnlySpan<T> dy = _x.AsSpan(p * outPlane, outPlane);
                Span<T> dxPlane = _y.AsSpan(p * inPlane, inPlane);
                if (max) MaxBackwardPlane(dy, dxPlane, _argmax.AsSpan(p * outPlane, outPlane));
                else AvgBackwardPlane(_g, _area, dy, dxPlane);
            }
            return;
        }
        for (int p = first; p < last; p++)
        {
            ReadOnlySpan<T> x = _x.AsSpan(p * inPlane, inPlane);
            Span<T> y = _y.AsSpan(p * outPlane, outPlane);
            if (!max) AvgForwardPlane(_g, _area, x, y);
            else if (_g is { KernelHeight: 2, KernelWidth: 2, StrideHeight: 2, StrideWidth: 2 }) Forward2x2(_g, x, y, _argmax.AsSpan(p * outPlane, outPlane));
            else MaxForwardPlane(_g, x, y, _argmax.AsSpan(p * outPlane, outPlane));
        }
    }

    /// <summary>
    /// The naive twin of <see cref="Forward"/> and <see cref="Backward"/>: one thread, the general loops, no unrolling
    /// or SIMD. Pools x [planes, H, W] into y; with <paramref name="dy"/>, also writes dx [planes, H, W].
    /// </summary>
    public static void NaiveForward(in WindowGeometry g, bool max, ReadOnlySpan<T> x, Span<T> y, int planes, ReadOnlySpan<T> dy = default, Span<T> dx = default)
    {
        int inPlane = g.Height * g.Width, outPlane = g.OutPixels;
        T area = T.CreateChecked(g.KernelHeight * g.KernelWidth);
        var argmax = new int[outPlane];
        if (!dy.IsEmpty) dx.Clear();
        for (int p = 0; p < planes; p++)
        {
            ReadOnlySpan<T> xp = x.Slice(p * inPlane, inPlane);
            Span<T> yp = y.Slice(p * outPlane, outPlane);
            if (max) MaxForwardPlane(g, xp, yp, argmax);
            else AvgForwardPlane(g, area, xp, yp);
            if (dy.IsEmpty) continue;
            if (max) MaxBackwardPlane(dy.Slice(p * outPlane, outPlane), dx.Slice(p * inPlane, inPlane), argmax);
            else AvgBackwardPlane(g, area, dy.Slice(p * outPlane, outPlane), dx.Slice(p * inPlane, inPlane));
        }
    }

    private static void MaxForwardPlane(in WindowGeometry g, ReadOnlySpan<T> x, Span<T> y, Span<int> argmax)
    {
        for (int oy = 0; oy < g.OutHeight; oy++)
            for (int ox = 0; ox < g.OutWidth; ox++)
            {
                int best = oy * g.StrideHeight * g.Width + ox * g.StrideWidth;
                for (int ky = 0; ky < g.KernelHeight; ky++)
                    for (int kx = 0; kx < g.KernelWidth; kx++)
                    {
                        int i = (oy * g.StrideHeight + ky) * g.Width + ox * g.StrideWidth + kx;
                        if (x[i] > x[best] || T.IsNaN(x[i])) best = i; // strict '>' keeps the first maximum; every NaN replaces the one before
                    }
                y[oy * g.OutWidth + ox] = x[best];
                argmax[oy * g.OutWidth + ox] = best;
            }
    }

    private static void MaxBackwardPlane(ReadOnlySpan<T> dy, Span<T> dx, ReadOnlySpan<int> argmax)
    {
        for (int o = 0; o < dy.Length; o++) dx[argmax[o]] += dy[o];
    }

    private static void AvgForwardPlane(in WindowGeometry g, T area, ReadOnlySpan<T> x, Span<T> y)
    {
        for (int oy = 0; oy < g.OutHeight; oy++)
            for (int ox = 0; ox < g.OutWidth; ox++)
            {
                T sum = T.Zero;
                for (int ky = 0; ky < g.KernelHeight; ky++)
                    for (int kx = 0; kx < g.KernelWidth; kx++)
                        sum += x[(oy * g.StrideHeight + ky) * g.Width + ox * g.StrideWidth + kx];
                y[oy * g.OutWidth + ox] = sum / area;
            }
    }

    private static void AvgBackwardPlane(in WindowGeometry g, T area, ReadOnlySpan<T> dy, Span<T> dx)
    {
        for (int oy = 0; oy < g.OutHeight; oy++)
            for (int ox = 0; ox < g.OutWidth; ox++)
            {
                T share = dy[oy * g.OutWidth + ox] / area;
                for (int ky = 0; ky < g.KernelHeight; ky++)
                    for (int kx = 0; kx < g.KernelWidth; kx++)
                        dx[(oy * g.StrideHeight + ky) * g.Width + ox * g.StrideWidth + kx] += share;
            }
    }

    /// <summary>The common 2×2, stride 2 window, unrolled: the same comparisons in the same order as the general loop.</summary>
    private static void Forward2x2(in WindowGeometry g, ReadOnlySpan<T> x, Span<T> y, Span<int> argmax)
    {
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
}
