using System.Numerics;

namespace Backprop.Numerics;

/// <summary>
/// Special functions that System.Math lacks. Each is a port of a well-studied public implementation rather than a
/// fresh approximation, so its accuracy is the published one and it can be checked line by line against the original.
/// <see cref="Logistic{T}"/> is the exception: two lines, kept here because layers, losses, learners and the
/// scalar autodiff all use it.
/// </summary>
/// <remarks>
/// <see cref="Erf"/> and <see cref="Erfc"/> are ported from Sun's fdlibm <c>s_erf.c</c>
/// (the code behind glibc, musl, FreeBSD's msun and Java's StrictMath), whose notice follows:
/// <code>
/// Copyright (C) 1993 by Sun Microsystems, Inc. All rights reserved.
///
/// Developed at SunPro, a Sun Microsystems, Inc. business.
/// Permission to use, copy, modify, and distribute this
/// software is freely granted, provided that this notice
/// is preserved.
/// </code>
/// The coefficients are copied digit for digit from that file; the hexadecimal word pairs beside them are the
/// original's too, kept so that each constant can be checked against its exact bit pattern.
/// </remarks>
public static class SpecialFunctions
{
    // fdlibm adds or multiplies by tiny so that C raises the inexact/underflow flags; in round-to-nearest it
    // changes no result (1 - tiny == 1, tiny * tiny == 0), and it is kept so the code reads like the original.
    private const double Tiny = 1e-300;
    private const double Half = 5.00000000000000000000e-01; // 0x3FE00000, 0x00000000
    private const double One = 1.00000000000000000000e+00; // 0x3FF00000, 0x00000000
    private const double Two = 2.00000000000000000000e+00; // 0x40000000, 0x00000000

    // erf(1) rounded to single precision: it has few enough bits that erx + P/Q and (1 - erx) - P/Q lose nothing
    // to the constant itself, and P/Q only has to supply the small remainder.
    private const double Erx = 8.45062911510467529297e-01; // 0x3FEB0AC1, 0x60000000

    // [0, 0.84375]: erf(x) = x + x*R(x^2). Writing 2/sqrt(pi) as 1 + efx keeps the leading term exact.
    private const double Efx = 1.28379167095512586316e-01; // 0x3FC06EBA, 0x8214DB69
    private const double Efx8 = 1.02703333676410069053e+00; // 0x3FF06EBA, 0x8214DB69
    private const double Pp0 = 1.28379167095512558561e-01; // 0x3FC06EBA, 0x8214DB68
    private const double Pp1 = -3.25042107247001499370e-01; // 0xBFD4CD7D, 0x691CB913
    private const double Pp2 = -2.84817495755985104766e-02; // 0xBF9D2A51, 0xDBD7194F
    private const double Pp3 = -5.77027029648944159157e-03; // 0xBF77A291, 0x236668E4
    private const double Pp4 = -2.37630166566501626084e-05; // 0xBEF8EAD6, 0x120016AC
    private const double Qq1 = 3.97917223959155352819e-01; // 0x3FD97779, 0xCDDADC09
    private const double Qq2 = 6.50222499887672944485e-02; // 0x3FB0A54C, 0x5536CEBA
    private const double Qq3 = 5.08130628187576562776e-03; // 0x3F74D022, 0xC4D36B0F
    private const double Qq4 = 1.32494738004321644526e-04; // 0x3F215DC9, 0x221C1A10
    private const double Qq5 = -3.96022827877536812320e-06; // 0xBED09C43, 0x42A26120

    // [0.84375, 1.25]: erf(1 + s) - erx = P1(s)/Q1(s), a Taylor-like expansion about x = 1.
    private const double Pa0 = -2.36211856075265944077e-03; // 0xBF6359B8, 0xBEF77538
    private const double Pa1 = 4.14856118683748331666e-01; // 0x3FDA8D00, 0xAD92B34D
    private const double Pa2 = -3.72207876035701323847e-01; // 0xBFD7D240, 0xFBB8C3F1
    private const double Pa3 = 3.18346619901161753674e-01; // 0x3FD45FCA, 0x805120E4
    private const double Pa4 = -1.10894694282396677476e-01; // 0xBFBC6398, 0x3D3E28EC
    private const double Pa5 = 3.54783043256182359371e-02; // 0x3FA22A36, 0x599795EB
    private const double Pa6 = -2.16637559486879084300e-03; // 0xBF61BF38, 0x0A96073F
    private const double Qa1 = 1.06420880400844228286e-01; // 0x3FBB3E66, 0x18EEE323
    private const double Qa2 = 5.40397917702171048937e-01; // 0x3FE14AF0, 0x92EB6F33
    private const double Qa3 = 7.18286544141962662868e-02; // 0x3FB2635C, 0xD99FE9A7
    private const double Qa4 = 1.26171219808761642112e-01; // 0x3FC02660, 0xE763351F
    private const double Qa5 = 1.36370839120290507362e-02; // 0x3F8BEDC2, 0x6B51DD1C
    private const double Qa6 = 1.19844998467991074170e-02; // 0x3F888B54, 0x5735151D

    // [1.25, 1/0.35]: erfc(x) = exp(-x*x - 0.5625 + R1(1/x^2)/S1(1/x^2)) / x, from the asymptotic series.
    private const double Ra0 = -9.86494403484714822705e-03; // 0xBF843412, 0x600D6435
    private const double Ra1 = -6.93858572707181764372e-01; // 0xBFE63416, 0xE4BA7360
    private const double Ra2 = -1.05586262253232909814e+01; // 0xC0251E04, 0x41B0E726
    private const double Ra3 = -6.23753324503260060396e+01; // 0xC04F300A, 0xE4CBA38D
    private const double Ra4 = -1.62396669462573470355e+02; // 0xC0644CB1, 0x84282266
    private const double Ra5 = -1.84605092906711035994e+02; // 0xC067135C, 0xEBCCABB2
    private const double Ra6 = -8.12874355063065934246e+01; // 0xC0545265, 0x57E4D2F2
    private const double Ra7 = -9.81432934416914548592e+00; // 0xC023A0EF, 0xC69AC25C
    private const double Sa1 = 1.96512716674392571292e+01; // 0x4033A6B9, 0xBD707687
    private const double Sa2 = 1.37657754143519042600e+02; // 0x4061350C, 0x526AE721
    private const double Sa3 = 4.34565877475229228821e+02; // 0x407B290D, 0xD58A1A71
    private const double Sa4 = 6.45387271733267880336e+02; // 0x40842B19, 0x21EC2868
    private const double Sa5 = 4.29008140027567833386e+02; // 0x407AD021, 0x57700314
    private const double Sa6 = 1.08635005541779435134e+02; // 0x405B28A3, 0xEE48AE2C
    private const double Sa7 = 6.57024977031928170135e+00; // 0x401A47EF, 0x8E484A93
    private const double Sa8 = -6.04244152148580987438e-02; // 0xBFAEEFF2, 0xEE749A62

    // [1/0.35, 28]: the same form with a second fit R2/S2.
    private const double Rb0 = -9.86494292470009928597e-03; // 0xBF843412, 0x39E86F4A
    private const double Rb1 = -7.99283237680523006574e-01; // 0xBFE993BA, 0x70C285DE
    private const double Rb2 = -1.77579549177547519889e+01; // 0xC031C209, 0x555F995A
    private const double Rb3 = -1.60636384855821916062e+02; // 0xC064145D, 0x43C5ED98
    private const double Rb4 = -6.37566443368389627722e+02; // 0xC083EC88, 0x1375F228
    private const double Rb5 = -1.02509513161107724954e+03; // 0xC0900461, 0x6A2E5992
    private const double Rb6 = -4.83519191608651397019e+02; // 0xC07E384E, 0x9BDC383F
    private const double Sb1 = 3.03380607434824582924e+01; // 0x403E568B, 0x261D5190
    private const double Sb2 = 3.25792512996573918826e+02; // 0x40745CAE, 0x221B9F0A
    private const double Sb3 = 1.53672958608443695994e+03; // 0x409802EB, 0x189D5118
    private const double Sb4 = 3.19985821950859553908e+03; // 0x40A8FFB7, 0x688C246A
    private const double Sb5 = 2.55305040643316442583e+03; // 0x40A3F219, 0xCEDF3BE6
    private const double Sb6 = 4.74528541206955367215e+02; // 0x407DA874, 0xE79FE763
    private const double Sb7 = -2.24409524465858183362e+01; // 0xC03670E2, 0x42712D62

    /// <summary>The error function erf(x), accurate to about 1 ulp in double precision (a port of fdlibm's s_erf.c).</summary>
    /// <remarks>erf(NaN) is NaN, erf(±∞) = ±1, and erf(-x) = -erf(x) exactly.</remarks>
    public static double Erf(double x)
    {
        // fdlibm selects intervals by the high 32 bits of x: an integer compare, and exactly the original's boundaries.
        int hx = HighWord(x);
        int ix = hx & 0x7fffffff;
        if (ix >= 0x7ff00000)
        {
            // One expression covers all three cases: 1/±∞ is 0, and 1/NaN carries the NaN through.
            int i = (int)((uint)hx >> 31) << 1;
            return (1 - i) + One / x;
        }

        if (ix < 0x3feb0000)
        {
            // |x| < 0.84375
            if (ix < 0x3e300000)
            {
                // |x| < 2**-28: x*R(x^2) shrinks to efx*x, as x^3 is below half an ulp of x.
                if (ix < 0x00800000)
                {
                    // Scaling up by 8 first keeps efx*x from losing bits (or vanishing) among the subnormals.
                    return 0.125 * (8.0 * x + Efx8 * x);
                }

                return x + Efx * x;
            }

            double z = x * x;
            double r = Pp0 + z * (Pp1 + z * (Pp2 + z * (Pp3 + z * Pp4)));
            double s = One + z * (Qq1 + z * (Qq2 + z * (Qq3 + z * (Qq4 + z * Qq5))));
            double y = r / s;
            return x + x * y;
        }

        if (ix < 0x3ff40000)
        {
            // 0.84375 <= |x| < 1.25
            double s = Math.Abs(x) - One;
            double p = Pa0 + s * (Pa1 + s * (Pa2 + s * (Pa3 + s * (Pa4 + s * (Pa5 + s * Pa6)))));
            double q = One + s * (Qa1 + s * (Qa2 + s * (Qa3 + s * (Qa4 + s * (Qa5 + s * Qa6)))));
            return hx >= 0 ? Erx + p / q : -Erx - p / q;
        }

        if (ix >= 0x40180000)
        {
            // 6 <= |x| < inf: erfc(6) ~ 2e-17 is below half an ulp of 1.
            return hx >= 0 ? One - Tiny : Tiny - One;
        }

        // 1.25 <= |x| < 6: erf = 1 - erfc, with erfc from the asymptotic form.
        double ax = Math.Abs(x);
        double xErfc = XTimesErfc(ax, ix < 0x4006DB6E); // |x| < 1/0.35
        return hx >= 0 ? One - xErfc / ax : xErfc / ax - One;
    }

    /// <summary>The complementary error function erfc(x) = 1 - erf(x), without cancellation for large x.</summary>
    /// <remarks>
    /// erfc(NaN) is NaN, erfc(+∞) = 0, erfc(-∞) = 2. For x &gt; 0 the result keeps its relative accuracy until it
    /// leaves the normal range (x ≈ 26.7) and reaches 0 only near x ≈ 27.4, whereas 1 - erf(x) is already 0 at x = 6.
    /// </remarks>
    public static double Erfc(double x)
    {
        int hx = HighWord(x);
        int ix = hx & 0x7fffffff;
        if (ix >= 0x7ff00000)
        {
            // 0 or 2 by the sign bit, plus 1/x: 0 for ±∞, NaN for NaN.
            return (int)(((uint)hx >> 31) << 1) + One / x;
        }

        if (ix < 0x3feb0000)
        {
            // |x| < 0.84375
            if (ix < 0x3c700000)
            {
                // |x| < 2**-56: erf(x) is below half an ulp of 1.
                return One - x;
            }

            double z = x * x;
            double r = Pp0 + z * (Pp1 + z * (Pp2 + z * (Pp3 + z * Pp4)));
            double s = One + z * (Qq1 + z * (Qq2 + z * (Qq3 + z * (Qq4 + z * Qq5))));
            double y = r / s;
            if (hx < 0x3fd00000)
            {
                // x < 1/4 (including all negative x): erf(x) is small enough that 1 - erf(x) loses nothing.
                return One - (x + x * y);
            }

            // 1/4 <= x < 0.84375: erfc falls towards 0.23, so subtract from 1/2 rather than 1 to keep its low bits.
            double t = x * y;
            t += x - Half;
            return Half - t;
        }

        if (ix < 0x3ff40000)
        {
            // 0.84375 <= |x| < 1.25
            double s = Math.Abs(x) - One;
            double p = Pa0 + s * (Pa1 + s * (Pa2 + s * (Pa3 + s * (Pa4 + s * (Pa5 + s * Pa6)))));
            double q = One + s * (Qa1 + s * (Qa2 + s * (Qa3 + s * (Qa4 + s * (Qa5 + s * Qa6)))));
            if (hx >= 0)
            {
                // 1 - erx is exact because erx has only 24 significant bits.
                double z = One - Erx;
                return z - p / q;
            }

            return One + (Erx + p / q);
        }

        if (ix < 0x403c0000)
        {
            // |x| < 28
            // The original tests 0x4006DB6D here but 0x4006DB6E in erf, so for |x| in [2.8571415, 2.8571434) erf
            // uses the first fit and erfc the second. Both fits are good there; we keep each as fdlibm has it.
            bool nearFit = ix < 0x4006DB6D; // |x| < 1/0.35 ~ 2.857143
            if (!nearFit && hx < 0 && ix >= 0x40180000)
            {
                // x <= -6: erfc(-x) = 2 - erfc(x), and erfc(6) is below half an ulp of 2.
                return Two - Tiny;
            }

            double ax = Math.Abs(x);
            double xErfc = XTimesErfc(ax, nearFit);
            return hx > 0 ? xErfc / ax : Two - xErfc / ax;
        }

        // |x| >= 28: erfc(28) ~ 7e-343 underflows to 0; for x <= -28 the answer is 2 to the last bit.
        return hx > 0 ? Tiny * Tiny : Two - Tiny;
    }

    /// <summary>
    /// x * erfc(x) = exp(-x*x - 0.5625 + R/S) for 1.25 &lt;= x &lt; 28, with R/S the fit on [1.25, 1/0.35) when
    /// <paramref name="nearFit"/> is true and the one on [1/0.35, 28) otherwise.
    /// </summary>
    private static double XTimesErfc(double x, bool nearFit)
    {
        // num/den is fdlibm's R/S, a fit in s = 1/x^2 to the correction log(x*erfc(x)) + x*x + 0.5625.
        double s = One / (x * x);
        double num;
        double den;
        if (nearFit)
        {
            num = Ra0 + s * (Ra1 + s * (Ra2 + s * (Ra3 + s * (Ra4 + s * (Ra5 + s * (Ra6 + s * Ra7))))));
            den = One + s * (Sa1 + s * (Sa2 + s * (Sa3 + s * (Sa4 + s * (Sa5 + s * (Sa6 + s * (Sa7 + s * Sa8)))))));
        }
        else
        {
            num = Rb0 + s * (Rb1 + s * (Rb2 + s * (Rb3 + s * (Rb4 + s * (Rb5 + s * Rb6)))));
            den = One + s * (Sb1 + s * (Sb2 + s * (Sb3 + s * (Sb4 + s * (Sb5 + s * (Sb6 + s * Sb7))))));
        }

        // x*x rounded to double is off by up to half an ulp of x*x, which exp turns into a relative error of about
        // x*x/2 ulps (hundreds near x = 28). Zeroing the low 32 bits leaves z with 21 significant bits, so z*z is
        // exact and -x*x = -z*z + (z - x)*(z + x), where the second term is small enough that its rounding is harmless.
        // The two parts go to separate exps, so the large one is never rounded together with the small one.
        double z = BitConverter.Int64BitsToDouble(BitConverter.DoubleToInt64Bits(x) & unchecked((long)0xFFFFFFFF00000000UL));
        return Math.Exp(-z * z - 0.5625) * Math.Exp((z - x) * (z + x) + num / den);
    }

    private static int HighWord(double x) => (int)(BitConverter.DoubleToInt64Bits(x) >> 32);

    /// <summary>The logistic function, in a form that never overflows: e^x is only taken for x &lt; 0.</summary>
    public static T Logistic<T>(T x) where T : IFloatingPointIeee754<T>
    {
        if (x >= T.Zero) return T.One / (T.One + T.Exp(-x));
        T e = T.Exp(x);
        return e / (T.One + e);
    }
}
