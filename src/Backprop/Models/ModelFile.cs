using System.Numerics;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using Backprop.IO;
using Backprop.Initializers;
using Backprop.Layers;
using Backprop.Tensors;

namespace Backprop.Models;

/// <summary>
/// The one place that reads and writes model files (JSON a person can write by hand):
/// <code>
/// {"input": [2], "seed": 0, "layers": [{"type": "linear", "out": 2, "weight": [[3, 4], [6, 5]], "bias": [1, -6]}, {"type": "sigmoid"}]}
/// </code>
/// Each layer's input shape is inferred from the one before. Parameters without values are initialised from "seed":
/// with PyTorch's default scheme, or as a linear/conv layer's "init" (weight) and "bias_init" (bias) say, e.g.
/// <c>"init": {"name": "kaiming_normal", "mode": "fan_in", "nonlinearity": "relu"}</c> or <c>"bias_init": "zeros"</c>.
/// Written files hold every value, so a model loads back exactly; "init" is written back only when a spec has it.
/// </summary>
public static class ModelFile
{
    public static Sequential<T> Load<T>(string path) where T : unmanaged, IFloatingPointIeee754<T> =>
        Build<T>(Parse(JsonInput.ReadFile(path), path), path);

    /// <summary>The text of a model file, or a clear error naming it.</summary>
    public static string ReadText(string path) => JsonInput.ReadFile(path);

    /// <summary>Reads model JSON; <paramref name="source"/> (usually the file name) starts every error message.</summary>
    public static ModelSpec Parse(string json, string source)
    {
        using var doc = JsonInput.Parse(json, source);
        return Parse(doc.RootElement, source);
    }

    public static ModelSpec Parse(JsonElement root, string source)
    {
        JsonInput.Object(root, source);
        JsonInput.AllowOnly(root, source, ["input", "seed", "layers"]);
        var inputElement = JsonInput.Required(root, "input", source);
        if (inputElement.ValueKind != JsonValueKind.Array || inputElement.GetArrayLength() is < 1 or > 3)
            throw new BackpropException($"{source}: input: expected the shape of one example, a list of 1 to 3 positive integers ([features], [channels, length] or [channels, height, width]), got {JsonInput.Excerpt(inputElement)}");
        var input = inputElement.EnumerateArray().Select((e, i) => JsonInput.Integer(e, $"{source}: input[{i}]", 1)).ToArray();
        if (input.Aggregate(1L, (size, d) => Math.Min(size * d, (long)Array.MaxLength + 1)) > Array.MaxLength)
            throw new BackpropException($"{source}: input: one example of shape {Tensor.Format(input)} has more elements than an array can hold");
        ulong seed = 0;
        if (root.TryGetProperty("seed", out var seedElement))
            seed = (ulong)JsonInput.Integer(seedElement, $"{source}: seed", 0);
        var layersElement = JsonInput.Required(root, "layers", source);
        if (layersElement.ValueKind != JsonValueKind.Array)
            throw new BackpropException($"{source}: layers: expected a list of layers, got {JsonInput.Describe(layersElement)}");
        var layers = new List<LayerSpec>();
        int index = 0;
        foreach (var e in layersElement.EnumerateArray()) layers.Add(ParseLayer(e, $"{source}: layers[{index++}]"));
        return new ModelSpec { Input = input, Seed = seed, Layers = layers };
    }

    /// <summary>One "layers" entry, read by the <see cref="LayerKind"/> its "type" names.</summary>
    private static LayerSpec ParseLayer(JsonElement e, string where)
    {
        JsonInput.Object(e, where);
        string type = JsonInput.String(JsonInput.Required(e, "type", where), $"{where}.type");
        var kind = LayerKinds.Find(type)
            ?? throw new BackpropException($"{where}.type: unknown layer type '{JsonInput.Shown(type)}'; expected one of: {string.Join(", ", LayerKinds.Names)}");
        return kind.Read(e, where);
    }

    /// <summary>
    /// Builds the layers, inferring each input shape, checking given values and initialising the rest. Every shape is
    /// checked first (<see cref="Layout"/>), and a model whose parameters and gradients would not fit in memory
    /// (<see cref="MemoryEstimate"/>) is refused before anything is allocated.
    /// </summary>
    public static Sequential<T> Build<T>(ModelSpec spec, string source) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var layout = Layout(spec, source);
        MemoryEstimate.Check(MemoryEstimate.Model(layout, Unsafe.SizeOf<T>()),
            $"{source}: the model's {layout.ParameterCount:N0} parameters and their gradients in {JsonInput.PrecisionName<T>()} need");
        var rng = new Rng(spec.Seed);
        var layers = new List<Layer<T>>();
        for (int i = 0; i < spec.Layers.Count; i++)
        {
            var ls = spec.Layers[i];
            var layer = ls.Create<T>(layout.Layers[i].InputShape);
            foreach (var p in layer.Parameters)
            {
                if (ls.Values.TryGetValue(p.Name, out var given)) SetValues(p.Value, given.Values, given.Shape, $"{source}: layers[{i}].{p.Name}");
                else if (ls.DrawsInitialValues) Initialize(layer, p, p.Name == "weight" ? ls.Init : ls.BiasInit, rng, $"{source}: layers[{i}].{(p.Name == "weight" ? "init" : "bias_init")}");
            }
            foreach (var b in layer.Buffers)
                if (ls.Values.TryGetValue(b.Name, out var given)) SetValues(b.Value, given.Values, given.Shape, $"{source}: layers[{i}].{b.Name}");
            layers.Add(layer);
        }
        // The generator goes on from where initialisation left it: Dropout draws its masks from it.
        var model = new Sequential<T>(spec.Input, layers);
        model.Context.Generator = rng;
        return model;
    }

    // Parameters without values draw from the model's one Rng in a fixed order: layer by layer, weight before bias,
    // each tensor in row-major order. Given values and zeros/constant draw nothing.
    // PyTorch's default scheme draws from the fan-in of the layer's weight (its first parameter) for the bias too.
    private static void Initialize<T>(Layer<T> layer, Parameter<T> p, Initializer? init, Rng rng, string where) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var weight = layer.Parameters[0].Value;
        int fanIn = weight.Length / weight.Shape[0];
        if (init is null)
        {
            DefaultInitialization.Fill(p.Value, fanIn, rng);
            return;
        }
        try
        {
            init.Fill(p.Value, fanIn, rng);
        }
        catch (ArgumentException e)
        {
            throw new BackpropException($"{where}: {init.Name}: {e.Message}");
        }
        for (int k = 0; k < p.Value.Length; k++)
            if (!T.IsFinite(p.Value[k]))
                throw new BackpropException($"{where}: {init.Name} gave element {k} = {NumberFormat.RoundTrip(double.CreateChecked(p.Value[k]))}, which overflows {(typeof(T) == typeof(float) ? "float32" : "float64")}");
    }

    /// <summary>
    /// Every layer's input, output and parameter shapes, inferred from the spec and checked (rank, window fit, sizes an
    /// array can hold) without allocating anything: <see cref="Build{T}"/> checks memory with it, and a weights file
    /// can be checked against it before a model is built.
    /// </summary>
    public static ModelLayout Layout(ModelSpec spec, string source)
    {
        var layers = new List<LayerLayout>(spec.Layers.Count);
        int[] shape = spec.Input;
        for (int i = 0; i < spec.Layers.Count; i++)
        {
            var layer = spec.Layers[i].Layout(shape, $"{source}: layers[{i}] ({spec.Layers[i].Type})");
            layers.Add(layer);
            shape = layer.OutputShape;
        }
        return new ModelLayout(spec.Input, layers);
    }

    private static void SetValues<T>(Tensor<T> tensor, double[] values, int[] shape, string where) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (!tensor.HasShape(shape))
            throw new BackpropException($"{where}: expected {JsonInput.NestedShape(tensor.Shape)}, got {JsonInput.NestedShape(shape)}");
        JsonInput.ToPrecision<T>(values, shape, where).CopyTo(tensor.Span);
    }

    /// <summary>The model as a spec with every parameter value, for writing or rebuilding in another precision.</summary>
    public static ModelSpec ToSpec<T>(Sequential<T> model) where T : unmanaged, IFloatingPointIeee754<T> => new()
    {
        Input = model.InputShape,
        Layers = model.Layers.Select(l => l.Spec with
        {
            Values = l.Parameters.Select(p => (p.Name, p.Value)).Concat(l.Buffers.Select(b => (b.Name, b.Value)))
                .ToDictionary(t => t.Name, t => (t.Value.ToDoubleArray(), t.Value.Shape)),
        }).ToList(),
    };

    /// <summary>Model JSON with every value, one layer per line group, numbers in shortest round-trip form.</summary>
    public static string Write<T>(Sequential<T> model) where T : unmanaged, IFloatingPointIeee754<T> => Write(ToSpec(model));

    public static string Write(ModelSpec spec) => Write(spec, withValues: true);

    /// <summary>The architecture only (no parameter values), for a model whose weights live in a safetensors file.</summary>
    public static string WriteArchitecture(ModelSpec spec) => Write(spec, withValues: false);

    private static string Write(ModelSpec spec, bool withValues)
    {
        var sb = new StringBuilder();
        sb.Append("{\n  \"input\": [").Append(string.Join(", ", spec.Input)).Append("],\n");
        if (spec.Seed != 0) sb.Append("  \"seed\": ").Append(spec.Seed).Append(",\n");
        sb.Append("  \"layers\": [");
        for (int i = 0; i < spec.Layers.Count; i++)
        {
            sb.Append(i == 0 ? "\n    " : ",\n    ");
            spec.Layers[i].WriteJson(sb, withValues ? "\n      " : null);
        }
        sb.Append(spec.Layers.Count > 0 ? "\n  ]\n}\n" : "]\n}\n");
        return sb.ToString();
    }

    /// <summary>The model as its file would read, without parameter values.</summary>
    public static string Describe<T>(Sequential<T> model) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var sb = new StringBuilder();
        sb.Append("{\"input\": [").Append(string.Join(", ", model.InputShape)).Append("], \"layers\": [");
        for (int i = 0; i < model.Layers.Count; i++)
        {
            sb.Append(i == 0 ? "\n  " : ",\n  ");
            model.Layers[i].Spec.WriteJson(sb, null);
        }
        sb.Append("]}");
        return sb.ToString();
    }
}
