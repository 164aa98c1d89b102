using System.Numerics;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
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
    public static readonly IReadOnlyList<string> LayerTypes =
        ["linear", "conv1d", "conv2d", "maxpool2d", "avgpool2d", "flatten", "relu", "leaky_relu", "sigmoid", "tanh", "softplus", "gelu", "identity", "softmax"];

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

    private static LayerSpec ParseLayer(JsonElement e, string where)
    {
        JsonInput.Object(e, where);
        string type = JsonInput.String(JsonInput.Required(e, "type", where), $"{where}.type");
        string at = $"{where} ({JsonInput.Shown(type)})";
        switch (type)
        {
            case "linear":
                JsonInput.AllowOnly(e, at, ["type", "out", "bias", "weight", "init", "bias_init"]);
                return WithParameters(e, where, new LayerSpec { Type = type, Out = JsonInput.Integer(JsonInput.Required(e, "out", at), $"{where}.out", 1) });
            case "conv1d" or "conv2d":
                JsonInput.AllowOnly(e, at, ["type", "out_channels", "kernel_size", "stride", "padding", "bias", "weight", "init", "bias_init"]);
                int dims = type == "conv1d" ? 1 : 2;
                return WithParameters(e, where, new LayerSpec
                {
                    Type = type,
                    Out = JsonInput.Integer(JsonInput.Required(e, "out_channels", at), $"{where}.out_channels", 1),
                    KernelSize = JsonInput.IntegerOrList(JsonInput.Required(e, "kernel_size", at), $"{where}.kernel_size", dims, 1),
                    Stride = e.TryGetProperty("stride", out var s) ? JsonInput.IntegerOrList(s, $"{where}.stride", dims, 1) : Enumerable.Repeat(1, dims).ToArray(),
                    Padding = e.TryGetProperty("padding", out var p) ? JsonInput.IntegerOrList(p, $"{where}.padding", dims, 0) : new int[dims],
                });
            case "maxpool2d" or "avgpool2d":
                JsonInput.AllowOnly(e, at, ["type", "kernel_size", "stride"]);
                var kernel = JsonInput.IntegerOrList(JsonInput.Required(e, "kernel_size", at), $"{where}.kernel_size", 2, 1);
                return new LayerSpec
                {
                    Type = type,
                    KernelSize = kernel,
                    Stride = e.TryGetProperty("stride", out var ps) ? JsonInput.IntegerOrList(ps, $"{where}.stride", 2, 1) : kernel,
                };
            case "relu":
                JsonInput.AllowOnly(e, at, ["type", "scale"]);
                return new LayerSpec { Type = type, Scale = OptionalNumber(e, "scale", where, 1.0) };
            case "leaky_relu":
                JsonInput.AllowOnly(e, at, ["type", "negative_slope"]);
                return new LayerSpec { Type = type, NegativeSlope = OptionalNumber(e, "negative_slope", where, 0.01) };
            case "softplus":
                JsonInput.AllowOnly(e, at, ["type", "beta", "threshold"]);
                double beta = OptionalNumber(e, "beta", where, 1.0);
                if (beta == 0) throw new BackpropException($"{where}.beta: must not be 0");
                return new LayerSpec { Type = type, Beta = beta, Threshold = OptionalNumber(e, "threshold", where, 20.0) };
            case "flatten" or "sigmoid" or "tanh" or "gelu" or "identity" or "softmax":
                JsonInput.AllowOnly(e, at, ["type"]);
                return new LayerSpec { Type = type };
            default:
                throw new BackpropException($"{where}.type: unknown layer type '{JsonInput.Shown(type)}'; expected one of: {string.Join(", ", LayerTypes)}");
        }
    }

    private static double OptionalNumber(JsonElement e, string name, string where, double fallback) =>
        e.TryGetProperty(name, out var v) ? JsonInput.Number(v, $"{where}.{name}") : fallback;

    private static LayerSpec WithParameters(JsonElement e, string where, LayerSpec spec)
    {
        (double[], int[])? weight = e.TryGetProperty("weight", out var w) ? JsonInput.NumberArray(w, $"{where}.weight") : null;
        bool hasBias = true;
        (double[], int[])? bias = null;
        if (e.TryGetProperty("bias", out var b))
        {
            if (b.ValueKind is JsonValueKind.True or JsonValueKind.False) hasBias = b.GetBoolean();
            else if (b.ValueKind == JsonValueKind.Array) bias = JsonInput.NumberArray(b, $"{where}.bias");
            else throw new BackpropException($"{where}.bias: expected true, false or a list of numbers, got {JsonInput.Describe(b)}");
        }
        Initializer? init = e.TryGetProperty("init", out var i) ? ParseInit(i, $"{where}.init", forBias: false) : null;
        Initializer? biasInit = null;
        if (e.TryGetProperty("bias_init", out var bi))
        {
            if (!hasBias) throw new BackpropException($"{where}.bias_init: the layer has no bias (\"bias\": false)");
            biasInit = ParseInit(bi, $"{where}.bias_init", forBias: true);
        }
        return new LayerSpec
        {
            Type = spec.Type, Out = spec.Out, KernelSize = spec.KernelSize, Stride = spec.Stride, Padding = spec.Padding,
            HasBias = hasBias, Weight = weight, Bias = bias, Init = init, BiasInit = biasInit,
        };
    }

    /// <summary>
    /// "init" / "bias_init": a name ("zeros") or an object {"name": "kaiming_normal", "mode": "fan_in", ...} with
    /// only the fields that name takes (<see cref="Initializer.Fields"/>), each checked here.
    /// </summary>
    private static Initializer ParseInit(JsonElement e, string where, bool forBias)
    {
        if (e.ValueKind is not (JsonValueKind.String or JsonValueKind.Object))
            throw new BackpropException($"{where}: expected an initializer name or an object {{\"name\": ...}}, got {JsonInput.Describe(e)}");
        bool isName = e.ValueKind == JsonValueKind.String;
        string name = isName ? e.GetString()! : JsonInput.String(JsonInput.Required(e, "name", where), $"{where}.name");
        string nameAt = isName ? where : $"{where}.name";
        if (!Initializer.Names.Contains(name))
            throw new BackpropException($"{nameAt}: unknown initializer '{JsonInput.Shown(name)}'; expected one of: {string.Join(", ", forBias ? Initializer.BiasNames : Initializer.Names)}");
        if (forBias && !Initializer.BiasNames.Contains(name))
            throw new BackpropException($"{nameAt}: {name} needs a weight's fan-in and fan-out, so it cannot initialise a bias; expected one of: {string.Join(", ", Initializer.BiasNames)}");
        var fields = Initializer.Fields(name);
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
            var planned = layout.Layers[i];
            var layer = CreateLayer<T>(ls, planned.InputShape);
            if (!layer.OutputShape.AsSpan().SequenceEqual(planned.OutputShape))
                throw new InvalidOperationException($"layers[{i}] ({ls.Type}): the layout says output {Tensor.Format(planned.OutputShape)}, the layer {Tensor.Format(layer.OutputShape)}");
            foreach (var p in layer.Parameters)
            {
                var given = p.Name == "weight" ? ls.Weight : ls.Bias;
                if (given is { } g) SetValues(p, g.Values, g.Shape, $"{source}: layers[{i}].{p.Name}");
                else Initialize(layer, p, p.Name == "weight" ? ls.Init : ls.BiasInit, rng, $"{source}: layers[{i}].{(p.Name == "weight" ? "init" : "bias_init")}");
            }
            layers.Add(layer);
        }
        return new Sequential<T>(spec.Input, layers);
    }

    // Parameters without values draw from the model's one Rng in a fixed order: layer by layer, weight before bias,
    // each tensor in row-major order. Given values and zeros/constant draw nothing.
    private static void Initialize<T>(Layer<T> layer, Parameter<T> p, Initializer? init, Rng rng, string where) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (init is null)
        {
            DefaultInitialization.Fill(layer, p, rng);
            return;
        }
        try
        {
            init.Fill(layer, p, rng);
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
            var layer = LayoutOf(spec.Layers[i], shape, $"{source}: layers[{i}] ({spec.Layers[i].Type})");
            layers.Add(layer);
            shape = layer.OutputShape;
        }
        return new ModelLayout(spec.Input, layers);
    }

    private static LayerLayout LayoutOf(LayerSpec s, int[] shape, string where)
    {
        void NeedRank(int rank, string what)
        {
            if (shape.Length != rank)
                throw new BackpropException($"{where}: needs {what} per example, but its input is [N, {string.Join(", ", shape)}]" +
                    s.Type switch
                    {
                        "linear" => "; add a flatten layer before it",
                        "softmax" => "; softmax acts over the features of each example, so add a flatten layer before it",
                        _ => "",
                    });
        }
        // Shapes come from the file (each number up to 2^24), so a product can exceed what an array holds; say so
        // here instead of failing inside a tensor constructor.
        void NeedSize(string what, params int[] dims)
        {
            long size = 1;
            foreach (int d in dims)
            {
                size *= d;
                if (size > Array.MaxLength)
                    throw new BackpropException($"{where}: its {what} would have shape {Tensor.Format(dims)}, more elements than an array can hold");
            }
        }
        void NeedPositive(int[] outShape)
        {
            if (outShape.Any(d => d < 1))
                throw new BackpropException($"{where}: the window (kernel {string.Join("x", s.KernelSize)}) does not fit its input [N, {string.Join(", ", shape)}]");
        }
        LayerLayout Same() => new(s.Type, shape, shape, [], 0);
        List<(string, int[])> Parameters(int[] weight) => s.HasBias ? [("weight", weight), ("bias", [s.Out])] : [("weight", weight)];
        switch (s.Type)
        {
            case "linear":
                NeedRank(1, "a flat input [features]");
                NeedSize("weight", s.Out, shape[0]);
                return new LayerLayout(s.Type, shape, [s.Out], Parameters([s.Out, shape[0]]), 0);
            case "conv1d":
            {
                NeedRank(2, "an input [channels, length]");
                NeedPositive([(shape[1] + 2 * s.Padding[0] - s.KernelSize[0]) / s.Stride[0] + 1, shape[1] + 2 * s.Padding[0] - s.KernelSize[0] + 1]);
                int length = (shape[1] + 2 * s.Padding[0] - s.KernelSize[0]) / s.Stride[0] + 1;
                NeedSize("weight", s.Out, shape[0], s.KernelSize[0]);
                NeedSize("output", s.Out, length);
                // im2col: one column of channels × kernel values per output position, for one example at a time.
                NeedSize("im2col buffer", shape[0], s.KernelSize[0], length);
                return new LayerLayout(s.Type, shape, [s.Out, length], Parameters([s.Out, shape[0], s.KernelSize[0]]), 2L * shape[0] * s.KernelSize[0] * length);
            }
            case "conv2d":
            {
                NeedRank(3, "an input [channels, height, width]");
                NeedPositive([shape[1] + 2 * s.Padding[0] - s.KernelSize[0] + 1, shape[2] + 2 * s.Padding[1] - s.KernelSize[1] + 1]);
                int height = (shape[1] + 2 * s.Padding[0] - s.KernelSize[0]) / s.Stride[0] + 1, width = (shape[2] + 2 * s.Padding[1] - s.KernelSize[1]) / s.Stride[1] + 1;
                NeedSize("weight", s.Out, shape[0], s.KernelSize[0], s.KernelSize[1]);
                NeedSize("output", s.Out, height, width);
                NeedSize("im2col buffer", shape[0], s.KernelSize[0], s.KernelSize[1], height, width);
                return new LayerLayout(s.Type, shape, [s.Out, height, width], Parameters([s.Out, shape[0], s.KernelSize[0], s.KernelSize[1]]),
                    2L * shape[0] * s.KernelSize[0] * s.KernelSize[1] * height * width);
            }
            case "maxpool2d" or "avgpool2d":
                NeedRank(3, "an input [channels, height, width]");
                NeedPositive([shape[1] - s.KernelSize[0] + 1, shape[2] - s.KernelSize[1] + 1]);
                return new LayerLayout(s.Type, shape, [shape[0], (shape[1] - s.KernelSize[0]) / s.Stride[0] + 1, (shape[2] - s.KernelSize[1]) / s.Stride[1] + 1], [], 0);
            case "flatten": return new LayerLayout(s.Type, shape, [Tensor.SizeOf(shape)], [], 0);
            case "relu" or "leaky_relu" or "sigmoid" or "tanh" or "softplus" or "gelu" or "identity": return Same();
            case "softmax":
                NeedRank(1, "a flat input [features]");
                return Same();
            default:
                throw new BackpropException($"{where}: unknown layer type '{s.Type}'");
        }
    }

    /// <summary>Creates the layer <see cref="LayoutOf"/> has checked, for an input of <paramref name="shape"/>.</summary>
    private static Layer<T> CreateLayer<T>(LayerSpec s, int[] shape) where T : unmanaged, IFloatingPointIeee754<T> => s.Type switch
    {
        "linear" => new Linear<T>(shape[0], s.Out, s.HasBias),
        "conv1d" => new Conv1d<T>(shape, s.Out, s.KernelSize[0], s.Stride[0], s.Padding[0], s.HasBias),
        "conv2d" => new Conv2d<T>(shape, s.Out, (s.KernelSize[0], s.KernelSize[1]), (s.Stride[0], s.Stride[1]), (s.Padding[0], s.Padding[1]), s.HasBias),
        "maxpool2d" => new MaxPool2d<T>(shape, (s.KernelSize[0], s.KernelSize[1]), (s.Stride[0], s.Stride[1])),
        "avgpool2d" => new AvgPool2d<T>(shape, (s.KernelSize[0], s.KernelSize[1]), (s.Stride[0], s.Stride[1])),
        "flatten" => new Flatten<T>(shape),
        "relu" => new ReLU<T>(shape, s.Scale),
        "leaky_relu" => new LeakyReLU<T>(shape, s.NegativeSlope),
        "sigmoid" => new Sigmoid<T>(shape),
        "tanh" => new Tanh<T>(shape),
        "softplus" => new Softplus<T>(shape, s.Beta, s.Threshold),
        "gelu" => new GELU<T>(shape),
        "identity" => new Identity<T>(shape),
        "softmax" => new Softmax<T>(shape[0]),
        _ => throw new BackpropException($"unknown layer type '{s.Type}'"),
    };

    private static void SetValues<T>(Parameter<T> p, double[] values, int[] shape, string where) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (!p.Value.HasShape(shape))
            throw new BackpropException($"{where}: expected {JsonInput.NestedShape(p.Value.Shape)}, got {JsonInput.NestedShape(shape)}");
        JsonInput.ToPrecision<T>(values, shape, where).CopyTo(p.Value.Span);
    }

    /// <summary>The model as a spec with every parameter value, for writing or rebuilding in another precision.</summary>
    public static ModelSpec ToSpec<T>(Sequential<T> model) where T : unmanaged, IFloatingPointIeee754<T> => new()
    {
        Input = model.InputShape,
        Layers = model.Layers.Select(l => SpecOf(l, withValues: true)).ToList(),
    };

    private static LayerSpec SpecOf<T>(Layer<T> layer, bool withValues) where T : unmanaged, IFloatingPointIeee754<T>
    {
        (double[], int[])? Values(Parameter<T>? p) => withValues && p is not null ? (p.Value.ToDoubleArray(), p.Value.Shape) : null;
        return layer switch
        {
            Linear<T> l => new LayerSpec { Type = l.Type, Out = l.OutFeatures, HasBias = l.Bias is not null, Weight = Values(l.Weight), Bias = Values(l.Bias) },
            Conv1d<T> c => new LayerSpec
            {
                Type = c.Type, Out = c.OutChannels, KernelSize = [c.KernelSize], Stride = [c.Stride], Padding = [c.Padding],
                HasBias = c.Bias is not null, Weight = Values(c.Weight), Bias = Values(c.Bias),
            },
            Conv2d<T> c => new LayerSpec
            {
                Type = c.Type, Out = c.OutChannels, KernelSize = [c.KernelSize.H, c.KernelSize.W], Stride = [c.Stride.H, c.Stride.W],
                Padding = [c.Padding.H, c.Padding.W], HasBias = c.Bias is not null, Weight = Values(c.Weight), Bias = Values(c.Bias),
            },
            Pool2d<T> p => new LayerSpec { Type = p.Type, KernelSize = [p.KernelSize.H, p.KernelSize.W], Stride = [p.Stride.H, p.Stride.W] },
            ReLU<T> r => new LayerSpec { Type = r.Type, Scale = r.Scale },
            LeakyReLU<T> r => new LayerSpec { Type = r.Type, NegativeSlope = r.NegativeSlope },
            Softplus<T> s => new LayerSpec { Type = s.Type, Beta = s.Beta, Threshold = s.Threshold },
            _ => new LayerSpec { Type = layer.Type },
        };
    }

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
            AppendLayer(sb, spec.Layers[i], withValues ? "\n      " : null);
        }
        sb.Append(spec.Layers.Count > 0 ? "\n  ]\n}\n" : "]\n}\n");
        return sb.ToString();
    }

    /// <summary>One layer as it would stand in a model file, without values: {"type": "linear", "out": 2}.</summary>
    public static string Describe<T>(Layer<T> layer) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var sb = new StringBuilder();
        AppendLayer(sb, SpecOf(layer, withValues: false), null);
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
            AppendLayer(sb, SpecOf(model.Layers[i], withValues: false), null);
        }
        sb.Append("]}");
        return sb.ToString();
    }

    // {"name": "kaiming_normal", "mode": "fan_in"}: only the arguments that were given.
    private static string InitJson(Initializer init)
    {
        var sb = new StringBuilder("{\"name\": \"").Append(init.Name).Append('"');
        void Number(string field, double? v)
        {
            if (v is double d) sb.Append(", \"").Append(field).Append("\": ").Append(NumberFormat.RoundTrip(d));
        }
        void Text(string field, string? v)
        {
            if (v is not null) sb.Append(", \"").Append(field).Append("\": \"").Append(v).Append('"');
        }
        Number("value", init.Value);
        Number("mean", init.Mean);
        Number("std", init.Std);
        Number("a", init.A);
        Number("b", init.B);
        Number("gain", init.Gain);
        Text("mode", init.Mode);
        Text("nonlinearity", init.Nonlinearity);
        return sb.Append('}').ToString();
    }

    private static void AppendLayer(StringBuilder sb, LayerSpec s, string? valueIndent)
    {
        sb.Append("{\"type\": \"").Append(s.Type).Append('"');
        static string Ints(int[] v) => v.Length == 1 || v.Distinct().Count() == 1 ? v[0].ToString() : "[" + string.Join(", ", v) + "]";
        switch (s.Type)
        {
            case "linear": sb.Append(", \"out\": ").Append(s.Out); break;
            case "conv1d" or "conv2d":
                sb.Append(", \"out_channels\": ").Append(s.Out).Append(", \"kernel_size\": ").Append(Ints(s.KernelSize))
                  .Append(", \"stride\": ").Append(Ints(s.Stride)).Append(", \"padding\": ").Append(Ints(s.Padding));
                break;
            case "maxpool2d" or "avgpool2d":
                sb.Append(", \"kernel_size\": ").Append(Ints(s.KernelSize)).Append(", \"stride\": ").Append(Ints(s.Stride));
                break;
            case "relu" when s.Scale != 1.0: sb.Append(", \"scale\": ").Append(NumberFormat.RoundTrip(s.Scale)); break;
            case "leaky_relu": sb.Append(", \"negative_slope\": ").Append(NumberFormat.RoundTrip(s.NegativeSlope)); break;
            case "softplus":
                sb.Append(", \"beta\": ").Append(NumberFormat.RoundTrip(s.Beta)).Append(", \"threshold\": ").Append(NumberFormat.RoundTrip(s.Threshold));
                break;
        }
        if (s.Type is "linear" or "conv1d" or "conv2d")
        {
            if (s.Init is { } init) sb.Append(", \"init\": ").Append(InitJson(init));
            if (s.BiasInit is { } biasInit) sb.Append(", \"bias_init\": ").Append(InitJson(biasInit));
            if (s.Weight is { } w && valueIndent is not null)
                sb.Append(',').Append(valueIndent).Append("\"weight\": ").Append(NumberFormat.Nested(w.Values, w.Shape, NumberFormat.RoundTrip));
            if (!s.HasBias) sb.Append(", \"bias\": false");
            else if (s.Bias is { } b && valueIndent is not null)
                sb.Append(',').Append(valueIndent).Append("\"bias\": ").Append(NumberFormat.Nested(b.Values, b.Shape, NumberFormat.RoundTrip));
        }
        sb.Append('}');
    }
}
