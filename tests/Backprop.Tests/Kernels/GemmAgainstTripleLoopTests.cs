using System.Globalization;
using System.Numerics;
using Backprop.Kernels;
using Backprop.Tests.Support;
using CsCheck;

namespace Backprop.Tests.Kernels;

public class GemmAgainstTripleLoopTests
{
    /// <summary>A random product: sizes up to 19 (past every SIMD width, with ragged remainders), both transposes, accumulate or not.</summary>
    public sealed record Case(int M, int N, int K, bool TransA, bool TransB, bool Accumulate, double[] A, double[] B, double[] C)
    {
        public override string ToString() => string.Create(CultureInfo.InvariantCulture,
            $"m {M}, n {N}, k {K}, transA {TransA}, transB {TransB}, accumulate {Accumulate}\n  A = {Values.Format(A)}\n  B = {Values.Format(B)}\n  C = {Values.Format(C)}");
    }

    /// <summary>C has four spare elements past m·n, which GEMM must leave alone.</summary>
    private const int Spare = 4;

    private static readonly Gen<Case> Cases =
        from m in Gen.Int[1, 19]
        from n in Gen.Int[1, 19]
        from k in Gen.Int[0, 19]
        from transA in Gen.Bool
        from transB in Gen.Bool
        from accumulate in Gen.Bool
        from a in LayerGens.Value.Array[m * k]
        from b in LayerGens.Value.Array[k * n]
        from c in LayerGens.Value.Array[m * n + Spare]
        select new Case(m, n, k, transA, transB, accumulate, a, b, c);

    /// <summary>
    /// The triple loop, reading A as op(A)[i, p] = transA ? A[p, i] : A[i, p] (A stored k×m or m×k) and likewise B;
    /// also returns Σ_p |op(A)[i, p]·op(B)[p, j]| + |C0[i, j]| for the rounding bound.
    /// </summary>
    private static (double[] Expected, double[] Magnitude) TripleLoop(Case c)
    {
        var expected = (double[])c.C.Clone();
        var magnitude = new double[c.C.Length];
        for (int i = 0; i < c.M; i++)
            for (int j = 0; j < c.N; j++)
            {
                double sum = c.Accumulate ? c.C[i * c.N + j] : 0, abs = Math.Abs(sum);
                for (int p = 0; p < c.K; p++)
                {
                    double a = c.TransA ? c.A[p * c.M + i] : c.A[i * c.K + p];
                    double b = c.TransB ? c.B[j * c.K + p] : c.B[p * c.N + j];
                    sum += a * b;
                    abs += Math.Abs(a * b);
                }
                expected[i * c.N + j] = sum;
                magnitude[i * c.N + j] = abs;
            }
        return (expected, magnitude);
    }

    /// <summary>
    /// Runs GEMM in precision T on the case's numbers (rounded to T first) and compares with the triple loop on the
    /// same numbers, allowing the classic bound for a sum of k + 1 terms in any order: (k + 2)·u·Σ|terms|, u = 2^-p,
    /// plus (k + 2) times the smallest subnormal for products that underflow.
    /// The spare elements of C must come back bit for bit.
    /// </summary>
    private static void Check<T>(Case original, double unitRoundoff) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var c = original with
        {
            A = original.A.Select(v => double.CreateChecked(T.CreateChecked(v))).ToArray(),
            B = original.B.Select(v => double.CreateChecked(T.CreateChecked(v))).ToArray(),
            C = original.C.Select(v => double.CreateChecked(T.CreateChecked(v))).ToArray(),
        };
        T[] a = c.A.Select(T.CreateChecked).ToArray(), b = c.B.Select(T.CreateChecked).ToArray(), result = c.C.Select(T.CreateChecked).ToArray();
        Gemm.Multiply<T>(a, c.TransA, b, c.TransB, result, c.M, c.N, c.K, c.Accumulate);

        var (expected, magnitude) = TripleLoop(c);
        for (int i = 0; i < c.M * c.N; i++)
        {
            double actual = double.CreateChecked(result[i]), bound = (c.K + 2) * (unitRoundoff * magnitude[i] + double.CreateChecked(T.Epsilon));
            if (!(Math.Abs(actual - expected[i]) <= bound))
                Assert.Fail(string.Create(CultureInfo.InvariantCulture, $"{typeof(T).Name} C[{i}]: got {actual:R}, triple loop {expected[i]:R}, bound {bound:E2}\n{c}"));
        }
        for (int i = c.M * c.N; i < c.C.Length; i++) Assert.Equal(c.C[i], double.CreateChecked(result[i]));
    }

    [Fact]
    public void Double_matches_the_triple_loop_for_every_transpose_and_accumulate_mode() =>
        Cases.Sample(c => Check<double>(c, Math.ScaleB(1.0, -53)), iter: 300);

    [Fact]
    public void Float_matches_the_triple_loop_for_every_transpose_and_accumulate_mode() =>
        Cases.Sample(c => Check<float>(c, Math.ScaleB(1.0, -24)), iter: 300);

    [Theory]
    [InlineData(false, false)]
    [InlineData(false, true)]
    [InlineData(true, false)]
    [InlineData(true, true)]
    public void Two_by_three_times_three_by_two_by_hand(bool transA, bool transB)
    {
        // op(A) = [[1, 2, 3], [4, 5, 6]], op(B) = [[7, 8], [9, 10], [11, 12]]: op(A)·op(B) = [[58, 64], [139, 154]].
        double[] a = transA ? [1, 4, 2, 5, 3, 6] : [1, 2, 3, 4, 5, 6];
        double[] b = transB ? [7, 9, 11, 8, 10, 12] : [7, 8, 9, 10, 11, 12];
        double[] c = [1, 1, 1, 1];
        Gemm.Multiply<double>(a, transA, b, transB, c, 2, 2, 3, accumulate: true);
        Assert.Equal([59, 65, 140, 155], c);
        Gemm.Multiply<double>(a, transA, b, transB, c, 2, 2, 3, accumulate: false);
        Assert.Equal([58, 64, 139, 154], c);
    }

    [Fact]
    public void Empty_inner_dimension_gives_zero_or_leaves_C()
    {
        double[] c = [3, 4];
        Gemm.Multiply<double>([], false, [], false, c, 1, 2, 0, accumulate: true);
        Assert.Equal([3.0, 4], c);
        Gemm.Multiply<double>([], false, [], false, c, 1, 2, 0, accumulate: false);
        Assert.Equal([0.0, 0], c);
    }

    [Fact]
    public void Spans_that_are_too_small_are_rejected()
    {
        Assert.Throws<ArgumentException>(() => Gemm.Multiply<double>(new double[5], false, new double[6], false, new double[4], 2, 2, 3, false));
        Assert.Throws<ArgumentException>(() => Gemm.Multiply<double>(new double[6], false, new double[5], false, new double[4], 2, 2, 3, false));
        Assert.Throws<ArgumentException>(() => Gemm.Multiply<double>(new double[6], false, new double[6], false, new double[3], 2, 2, 3, false));
    }
}
