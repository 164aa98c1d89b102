using System.Globalization;
using System.Text;

namespace Backprop.Numerics;

/// <summary>The one place that turns numbers into text, for JSON, traces and tables.</summary>
public static class NumberFormat
{
    /// <summary>Shortest text that parses back to the same double.</summary>
    public static string RoundTrip(double value) => value.ToString("R", CultureInfo.InvariantCulture);

    /// <summary>Shortest text that parses back to the same float.</summary>
    public static string RoundTrip(float value) => value.ToString("R", CultureInfo.InvariantCulture);

    /// <summary>Shortest round-trip text in the precision the value was computed in (a float32 result prints as float32).</summary>
    public static Func<double, string> RoundTripIn(bool singlePrecision) =>
        singlePrecision ? v => RoundTrip((float)v) : v => RoundTrip(v);

    /// <summary>Fixed number of decimals, as a solution sheet writes them (−0 printed as 0).</summary>
    public static Func<double, string> Fixed(int digits) => value =>
    {
        string s = value.ToString("F" + digits, CultureInfo.InvariantCulture);
        return s.StartsWith('-') && s.AsSpan(1).Trim("0.").IsEmpty ? s[1..] : s;
    };

    /// <summary>At most <paramref name="digits"/> significant digits, for labels in pictures (−0 printed as 0).</summary>
    public static Func<double, string> Significant(int digits) => value =>
        value == 0 ? "0" : value.ToString("G" + digits, CultureInfo.InvariantCulture);

    /// <summary>
    /// Scientific notation with <paramref name="digits"/> decimals and a short exponent, for values spanning many
    /// orders of magnitude in tables ("1.234e-45"; 0 printed as 0, −0 as 0).
    /// </summary>
    public static Func<double, string> Scientific(int digits) => value =>
        value == 0 ? "0" : value.ToString("0." + new string('0', digits) + "e+0", CultureInfo.InvariantCulture);

    /// <summary>Appends values as nested JSON-style arrays following <paramref name="shape"/>.</summary>
    public static void AppendNested(StringBuilder sb, ReadOnlySpan<double> values, ReadOnlySpan<int> shape, Func<double, string> format)
    {
        if (shape.Length == 0)
        {
            sb.Append(format(values[0]));
            return;
        }
        int inner = values.Length / Math.Max(1, shape[0]);
        sb.Append('[');
        for (int i = 0; i < shape[0]; i++)
        {
            if (i > 0) sb.Append(", ");
            AppendNested(sb, values.Slice(i * inner, inner), shape[1..], format);
        }
        sb.Append(']');
    }

    public static string Nested(ReadOnlySpan<double> values, ReadOnlySpan<int> shape, Func<double, string> format)
    {
        var sb = new StringBuilder();
        AppendNested(sb, values, shape, format);
        return sb.ToString();
    }
}
