using System.Runtime.CompilerServices;

namespace Backprop.Kernels;

/// <summary>Scalar pieces of the GEMM for float and double, rounding exactly as the vector kernels do.</summary>
internal static unsafe class GemmScalar<T> where T : unmanaged
{
    /// <summary>Products of at most this many multiply-adds take <see cref="Tiny"/>: nothing to gain from vectors.</summary>
    public const long TinyWork = 256;

    /// <summary>
    /// Plain loops for the tiniest products (k ≤ 256, within one depth block of the kernels): per element, the
    /// kernels' own chain, an accumulator from zero with one multiply-add per p in increasing p, then added to C.
    /// </summary>
    public static void Tiny(T* a, bool transA, T* b, bool transB, T* c, int m, int n, int k, bool accumulate)
    {
        nint aRow = transA ? 1 : k, aStep = transA ? m : 1, bCol = transB ? k : 1, bStep = transB ? 1 : n;
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
            {
                T* x = a + i * aRow, y = b + j * bCol;
                T acc = default;
                for (int p = 0; p < k; p++, x += aStep, y += bStep) acc = MulAdd(*x, *y, acc);
                T* cij = c + (nint)i * n + j;
                *cij = accumulate ? Add(*cij, acc) : acc;
            }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T Add(T x, T y)
    {
        if (typeof(T) == typeof(float)) { float r = Unsafe.As<T, float>(ref x) + Unsafe.As<T, float>(ref y); return Unsafe.As<float, T>(ref r); }
        double d = Unsafe.As<T, double>(ref x) + Unsafe.As<T, double>(ref y);
        return Unsafe.As<double, T>(ref d);
    }

    /// <summary>x·y + z, rounded as the vector kernels round it (fused where the hardware has FMA).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T MulAdd(T x, T y, T z)
    {
        if (typeof(T) == typeof(float))
        {
            float fx = Unsafe.As<T, float>(ref x), fy = Unsafe.As<T, float>(ref y), fz = Unsafe.As<T, float>(ref z);
            float r = Hardware.FusedMultiplyAdd ? MathF.FusedMultiplyAdd(fx, fy, fz) : fx * fy + fz;
            return Unsafe.As<float, T>(ref r);
        }
        double dx = Unsafe.As<T, double>(ref x), dy = Unsafe.As<T, double>(ref y), dz = Unsafe.As<T, double>(ref z);
        double d = Hardware.FusedMultiplyAdd ? Math.FusedMultiplyAdd(dx, dy, dz) : dx * dy + dz;
        return Unsafe.As<double, T>(ref d);
    }
}
