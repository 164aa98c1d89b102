using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Backprop.Kernels;

/// <summary>
/// General matrix multiply on row-major spans: C (m×n) = op(A)·op(B), or C += op(A)·op(B) when accumulating.
/// op(A) is m×k (A stored k×m when <c>transA</c>), op(B) is k×n (B stored n×k when <c>transB</c>), so backward
/// passes use the transposes without materialising them. The summation order depends only on the shapes,
/// never on timing or on the number of threads, so results are reproducible bit for bit.
/// </summary>
/// <remarks>
/// float and double run a cache-blocked kernel on packed panels with register-blocked fused multiply-adds (512-, 256-
/// or 128-bit vectors, whichever the machine accelerates), with unpacked variants where packing does not pay (few
/// rows, narrow B) and plain loops for the tiniest products; large products are split over up to
/// <see cref="MaxThreads"/> threads (the <see cref="WorkerPool"/>'s) by blocks of rows or columns of C, never along k. Other element types use simple
/// loops. See GemmCore for the details and bench/Backprop.Benchmarks for the measurements.
/// </remarks>
public static class Gemm
{
    /// <summary>
    /// Most threads one product may use: the same setting as <see cref="WorkerPool.MaxThreads"/>, which every
    /// kernel obeys. It changes speed only: results are bit-identical for any value.
    /// </summary>
    public static int MaxThreads
    {
        get => WorkerPool.MaxThreads;
        set => WorkerPool.MaxThreads = value;
    }

    public static unsafe void Multiply<T>(
        ReadOnlySpan<T> a, bool transA, ReadOnlySpan<T> b, bool transB, Span<T> c,
        int m, int n, int k, bool accumulate)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (m < 0 || n < 0 || k < 0)
            throw new ArgumentOutOfRangeException(nameof(m), $"GEMM sizes must not be negative: m={m}, n={n}, k={k}");
        if (a.Length < (long)m * k || b.Length < (long)k * n || c.Length < (long)m * n)
            throw new ArgumentException($"GEMM spans too small for m={m}, n={n}, k={k}");

        if (typeof(T) == typeof(float) || typeof(T) == typeof(double))
        {
            long work = (long)m * n * k;
            fixed (T* pa = a, pb = b, pc = c)
            {
                if (work > 0 && work <= GemmScalar<T>.TinyWork)
                    GemmScalar<T>.Tiny(pa, transA, pb, transB, pc, m, n, k, accumulate);
                else if (typeof(T) == typeof(float))
                    MultiplyFloat((float*)pa, transA, (float*)pb, transB, (float*)pc, m, n, k, accumulate);
                else
                    MultiplyDouble((double*)pa, transA, (double*)pb, transB, (double*)pc, m, n, k, accumulate);
            }
        }
        else
        {
            Simple(a, transA, b, transB, c, m, n, k, accumulate);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void MultiplyFloat(float* a, bool transA, float* b, bool transB, float* c, int m, int n, int k, bool accumulate)
    {
        if (Vector512.IsHardwareAccelerated)
            GemmCore<float, Vector512<float>, F512, N12>.Run(a, transA, b, transB, c, m, n, k, accumulate);
        else if (Vector256.IsHardwareAccelerated)
            GemmCore<float, Vector256<float>, F256, N6>.Run(a, transA, b, transB, c, m, n, k, accumulate);
        else if (Vector128.IsHardwareAccelerated)
            GemmCore<float, Vector128<float>, F128, N6>.Run(a, transA, b, transB, c, m, n, k, accumulate);
        else
            Simple(new ReadOnlySpan<float>(a, m * k), transA, new ReadOnlySpan<float>(b, k * n), transB, new Span<float>(c, m * n), m, n, k, accumulate);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void MultiplyDouble(double* a, bool transA, double* b, bool transB, double* c, int m, int n, int k, bool accumulate)
    {
        if (Vector512.IsHardwareAccelerated)
            GemmCore<double, Vector512<double>, D512, N12>.Run(a, transA, b, transB, c, m, n, k, accumulate);
        else if (Vector256.IsHardwareAccelerated)
            GemmCore<double, Vector256<double>, D256, N6>.Run(a, transA, b, transB, c, m, n, k, accumulate);
        else if (Vector128.IsHardwareAccelerated)
            GemmCore<double, Vector128<double>, D128, N6>.Run(a, transA, b, transB, c, m, n, k, accumulate);
        else
            Simple(new ReadOnlySpan<double>(a, m * k), transA, new ReadOnlySpan<double>(b, k * n), transB, new Span<double>(c, m * n), m, n, k, accumulate);
    }

    /// <summary>The straightforward loops: the fallback for other element types, and the baseline the benchmark compares with.</summary>
    internal static void Simple<T>(
        ReadOnlySpan<T> a, bool transA, ReadOnlySpan<T> b, bool transB, Span<T> c,
        int m, int n, int k, bool accumulate)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (!accumulate) c[..(m * n)].Clear();

        if (!transA && !transB)
        {
            // C[i,:] += A[i,p] * B[p,:]: the inner loop runs along contiguous rows of B and C.
            for (int i = 0; i < m; i++)
            {
                Span<T> cRow = c.Slice(i * n, n);
                for (int p = 0; p < k; p++)
                    TensorPrimitives.MultiplyAdd(b.Slice(p * n, n), a[i * k + p], cRow, cRow);
            }
        }
        else if (!transA && transB)
        {
            // C[i,j] += A[i,:]·B[j,:]: both rows contiguous.
            for (int i = 0; i < m; i++)
            {
                ReadOnlySpan<T> aRow = a.Slice(i * k, k);
                for (int j = 0; j < n; j++)
                    c[i * n + j] += TensorPrimitives.Dot(aRow, b.Slice(j * k, k));
            }
        }
        else if (transA && !transB)
        {
            // C[i,:] += A[p,i] * B[p,:], with p outermost so that A and B are read row by row.
            for (int p = 0; p < k; p++)
            {
                ReadOnlySpan<T> bRow = b.Slice(p * n, n);
                for (int i = 0; i < m; i++)
                {
                    Span<T> cRow = c.Slice(i * n, n);
                    TensorPrimitives.MultiplyAdd(bRow, a[p * m + i], cRow, cRow);
                }
            }
        }
        else
        {
            for (int i = 0; i < m; i++)
                for (int j = 0; j < n; j++)
                {
                    T sum = T.Zero;
                    for (int p = 0; p < k; p++) sum += a[p * m + i] * b[j * k + p];
                    c[i * n + j] += sum;
                }
        }
    }
}
