using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Backprop.Tests.Fuzz;

/// <summary>
/// Seeded mutations of valid files: byte flips, insertions, deletions, duplications, truncation, tokens from a
/// dictionary and "interesting" integers written over binary fields; and, for JSON, edits of the parsed tree (a value
/// replaced by a huge, negative, non-finite, mistyped or deeply nested one; a field dropped or added).
/// </summary>
public static class Mutator
{
    /// <summary>Integers at the edges of int32 / uint32 / int64 and of the sizes readers check.</summary>
    public static readonly long[] InterestingIntegers =
    [
        0, 1, 2, 3, 7, 8, 255, 256, 65535, 65536, 1 << 24, (1 << 24) + 1, int.MaxValue, (long)int.MaxValue + 1, uint.MaxValue,
        Array.MaxLength, 100_000_000, long.MaxValue, -1, -2, int.MinValue, long.MinValue,
    ];

    /// <summary>Text tokens that JSON and CSV readers must handle: non-finite literals, numbers at the limits, structure.</summary>
    public static readonly string[] TextTokens =
    [
        "NaN", "Infinity", "-Infinity", "nan", "inf", "1e309", "-1e309", "1e39", "3.5e38", "1e-400", "4.9e-324", "-0", "0x10",
        "16777216", "16777217", "2147483647", "2147483648", "9223372036854775808", "99999999999999999999999", "1.5", "-1",
        "[", "]", "{", "}", ",", ":", "\"", "\\", "\"\"", "null", "true", "false", "//", "/*", "*/", "\n", "\r", "\t", " ",
        "\"linear\"", "\"conv2d\"", "\"softmax\"", "\"weight\"", "\"bias\"", "\"x\"", "\"y\"", "label", "\u00e9", "\ufeff",
        new string('[', 70), new string(']', 70), "[[[[[[[[[[", "]]]]]]]]]]", "\0", "\ud7ff", "\uffff",
    ];

    /// <summary>Applies 1 to <paramref name="maxEdits"/> random byte-level edits.</summary>
    public static byte[] Bytes(byte[] input, Rng rng, int maxEdits, IReadOnlyList<byte[]>? tokens = null, bool binaryFields = false)
    {
        var b = new List<byte>(input);
        int edits = 1 + rng.NextInt(maxEdits);
        for (int e = 0; e < edits; e++)
        {
            int op = rng.NextInt(binaryFields ? 10 : 9);
            int at = b.Count == 0 ? 0 : rng.NextInt(b.Count);
            switch (op)
            {
                case 0 when b.Count > 0: b[at] ^= (byte)(1 << rng.NextInt(8)); break;
                case 1 when b.Count > 0: b[at] = (byte)rng.NextInt(256); break;
                case 2: b.InsertRange(at, RandomBytes(rng, 1 + rng.NextInt(8))); break;
                case 3 when b.Count > 0: b.RemoveRange(at, Math.Min(b.Count - at, 1 + rng.NextInt(16))); break;
                case 4 when b.Count > 0:
                    int len = Math.Min(b.Count - at, 1 + rng.NextInt(32));
                    b.InsertRange(rng.NextInt(b.Count + 1), b.GetRange(at, len));
                    break;
                case 5 when b.Count > 0: b.RemoveRange(at, b.Count - at); break; // truncate
                case 6: b.InsertRange(at, RandomBytes(rng, 1 + rng.NextInt(64))); break;
                case 7 or 8 when tokens is { Count: > 0 }:
                    var token = tokens[rng.NextInt(tokens.Count)];
                    if (op == 7 || b.Count == 0) b.InsertRange(at, token);
                    else
                    {
                        b.RemoveRange(at, Math.Min(b.Count - at, token.Length));
                        b.InsertRange(at, token);
                    }
                    break;
                case 9 when b.Count >= 8:
                    // An interesting integer over a field, at a 4-byte boundary as binary headers align them.
                    int pos = rng.NextInt(b.Count / 4) * 4;
                    var field = new byte[8];
                    long v = InterestingIntegers[rng.NextInt(InterestingIntegers.Length)];
                    int width = rng.NextInt(2) == 0 ? 4 : 8;
                    if (rng.NextInt(2) == 0) BinaryPrimitives.WriteInt64LittleEndian(field, v);
                    else BinaryPrimitives.WriteInt64BigEndian(field, width == 4 ? v << 32 : v);
                    for (int k = 0; k < width && pos + k < b.Count; k++) b[pos + k] = field[k];
                    break;
                default:
                    if (b.Count > 0) b[at] ^= 0xFF;
                    break;
            }
        }
        return [.. b];
    }

    public static IReadOnlyList<byte[]> Utf8(IEnumerable<string> tokens) => tokens.Select(t => Encoding.UTF8.GetBytes(t)).ToList();

    private static byte[] RandomBytes(Rng rng, int n)
    {
        var bytes = new byte[n];
        for (int i = 0; i < n; i++) bytes[i] = (byte)rng.NextInt(256);
        return bytes;
    }

    /// <summary>A value that a JSON reader must survive in any place: huge, negative, non-integer, mistyped or deeply nested.</summary>
    public static JsonNode? InterestingJson(Rng rng)
    {
        switch (rng.NextInt(12))
        {
            case 0: return JsonValue.Create(InterestingIntegers[rng.NextInt(InterestingIntegers.Length)]);
            case 1: return JsonValue.Create(new[] { 1e308, -1e308, 3.5e38, 1e-320, 0.5, -0.0, 1e19, 2.5, 4.9e-324 }[rng.NextInt(9)]);
            case 2: return JsonValue.Create(new[] { "", "NaN", "Infinity", "linear", "conv2d", "relu", new string('x', 300), "\u0000", "two\nlines", "kaiming_normal" }[rng.NextInt(10)]);
            case 3: return null;
            case 4: return JsonValue.Create(rng.NextInt(2) == 0);
            case 5: return new JsonObject();
            case 6: return new JsonArray();
            case 7:
            {
                // Nested lists around the edge of the readers' depth limits.
                int depth = new[] { 8, 30, 62, 63, 64, 65, 200 }[rng.NextInt(7)];
                JsonNode node = JsonValue.Create(1)!;
                for (int d = 0; d < depth; d++) node = new JsonArray(node);
                return node;
            }
            case 8:
            {
                var list = new JsonArray();
                int n = 1 + rng.NextInt(40);
                for (int i = 0; i < n; i++) list.Add(rng.NextInt(4) - 1);
                return list;
            }
            case 9: return new JsonArray(JsonValue.Create(1 << 24), JsonValue.Create(1 << 24), JsonValue.Create(1 << 24));
            case 10: return new JsonArray(new JsonArray(1, 2), new JsonArray(3)); // ragged
            default: return JsonValue.Create(rng.NextInt(2000) - 1000);
        }
    }

    /// <summary>
    /// Edits the parsed tree of <paramref name="json"/> 1 to <paramref name="maxEdits"/> times: replaces a random
    /// node with <see cref="InterestingJson"/>, drops an object field, adds an unknown one, or repeats a list item;
    /// one time in eight it also writes a key of one object twice. Falls back to byte edits when the text does not parse.
    /// </summary>
    public static string Json(string json, Rng rng, int maxEdits)
    {
        JsonNode? root;
        try
        {
            root = JsonNode.Parse(json, documentOptions: new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip });
        }
        catch (JsonException)
        {
            return Encoding.UTF8.GetString(Bytes(Encoding.UTF8.GetBytes(json), rng, maxEdits, Utf8(TextTokens)));
        }
        if (root is null) return json;
        int edits = 1 + rng.NextInt(maxEdits);
        for (int e = 0; e < edits; e++)
        {
            var nodes = new List<JsonNode>();
            Collect(root, nodes);
            var target = nodes[rng.NextInt(nodes.Count)];
            var parent = target.Parent;
            switch (rng.NextInt(5))
            {
                case 0 or 1 when parent is not null:
                    Replace(target, InterestingJson(rng));
                    break;
                case 2 when target is JsonObject obj && obj.Count > 0:
                    obj.Remove(obj.ElementAt(rng.NextInt(obj.Count)).Key);
                    break;
                case 3 when target is JsonObject obj:
                    obj[new[] { "extra", "weight", "bias", "stride", "padding", "init", "type", "x", "y", "seed", "two\nlines" }[rng.NextInt(11)]] = InterestingJson(rng);
                    break;
                case 4 when target is JsonArray list && list.Count > 0:
                    var item = list[rng.NextInt(list.Count)];
                    int copies = 1 + rng.NextInt(3);
                    for (int k = 0; k < copies; k++) list.Add(item?.DeepClone());
                    break;
                default:
                    if (parent is not null) Replace(target, InterestingJson(rng));
                    break;
            }
        }
        // A key written twice in one object (JsonNode cannot hold one: a marker key is renamed in the text).
        const string Marker = "zz-duplicate-key-zz";
        string? duplicated = null;
        if (rng.NextInt(8) == 0)
        {
            var objects = new List<JsonNode>();
            Collect(root, objects);
            objects.RemoveAll(n => n is not JsonObject { Count: > 0 });
            if (objects.Count > 0)
            {
                var obj = (JsonObject)objects[rng.NextInt(objects.Count)];
                var (key, value) = obj.ElementAt(rng.NextInt(obj.Count));
                obj[Marker] = value?.DeepClone();
                duplicated = JsonSerializer.Serialize(key);
            }
        }
        try
        {
            // Hand-written files spread lists over lines; messages that quote them must still be one line.
            string text = root.ToJsonString(new JsonSerializerOptions { WriteIndented = rng.NextInt(2) == 0 });
            return duplicated is null ? text : text.Replace($"\"{Marker}\"", duplicated);
        }
        catch (Exception e) when (e is InvalidOperationException or JsonException)
        {
            return json; // past the writer's depth limit: keep the original
        }
    }

    private static void Collect(JsonNode node, List<JsonNode> nodes)
    {
        nodes.Add(node);
        if (node is JsonObject obj)
            foreach (var (_, child) in obj) { if (child is not null) Collect(child, nodes); }
        else if (node is JsonArray list)
            foreach (var child in list) { if (child is not null) Collect(child, nodes); }
    }

    private static void Replace(JsonNode target, JsonNode? value)
    {
        switch (target.Parent)
        {
            case JsonObject obj:
                obj[target.GetPropertyName()] = value;
                break;
            case JsonArray list:
                list[target.GetElementIndex()] = value;
                break;
        }
    }
}
