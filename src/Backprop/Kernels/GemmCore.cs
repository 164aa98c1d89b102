using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Backprop.Kernels;

/// <summary>
/// GEMM for one element type and vector width (see <see cref="Gemm.Multiply{T}"/>). Large products: op(A) is copied into
/// MR-row micro-panels and op(B) into NR-column micro-panels (NR = 2 vectors), so the transposed cases cost only a
/// different copy; cache blocking by KC (depth), MC (rows of A) and NC (columns of B); an MR×NR register-blocked FMA
/// micro-kernel. Small ones skip what does not pay: a few rows of op(A)·B read A and B in place, A·Bᵀ with few rows or
/// narrow B runs as blocked dot products, and the tiniest as scalar loops. Which path runs depends on the shape only.
/// <para>
/// Work is split between threads over whole tiles of rows or columns of C, never over k, and within a path every
/// element of C is computed by the same chain of operations whichever tile, thread or kernel variant computes it (in
/// the kernel's paths: per depth block of KC, an accumulator from zero with one multiply-add per p in increasing p,
/// then added to C). So results are bit for bit the same for any thread count.
/// </para>
/// </summary>
internal static unsafe class GemmCore<T, TVec, TOps, TMr>
    where T : unmanaged where TVec : unmanaged where TOps : ISimd<TVec, T> where TMr : IConst
{
    private static int MR => TMr.N;
    private static int NR => 2 * TOps.Lanes;

    // Cache blocking, in elements. Settable (internally) so that the benchmark can tune them; they depend only on the
    // element type and vector width, never on the thread count, so the summation order is fixed by the shape.
    // The micro-kernel streams about 15 bytes per cycle from its two slivers, which even L2 sustains, so the slivers
    // need not both sit in a 32 KB L1: KC is made long (1.5 KB of float, 2 KB of double per row of a sliver) to cut
    // the passes over C; MC keeps the packed A block (MC·KC: 216 KB float, 288 KB double) well inside a 1 MB L2; NC
    // bounds the packed B panel (KC·NC: 1.5 MB float, 2 MB double) kept in L2/L3. Measured on Zen 5 (48 KB L1, 1 MB
    // L2) at n = 1024 and 2048: single-thread throughput varied by under 10% over KC 128..384 and MC 48..288; a longer
    // KC, and NC 1024 rather than 2048, gained about 5% at n = 2048.
    internal static int KC = Unsafe.SizeOf<T>() == 4 ? 384 : 256;
    internal static int MC = 144 / TMr.N * TMr.N;
    internal static int NC = 1024;
    /// <summary>
    /// Below this many multiply-adds (m·n·k) one thread does it all. Measured on 2 idle cores: a second thread pays
    /// from about 64³ (a few microseconds of work) when the pool's threads are awake; the threshold sits higher,
    /// at about 8 µs of single-core work, because waking a sleeping thread or sharing a busy machine costs more.
    /// </summary>
    internal static long ParallelMinWork = Unsafe.SizeOf<T>() == 4 ? 1L << 20 : 1L << 19;

    /// <summary>
    /// A·Bᵀ with at most this many rows of A runs as dot products along k, with no packing (so does a narrow one,
    /// n ≤ NR, with k of at least four vectors): measured against the packed kernel, dot blocks of 4 rows × 4 columns
    /// win up to m ≈ 4 for any n, and for n ≤ NR up to m ≈ 32, where the packed kernel would mostly multiply padding.
    /// </summary>
    internal static int DotMaxRows = 4;
    /// <summary>op(A)·B with at most this many rows may read A and B in place, with no packing (see <see cref="InPlace"/>).</summary>
    internal static int FewRowsMax = 64;

    /// <summary>
    /// Whether op(A)·B is better read in place than packed. Measured: up to 64 rows the copy of B costs more than
    /// it saves; except, with 16 vector registers (6-row kernel), when B's rows are a multiple of 4 KB apart, where
    /// the in-place slivers alias in the L1 cache and packing wins beyond one row panel.
    /// </summary>
    private static bool InPlace(int m, int n) =>
        m <= MR || m <= FewRowsMax && (MR == 12 || (long)n * Unsafe.SizeOf<T>() % 4096 != 0);

    public static void Run(T* a, bool transA, T* b, bool transB, T* c, int m, int n, int k, bool accumulate)
    {
        if (m == 0 || n == 0) return;
        if (k == 0)
        {
            if (!accumulate) new Span<T>(c, m * n).Clear();
            return;
        }

        long work = (long)m * n * k;
        int threads = WorkerPool.InJob || work < ParallelMinWork ? 1 : WorkerPool.MaxThreads;

        // Few rows: no packing at all. A·Bᵀ as dot products of contiguous rows; A·B or Aᵀ·B straight from B's rows.
        Strategy strategy = transB && !transA && (m <= DotMaxRows || n <= NR && k >= 4 * TOps.Lanes) ? Strategy.Dot
            : !transB && InPlace(m, n) ? Strategy.FewRows
            : Strategy.Packed;
        // Tiles: the units whose rows or columns a thread takes whole.
        int stepM = strategy == Strategy.Dot ? DotRows : MR, stepN = strategy == Strategy.Dot ? 4 : NR;
        int tilesM = strategy == Strategy.FewRows ? 1 : (m + stepM - 1) / stepM, tilesN = (n + stepN - 1) / stepN;
        if (threads == 1 || Math.Max(tilesM, tilesN) < 2)
        {
            Part(strategy, a, transA, b, transB, c, m, n, k, accumulate, 0, m, 0, n);
            return;
        }

        // Split rows or columns of C, never k. In the packed case prefer the dimension whose packing is cheaper to
        // repeat: split rows and each part packs all of B, split columns and each packs all of A (a transposing copy
        // costs about twice a plain one); otherwise the dimension with more tiles.
        long dupA = (long)m * k * (transA ? 1 : 2), dupB = (long)n * k * (transB ? 2 : 1);
        bool splitRows = strategy == Strategy.Packed && dupB <= dupA
            ? tilesM >= threads || tilesM >= tilesN
            : tilesN < threads && tilesM > tilesN;
        Parallel(strategy, a, transA, b, transB, c, m, n, k, accumulate, threads, splitRows,
            splitRows ? tilesM : tilesN, splitRows ? stepM : stepN);
    }

    private enum Strategy { Packed, FewRows, Dot }

    /// <summary>C[i0..i1, j0..j1] with the given strategy, on this thread.</summary>
    private static void Part(Strategy strategy, T* a, bool transA, T* b, bool transB, T* c, int m, int n, int k, bool accumulate,
        int i0, int i1, int j0, int j1)
    {
        switch (strategy)
        {
            case Strategy.Dot: Dot(a, b, c, n, k, accumulate, i0, i1, j0, j1); break;
            case Strategy.FewRows: FewRows(a, transA, b, c, m, n, k, accumulate, j0, j1); break;
            default: Block(a, transA, b, transB, c, m, n, k, accumulate, i0, i1, j0, j1); break;
        }
    }

    /// <summary>Parts of whole tiles, one per thread at most, on the worker pool (allocation-free: one job object per calling thread).</summary>
    private static void Parallel(Strategy strategy, T* a, bool transA, T* b, bool transB, T* c, int m, int n, int k, bool accumulate,
        int threads, bool splitRows, int tiles, int step)
    {
        var job = _job ??= new PartsJob();
        job.Set(strategy, a, transA, b, transB, c, m, n, k, accumulate, splitRows, tiles, step, Math.Min(threads, tiles));
        WorkerPool.Run(job, job.Parts);
        job.Clear();
    }

    [ThreadStatic] private static PartsJob? _job;

    /// <summary>The arguments of one parallel product; part t computes tiles [tiles·t/parts, tiles·(t+1)/parts).</summary>
    private sealed class PartsJob : IParallelJob
    {
        private Strategy _strategy;
        private T* _a, _b, _c;
        private bool _transA, _transB, _accumulate, _splitRows;
        private int _m, _n, _k, _tiles, _step;

        public int Parts { get; private set; }

        public void Set(Strategy strategy, T* a, bool transA, T* b, bool transB, T* c, int m, int n, int k, bool accumulate,
            bool splitRows, int tiles, int step, int parts)
        {
            _a = a; _b = b; _c = c;
            (_strategy, _transA, _transB, _m, _n, _k, _accumulate) = (strategy, transA, transB, m, n, k, accumulate);
            (_splitRows, _tiles, _step, Parts) = (splitRows, tiles, step, parts);
        }

        public void Clear() { _a = null; _b = null; _c = null; }

        public void Execute(int t)
        {
            int lo = (int)((long)_tiles * t / Parts) * _step, hi = Math.Min((int)((long)_tiles * (t + 1) / Parts) * _step, _splitRows ? _m : _n);
            if (_splitRows) Part(_strategy, _a, _transA, _b, _transB, _c, _m, _n, _k, _accumulate, lo, hi, 0, _n);
            else Part(_strategy, _a, _transA, _b, _transB, _c, _m, _n, _k, _accumulate, 0, _m, lo, hi);
        }
    }

    /// <summary>
    /// C[:, j0..j1] for op(A)·B with few rows: the kernel reads A in place (strided) and B's rows in place, since with
    /// so few row panels a packed copy of B would hardly be reused. Column slivers outside, row panels inside, so that
    /// a sliver of B is still in cache for the next panel. The last n mod Lanes columns go through a small zero-padded copy.
    /// </summary>
    [SkipLocalsInit]
    private static void FewRows(T* a, bool transA, T* b, T* c, int m, int n, int k, bool accumulate, int j0, int j1)
    {
        nint rs = transA ? 1 : k, cs = transA ? m : 1;
        int lanes = TOps.Lanes, kBlocks = (k + KC - 1) / KC, kcMax = (k + kBlocks - 1) / kBlocks;
        // Four vectors per row while the accumulators fit the registers (4 per row, plus 4 of B and one of A).
        bool wide = m <= (MR == 12 ? 6 : 2);
        T* tmp = stackalloc T[12 * 16];
        for (int pc = 0; pc < k; pc += kcMax)
        {
            int kc = Math.Min(kcMax, k - pc);
            T* ap = a + pc * cs, bp = b + (nint)pc * n;
            bool add = accumulate || pc > 0;
            int j = j0;
            if (wide)
                for (; j + 4 * lanes <= j1; j += 4 * lanes) Rows<N4, N0>(m, kc, ap, rs, cs, bp + j, n, c + j, n, add);
            for (; j + 2 * lanes <= j1; j += 2 * lanes)
                for (int i = 0; i < m; i += MR)
                    Rows<N2, N0>(Math.Min(MR, m - i), kc, ap + i * rs, rs, cs, bp + j, n, c + (nint)i * n + j, n, add);
            for (; j + lanes <= j1; j += lanes)
                for (int i = 0; i < m; i += MR)
                    Rows<N1, N0>(Math.Min(MR, m - i), kc, ap + i * rs, rs, cs, bp + j, n, c + (nint)i * n + j, n, add);
            if (j < j1)
            {
                int rest = j1 - j;
                T* panel = PackBuffer<T>.Get(kc * lanes);
                for (int p = 0; p < kc; p++)
                {
                    new ReadOnlySpan<T>(bp + (nint)p * n + j, rest).CopyTo(new Span<T>(panel + p * lanes, rest));
                    new Span<T>(panel + p * lanes + rest, lanes - rest).Clear();
                }
                for (int i = 0; i < m; i += MR)
                {
                    int mr = Math.Min(MR, m - i);
                    Rows<N1, N0>(mr, kc, ap + i * rs, rs, cs, panel, lanes, tmp, lanes, false);
                    Merge(tmp, lanes, c + (nint)i * n + j, n, mr, rest, add);
                }
            }
        }
    }

    /// <summary>
    /// C[:, j0..j1] for A·Bᵀ with few rows: each element is a dot product of two contiguous rows, in blocks of up to
    /// DotRows rows × 4 columns so that each vector of A or B loaded serves several accumulators.
    /// </summary>
    private static void Dot(T* a, T* b, T* c, int n, int k, bool accumulate, int i0, int i1, int j0, int j1)
    {
        int rows = DotRows;
        for (int i = i0; i < i1; i += rows)
        {
            int mr = Math.Min(rows, i1 - i);
            T* x = a + (nint)i * k, cr = c + (nint)i * n;
            int j = j0;
            for (; j + 4 <= j1; j += 4) DotRowsOf<N4>(mr, x, b + (nint)j * k, k, cr + j, n, accumulate);
            for (; j < j1; j++) DotRowsOf<N1>(mr, x, b + (nint)j * k, k, cr + j, n, accumulate);
        }
    }

    /// <summary>Rows of A per dot block: 4 (16 accumulators) with 32 vector registers, 2 with 16.</summary>
    private static int DotRows => MR == 12 ? 4 : 2;

    private static void DotRowsOf<TC>(int mr, T* x, T* y, nint k, T* c, nint ldc, bool add) where TC : IConst
    {
        switch (mr)
        {
            case 1: DotBlock<N1, TC>(x, y, k, c, ldc, add); break;
            case 2: DotBlock<N2, TC>(x, y, k, c, ldc, add); break;
            case 3: DotBlock<N3, TC>(x, y, k, c, ldc, add); break;
            default: DotBlock<N4, TC>(x, y, k, c, ldc, add); break;
        }
    }

    /// <summary>
    /// A TR×TC block of C = A·Bᵀ as dot products of contiguous rows: x holds TR rows of A, y holds TC rows of B (both
    /// with stride k). Per element: one vector accumulator over whole vectors of k in increasing order, a fixed
    /// horizontal sum, then the k mod Lanes tail one multiply-add at a time; so the block shape never changes a result.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void DotBlock<TR, TC>(T* x, T* y, nint k, T* c, nint ldc, bool add) where TR : IConst where TC : IConst
    {
        nint lanes = TOps.Lanes, p = 0;
        TVec s00 = TOps.Zero, s01 = TOps.Zero, s02 = TOps.Zero, s03 = TOps.Zero;
        TVec s10 = TOps.Zero, s11 = TOps.Zero, s12 = TOps.Zero, s13 = TOps.Zero;
        TVec s20 = TOps.Zero, s21 = TOps.Zero, s22 = TOps.Zero, s23 = TOps.Zero;
        TVec s30 = TOps.Zero, s31 = TOps.Zero, s32 = TOps.Zero, s33 = TOps.Zero;
        for (; p + lanes <= k; p += lanes)
        {
            TVec y0 = TOps.Load(y + p);
            TVec y1 = TC.N > 1 ? TOps.Load(y + 1 * k + p) : TOps.Zero;
            TVec y2 = TC.N > 2 ? TOps.Load(y + 2 * k + p) : TOps.Zero;
            TVec y3 = TC.N > 3 ? TOps.Load(y + 3 * k + p) : TOps.Zero;
            { TVec x0 = TOps.Load(x + p); s00 = TOps.MulAdd(x0, y0, s00); if (TC.N > 1) s01 = TOps.MulAdd(x0, y1, s01); if (TC.N > 2) s02 = TOps.MulAdd(x0, y2, s02); if (TC.N > 3) s03 = TOps.MulAdd(x0, y3, s03); }
            if (TR.N > 1) { TVec x1 = TOps.Load(x + 1 * k + p); s10 = TOps.MulAdd(x1, y0, s10); if (TC.N > 1) s11 = TOps.MulAdd(x1, y1, s11); if (TC.N > 2) s12 = TOps.MulAdd(x1, y2, s12); if (TC.N > 3) s13 = TOps.MulAdd(x1, y3, s13); }
            if (TR.N > 2) { TVec x2 = TOps.Load(x + 2 * k + p); s20 = TOps.MulAdd(x2, y0, s20); if (TC.N > 1) s21 = TOps.MulAdd(x2, y1, s21); if (TC.N > 2) s22 = TOps.MulAdd(x2, y2, s22); if (TC.N > 3) s23 = TOps.MulAdd(x2, y3, s23); }
            if (TR.N > 3) { TVec x3 = TOps.Load(x + 3 * k + p); s30 = TOps.MulAdd(x3, y0, s30); if (TC.N > 1) s31 = TOps.MulAdd(x3, y1, s31); if (TC.N > 2) s32 = TOps.MulAdd(x3, y2, s32); if (TC.N > 3) s33 = TOps.MulAdd(x3, y3, s33); }
        }
        DotFinish<TC>(x + 0 * k, y, k, p, c + 0 * ldc, s00, s01, s02, s03, add);
        if (TR.N > 1) DotFinish<TC>(x + 1 * k, y, k, p, c + 1 * ldc, s10, s11, s12, s13, add);
        if (TR.N > 2) DotFinish<TC>(x + 2 * k, y, k, p, c + 2 * ldc, s20, s21, s22, s23, add);
        if (TR.N > 3) DotFinish<TC>(x + 3 * k, y, k, p, c + 3 * ldc, s30, s31, s32, s33, add);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void DotFinish<TC>(T* x, T* y, nint k, nint p, T* c, TVec s0, TVec s1, TVec s2, TVec s3, bool add) where TC : IConst
    {
        T r0 = TOps.Sum(s0), r1 = TC.N > 1 ? TOps.Sum(s1) : default, r2 = TC.N > 2 ? TOps.Sum(s2) : default, r3 = TC.N > 3 ? TOps.Sum(s3) : default;
        for (; p < k; p++)
        {
            T u = x[p];
            r0 = GemmScalar<T>.MulAdd(u, y[p], r0);
            if (TC.N > 1) r1 = GemmScalar<T>.MulAdd(u, y[k + p], r1);
            if (TC.N > 2) r2 = GemmScalar<T>.MulAdd(u, y[2 * k + p], r2);
            if (TC.N > 3) r3 = GemmScalar<T>.MulAdd(u, y[3 * k + p], r3);
        }
        c[0] = add ? GemmScalar<T>.Add(c[0], r0) : r0;
        if (TC.N > 1) c[1] = add ? GemmScalar<T>.Add(c[1], r1) : r1;
        if (TC.N > 2) c[2] = add ? GemmScalar<T>.Add(c[2], r2) : r2;
        if (TC.N > 3) c[3] = add ? GemmScalar<T>.Add(c[3], r3) : r3;
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
            // Eight rows at a time, each panel receiving a contiguous run (see PackB).
            for (int p0 = 0; p0 < kc; p0 += 8)
            {
                int rows = Math.Min(8, kc - p0);
                T* s0 = a + (nint)(pc + p0) * m + ic;
                int ir = 0;
                for (; ir < full; ir += mr0)
                {
                    T* s = s0 + ir, d = dst + (nint)ir * kc + (nint)p0 * mr0;
                    for (int p = 0; p < rows; p++, s += m, d += mr0) CopyPanelRow(s, d);
                }
                if (rest > 0)
                {
                    T* s = s0 + ir, d = dst + (nint)ir * kc + (nint)p0 * mr0;
                    for (int p = 0; p < rows; p++, s += m, d += mr0) new ReadOnlySpan<T>(s, rest).CopyTo(new Span<T>(d, rest));
                }
            }
            return;
        }
        for (int ir = 0; ir < mc; ir += mr0)
        {
            int mr = Math.Min(mr0, mc - ir);
            T* d = dst + (nint)ir * kc;
            if (mr < mr0) new Span<T>(d, kc * mr0).Clear();
            GemmTranspose.Run(a + (nint)(ic + ir) * k + pc, k, mr, kc, d, mr0);
        }
    }

    /// <summary>Copies MR elements: a constant size, which the JIT unrolls into a few vector moves.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void CopyPanelRow(T* s, T* d) => Unsafe.CopyBlockUnaligned(d, s, (uint)(TMr.N * Unsafe.SizeOf<T>()));

    /// <summary>op(B)[pc.., jc..] into NR-column panels: panel j0 holds element (p, j) at [j0·kc + p·NR + j], zero past nc.</summary>
    private static void PackB(T* b, bool transB, int n, int k, int pc, int kc, int jc, int nc, T* dst)
    {
        int nr0 = NR, lanes = TOps.Lanes;
        if (!transB)
        {
            // Row by row through B, so that reads are long contiguous runs; each row feeds every panel.
            int full = nc / nr0 * nr0, rest = nc - full;
            if (rest > 0) new Span<T>(dst + (nint)full * kc, kc * nr0).Clear();
            // Eight rows at a time, so that each panel receives one contiguous run of 8·NR elements (writing one row
            // at a time would hop between panels KC·NR apart, all on the same few cache sets).
            for (int p0 = 0; p0 < kc; p0 += 8)
            {
                int rows = Math.Min(8, kc - p0);
                T* s0 = b + (nint)(pc + p0) * n + jc;
                int jr = 0;
                for (; jr < full; jr += nr0)
                {
                    T* s = s0 + jr, d = dst + (nint)jr * kc + (nint)p0 * nr0;
                    for (int p = 0; p < rows; p++, s += n, d += nr0)
                    {
                        TOps.Store(d, TOps.Load(s));
                        TOps.Store(d + lanes, TOps.Load(s + lanes));
                    }
                }
                if (rest > 0)
                {
                    T* s = s0 + jr, d = dst + (nint)jr * kc + (nint)p0 * nr0;
                    for (int p = 0; p < rows; p++, s += n, d += nr0) new ReadOnlySpan<T>(s, rest).CopyTo(new Span<T>(d, rest));
                }
            }
            return;
        }
        for (int jr = 0; jr < nc; jr += nr0)
        {
            // B is stored n×k: column j of op(B) is row j of B.
            int nr = Math.Min(nr0, nc - jr);
            T* d = dst + (nint)jr * kc;
            if (nr < nr0) new Span<T>(d, kc * nr0).Clear();
            GemmTranspose.Run(b + (nint)(jc + jr) * k + pc, k, nr, kc, d, nr0);
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
                for (int j = 0; j < nr; j++) cr[j] = GemmScalar<T>.Add(cr[j], t[j]);
            else
                for (int j = 0; j < nr; j++) cr[j] = t[j];
        }
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
    private static void Put<TNv>(T* c, TVec x0, TVec x1, TVec x2, TVec x3, bool add) where TNv : IConst
    {
        nint lanes = TOps.Lanes;
        if (add)
        {
            x0 = TOps.Add(TOps.Load(c), x0);
            if (TNv.N > 1) x1 = TOps.Add(TOps.Load(c + lanes), x1);
            if (TNv.N > 2) x2 = TOps.Add(TOps.Load(c + 2 * lanes), x2);
            if (TNv.N > 3) x3 = TOps.Add(TOps.Load(c + 3 * lanes), x3);
        }
        TOps.Store(c, x0);
        if (TNv.N > 1) TOps.Store(c + lanes, x1);
        if (TNv.N > 2) TOps.Store(c + 2 * lanes, x2);
        if (TNv.N > 3) TOps.Store(c + 3 * lanes, x3);
    }

    /// <summary>
    /// The register-blocked micro-kernel: a TR×(TNv·Lanes) tile of C from a TR-row sliver of op(A) and a (TNv·Lanes)-column
    /// sliver of op(B), with kc rank-1 updates. Element (r, p) of the A sliver is at a[r·rs + p·cs] (packed: rs = 1, cs = MR);
    /// row p of the B sliver starts at b + p·ldb. Each accumulator starts at zero and takes one fused multiply-add per p in
    /// increasing p, so an element's rounding never depends on the tile shape or on which thread computes it; then
    /// C = acc, or C = C + acc when <paramref name="add"/>. Instantiated only for TR·TNv ≤ 24 (32 vector registers) or
    /// ≤ 12 (16 registers); the JIT drops the rows and columns a given TR, TNv do not use.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Kernel<TR, TNv, TA>(nint kc, T* a, nint aRs, nint aCs, T* b, nint ldb, T* c, nint ldc, bool add)
        where TR : IConst where TNv : IConst where TA : IConst
    {
        nint rs = TA.N == 1 ? 1 : aRs;
        nint cs = TA.N == 1 ? TMr.N : aCs;
        nint lanes = TOps.Lanes;
        TVec c0_0 = TOps.Zero, c1_0 = TOps.Zero, c2_0 = TOps.Zero, c3_0 = TOps.Zero, c4_0 = TOps.Zero, c5_0 = TOps.Zero, c6_0 = TOps.Zero, c7_0 = TOps.Zero, c8_0 = TOps.Zero, c9_0 = TOps.Zero, c10_0 = TOps.Zero, c11_0 = TOps.Zero;
        TVec c0_1 = TOps.Zero, c1_1 = TOps.Zero, c2_1 = TOps.Zero, c3_1 = TOps.Zero, c4_1 = TOps.Zero, c5_1 = TOps.Zero, c6_1 = TOps.Zero, c7_1 = TOps.Zero, c8_1 = TOps.Zero, c9_1 = TOps.Zero, c10_1 = TOps.Zero, c11_1 = TOps.Zero;
        TVec c0_2 = TOps.Zero, c1_2 = TOps.Zero, c2_2 = TOps.Zero, c3_2 = TOps.Zero, c4_2 = TOps.Zero, c5_2 = TOps.Zero, c6_2 = TOps.Zero, c7_2 = TOps.Zero, c8_2 = TOps.Zero, c9_2 = TOps.Zero, c10_2 = TOps.Zero, c11_2 = TOps.Zero;
        TVec c0_3 = TOps.Zero, c1_3 = TOps.Zero, c2_3 = TOps.Zero, c3_3 = TOps.Zero, c4_3 = TOps.Zero, c5_3 = TOps.Zero, c6_3 = TOps.Zero, c7_3 = TOps.Zero, c8_3 = TOps.Zero, c9_3 = TOps.Zero, c10_3 = TOps.Zero, c11_3 = TOps.Zero;
        for (nint p = 0; p < kc; p++)
        {
            TVec b0 = TOps.Load(b);
            TVec b1 = TNv.N > 1 ? TOps.Load(b + lanes) : TOps.Zero;
            TVec b2 = TNv.N > 2 ? TOps.Load(b + 2 * lanes) : TOps.Zero;
            TVec b3 = TNv.N > 3 ? TOps.Load(b + 3 * lanes) : TOps.Zero;
            TVec x;
            x = TOps.Splat(a); c0_0 = TOps.MulAdd(x, b0, c0_0); if (TNv.N > 1) c0_1 = TOps.MulAdd(x, b1, c0_1); if (TNv.N > 2) c0_2 = TOps.MulAdd(x, b2, c0_2); if (TNv.N > 3) c0_3 = TOps.MulAdd(x, b3, c0_3);
            if (TR.N > 1) { x = TOps.Splat(a + rs); c1_0 = TOps.MulAdd(x, b0, c1_0); if (TNv.N > 1) c1_1 = TOps.MulAdd(x, b1, c1_1); if (TNv.N > 2) c1_2 = TOps.MulAdd(x, b2, c1_2); if (TNv.N > 3) c1_3 = TOps.MulAdd(x, b3, c1_3); }
            if (TR.N > 2) { x = TOps.Splat(a + 2 * rs); c2_0 = TOps.MulAdd(x, b0, c2_0); if (TNv.N > 1) c2_1 = TOps.MulAdd(x, b1, c2_1); if (TNv.N > 2) c2_2 = TOps.MulAdd(x, b2, c2_2); if (TNv.N > 3) c2_3 = TOps.MulAdd(x, b3, c2_3); }
            if (TR.N > 3) { x = TOps.Splat(a + 3 * rs); c3_0 = TOps.MulAdd(x, b0, c3_0); if (TNv.N > 1) c3_1 = TOps.MulAdd(x, b1, c3_1); if (TNv.N > 2) c3_2 = TOps.MulAdd(x, b2, c3_2); if (TNv.N > 3) c3_3 = TOps.MulAdd(x, b3, c3_3); }
            if (TR.N > 4) { x = TOps.Splat(a + 4 * rs); c4_0 = TOps.MulAdd(x, b0, c4_0); if (TNv.N > 1) c4_1 = TOps.MulAdd(x, b1, c4_1); if (TNv.N > 2) c4_2 = TOps.MulAdd(x, b2, c4_2); if (TNv.N > 3) c4_3 = TOps.MulAdd(x, b3, c4_3); }
            if (TR.N > 5) { x = TOps.Splat(a + 5 * rs); c5_0 = TOps.MulAdd(x, b0, c5_0); if (TNv.N > 1) c5_1 = TOps.MulAdd(x, b1, c5_1); if (TNv.N > 2) c5_2 = TOps.MulAdd(x, b2, c5_2); if (TNv.N > 3) c5_3 = TOps.MulAdd(x, b3, c5_3); }
            if (TR.N > 6) { x = TOps.Splat(a + 6 * rs); c6_0 = TOps.MulAdd(x, b0, c6_0); if (TNv.N > 1) c6_1 = TOps.MulAdd(x, b1, c6_1); if (TNv.N > 2) c6_2 = TOps.MulAdd(x, b2, c6_2); if (TNv.N > 3) c6_3 = TOps.MulAdd(x, b3, c6_3); }
            if (TR.N > 7) { x = TOps.Splat(a + 7 * rs); c7_0 = TOps.MulAdd(x, b0, c7_0); if (TNv.N > 1) c7_1 = TOps.MulAdd(x, b1, c7_1); if (TNv.N > 2) c7_2 = TOps.MulAdd(x, b2, c7_2); if (TNv.N > 3) c7_3 = TOps.MulAdd(x, b3, c7_3); }
            if (TR.N > 8) { x = TOps.Splat(a + 8 * rs); c8_0 = TOps.MulAdd(x, b0, c8_0); if (TNv.N > 1) c8_1 = TOps.MulAdd(x, b1, c8_1); if (TNv.N > 2) c8_2 = TOps.MulAdd(x, b2, c8_2); if (TNv.N > 3) c8_3 = TOps.MulAdd(x, b3, c8_3); }
            if (TR.N > 9) { x = TOps.Splat(a + 9 * rs); c9_0 = TOps.MulAdd(x, b0, c9_0); if (TNv.N > 1) c9_1 = TOps.MulAdd(x, b1, c9_1); if (TNv.N > 2) c9_2 = TOps.MulAdd(x, b2, c9_2); if (TNv.N > 3) c9_3 = TOps.MulAdd(x, b3, c9_3); }
            if (TR.N > 10) { x = TOps.Splat(a + 10 * rs); c10_0 = TOps.MulAdd(x, b0, c10_0); if (TNv.N > 1) c10_1 = TOps.MulAdd(x, b1, c10_1); if (TNv.N > 2) c10_2 = TOps.MulAdd(x, b2, c10_2); if (TNv.N > 3) c10_3 = TOps.MulAdd(x, b3, c10_3); }
            if (TR.N > 11) { x = TOps.Splat(a + 11 * rs); c11_0 = TOps.MulAdd(x, b0, c11_0); if (TNv.N > 1) c11_1 = TOps.MulAdd(x, b1, c11_1); if (TNv.N > 2) c11_2 = TOps.MulAdd(x, b2, c11_2); if (TNv.N > 3) c11_3 = TOps.MulAdd(x, b3, c11_3); }
            a += cs;
            b += ldb;
        }
        Put<TNv>(c, c0_0, c0_1, c0_2, c0_3, add);
        if (TR.N > 1) Put<TNv>(c + ldc, c1_0, c1_1, c1_2, c1_3, add);
        if (TR.N > 2) Put<TNv>(c + 2 * ldc, c2_0, c2_1, c2_2, c2_3, add);
        if (TR.N > 3) Put<TNv>(c + 3 * ldc, c3_0, c3_1, c3_2, c3_3, add);
        if (TR.N > 4) Put<TNv>(c + 4 * ldc, c4_0, c4_1, c4_2, c4_3, add);
        if (TR.N > 5) Put<TNv>(c + 5 * ldc, c5_0, c5_1, c5_2, c5_3, add);
        if (TR.N > 6) Put<TNv>(c + 6 * ldc, c6_0, c6_1, c6_2, c6_3, add);
        if (TR.N > 7) Put<TNv>(c + 7 * ldc, c7_0, c7_1, c7_2, c7_3, add);
        if (TR.N > 8) Put<TNv>(c + 8 * ldc, c8_0, c8_1, c8_2, c8_3, add);
        if (TR.N > 9) Put<TNv>(c + 9 * ldc, c9_0, c9_1, c9_2, c9_3, add);
        if (TR.N > 10) Put<TNv>(c + 10 * ldc, c10_0, c10_1, c10_2, c10_3, add);
        if (TR.N > 11) Put<TNv>(c + 11 * ldc, c11_0, c11_1, c11_2, c11_3, add);
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
