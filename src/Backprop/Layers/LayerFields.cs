using System.Text.Json;
using Backprop.Initializers;
using Backprop.IO;

namespace Backprop.Layers;

/// <summary>
/// The fields of one model-file layer entry, read with errors that name the place: a missing field names the entry
/// ("model.json: layers[0] (linear): missing field 'out'"), a bad value names the field ("model.json: layers[0].out: ...").
/// </summary>
public sealed class LayerFields
{
    private readonly JsonElement _entry;

    internal LayerFields(JsonElement entry, string where, string type)
    {
        _entry = entry;
        Where = where;
        At = $"{where} ({type})";
    }

    /// <summary>The entry's place: "model.json: layers[2]".</summary>
    public string Where { get; }

    /// <summary>The entry's place with its type: "model.json: layers[2] (conv2d)".</summary>
    public string At { get; }

    /// <summary>A required integer ≥ <paramref name="min"/>.</summary>
    public int Integer(string name, int min) => JsonInput.Integer(JsonInput.Required(_entry, name, At), $"{Where}.{name}", min);

    /// <summary>An integer or a list of <paramref name="count"/> integers (kernel_size 5 or [5, 3]); required unless a fallback is given.</summary>
    public int[] Integers(string name, int count, int min, int[]? fallback = null)
    {
        if (_entry.TryGetProperty(name, out var v)) return JsonInput.IntegerOrList(v, $"{Where}.{name}", count, min);
        return fallback ?? throw new BackpropException($"{At}: missing field '{name}'");
    }

    /// <summary>An optional finite number.</summary>
    public double Number(string name, double fallback) =>
        _entry.TryGetProperty(name, out var v) ? JsonInput.Number(v, $"{Where}.{name}") : fallback;

    /// <summary>An optional number that may also be null (PyTorch's None): the fallback when absent, null when null.</summary>
    public double? NumberOrNull(string name, double fallback)
    {
        if (!_entry.TryGetProperty(name, out var v)) return fallback;
        return v.ValueKind == JsonValueKind.Null ? null : JsonInput.Number(v, $"{Where}.{name}");
    }

    /// <summary>An optional true or false.</summary>
    public bool Boolean(string name, bool fallback)
    {
        if (!_entry.TryGetProperty(name, out var v)) return fallback;
        return v.ValueKind is JsonValueKind.True or JsonValueKind.False ? v.GetBoolean()
            : throw new BackpropException($"{Where}.{name}: expected true or false, got {JsonInput.Describe(v)}");
    }

    /// <summary>Whether the entry has the field.</summary>
    public bool Has(string name) => _entry.TryGetProperty(name, out _);

    /// <summary>The values of those of <paramref name="names"/> the entry gives (a number or nested lists of numbers).</summary>
    public IReadOnlyDictionary<string, (double[] Values, int[] Shape)> Values(params string[] names)
    {
        var values = new Dictionary<string, (double[] Values, int[] Shape)>();
        foreach (string name in names)
            if (_entry.TryGetProperty(name, out var v)) values[name] = JsonInput.NumberArray(v, $"{Where}.{name}");
        return values;
    }

    /// <summary>An error about one field: "model.json: layers[2].beta: must not be 0".</summary>
    public BackpropException Error(string name, string message) => new($"{Where}.{name}: {message}");

    /// <summary>
    /// A weight and an optional bias: "weight" values, "bias" as true, false or values, "init" and "bias_init"
    /// (see <see cref="Initializer.Parse"/>). Returns whether the layer has a bias and the spec fields to set.
    /// </summary>
    public (bool HasBias, IReadOnlyDictionary<string, (double[] Values, int[] Shape)> Values, Initializer? Init, Initializer? BiasInit) WeightAndBias()
    {
        var values = new Dictionary<string, (double[] Values, int[] Shape)>();
        if (_entry.TryGetProperty("weight", out var w)) values["weight"] = JsonInput.NumberArray(w, $"{Where}.weight");
        bool hasBias = true;
        if (_entry.TryGetProperty("bias", out var b))
        {
            if (b.ValueKind is JsonValueKind.True or JsonValueKind.False) hasBias = b.GetBoolean();
            else if (b.ValueKind == JsonValueKind.Array) values["bias"] = JsonInput.NumberArray(b, $"{Where}.bias");
            else throw new BackpropException($"{Where}.bias: expected true, false or a list of numbers, got {JsonInput.Describe(b)}");
        }
        Initializer? init = _entry.TryGetProperty("init", out var i) ? Initializer.Parse(i, $"{Where}.init", forBias: false) : null;
        Initializer? biasInit = null;
        if (_entry.TryGetProperty("bias_init", out var bi))
        {
            if (!hasBias) throw new BackpropException($"{Where}.bias_init: the layer has no bias (\"bias\": false)");
            biasInit = Initializer.Parse(bi, $"{Where}.bias_init", forBias: true);
        }
        return (hasBias, values, init, biasInit);
    }
}
