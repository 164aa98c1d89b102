using System.Globalization;
using Backprop.Kernels;
using Backprop.Tests.Support;
using CsCheck;

namespace Backprop.Tests.Kernels;

/// <summary>
/// The pooling kernel (threads, the unrolled 2×2 path and its AVX blocks) against its naive twin, bit for bit, forward
/// and backward, in both precisions, with ties, NaNs and infinities among the inputs.
/// </summary>
public class PoolingTests
{
    public sealed record Case(WindowGeometry G, bool Max, int Planes, float[] X, float[] Dy)
    {
        public override string ToString() => string.Create(CultureInfo.InvariantCulture,
            $"{(Max ? "max" : "avg")} {G}, {Planes} planes\n  x = [{string.Join(", ", X)}]\n  dy = [{string.Join(", ", Dy)}]");
    }

    // Values on a coarse grid so that windows often tie; now and then a NaN or an infinity.
    private static readonly Gen<float> Element = Gen.Frequency(
        (20, Gen.Int[-4, 4].Select(i => i * 0.5f)),
        (1, Gen.Const(float.NaN)),
        (1, Gen.OneOfConst(float.PositiveInfinity, float.NegativeInfinity)));

    private static readonly Gen<Case> Cases =
        from max in Gen.Bool
        from square in Gen.Int[0, 2]
        from kh in Gen.Int[1, 3]
        from kw in Gen.Int[1, 3]
        from sh in Gen.Int[1, 3]
        from sw in Gen.Int[1, 3]
        from extraH in Gen.Int[0, 5]
        from extraW in Gen.Int[0, 40] // wide rows reach the 8- and 4-window AVX blocks of the 2×2 path
        from planes in Gen.Int[1, 40]
        // a third of the cases use the 2×2, stride 2 window that has its own fast path
        let k = square == 0 ? (2, 2, 2, 2) : (kh, kw, sh, sw)
        let g = new WindowGeometry(1, k.Item1 + extraH, k.Item2 + extraW, k.Item1, k.Item2, k.Item3, k.Item4, 0, 0)
        from x in Element.Array[planes * g.Height * g.Width]
        from dy in Gen.Int[-4, 4].Select(i => i * 0.25f).Array[planes * g.OutPixels]
        select new Case(g, max, planes, x, dy);

    [Fact]
    public void Float32_kernel_equals_its_naive_twin_bit_for_bit() => Cases.Sample(c => Check(c, c.X, c.Dy), iter: 300);

    [Fact]
    public void Float64_kernel_equals_its_naive_twin_bit_for_bit() =>
        Cases.Sample(c => Check(c, c.X.Select(v => (double)v).ToArray(), c.Dy.Select(v => (double)v).ToArray()), iter: 150);

    private static void Check<T>(Case c, T[] x, T[] dy) where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        var g = c.G;
        var kernel = new Pooling<T>(g, c.Max);
        var y = new T[c.Planes * g.OutPixels];
        var dx = new T[x.Length];
        dx.AsSpan().Fill(T.One); // Backward overwrites dx
        kernel.Forward(x, y, c.Planes);
        kernel.Backward(dy, dx, c.Planes);
        var yNaive = new T[y.Length];
        var dxNaive = new T[dx.Length];
        Pooling<T>.NaiveForward(g, c.Max, x, yNaive, c.Planes, dy, dxNaive);
        for (int i = 0; i < y.Length; i++)
            Assert.True(y[i].Equals(yNaive[i]), $"y[{i}] = {y[i]}, naive {yNaive[i]}");
        for (int i = 0; i < dx.Length; i++)
            Assert.True(dx[i].Equals(dxNaive[i]), $"dx[{i}] = {dx[i]}, naive {dxNaive[i]}");
    }

    [Fact]
    public void A_NaN_in_a_window_is_its_maximum_and_takes_the_gradient()
    {
        var g = new WindowGeometry(1, 2, 2, 2, 2, 2, 2, 0, 0);
        var kernel = new Pooling<float>(g, max: true);
        var y = new float[1];
        var dx = new float[4];
        kernel.Forward([1f, float.NaN, 3f, 2f], y, 1);
        kernel.Backward([5f], dx, 1);
        Assert.True(float.IsNaN(y[0]));
        Assert.Equal([0f, 5f, 0f, 0f], dx);
    }
}
