using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Backprop.Kernels;

/// <summary>
/// The packed GEMM for one element type and vector width: op(A) is copied into MR-row micro-panels and op(B) into
/// NR-column micro-panels (NR = 2 vectors), so the transposed cases cost only a different copy; cache blocking by
/// KC (depth), MC (rows of A kept in L2) and NC (columns of B); a MR×NR register-blocked FMA micro-kernel.
/// Work is split between threads over rows or columns of C only, never over k, so every element of C is the same
/// chain of operations whatever the thread count.
/// </summary>
internal static unsafe class GemmCore<T, TVec, TOps, TMr>
    where T : unmanaged where TVec : unmanaged where TOps : ISimd<TVec, T> where TMr : IConst
{
    private static int MR => TMr.N;
    private static int NR => 2 * TOps.Lanes;

    // Cache blocking, in elements. Settable (internally) so that the benchmark can tune them; they depend only on the
    // element type and vector width, never on the thread count, so the summation order is fixed by the shape.
    internal static int KC = 256;
    internal static int MC = 16 * TMr.N;
    internal static int NC = 4096;
    /// <summary>Below this many multiply-adds (m·n·k) one thread does it all: waking others costs more than it saves.</summary>
    internal static long ParallelMinWork = 1L << 20;

    public static void Run(T* a, bool transA, T* b, bool transB, T* c, int m, int n, int k, bool accumulate)
    {
        if (m == 0 || n == 0) return;
        if (k == 0)
        {
            if (!accumulate) new Span<T>(c, m * n).Clear();
            return;
        }

        int threads = Gemm.MaxThreads;
        long work = (long)m * n * k;
        int tilesM = (m + MR - 1) / MR, tilesN = (n + NR - 1) / NR;
        if (threads <= 1 || work < ParallelMinWork || Math.Max(tilesM, tilesN) < 2)
        {
            Block(a, transA, b, transB, c, m, n, k, accumulate, 0, m, 0, n);
            return;
        }

        // Split the dimension whose packing is cheaper to repeat: splitting rows makes every part pack all of B,
        // splitting columns makes every part pack all of A; a transposing copy costs about three plain ones.
        long dupA = (long)m * k * (transA ? 1 : 3), dupB = (long)n * k * (transB ? 3 : 1);
        bool splitRows = dupB <= dupA ? tilesM >= threads || tilesM >= tilesN : tilesN < threads && tilesM > tilesN;
        int tiles = splitRows ? tilesM : tilesN, parts = Math.Min(threads, tiles), step = splitRows ? MR : NR;
        nint pa = (nint)a, pb = (nint)b, pc = (nint)c;
        Parallel.For(0, parts, new ParallelOptions { MaxDegreeOfParallelism = threads }, t =>
        {
            int lo = (int)((long)tiles * t / parts) * step, hi = Math.Min((int)((long)tiles * (t + 1) / parts) * step, splitRows ? m : n);
            if (splitRows) Block((T*)pa, transA, (T*)pb, transB, (T*)pc, m, n, k, accumulate, lo, hi, 0, n);
            else Block((T*)pa, transA, (T*)pb, transB, (T*)pc, m, n, k, accumulate, 0, m, lo, hi);
        });
    }

    /// <summary>C[i0..i1, j0..j1] for the whole depth k, with this thread's pack buffers.</summary>
    private static void Block(T* a, bool transA, T* b, bool transB, T* c, int m, int n, int k, bool accumulate,
        int i0, int i1, int j0, int j1)
    {
        // Equal depth blocks: the split depends on k alone.
        int kBlocks = (k + KC - 1) / KC, kcMax = (k + kBlocks - 1) / kBlocks;
        int mcMax = Math.Min(MC, i1 - i0), ncMax = Math.Min(NC, j1 - j0);
        int aLen = (mcMax + MR - 1) / MR * MR * kcMax, bLen = (ncMax + NR - 1) / NR * NR * kcMax;
        T* bufA = PackBuffer<T>.Get(aLen + bLen), bufB = bufA + aLen;
        for (int jc = j0; jc < j1; jc += NC)
        {
            int nc = Math.Min(NC, j1 - jc);
            for (int pc = 0; pc < k; pc += kcMax)
            {
                int kc = Math.Min(kcMax, k - pc);
                PackB(b, transB, n, k, pc, kc, jc, nc, bufB);
                for (int ic = i0; ic < i1; ic += MC)
                {
                    int mc = Math.Min(MC, i1 - ic);
                    PackA(a, transA, m, k, ic, mc, pc, kc, bufA);
                    Macro(kc, mc, nc, bufA, bufB, c + (nint)ic * n + jc, n, accumulate || pc > 0);
                }
            }
        }
    }

    /// <summary>op(A)[ic.., pc..] into MR-row panels: panel r0 holds element (r, p) at [r0·kc + p·MR + r], zero past mc.</summary>
    private static void PackA(T* a, bool transA, int m, int k, int ic, int mc, int pc, int kc, T* dst)
    {
        int mr0 = MR;
        if (transA)
        {
            // A is stored k×m: read it row by row (long contiguous runs, which the prefetcher follows), handing each
            // row's mr-long pieces to the panels.
            int full = mc / mr0 * mr0, rest = mc - full;
            if (rest > 0) new Span<T>(dst + (nint)full * kc, kc * mr0).Clear();
            T* s = a + (nint)pc * m + ic;
            for (int p = 0; p < kc; p++, s += m)
            {
                T* d = dst + (nint)p * mr0;
                int ir = 0;
                for (; ir < full; ir += mr0, d += (nint)mr0 * kc) Copy(s + ir, d, mr0);
                if (rest > 0) new ReadOnlySpan<T>(s + ir, rest).CopyTo(new Span<T>(d, rest));
            }
            return;
        }
        for (int ir = 0; ir < mc; ir += mr0)
        {
            int mr = Math.Min(mr0, mc - ir);
            T* d = dst + (nint)ir * kc;
            if (mr < mr0) new Span<T>(d, kc * mr0).Clear();
            T* s = a + (nint)(ic + ir) * k + pc;
            for (int r = 0; r < mr; r++, s += k)
            {
                T* dr = d + r;
                for (int p = 0; p < kc; p++) dr[(nint)p * mr0] = s[p];
            }
        }
    }

    /// <summary>Copies a short run of MR elements (MR = 12 or 6: one or two vectors and a remainder).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Copy(T* s, T* d, int count)
    {
        int lanes = TOps.Lanes, i = 0;
        for (; i + lanes <= count; i += lanes) TOps.Store(d + i, TOps.Load(s + i));
        for (; i < count; i++) d[i] = s[i];
    }

    /// <summary>op(B)[pc.., jc..] into NR-column panels: panel j0 holds element (p, j) at [j0·kc + p·NR + j], zero past nc.</summary>
    private static void PackB(T* b, bool transB, int n, int k, int pc, int kc, int jc, int nc, T* dst)
    {
        int nr0 = NR, lanes = TOps.Lanes;
        if (!transB)
        {
            // Row by row through B, so that reads are long contiguous runs; each row feeds every panel.
            int full = nc / nr0 * nr0, rest = nc - full;
            if (rest > 0) new Span<T>(dst + (nint)full * kc, kc * nr0).Clear();
            T* s = b + (nint)pc * n + jc;
            for (int p = 0; p < kc; p++, s += n)
            {
                T* d = dst + (nint)p * nr0;
                int jr = 0;
                for (; jr < full; jr += nr0, d += (nint)nr0 * kc)
                {
                    TOps.Store(d, TOps.Load(s + jr));
                    TOps.Store(d + lanes, TOps.Load(s + jr + lanes));
                }
                if (rest > 0) new ReadOnlySpan<T>(s + jr, rest).CopyTo(new Span<T>(d, rest));
            }
            return;
        }
        for (int jr = 0; jr < nc; jr += nr0)
        {
            // B is stored n×k: column j of op(B) is row j of B.
            int nr = Math.Min(nr0, nc - jr);
            T* d = dst + (nint)jr * kc;
            if (nr < nr0) new Span<T>(d, kc * nr0).Clear();
            T* s = b + (nint)(jc + jr) * k + pc;
            for (int j = 0; j < nr; j++, s += k)
            {
                T* dj = d + j;
                for (int p = 0; p < kc; p++) dj[(nint)p * nr0] = s[p];
            }
        }
    }

    /// <summary>C[mc×nc] (leading dimension ldc) from packed panels; partial tiles go through a scratch tile.</summary>
    [SkipLocalsInit]
    private static void Macro(int kc, int mc, int nc, T* pa, T* pb, T* c, int ldc, bool add)
    {
        int mr0 = MR, nr0 = NR, lanes = TOps.Lanes;
        T* tmp = stackalloc T[12 * 2 * 16];
        for (int jr = 0; jr < nc; jr += nr0)
        {
            int nr = Math.Min(nr0, nc - jr);
            T* bp = pb + (nint)jr * kc;
            for (int ir = 0; ir < mc; ir += mr0)
            {
                int mr = Math.Min(mr0, mc - ir);
                T* ap = pa + (nint)ir * kc;
                T* cp = c + (nint)ir * ldc + jr;
                if (nr == nr0)
                {
                    if (mr == mr0) Kernel<TMr, N2, N1>(kc, ap, 1, mr0, bp, nr0, cp, ldc, add);
                    else Rows<N2, N1>(mr, kc, ap, 1, mr0, bp, nr0, cp, ldc, add);
                }
                else if (nr == lanes)
                {
                    Rows<N1, N1>(mr, kc, ap, 1, mr0, bp, nr0, cp, ldc, add);
                }
                else
                {
                    int nv = nr <= lanes ? 1 : 2;
                    if (nv == 1) Rows<N1, N1>(mr, kc, ap, 1, mr0, bp, nr0, tmp, nr0, false);
                    else Rows<N2, N1>(mr, kc, ap, 1, mr0, bp, nr0, tmp, nr0, false);
                    Merge(tmp, nr0, cp, ldc, mr, nr, add);
                }
            }
        }
    }

    /// <summary>c[r, j] = tile[r, j], or c[r, j] + tile[r, j]: the same rounding as the kernel's own vector update.</summary>
    private static void Merge(T* tile, int ldt, T* c, int ldc, int mr, int nr, bool add)
    {
        for (int r = 0; r < mr; r++)
        {
            T* t = tile + (nint)r * ldt, cr = c + (nint)r * ldc;
            if (add)
                for (int j = 0; j < nr; j++) cr[j] = Add(cr[j], t[j]);
            else
                for (int j = 0; j < nr; j++) cr[j] = t[j];
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static T Add(T x, T y)
    {
        if (typeof(T) == typeof(float)) { float r = Unsafe.As<T, float>(ref x) + Unsafe.As<T, float>(ref y); return Unsafe.As<float, T>(ref r); }
        double d = Unsafe.As<T, double>(ref x) + Unsafe.As<T, double>(ref y);
        return Unsafe.As<double, T>(ref d);
    }

    /// <summary>The kernel for mr (1..MR) rows.</summary>
    private static void Rows<TNv, TA>(int mr, nint kc, T* a, nint aRs, nint aCs, T* b, nint ldb, T* c, nint ldc, bool add)
        where TNv : IConst where TA : IConst
    {
        switch (mr)
        {
            case 1: Kernel<N1, TNv, TA>(kc, a, aRs, aCs, b, ldb, c, ldc, add); break;
            case 2: Kernel<N2, TNv, TA>(kc, a, aRs, aCs, b, ldb, c, ldc, add); break;
            case 3: Kernel<N3, TNv, TA>(kc, a, aRs, aCs, b, ldb, c, ldc, add); break;
            case 4: Kernel<N4, TNv, TA>(kc, a, aRs, aCs, b, ldb, c, ldc, add); break;
            case 5: Kernel<N5, TNv, TA>(kc, a, aRs, aCs, b, ldb, c, ldc, add); break;
            case 6: Kernel<N6, TNv, TA>(kc, a, aRs, aCs, b, ldb, c, ldc, add); break;
            case 7: Kernel<N7, TNv, TA>(kc, a, aRs, aCs, b, ldb, c, ldc, add); break;
            case 8: Kernel<N8, TNv, TA>(kc, a, aRs, aCs, b, ldb, c, ldc, add); break;
            case 9: Kernel<N9, TNv, TA>(kc, a, aRs, aCs, b, ldb, c, ldc, add); break;
            case 10: Kernel<N10, TNv, TA>(kc, a, aRs, aCs, b, ldb, c, ldc, add); break;
            case 11: Kernel<N11, TNv, TA>(kc, a, aRs, aCs, b, ldb, c, ldc, add); break;
            default: Kernel<N12, TNv, TA>(kc, a, aRs, aCs, b, ldb, c, ldc, add); break;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Put<TNv>(T* c, TVec x0, TVec x1, bool add) where TNv : IConst
    {
        if (add)
        {
            x0 = TOps.Add(TOps.Load(c), x0);
            if (TNv.N > 1) x1 = TOps.Add(TOps.Load(c + TOps.Lanes), x1);
        }
        TOps.Store(c, x0);
        if (TNv.N > 1) TOps.Store(c + TOps.Lanes, x1);
    }

    /// <summary>
    /// The register-blocked micro-kernel: a TR×(TNv·Lanes) tile of C from a TR-row sliver of op(A) and a (TNv·Lanes)-column
    /// sliver of op(B), with kc rank-1 updates. Element (r, p) of the A sliver is at a[r·rs + p·cs] (packed: rs = 1, cs = MR);
    /// row p of the B sliver starts at b + p·ldb. Each accumulator starts at zero and takes one fused multiply-add per p in
    /// increasing p, so an element's rounding never depends on the tile shape or on which thread computes it; then
    /// C = acc, or C = C + acc when <paramref name="add"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Kernel<TR, TNv, TA>(nint kc, T* a, nint aRs, nint aCs, T* b, nint ldb, T* c, nint ldc, bool add)
        where TR : IConst where TNv : IConst where TA : IConst
    {
        nint rs = TA.N == 1 ? 1 : aRs;
        nint cs = TA.N == 1 ? TMr.N : aCs;
        nint lanes = TOps.Lanes;
        TVec c0_0 = TOps.Zero, c0_1 = TOps.Zero, c1_0 = TOps.Zero, c1_1 = TOps.Zero, c2_0 = TOps.Zero, c2_1 = TOps.Zero, c3_0 = TOps.Zero, c3_1 = TOps.Zero, c4_0 = TOps.Zero, c4_1 = TOps.Zero, c5_0 = TOps.Zero, c5_1 = TOps.Zero, c6_0 = TOps.Zero, c6_1 = TOps.Zero, c7_0 = TOps.Zero, c7_1 = TOps.Zero, c8_0 = TOps.Zero, c8_1 = TOps.Zero, c9_0 = TOps.Zero, c9_1 = TOps.Zero, c10_0 = TOps.Zero, c10_1 = TOps.Zero, c11_0 = TOps.Zero, c11_1 = TOps.Zero;
        for (nint p = 0; p < kc; p++)
        {
            TVec b0 = TOps.Load(b);
            TVec b1 = TNv.N > 1 ? TOps.Load(b + lanes) : TOps.Zero;
            TVec x;
            x = TOps.Splat(a); c0_0 = TOps.MulAdd(x, b0, c0_0); if (TNv.N > 1) c0_1 = TOps.MulAdd(x, b1, c0_1);
            if (TR.N > 1) { x = TOps.Splat(a + rs); c1_0 = TOps.MulAdd(x, b0, c1_0); if (TNv.N > 1) c1_1 = TOps.MulAdd(x, b1, c1_1); }
            if (TR.N > 2) { x = TOps.Splat(a + 2 * rs); c2_0 = TOps.MulAdd(x, b0, c2_0); if (TNv.N > 1) c2_1 = TOps.MulAdd(x, b1, c2_1); }
            if (TR.N > 3) { x = TOps.Splat(a + 3 * rs); c3_0 = TOps.MulAdd(x, b0, c3_0); if (TNv.N > 1) c3_1 = TOps.MulAdd(x, b1, c3_1); }
            if (TR.N > 4) { x = TOps.Splat(a + 4 * rs); c4_0 = TOps.MulAdd(x, b0, c4_0); if (TNv.N > 1) c4_1 = TOps.MulAdd(x, b1, c4_1); }
            if (TR.N > 5) { x = TOps.Splat(a + 5 * rs); c5_0 = TOps.MulAdd(x, b0, c5_0); if (TNv.N > 1) c5_1 = TOps.MulAdd(x, b1, c5_1); }
            if (TR.N > 6) { x = TOps.Splat(a + 6 * rs); c6_0 = TOps.MulAdd(x, b0, c6_0); if (TNv.N > 1) c6_1 = TOps.MulAdd(x, b1, c6_1); }
            if (TR.N > 7) { x = TOps.Splat(a + 7 * rs); c7_0 = TOps.MulAdd(x, b0, c7_0); if (TNv.N > 1) c7_1 = TOps.MulAdd(x, b1, c7_1); }
            if (TR.N > 8) { x = TOps.Splat(a + 8 * rs); c8_0 = TOps.MulAdd(x, b0, c8_0); if (TNv.N > 1) c8_1 = TOps.MulAdd(x, b1, c8_1); }
            if (TR.N > 9) { x = TOps.Splat(a + 9 * rs); c9_0 = TOps.MulAdd(x, b0, c9_0); if (TNv.N > 1) c9_1 = TOps.MulAdd(x, b1, c9_1); }
            if (TR.N > 10) { x = TOps.Splat(a + 10 * rs); c10_0 = TOps.MulAdd(x, b0, c10_0); if (TNv.N > 1) c10_1 = TOps.MulAdd(x, b1, c10_1); }
            if (TR.N > 11) { x = TOps.Splat(a + 11 * rs); c11_0 = TOps.MulAdd(x, b0, c11_0); if (TNv.N > 1) c11_1 = TOps.MulAdd(x, b1, c11_1); }
            a += cs;
            b += ldb;
        }
        Put<TNv>(c, c0_0, c0_1, add);
        if (TR.N > 1) Put<TNv>(c + ldc, c1_0, c1_1, add);
        if (TR.N > 2) Put<TNv>(c + 2 * ldc, c2_0, c2_1, add);
        if (TR.N > 3) Put<TNv>(c + 3 * ldc, c3_0, c3_1, add);
        if (TR.N > 4) Put<TNv>(c + 4 * ldc, c4_0, c4_1, add);
        if (TR.N > 5) Put<TNv>(c + 5 * ldc, c5_0, c5_1, add);
        if (TR.N > 6) Put<TNv>(c + 6 * ldc, c6_0, c6_1, add);
        if (TR.N > 7) Put<TNv>(c + 7 * ldc, c7_0, c7_1, add);
        if (TR.N > 8) Put<TNv>(c + 8 * ldc, c8_0, c8_1, add);
        if (TR.N > 9) Put<TNv>(c + 9 * ldc, c9_0, c9_1, add);
        if (TR.N > 10) Put<TNv>(c + 10 * ldc, c10_0, c10_1, add);
        if (TR.N > 11) Put<TNv>(c + 11 * ldc, c11_0, c11_1, add);
    }
}

/// <summary>Per-thread pack space, reused across calls and grown when needed; pinned so that raw pointers stay valid.</summary>
internal static unsafe class PackBuffer<T> where T : unmanaged
{
    [ThreadStatic] private static T[]? _array;

    /// <summary>At least <paramref name="count"/> elements, 64-byte aligned, valid until this thread's next call.</summary>
    public static T* Get(int count)
    {
        int pad = 64 / sizeof(T);
        T[]? array = _array;
        if (array is null || array.Length < count + pad)
        {
            // Grow geometrically so that a slowly growing sequence of shapes does not reallocate each time.
            int size = Math.Max(count + pad, array is null ? 0 : (int)Math.Min(int.MaxValue, array.Length * 3L / 2));
            _array = array = GC.AllocateUninitializedArray<T>(size, pinned: true);
        }
        nint p = (nint)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(array));
        return (T*)((p + 63) & ~(nint)63);
    }
}
