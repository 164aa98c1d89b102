using System.Numerics;
using System.Text;
using System.Text.Json;
using Backprop.IO;

namespace Backprop.IO;

/// <summary>
/// Reading hand-written JSON with errors that name the file and the place ("model.json: layers[2].weight: ...").
/// Shared by the model and data file readers so both speak the same way.
/// </summary>
internal static class JsonInput
{
    private static readonly JsonDocumentOptions Options = new()
    {
        CommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = false,
        MaxDepth = 64,
        AllowDuplicateProperties = false,
    };

    /// <summary>The largest JSON file read: 256 MB (a model file with every weight written out is a few MB).</summary>
    public const long MaxFileBytes = 256L << 20;

    public static JsonDocument Parse(string text, string source)
    {
        // The parser's own message for this case ("... when isFinalBlock is true") speaks of its internals.
        if (string.IsNullOrWhiteSpace(text)) throw new BackpropException($"{source}: the file is empty; expected a JSON object");
        try
        {
            return JsonDocument.Parse(text, Options);
        }
        catch (JsonException e)
        {
            if (DuplicateKey(() => JsonDocument.Parse(text, Options with { AllowDuplicateProperties = true }), source) is string duplicate)
                throw new BackpropException(duplicate);
            string where = e.LineNumber is long line ? $" at line {line + 1}, column {(e.BytePositionInLine ?? 0) + 1}" : "";
            throw new BackpropException($"{source}: invalid JSON{where}: {FirstSentence(e.Message)}");
        }
    }

    /// <summary>
    /// A key that appears twice in one object, as a message ("model.json: layers[1]: 'weight' appears twice"),
    /// or null when there is none or <paramref name="parsePermissively"/> (the same text, duplicates allowed) fails.
    /// System.Text.Json's own refusal names the key but not where it is.
    /// </summary>
    public static string? DuplicateKey(Func<JsonDocument> parsePermissively, string source)
    {
        try
        {
            using var doc = parsePermissively();
            return DuplicateKey(doc.RootElement, source);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static string? DuplicateKey(JsonElement e, string source, string path = "")
    {
        if (e.ValueKind == JsonValueKind.Array)
        {
            int i = 0;
            foreach (var item in e.EnumerateArray())
            {
                if (item.ValueKind is JsonValueKind.Array or JsonValueKind.Object && DuplicateKey(item, source, $"{path}[{i}]") is string found) return found;
                i++;
            }
        }
        else if (e.ValueKind == JsonValueKind.Object)
        {
            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (var p in e.EnumerateObject())
                if (!seen.Add(p.Name)) return $"{source}: {(path.Length > 0 ? path + ": " : "")}'{Shown(p.Name)}' appears twice";
            foreach (var p in e.EnumerateObject())
                if (DuplicateKey(p.Value, source, path.Length > 0 ? $"{path}.{Shown(p.Name)}" : Shown(p.Name)) is string found) return found;
        }
        return null;
    }

    public static string ReadFile(string path)
    {
        // .NET reports a directory as "Access to the path is denied", which sends people looking at permissions.
        if (Directory.Exists(path)) throw new BackpropException($"{path}: is a directory, not a file");
        FileKinds.CheckInput(path);
        try
        {
            long length = new FileInfo(path).Length;
            if (length > MaxFileBytes)
                throw new BackpropException($"{path}: {length:N0} bytes, over the limit of {MaxFileBytes:N0} bytes (256 MB) for a JSON file");
            return File.ReadAllText(path);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new BackpropException($"{path}: no such file");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new BackpropException($"{path}: cannot read the file: {e.Message}");
        }
    }

    public static JsonElement Object(JsonElement e, string where)
    {
        if (e.ValueKind != JsonValueKind.Object) throw new BackpropException($"{where}: expected an object, got {Describe(e)}");
        return e;
    }

    public static JsonElement Required(JsonElement obj, string name, string where) =>
        obj.TryGetProperty(name, out var value) ? value : throw new BackpropException($"{where}: missing field '{name}'");

    public static void AllowOnly(JsonElement obj, string where, IReadOnlyCollection<string> allowed)
    {
        foreach (var p in obj.EnumerateObject())
            if (!allowed.Contains(p.Name))
                throw new BackpropException($"{where}: unknown field '{Shown(p.Name)}'; expected one of: {string.Join(", ", allowed)}");
    }

    public static string String(JsonElement e, string where) =>
        e.ValueKind == JsonValueKind.String ? e.GetString()! : throw new BackpropException($"{where}: expected a string, got {Describe(e)}");

    public static double Number(JsonElement e, string where)
    {
        if (e.ValueKind != JsonValueKind.Number) throw new BackpropException($"{where}: expected a number, got {Describe(e)}");
        if (!e.TryGetDouble(out double v) || !double.IsFinite(v)) throw new BackpropException($"{where}: {Excerpt(e)} is not a finite number");
        return v;
    }

    public static int Integer(JsonElement e, string where, int min)
    {
        double v = Number(e, where);
        if (v > 1 << 24)
            throw new BackpropException($"{where}: {Excerpt(e)} is too large; sizes, seeds and counts in a model file are at most 16777216 (2^24)");
        if (v != Math.Floor(v) || v < min)
            throw new BackpropException($"{where}: expected an integer {(min == 0 ? "≥ 0" : $"≥ {min}")}, got {Excerpt(e)}");
        return (int)v;
    }

    /// <summary>An integer or a list of <paramref name="count"/> integers, e.g. kernel_size 5 or [5, 3].</summary>
    public static int[] IntegerOrList(JsonElement e, string where, int count, int min)
    {
        if (e.ValueKind != JsonValueKind.Array) return Enumerable.Repeat(Integer(e, where, min), count).ToArray();
        if (e.GetArrayLength() != count)
            throw new BackpropException($"{where}: expected an integer or a list of {count} integers, got {Excerpt(e)}");
        var result = new int[count];
        int i = 0;
        foreach (var item in e.EnumerateArray()) { result[i] = Integer(item, $"{where}[{i}]", min); i++; }
        return result;
    }

    /// <summary>A number or a rectangular nested list of numbers, flattened row-major, with its shape.</summary>
    public static (double[] Values, int[] Shape) NumberArray(JsonElement e, string where)
    {
        if (e.ValueKind is not (JsonValueKind.Array or JsonValueKind.Number))
            throw new BackpropException($"{where}: expected a list of numbers, got {Describe(e)}");
        var shape = new List<int>();
        for (var probe = e; probe.ValueKind == JsonValueKind.Array; probe = probe.GetArrayLength() > 0 ? probe[0] : default)
        {
            shape.Add(probe.GetArrayLength());
            if (probe.GetArrayLength() == 0) break;
        }
        var values = new List<double>();
        Collect(e, where, shape, 0, values);
        return (values.ToArray(), shape.ToArray());
    }

    private static void Collect(JsonElement e, string where, List<int> shape, int depth, List<double> values)
    {
        if (depth == shape.Count)
        {
            values.Add(Number(e, where));
            return;
        }
        if (e.ValueKind != JsonValueKind.Array)
            throw new BackpropException($"{where}: expected a list of {shape[depth]}, got {Describe(e)} (rows must all have the same shape)");
        if (e.GetArrayLength() != shape[depth])
            throw new BackpropException($"{where}: expected {shape[depth]} entries, got {e.GetArrayLength()} (rows must all have the same shape)");
        int i = 0;
        foreach (var item in e.EnumerateArray()) Collect(item, $"{where}[{i++}]", shape, depth + 1, values);
    }

    /// <summary>
    /// Rounds values read as float64 to <typeparamref name="T"/>. A value that overflows (1e39 in float32) is an error
    /// naming the element, e.g. "data.json: x[0][1]: 1E+39 overflows float32".
    /// </summary>
    public static T[] ToPrecision<T>(double[] values, int[] shape, string where) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var result = new T[values.Length];
        for (int i = 0; i < values.Length; i++)
        {
            result[i] = T.CreateChecked(values[i]);
            if (!T.IsFinite(result[i]))
                throw new BackpropException($"{where}{Index(shape, i)}: {NumberFormat.RoundTrip(values[i])} overflows {PrecisionName<T>()}" +
                    (typeof(T) == typeof(float) ? $" (its largest finite value is {NumberFormat.RoundTrip(float.MaxValue)})" : ""));
        }
        return result;
    }

    public static string PrecisionName<T>() => typeof(T) == typeof(float) ? "float32" : typeof(T) == typeof(double) ? "float64" : typeof(T).Name;

    /// <summary>The nested index [i][j] of element <paramref name="flat"/> in a row-major array of <paramref name="shape"/>.</summary>
    public static string Index(int[] shape, int flat)
    {
        var idx = new int[shape.Length];
        for (int d = shape.Length - 1; d >= 0; d--) { idx[d] = flat % shape[d]; flat /= shape[d]; }
        return string.Concat(idx.Select(i => $"[{i}]"));
    }

    /// <summary>Formats a shape as [2][3], the way a nested list is indexed.</summary>
    public static string NestedShape(IEnumerable<int> shape) => shape.Any() ? string.Concat(shape.Select(d => $"[{d}]")) : "a single number";

    public static string Describe(JsonElement e) => e.ValueKind switch
    {
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "a list",
        JsonValueKind.String => $"the string {Excerpt(e)}",
        JsonValueKind.Number => $"the number {Excerpt(e)}",
        JsonValueKind.True or JsonValueKind.False => e.GetRawText(),
        JsonValueKind.Null => "null",
        _ => "nothing",
    };

    /// <summary>
    /// Text from a file as a message shows it: control characters escaped (a line break as \n), and cut after
    /// <paramref name="max"/> characters, so that an error stays one readable line whatever the file holds.
    /// </summary>
    public static string Shown(string text, int max = 60)
    {
        var sb = new StringBuilder();
        foreach (char c in text)
        {
            if (sb.Length >= max)
            {
                sb.Append('…');
                break;
            }
            if (!char.IsControl(c)) sb.Append(c);
            else sb.Append(c switch { '\n' => "\\n", '\r' => "\\r", '\t' => "\\t", _ => $"\\u{(int)c:x4}" });
        }
        return sb.ToString();
    }

    /// <summary>
    /// An element's JSON text for a message: a list written over several lines comes out on one ("[1, 2, 3]"), and
    /// long text is cut (see <see cref="Shown"/>). Strings keep their escapes, as JSON never holds a raw line break in one.
    /// </summary>
    public static string Excerpt(JsonElement e) => Excerpt(e.GetRawText());

    public static string Excerpt(string json, int max = 60)
    {
        var sb = new StringBuilder(Math.Min(json.Length, 128));
        for (int i = 0; i < json.Length && sb.Length <= max; i++)
        {
            if (json[i] is not ('\n' or '\r' or '\t' or ' ')) { sb.Append(json[i]); continue; }
            int end = i;
            bool lineBreak = false;
            while (end < json.Length && json[end] is '\n' or '\r' or '\t' or ' ') lineBreak |= json[end++] is '\n' or '\r';
            if (!lineBreak) sb.Append(json, i, end - i);
            else if (sb.Length > 0 && sb[^1] is not ('[' or '{') && end < json.Length && json[end] is not (']' or '}')) sb.Append(' ');
            i = end - 1;
        }
        return Shown(sb.ToString(), max);
    }

    /// <summary>
    /// The parser's message without its position suffix, on one line: System.Text.Json quotes the rest of the document
    /// for a bad literal ("'nput": [2], ...' is an invalid JSON literal"), line breaks included, so quotes are cut.
    /// </summary>
    public static string FirstSentence(string message)
    {
        int cut = message.IndexOf(" LineNumber:", StringComparison.Ordinal);
        string s = cut > 0 ? message[..cut] : message;
        s = System.Text.RegularExpressions.Regex.Replace(s, @"'([^']{40})[^']+'", m => $"'{m.Groups[1].Value}…'");
        return Excerpt(s, 300).TrimEnd(' ', '.');
    }
}
