namespace Backprop.Tests.Numerics;

public class SpecialFunctionsTests
{
    // Two ulps leaves room for fdlibm's own error (erfc reaches about 2.5 ulps near x = 4.3) and for the reference
    // itself, which is rounded by another libm rather than correctly; a wrong coefficient or branch is off by far more.
    private const int MaxUlps = 2;

    // References are repr() of CPython 3.11's math.erf / math.erfc (glibc 2.36 on x86-64), so every digit is the
    // exact double. Each was also checked against mpmath at 200 bits: all are within 1 ulp of the true value.
    // 2.857142448425293 lies in the sliver [2.8571415, 2.8571434) where fdlibm's erf and erfc switch fits at
    // slightly different points; 5e-324 takes erf's subnormal path, and erfc(27) is itself subnormal.
    [Theory]
    [InlineData(5e-324, 5e-324)]
    [InlineData(-1e-300, -1.1283791670955126e-300)]
    [InlineData(1e-10, 1.1283791670955126e-10)]
    [InlineData(0.1, 0.1124629160182849)]
    [InlineData(-0.25, -0.2763263901682369)]
    [InlineData(0.5, 0.5204998778130465)]
    [InlineData(0.84375, 0.7672256612323416)]
    [InlineData(1.0, 0.8427007929497149)]
    [InlineData(1.25, 0.9229001282564582)]
    [InlineData(-1.5, -0.9661051464753108)]
    [InlineData(2.0, 0.9953222650189527)]
    [InlineData(2.857142448425293, 0.9999466875572048)]
    [InlineData(3.5, 0.9999992569016276)]
    [InlineData(-4.0, -0.9999999845827421)]
    [InlineData(5.9, 0.9999999999999999)]
    [InlineData(6.0, 1.0)]
    public void Erf_matches_reference_values(double x, double expected)
    {
        AssertWithinUlps(expected, SpecialFunctions.Erf(x), x);
    }

    [Theory]
    [InlineData(1e-10, 0.999999999887162)]
    [InlineData(-0.2, 1.2227025892104786)]
    [InlineData(0.3, 0.6713732405408726)]
    [InlineData(0.5, 0.4795001221869535)]
    [InlineData(0.84375, 0.23277433876765835)]
    [InlineData(1.0, 0.15729920705028513)]
    [InlineData(-1.0, 1.842700792949715)]
    [InlineData(2.0, 0.004677734981047265)]
    [InlineData(2.857142448425293, 5.3312442795108164e-05)]
    [InlineData(3.0, 2.2090496998585438e-05)]
    [InlineData(-3.0, 1.9999779095030015)]
    [InlineData(6.0, 2.1519736712498916e-17)]
    [InlineData(10.0, 2.088487583762545e-45)]
    [InlineData(20.0, 5.3958656116079005e-176)]
    [InlineData(26.0, 5.663192408856143e-296)]
    [InlineData(27.0, 5.23705e-319)]
    [InlineData(30.0, 0.0)]
    public void Erfc_matches_reference_values(double x, double expected)
    {
        AssertWithinUlps(expected, SpecialFunctions.Erfc(x), x);
    }

    [Fact]
    public void Special_values_follow_the_limits()
    {
        Assert.True(double.IsNaN(SpecialFunctions.Erf(double.NaN)));
        Assert.True(double.IsNaN(SpecialFunctions.Erfc(double.NaN)));
        Assert.Equal(1.0, SpecialFunctions.Erf(double.PositiveInfinity));
        Assert.Equal(-1.0, SpecialFunctions.Erf(double.NegativeInfinity));
        Assert.Equal(0.0, SpecialFunctions.Erfc(double.PositiveInfinity));
        Assert.Equal(2.0, SpecialFunctions.Erfc(double.NegativeInfinity));
        Assert.Equal(1.0, SpecialFunctions.Erfc(0.0));
        Assert.Equal(1.0, SpecialFunctions.Erfc(-0.0));

        // The sign of zero survives, as for any odd function in IEEE arithmetic.
        Assert.Equal(BitConverter.DoubleToInt64Bits(0.0), BitConverter.DoubleToInt64Bits(SpecialFunctions.Erf(0.0)));
        Assert.Equal(BitConverter.DoubleToInt64Bits(-0.0), BitConverter.DoubleToInt64Bits(SpecialFunctions.Erf(-0.0)));
    }

    [Fact]
    public void Erf_is_exactly_odd()
    {
        // Every branch works on |x| and negates at the end, so the symmetry holds to the bit, not just to an ulp.
        foreach (double x in SamplePoints())
        {
            long positive = BitConverter.DoubleToInt64Bits(-SpecialFunctions.Erf(x));
            long negative = BitConverter.DoubleToInt64Bits(SpecialFunctions.Erf(-x));
            Assert.True(positive == negative, $"erf(-x) != -erf(x) at x = {x:R}");
        }
    }

    [Fact]
    public void Erf_plus_Erfc_is_one()
    {
        // Each is within a few ulps of its own size, and neither exceeds 2 in magnitude, so the sum can miss 1 by
        // a couple of ulps of 1 at most; measured, it never misses by more than half of one.
        const double tolerance = 2 * 2.220446049250313e-16;
        foreach (double x in SamplePoints())
        {
            foreach (double v in new[] { x, -x })
            {
                double sum = SpecialFunctions.Erf(v) + SpecialFunctions.Erfc(v);
                Assert.True(Math.Abs(sum - 1.0) <= tolerance, $"erf + erfc = {sum:R} at x = {v:R}");
            }
        }
    }

    /// <summary>Non-negative points across [0, 30], with the interval boundaries and their neighbours, and tiny values.</summary>
    private static IEnumerable<double> SamplePoints()
    {
        for (int i = 0; i <= 30 * 64; i++)
        {
            yield return i / 64.0;
        }

        double[] boundaries = { 0.25, 0.84375, 1.25, 1 / 0.35, 2.8571414947509766, 2.8571434020996094, 6.0, 28.0, Math.ScaleB(1.0, -28), Math.ScaleB(1.0, -56) };
        foreach (double b in boundaries)
        {
            double down = b;
            double up = b;
            for (int k = 0; k < 8; k++)
            {
                down = Math.BitDecrement(down);
                up = Math.BitIncrement(up);
                yield return down;
                yield return up;
            }
        }

        double[] tiny = { double.Epsilon, 1e-310, 2.2250738585072014e-308, 1e-300, 1e-200, 1e-100, 1e-20, 1e-10, 1e-5 };
        foreach (double t in tiny)
        {
            yield return t;
        }
    }

    private static void AssertWithinUlps(double expected, double actual, double x)
    {
        if (double.IsNaN(expected))
        {
            Assert.True(double.IsNaN(actual), $"expected NaN at x = {x:R}, got {actual:R}");
            return;
        }

        Int128 distance = UlpDistance(expected, actual);
        Assert.True(distance <= MaxUlps, $"at x = {x:R}: expected {expected:R}, got {actual:R} ({distance} ulps apart)");
    }

    [Fact]
    public void Logistic_is_symmetric_and_keeps_tiny_tails()
    {
        // σ(−x) = 1 − σ(x); far in the negative tail σ(x) ≈ e^x, which the e^x/(1 + e^x) branch keeps to full precision.
        Assert.Equal(Math.Exp(-700), SpecialFunctions.Logistic(-700.0), 1e-300 * 1e-5);
        Assert.Equal(1 - SpecialFunctions.Logistic(2.5), SpecialFunctions.Logistic(-2.5), 2e-16);
    }

    /// <summary>
    /// How many doubles lie between a and b: the bit patterns, mapped so that they order like the values
    /// (with +0 and -0 both at 0), are subtracted. Int128 because ±huge values differ by more than a long holds.
    /// </summary>
    private static Int128 UlpDistance(double a, double b) => Int128.Abs((Int128)Ordered(a) - Ordered(b));

    private static long Ordered(double v)
    {
        long bits = BitConverter.DoubleToInt64Bits(v);
        return bits >= 0 ? bits : -(bits & long.MaxValue);
    }
}
