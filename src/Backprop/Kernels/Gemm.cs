using System.Numerics;
using System.Numerics.Tensors;

namespace Backprop.Kernels;

/// <summary>
/// General matrix multiply on row-major spans: C (m×n) = op(A)·op(B), or C += op(A)·op(B) when accumulating.
/// op(A) is m×k (A stored k×m when <c>transA</c>), op(B) is k×n (B stored n×k when <c>transB</c>), so backward
/// passes use the transposes without materialising them. The summation order depends only on the shapes,
/// never on timing, so results are reproducible bit for bit.
/// </summary>
public static class Gemm
{
    public static void Multiply<T>(
        ReadOnlySpan<T> a, bool transA, ReadOnlySpan<T> b, bool transB, Span<T> c,
        int m, int n, int k, bool accumulate)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (a.Length < m * k || b.Length < k * n || c.Length < m * n)
            throw new ArgumentException($"GEMM spans too small for m={m}, n={n}, k={k}");
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
