using System.Numerics;
using System.Text;
using System.Text.Json;
using Backprop.IO;
using Backprop.Tensors;

namespace Backprop.Initializers;

/// <summary>
/// A named initialiser with its arguments, as a model file gives it:
/// <c>"init": {"name": "kaiming_normal", "mode": "fan_in", "nonlinearity": "relu"}</c>. Arguments left null take
/// torch's defaults when applied, and are not written back. <see cref="Fields"/> says which arguments a name takes.
/// </summary>
public sealed record Initializer(string Name)
{
    /// <summary>Every initialiser name, "default" being PyTorch's default for the layer (<see cref="DefaultInitialization"/>).</summary>
    public static readonly IReadOnlyList<string> Names =
        ["default", "zeros", "constant", "normal", "uniform", "xavier_uniform", "xavier_normal", "kaiming_uniform", "kaiming_normal"];

    /// <summary>The names that suit a bias (the others need a weight's fan-in and fan-out).</summary>
    public static readonly IReadOnlyList<string> BiasNames = ["default", "zeros", "constant", "normal", "uniform"];

    /// <summary>constant: the value (required).</summary>
    public double? Value { get; init; }

    /// <summary>normal: mean (0) and std (1).</summary>
    public double? Mean { get; init; }

    public double? Std { get; init; }

    /// <summary>uniform: the lower bound (0); kaiming: the leaky_relu negative slope (0).</summary>
    public double? A { get; init; }

    /// <summary>uniform: the upper bound (1).</summary>
    public double? B { get; init; }

    /// <summary>xavier: the gain (1).</summary>
    public double? Gain { get; init; }

    /// <summary>kaiming: "fan_in" (default) or "fan_out".</summary>
    public string? Mode { get; init; }

    /// <summary>kaiming: relu, leaky_relu (default), linear, sigmoid or tanh.</summary>
    public string? Nonlinearity { get; init; }

    /// <summary>The arguments (model-file field names) that <paramref name="name"/> takes.</summary>
    public static IReadOnlyList<string> Fields(string name) => name switch
    {
        "constant" => ["value"],
        "normal" => ["mean", "std"],
        "uniform" => ["a", "b"],
        "xavier_uniform" or "xavier_normal" => ["gain"],
        "kaiming_uniform" or "kaiming_normal" => ["a", "mode", "nonlinearity"],
        _ => [],
    };

    /// <summary>
    /// Fills <paramref name="t"/>, a layer's weight or bias (fans come from the tensor's own shape; "default" takes
    /// <paramref name="layerFanIn"/>, the fan-in of the layer's weight). Throws <see cref="ArgumentException"/> for bad arguments.
    /// </summary>
    public void Fill<T>(Tensor<T> t, int layerFanIn, Rng rng) where T : unmanaged, IFloatingPointIeee754<T>
    {
        switch (Name)
        {
            case "default": DefaultInitialization.Fill(t, layerFanIn, rng); break;
            case "zeros": Init.Zeros(t); break;
            case "constant": Init.Constant(t, Value ?? throw new ArgumentException("constant needs a value")); break;
            case "normal": Init.Normal(t, rng, Mean ?? 0, Std ?? 1); break;
            case "uniform": Init.Uniform(t, rng, A ?? 0, B ?? 1); break;
            case "xavier_uniform": Init.XavierUniform(t, rng, Gain ?? 1); break;
            case "xavier_normal": Init.XavierNormal(t, rng, Gain ?? 1); break;
            case "kaiming_uniform": Init.KaimingUniform(t, rng, A ?? 0, Mode ?? "fan_in", Nonlinearity ?? "leaky_relu"); break;
            case "kaiming_normal": Init.KaimingNormal(t, rng, A ?? 0, Mode ?? "fan_in", Nonlinearity ?? "leaky_relu"); break;
            default: throw new ArgumentException($"unknown initializer '{Name}'; expected one of: {string.Join(", ", Names)}");
        }
    }

    /// <summary>
    /// "init" / "bias_init": a name ("zeros") or an object {"name": "kaiming_normal", "mode": "fan_in", ...} with
    /// only the fields that name takes (<see cref="Fields"/>), each checked here; errors name <paramref name="where"/>.
    /// </summary>
    public static Initializer Parse(JsonElement e, string where, bool forBias)
    {
        if (e.ValueKind is not (JsonValueKind.String or JsonValueKind.Object))
            throw new BackpropException($"{where}: expected an initializer name or an object {{\"name\": ...}}, got {JsonInput.Describe(e)}");
        bool isName = e.ValueKind == JsonValueKind.String;
        string name = isName ? e.GetString()! : JsonInput.String(JsonInput.Required(e, "name", where), $"{where}.name");
        string nameAt = isName ? where : $"{where}.name";
        if (!Names.Contains(name))
            throw new BackpropException($"{nameAt}: unknown initializer '{JsonInput.Shown(name)}'; expected one of: {string.Join(", ", forBias ? BiasNames : Names)}");
        if (forBias && !BiasNames.Contains(name))
            throw new BackpropException($"{nameAt}: {name} needs a weight's fan-in and fan-out, so it cannot initialise a bias; expected one of: {string.Join(", ", BiasNames)}");
        var fields = Fields(name);
        if (isName)
        {
            if (name == "constant") throw new BackpropException($"{where}: constant needs a value: {{\"name\": \"constant\", \"value\": ...}}");
            return new Initializer(name);
        }
        foreach (var p in e.EnumerateObject())
            if (p.Name != "name" && !fields.Contains(p.Name))
                throw new BackpropException(fields.Count == 0
                    ? $"{where}: unknown field '{JsonInput.Shown(p.Name)}'; {name} takes no arguments"
                    : $"{where}: unknown field '{JsonInput.Shown(p.Name)}'; {name} takes: {string.Join(", ", fields)}");
        double? Number(string field) => e.TryGetProperty(field, out var v) ? JsonInput.Number(v, $"{where}.{field}") : null;
        string? OneOf(string field, IReadOnlyList<string> allowed)
        {
            if (!e.TryGetProperty(field, out var v)) return null;
            string s = JsonInput.String(v, $"{where}.{field}");
            return allowed.Contains(s) ? s : throw new BackpropException($"{where}.{field}: expected one of: {string.Join(", ", allowed)}; got '{JsonInput.Shown(s)}'");
        }
        var init = new Initializer(name)
        {
            Value = Number("value"), Mean = Number("mean"), Std = Number("std"), A = Number("a"), B = Number("b"), Gain = Number("gain"),
            Mode = OneOf("mode", Init.Modes), Nonlinearity = OneOf("nonlinearity", Init.Nonlinearities),
        };
        switch (name)
        {
            case "constant" when init.Value is null:
                throw new BackpropException($"{where}: missing field 'value'");
            case "normal" when init.Std < 0:
                throw new BackpropException($"{where}.std: must be ≥ 0, got {NumberFormat.RoundTrip(init.Std.Value)}");
            case "uniform" when (init.A ?? 0) > (init.B ?? 1):
                throw new BackpropException($"{where}: a = {NumberFormat.RoundTrip(init.A ?? 0)} is greater than b = {NumberFormat.RoundTrip(init.B ?? 1)}");
            case "kaiming_uniform" or "kaiming_normal" when init.A is not null && (init.Nonlinearity ?? "leaky_relu") != "leaky_relu":
                throw new BackpropException($"{where}.a: the negative slope applies only to nonlinearity leaky_relu, not {init.Nonlinearity}");
        }
        return init;
    }

    /// <summary>As a model file writes it: {"name": "kaiming_normal", "mode": "fan_in"}, only the arguments that were given.</summary>
    public string ToJson()
    {
        var sb = new StringBuilder("{\"name\": \"").Append(Name).Append('"');
        void Number(string field, double? v)
        {
            if (v is double d) sb.Append(", \"").Append(field).Append("\": ").Append(NumberFormat.RoundTrip(d));
        }
        void Text(string field, string? v)
        {
            if (v is not null) sb.Append(", \"").Append(field).Append("\": \"").Append(v).Append('"');
        }
        Number("value", Value);
        Number("mean", Mean);
        Number("std", Std);
        Number("a", A);
        Number("b", B);
        Number("gain", Gain);
        Text("mode", Mode);
        Text("nonlinearity", Nonlinearity);
        return sb.Append('}').ToString();
    }
}
