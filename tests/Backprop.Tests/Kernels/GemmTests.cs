using System.Numerics;
using Backprop.Kernels;

namespace Backprop.Tests.Kernels;

/// <summary>
/// The blocked, packed, multi-threaded GEMM against a naive triple loop in double, for every transposition, with and
/// without accumulation, over shapes that hit every edge of the blocking (1, 7, 17, 33, 65, 257, k = 0, more rows than
/// one row block, deeper than one depth block); and bit-for-bit determinism across thread counts.
/// </summary>
// MaxThreads is global: tests that change it must not run beside each other.
[Collection(nameof(GemmThreadsCollection))]
public class GemmTests
{
    public static readonly TheoryData<int, int, int> Shapes = new()
    {
        { 1, 1, 1 }, { 1, 1, 0 }, { 7, 17, 0 }, { 0, 5, 3 }, { 5, 0, 3 },
        { 1, 7, 17 }, { 7, 1, 33 }, { 17, 33, 1 }, { 33, 65, 7 }, { 65, 17, 257 }, { 257, 33, 65 }, { 7, 257, 17 },
        { 1, 257, 65 }, { 257, 1, 33 }, { 65, 65, 65 }, { 2, 2, 2 }, { 12, 32, 5 }, { 13, 33, 300 }, { 6, 16, 600 },
        { 3, 4100, 5 }, { 200, 3, 1 }, { 1, 784, 128 }, { 32, 128, 784 }, { 128, 10, 256 }, { 16, 25, 784 },
        { 4, 100, 40 }, { 40, 100, 4 }, { 100, 40, 40 }, { 70, 50, 800 }, { 70, 2100, 3 }, { 150, 20, 70 },
    };

    public static IEnumerable<object[]> RandomShapes()
    {
        var rng = new Random(20240611);
        for (int i = 0; i < 12; i++) yield return [rng.Next(1, 90), rng.Next(1, 90), rng.Next(0, 300)];
    }

    private static T[] Random<T>(Random rng, int length) where T : IFloatingPointIeee754<T>
    {
        var x = new T[length];
        for (int i = 0; i < length; i++) x[i] = T.CreateChecked(rng.NextDouble() * 2 - 1);
        return x;
    }

    /// <summary>
    /// Checks c against the naive product in double: |c − ref| ≤ 2(k + 2)·u·(Σ_p |op(A)[i,p]|·|op(B)[p,j]| + |c0|),
    /// the classical bound for a sum of k products (u = unit roundoff of T), doubled for the double reference's own error.
    /// </summary>
    private static void Check<T>(int m, int n, int k, bool transA, bool transB, bool accumulate, double unit)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var rng = new Random(m * 1_000_003 + n * 1009 + k * 17 + (transA ? 1 : 0) + (transB ? 2 : 0) + (accumulate ? 4 : 0));
        T[] a = Random<T>(rng, m * k), b = Random<T>(rng, k * n), c0 = Random<T>(rng, m * n);
        var c = (T[])c0.Clone();
        Gemm.Multiply<T>(a, transA, b, transB, c, m, n, k, accumulate);
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
            {
                double sum = accumulate ? double.CreateChecked(c0[i * n + j]) : 0, mag = accumulate ? Math.Abs(sum) : 0;
                for (int p = 0; p < k; p++)
                {
                    double x = double.CreateChecked(transA ? a[p * m + i] : a[i * k + p]);
                    double y = double.CreateChecked(transB ? b[j * k + p] : b[p * n + j]);
                    sum += x * y;
                    mag += Math.Abs(x * y);
                }
                double got = double.CreateChecked(c[i * n + j]), tol = 2 * (k + 2) * unit * mag;
                Assert.True(Math.Abs(got - sum) <= tol,
                    $"m={m} n={n} k={k} transA={transA} transB={transB} acc={accumulate}: C[{i},{j}] = {got:R}, expected {sum:R} ± {tol:R}");
            }
    }

    private static void AllCases<T>(int m, int n, int k, double unit) where T : unmanaged, IFloatingPointIeee754<T>
    {
        foreach (bool transA in new[] { false, true })
            foreach (bool transB in new[] { false, true })
                foreach (bool accumulate in new[] { false, true })
                    Check<T>(m, n, k, transA, transB, accumulate, unit);
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    [MemberData(nameof(RandomShapes))]
    public void Float_matches_the_naive_product(int m, int n, int k) => AllCases<float>(m, n, k, Math.ScaleB(1, -24));

    [Theory]
    [MemberData(nameof(Shapes))]
    [MemberData(nameof(RandomShapes))]
    public void Double_matches_the_naive_product(int m, int n, int k) => AllCases<double>(m, n, k, Math.ScaleB(1, -53));

    [Fact]
    public void Other_element_types_use_the_simple_loops()
    {
        Half[] a = [(Half)1, (Half)2, (Half)3, (Half)4], b = [(Half)5, (Half)6, (Half)7, (Half)8], c = new Half[4];
        Gemm.Multiply<Half>(a, false, b, false, c, 2, 2, 2, false);
        Assert.Equal([(Half)19, (Half)22, (Half)43, (Half)50], c);
    }

    [Fact]
    public void Zero_depth_clears_or_keeps_C()
    {
        float[] c = [1, 2, 3, 4, 5, 6];
        Gemm.Multiply<float>([], false, [], false, c, 2, 3, 0, accumulate: true);
        Assert.Equal([1f, 2, 3, 4, 5, 6], c);
        Gemm.Multiply<float>([], true, [], true, c, 2, 3, 0, accumulate: false);
        Assert.All(c, x => Assert.Equal(0f, x));
    }

    [Fact]
    public void Spans_too_small_are_rejected()
    {
        Assert.Throws<ArgumentException>(() => Gemm.Multiply<double>(new double[5], false, new double[6], false, new double[4], 2, 2, 3, false));
        Assert.Throws<ArgumentOutOfRangeException>(() => Gemm.Multiply<double>(new double[5], false, new double[6], false, new double[4], -1, 2, 3, false));
    }

    [Fact]
    public void Only_the_first_m_times_n_elements_of_C_are_written()
    {
        double[] c = [9, 9, 9, 9, 9, 9, 9];
        Gemm.Multiply<double>([1, 2, 3, 4], false, [1, 0, 0, 1], false, c, 2, 2, 2, false);
        Assert.Equal([1.0, 2, 3, 4, 9, 9, 9], c);
    }

    public static readonly TheoryData<int, int, int> BigShapes = new()
    {
        { 257, 129, 65 }, { 100, 300, 50 }, { 33, 1000, 40 }, { 1000, 33, 40 }, { 130, 130, 600 }, { 12, 2000, 70 }, { 600, 20, 100 }, { 3, 3000, 200 },
    };

    private static void Deterministic<T>(int m, int n, int k) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var rng = new Random(m + 7 * n + 31 * k);
        T[] a = Random<T>(rng, m * k), b = Random<T>(rng, k * n), c0 = Random<T>(rng, m * n);
        int saved = Gemm.MaxThreads;
        try
        {
            foreach (bool transA in new[] { false, true })
                foreach (bool transB in new[] { false, true })
                    foreach (bool accumulate in new[] { false, true })
                    {
                        T[]? first = null;
                        foreach (int threads in new[] { 1, Environment.ProcessorCount, 2, 3, 7 })
                        {
                            Gemm.MaxThreads = threads;
                            var c = (T[])c0.Clone();
                            Gemm.Multiply<T>(a, transA, b, transB, c, m, n, k, accumulate);
                            if (first is null) first = c;
                            else
                                for (int i = 0; i < c.Length; i++)
                                    Assert.True(first[i].Equals(c[i]),
                                        $"threads={threads} transA={transA} transB={transB} acc={accumulate}: C[{i}] = {c[i]:R}, one thread gave {first[i]:R}");
                        }
                    }
        }
        finally
        {
            Gemm.MaxThreads = saved;
        }
    }

    [Theory]
    [MemberData(nameof(BigShapes))]
    public void Float_is_bit_identical_for_any_thread_count(int m, int n, int k) => Deterministic<float>(m, n, k);

    [Theory]
    [MemberData(nameof(BigShapes))]
    public void Double_is_bit_identical_for_any_thread_count(int m, int n, int k) => Deterministic<double>(m, n, k);

    [Fact]
    public void Max_threads_is_at_least_one()
    {
        int saved = Gemm.MaxThreads;
        try
        {
            Gemm.MaxThreads = 0;
            Assert.Equal(1, Gemm.MaxThreads);
        }
        finally
        {
            Gemm.MaxThreads = saved;
        }
    }
}

[CollectionDefinition(nameof(GemmThreadsCollection), DisableParallelization = true)]
public class GemmThreadsCollection;
