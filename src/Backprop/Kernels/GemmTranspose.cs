using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Backprop.Kernels;

/// <summary>
/// The transposing copies of GEMM packing, dst[p·ds + r] = src[r·ld + p] for r &lt; rows, p &lt; cols, done in 8×8 (float)
/// or 4×4 (double) register transposes where AVX is there, element by element otherwise. Pure data movement: no
/// rounding, so the path taken never changes a result.
/// </summary>
internal static unsafe class GemmTranspose
{
    public static void Run<T>(T* src, nint ld, int rows, int cols, T* dst, nint ds) where T : unmanaged
    {
        int r = 0;
        if (typeof(T) == typeof(float))
        {
            float* s = (float*)src, d = (float*)dst;
            if (Avx.IsSupported)
                for (; r + 8 <= rows; r += 8) Rows8(s + r * ld, ld, cols, d + r, ds);
            if (Sse.IsSupported)
                for (; r + 4 <= rows; r += 4) Rows4(s + r * ld, ld, cols, d + r, ds);
        }
        else if (typeof(T) == typeof(double) && Avx.IsSupported)
        {
            double* s = (double*)src, d = (double*)dst;
            for (; r + 4 <= rows; r += 4) Rows4(s + r * ld, ld, cols, d + r, ds);
        }
        for (; r < rows; r++)
        {
            T* s = src + r * ld, d = dst + r;
            for (int p = 0; p < cols; p++) d[p * ds] = s[p];
        }
    }

    private static void Rows8(float* s, nint ld, int cols, float* d, nint ds)
    {
        int p = 0;
        for (; p + 8 <= cols; p += 8, s += 8, d += 8 * ds)
        {
            Vector256<float> r0 = Avx.LoadVector256(s), r1 = Avx.LoadVector256(s + ld), r2 = Avx.LoadVector256(s + 2 * ld),
                r3 = Avx.LoadVector256(s + 3 * ld), r4 = Avx.LoadVector256(s + 4 * ld), r5 = Avx.LoadVector256(s + 5 * ld),
                r6 = Avx.LoadVector256(s + 6 * ld), r7 = Avx.LoadVector256(s + 7 * ld);
            Vector256<float> t0 = Avx.UnpackLow(r0, r1), t1 = Avx.UnpackHigh(r0, r1), t2 = Avx.UnpackLow(r2, r3), t3 = Avx.UnpackHigh(r2, r3),
                t4 = Avx.UnpackLow(r4, r5), t5 = Avx.UnpackHigh(r4, r5), t6 = Avx.UnpackLow(r6, r7), t7 = Avx.UnpackHigh(r6, r7);
            Vector256<float> u0 = Avx.Shuffle(t0, t2, 0x44), u1 = Avx.Shuffle(t0, t2, 0xEE), u2 = Avx.Shuffle(t1, t3, 0x44), u3 = Avx.Shuffle(t1, t3, 0xEE),
                u4 = Avx.Shuffle(t4, t6, 0x44), u5 = Avx.Shuffle(t4, t6, 0xEE), u6 = Avx.Shuffle(t5, t7, 0x44), u7 = Avx.Shuffle(t5, t7, 0xEE);
            Avx.Store(d, Avx.Permute2x128(u0, u4, 0x20));
            Avx.Store(d + ds, Avx.Permute2x128(u1, u5, 0x20));
            Avx.Store(d + 2 * ds, Avx.Permute2x128(u2, u6, 0x20));
            Avx.Store(d + 3 * ds, Avx.Permute2x128(u3, u7, 0x20));
            Avx.Store(d + 4 * ds, Avx.Permute2x128(u0, u4, 0x31));
            Avx.Store(d + 5 * ds, Avx.Permute2x128(u1, u5, 0x31));
            Avx.Store(d + 6 * ds, Avx.Permute2x128(u2, u6, 0x31));
            Avx.Store(d + 7 * ds, Avx.Permute2x128(u3, u7, 0x31));
        }
        for (; p < cols; p++, s++, d += ds)
            for (int r = 0; r < 8; r++) d[r] = s[r * ld];
    }

    private static void Rows4(float* s, nint ld, int cols, float* d, nint ds)
    {
        int p = 0;
        for (; p + 4 <= cols; p += 4, s += 4, d += 4 * ds)
        {
            Vector128<float> r0 = Sse.LoadVector128(s), r1 = Sse.LoadVector128(s + ld), r2 = Sse.LoadVector128(s + 2 * ld), r3 = Sse.LoadVector128(s + 3 * ld);
            Vector128<float> t0 = Sse.UnpackLow(r0, r1), t1 = Sse.UnpackHigh(r0, r1), t2 = Sse.UnpackLow(r2, r3), t3 = Sse.UnpackHigh(r2, r3);
            Sse.Store(d, Sse.MoveLowToHigh(t0, t2));
            Sse.Store(d + ds, Sse.MoveHighToLow(t2, t0));
            Sse.Store(d + 2 * ds, Sse.MoveLowToHigh(t1, t3));
            Sse.Store(d + 3 * ds, Sse.MoveHighToLow(t3, t1));
        }
        for (; p < cols; p++, s++, d += ds)
            for (int r = 0; r < 4; r++) d[r] = s[r * ld];
    }

    private static void Rows4(double* s, nint ld, int cols, double* d, nint ds)
    {
        int p = 0;
        for (; p + 4 <= cols; p += 4, s += 4, d += 4 * ds)
        {
            Vector256<double> r0 = Avx.LoadVector256(s), r1 = Avx.LoadVector256(s + ld), r2 = Avx.LoadVector256(s + 2 * ld), r3 = Avx.LoadVector256(s + 3 * ld);
            Vector256<double> t0 = Avx.UnpackLow(r0, r1), t1 = Avx.UnpackHigh(r0, r1), t2 = Avx.UnpackLow(r2, r3), t3 = Avx.UnpackHigh(r2, r3);
            Avx.Store(d, Avx.Permute2x128(t0, t2, 0x20));
            Avx.Store(d + ds, Avx.Permute2x128(t1, t3, 0x20));
            Avx.Store(d + 2 * ds, Avx.Permute2x128(t0, t2, 0x31));
            Avx.Store(d + 3 * ds, Avx.Permute2x128(t1, t3, 0x31));
        }
        for (; p < cols; p++, s++, d += ds)
            for (int r = 0; r < 4; r++) d[r] = s[r * ld];
    }
}
