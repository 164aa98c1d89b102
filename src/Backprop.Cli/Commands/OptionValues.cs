using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;

namespace Backprop.Cli.Commands;

/// <summary>
/// Options whose bad values get one line naming the option ("--lr: expected a number, got 'abc'"), where
/// System.CommandLine's own message would name a .NET type ("as expected type 'System.Nullable`1[System.Double]'").
/// </summary>
internal static class OptionValues
{
    private delegate bool TryParse<TValue>(string text, out TValue value);

    private static bool TryDouble(string s, out double v) => double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out v);

    public static Option<double> Number(string name, double fallback) => new(name)
    {
        CustomParser = r => Parse<double>(r, name, TryDouble, "a number", fallback),
        DefaultValueFactory = _ => fallback,
    };

    public static Option<double?> OptionalNumber(string name) => new(name)
    {
        CustomParser = r => Parse<double?>(r, name, (string s, out double? v) => { bool ok = TryDouble(s, out double d); v = d; return ok; }, "a number", null),
    };

    public static Option<int> Integer(string name, int fallback) => new(name)
    {
        CustomParser = r => Parse<int>(r, name, (string s, out int v) => int.TryParse(s, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out v), "an integer", fallback),
        DefaultValueFactory = _ => fallback,
    };

    /// <summary>A word from a fixed list: "--format: expected text, markdown or json, got 'html'".</summary>
    public static Option<string> OneOf(string name, IReadOnlyList<string> allowed, string fallback)
    {
        var option = new Option<string>(name)
        {
            CustomParser = r => Parse<string>(r, name, (string s, out string v) => { v = s; return allowed.Contains(s); }, List(allowed), fallback),
            DefaultValueFactory = _ => fallback,
        };
        option.CompletionSources.Add([.. allowed]);
        return option;
    }

    private static string List(IReadOnlyList<string> words) =>
        words.Count == 1 ? words[0] : string.Join(", ", words.Take(words.Count - 1)) + " or " + words[^1];

    private static TValue Parse<TValue>(ArgumentResult result, string name, TryParse<TValue> parse, string expected, TValue fallback)
    {
        if (result.Tokens.Count == 0) return fallback;
        string text = result.Tokens[^1].Value;
        if (parse(text, out TValue value)) return value;
        result.AddError($"{name}: expected {expected}, got '{text}'");
        return fallback;
    }
}
