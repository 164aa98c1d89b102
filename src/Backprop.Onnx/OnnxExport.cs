using System.Numerics;
using Backprop.Onnx.Proto;
using Backprop.IO;
using Backprop.Layers;
using Backprop.Models;
using Backprop.Tensors;
using Backprop.Training;
using Google.Protobuf;
using static Backprop.Onnx.OnnxGraph;

namespace Backprop.Onnx;

/// <summary>
/// Writes a model as an ONNX file (IR version 8, opset 17, float32) that ONNX Runtime and other ONNX tools run:
/// one graph input "input" [N, ...input shape] with a symbolic batch dimension "N", one output "output".
/// <code>
/// OnnxExport.Save("model.onnx", model);                       // a Sequential&lt;float&gt; (or double, rounded to float32)
/// OnnxExport.Save("model.onnx", trained.Model, trained.Preparation);   // with the input preparation baked in
/// </code>
/// Each layer becomes the ONNX operators that compute exactly its formula; parameters become initializers named as
/// in the state_dict ("0.weight", "0.bias"):
/// <list type="table">
/// <item><term>linear</term><description>Gemm(x, W, b) with transB = 1 (x·Wᵀ + b)</description></item>
/// <item><term>conv1d, conv2d</term><description>Conv with kernel_shape, strides, pads</description></item>
/// <item><term>maxpool2d, avgpool2d</term><description>MaxPool, AveragePool (no padding, floor mode)</description></item>
/// <item><term>flatten</term><description>Flatten(axis = 1)</description></item>
/// <item><term>relu</term><description>Relu, then Mul by the scale when it is not 1</description></item>
/// <item><term>leaky_relu</term><description>LeakyRelu(alpha = negative_slope)</description></item>
/// <item><term>sigmoid, tanh, identity</term><description>Sigmoid, Tanh, Identity</description></item>
/// <item><term>softplus</term><description>Softplus for β = 1, else Div(Softplus(Mul(x, β)), β); below a threshold
/// of <see cref="SoftplusThresholdBranchFrom"/> also Where(Greater(βx, threshold), x, ·)</description></item>
/// <item><term>gelu</term><description>x · ½(1 + erf(x/√2)) as Div, Erf, Add, Mul, Mul (ONNX's Gelu needs opset 20)</description></item>
/// <item><term>softmax</term><description>Softmax(axis = 1)</description></item>
/// <item><term>batchnorm1d, batchnorm2d</term><description>BatchNormalization (inference: the running statistics, epsilon = eps);
/// without running statistics, the batch's: ReduceMean, Sub, Mul, ReduceMean, Add, Sqrt, Div, Mul, Add</description></item>
/// <item><term>dropout</term><description>Identity (inference)</description></item>
/// </list>
/// </summary>
public static class OnnxExport
{
    public const long IrVersion = 8;

    /// <summary>
    /// The default-domain opset: 17 has every operator used here, ONNX Runtime runs it, and so do older runtimes and
    /// Debian's onnx 1.12 (whose newest opset it is).
    /// </summary>
    public const int Opset = 17;

    public const string InputName = "input", OutputName = "output", BatchDimension = "N";

    /// <summary>Metadata key holding the architecture as model-file JSON without values (as in safetensors files).</summary>
    public const string ModelMetadataKey = "backprop.model";

    /// <summary>Metadata key saying what preparation of the input the graph does ("none" or, e.g., "divide by 255, standardize").</summary>
    public const string PreprocessingMetadataKey = "backprop.preprocessing";

    /// <summary>
    /// Softplus computes y = x where βx &gt; threshold. ONNX's Softplus has no threshold; from this threshold up the
    /// branch is left out, because there log(1 + e^(βx))/β and x differ by less than x · e^(−threshold)/threshold
    /// ≤ x · 2·10⁻⁸, under half a float32 unit in the last place (2⁻²⁴ ≈ 6·10⁻⁸). Below it (or for a negative threshold)
    /// the graph computes the branch with Greater and Where, exactly as the layer does.
    /// </summary>
    public const double SoftplusThresholdBranchFrom = 15.0;

    /// <summary>
    /// Writes the ONNX file atomically (<see cref="AtomicFile"/>). With <paramref name="preparation"/>, the graph
    /// starts with the input preparation of a trained model (Div by the scale, Sub the mean, Div by the standard
    /// deviation), so that it takes raw inputs (pixels 0..255).
    /// </summary>
    public static void Save<T>(string path, Sequential<T> model, DataPreparation? preparation = null) where T : unmanaged, IFloatingPointIeee754<T>
    {
        byte[] bytes = ToBytes(model, preparation);
        try
        {
            AtomicFile.WriteAllBytes(path, bytes);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new BackpropException($"{path}: cannot write the file: {e.Message}");
        }
    }

    /// <summary>The bytes of the ONNX file (a serialized ModelProto); the same model gives the same bytes.</summary>
    public static byte[] ToBytes<T>(Sequential<T> model, DataPreparation? preparation = null) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(model);
        var graph = new OnnxGraph("backprop");
        graph.AddInput(InputName, BatchDimension, model.InputShape);
        string x = InputName;
        string prepared = "none";
        if (preparation is not null) (x, prepared) = Prepare(graph, x, preparation, model.InputShape);
        for (int i = 0; i < model.Layers.Count; i++)
            x = Emit(graph, model.Layers[i], i, x, i == model.Layers.Count - 1 ? OutputName : null);
        if (x != OutputName) graph.Node("Identity", "output", [x], OutputName);
        graph.AddOutput(OutputName, BatchDimension, model.OutputShape);

        var proto = new ModelProto
        {
            IrVersion = IrVersion,
            ProducerName = "Backprop",
            ProducerVersion = typeof(OnnxExport).Assembly.GetName().Version?.ToString(3) ?? "0",
            DocString = $"Exported by Backprop from {ModelFile.Describe(model)}",
            Graph = graph.Proto,
        };
        proto.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = Opset });
        proto.MetadataProps.Add(new StringStringEntryProto { Key = ModelMetadataKey, Value = ModelFile.Describe(model) });
        proto.MetadataProps.Add(new StringStringEntryProto { Key = PreprocessingMetadataKey, Value = prepared });
        return proto.ToByteArray();
    }

    // x / scale, then (x − mean) / std with std = 0 replaced by 1: Preprocessing.ScaleToUnit and Standardize, op for op.
    private static (string Output, string Description) Prepare(OnnxGraph g, string x, DataPreparation p, int[] inputShape)
    {
        var steps = new List<string>();
        if (p.Scale is float scale)
        {
            x = g.Node("Div", "preprocessing.Div", [x, g.Scalar("preprocessing.scale", scale)]);
            steps.Add($"divide by {NumberFormat.RoundTrip(scale)}");
        }
        if (p.Mean is not null && p.Std is not null)
        {
            int size = Tensor.SizeOf(inputShape);
            if (p.Mean.Length != size || p.Std.Length != size)
                throw new BackpropException($"preprocessing: mean and std have {p.Mean.Length} and {p.Std.Length} values, but one example of the model's input [{string.Join(", ", inputShape)}] has {size}");
            float[] divisor = p.Std.Select(s => s == 0 ? 1f : s).ToArray();
            x = g.Node("Sub", "preprocessing.Sub", [x, g.Initializer("preprocessing.mean", p.Mean, inputShape)]);
            x = g.Node("Div", "preprocessing.Div", [x, g.Initializer("preprocessing.std", divisor, inputShape)]);
            steps.Add("standardize");
        }
        return (x, steps.Count == 0 ? "none" : string.Join(", ", steps));
    }

    /// <summary>
    /// Adds layer <paramref name="i"/>'s nodes reading <paramref name="x"/>; the last one writes <paramref name="y"/> if
    /// given. The operators follow the layer's description (<see cref="Layer{T}.Spec"/>); the values are its parameters'.
    /// </summary>
    private static string Emit<T>(OnnxGraph g, Layer<T> layer, int i, string x, string? y) where T : unmanaged, IFloatingPointIeee754<T>
    {
        string At(string op) => $"{i}.{op}";
        switch (layer.Spec)
        {
            case Linear:
                // x [N, in] · Wᵀ [in, out] + b [out]
                return g.Node("Gemm", At("Gemm"), [x, .. Parameters(g, i, layer)], y, Int("transB", 1));
            case Conv1d c:
                return g.Node("Conv", At("Conv"), [x, .. Parameters(g, i, layer)], y,
                    Ints("kernel_shape", c.KernelSize), Ints("strides", c.Stride), Ints("pads", c.Padding, c.Padding));
            case Conv2d c:
                // pads are [begin of H, begin of W, end of H, end of W]
                return g.Node("Conv", At("Conv"), [x, .. Parameters(g, i, layer)], y,
                    Ints("kernel_shape", c.KernelSize.H, c.KernelSize.W), Ints("strides", c.Stride.H, c.Stride.W),
                    Ints("pads", c.Padding.H, c.Padding.W, c.Padding.H, c.Padding.W));
            case MaxPool2d p:
                return g.Node("MaxPool", At("MaxPool"), [x], y, Ints("kernel_shape", p.KernelSize.H, p.KernelSize.W), Ints("strides", p.Stride.H, p.Stride.W));
            case AvgPool2d p:
                return g.Node("AveragePool", At("AveragePool"), [x], y, Ints("kernel_shape", p.KernelSize.H, p.KernelSize.W), Ints("strides", p.Stride.H, p.Stride.W));
            case Flatten:
                return g.Node("Flatten", At("Flatten"), [x], y, Int("axis", 1));
            case ReLU { Scale: 1.0 }:
                return g.Node("Relu", At("Relu"), [x], y);
            case ReLU r:
                // scale · max(0, x): the product is the layer's own (scale · x, or scale · 0 = 0)
                return g.Node("Mul", At("Mul"), [g.Node("Relu", At("Relu"), [x]), g.Scalar($"{i}.scale", (float)r.Scale)], y);
            case LeakyReLU r:
                return g.Node("LeakyRelu", At("LeakyRelu"), [x], y, Float("alpha", (float)r.NegativeSlope));
            case Sigmoid:
                return g.Node("Sigmoid", At("Sigmoid"), [x], y);
            case Tanh:
                return g.Node("Tanh", At("Tanh"), [x], y);
            case Softplus s:
                return Softplus(g, s, i, x, y);
            case GELU:
            {
                // x · ½(1 + erf(x/√2))
                string erf = g.Node("Erf", At("Erf"), [g.Node("Div", At("Div"), [x, g.Scalar($"{i}.sqrt2", MathF.Sqrt(2f))])]);
                string cdf = g.Node("Mul", At("Mul"), [g.Node("Add", At("Add"), [erf, g.Scalar($"{i}.one", 1f)]), g.Scalar($"{i}.half", 0.5f)]);
                return g.Node("Mul", At("Mul"), [x, cdf], y);
            }
            case Identity:
                return g.Node("Identity", At("Identity"), [x], y);
            case Softmax:
                return g.Node("Softmax", At("Softmax"), [x], y, Int("axis", 1));
            case BatchNorm b:
                return BatchNormalization(g, b, (BatchNorm<T>)layer, i, x, y);
            case Dropout:
                // inference: dropout passes x on
                return g.Node("Identity", At("Identity"), [x], y);
            default:
                throw new BackpropException($"layers[{i}] ({layer.Type}): no ONNX export for this layer type");
        }
    }

    // Evaluation mode: BatchNormalization with the running statistics (its inference form, momentum unused); a layer
    // that tracks none normalises with the batch's statistics in evaluation mode too, computed here op by op.
    private static string BatchNormalization<T>(OnnxGraph g, BatchNorm b, BatchNorm<T> layer, int i, string x, string? y) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int c = layer.NumFeatures;
        float[] gamma = layer.Weight is null ? Enumerable.Repeat(1f, c).ToArray() : Float32(layer.Weight.Value);
        float[] beta = layer.Bias is null ? new float[c] : Float32(layer.Bias.Value);
        if (layer.RunningMean is not null)
        {
            string scale = g.Initializer(layer.Weight is null ? $"{i}.scale" : $"{i}.weight", gamma, [c]);
            string bias = g.Initializer(layer.Bias is null ? $"{i}.B" : $"{i}.bias", beta, [c]);
            string mean = g.Initializer($"{i}.running_mean", Float32(layer.RunningMean.Value), [c]);
            string variance = g.Initializer($"{i}.running_var", Float32(layer.RunningVar!.Value), [c]);
            return g.Node("BatchNormalization", $"{i}.BatchNormalization", [x, scale, bias, mean, variance], y, Float("epsilon", (float)b.Eps));
        }
        // [C, 1, ...] so that it broadcasts over [N, C, S...]
        int[] perChannel = [c, .. Enumerable.Repeat(1, layer.InputShape.Length - 1)];
        long[] axes = [0, .. Enumerable.Range(2, layer.InputShape.Length - 1).Select(a => (long)a)];
        string mu = g.Node("ReduceMean", $"{i}.ReduceMean", [x], null, Ints("axes", axes), Int("keepdims", 1));
        string centred = g.Node("Sub", $"{i}.Sub", [x, mu]);
        string variance2 = g.Node("ReduceMean", $"{i}.ReduceMean", [g.Node("Mul", $"{i}.Mul", [centred, centred])], null, Ints("axes", axes), Int("keepdims", 1));
        string std = g.Node("Sqrt", $"{i}.Sqrt", [g.Node("Add", $"{i}.Add", [variance2, g.Scalar($"{i}.eps", (float)b.Eps)])]);
        string normalised = g.Node("Div", $"{i}.Div", [centred, std]);
        string scaled = g.Node("Mul", $"{i}.Mul", [normalised, g.Initializer(layer.Weight is null ? $"{i}.scale" : $"{i}.weight", gamma, perChannel)]);
        return g.Node("Add", $"{i}.Add", [scaled, g.Initializer(layer.Bias is null ? $"{i}.B" : $"{i}.bias", beta, perChannel)], y);
    }

    // y = log(1 + e^(βx))/β, and y = x where βx > threshold (see SoftplusThresholdBranchFrom).
    private static string Softplus(OnnxGraph g, Softplus s, int i, string x, string? y)
    {
        bool branch = !(s.Threshold >= SoftplusThresholdBranchFrom);
        string? last = branch ? null : y;
        string bx = x, beta = "";
        if (s.Beta != 1.0)
        {
            beta = g.Scalar($"{i}.beta", (float)s.Beta);
            bx = g.Node("Mul", $"{i}.Mul", [x, beta]);
        }
        string soft = s.Beta == 1.0
            ? g.Node("Softplus", $"{i}.Softplus", [bx], last)
            : g.Node("Div", $"{i}.Div", [g.Node("Softplus", $"{i}.Softplus", [bx]), beta], last);
        if (!branch) return soft;
        string above = g.Node("Greater", $"{i}.Greater", [bx, g.Scalar($"{i}.threshold", (float)s.Threshold)]);
        return g.Node("Where", $"{i}.Where", [above, x, soft], y);
    }

    /// <summary>The layer's parameters as initializers named as in the state_dict ("0.weight", "0.bias").</summary>
    private static string[] Parameters<T>(OnnxGraph g, int i, Layer<T> layer) where T : unmanaged, IFloatingPointIeee754<T> =>
        layer.Parameters.Select(p => g.Initializer($"{i}.{p.Name}", Float32(p.Value), p.Value.Shape)).ToArray();

    private static float[] Float32<T>(Tensor<T> t) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var values = new float[t.Length];
        for (int k = 0; k < values.Length; k++) values[k] = float.CreateChecked(t.Span[k]);
        return values;
    }
}
