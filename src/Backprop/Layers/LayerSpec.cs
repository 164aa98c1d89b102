using System.Numerics;
using System.Text;
using Backprop.Initializers;
using Backprop.Tensors;

namespace Backprop.Layers;

/// <summary>
/// A layer as a model file describes it, before it is built: its kind and arguments (PyTorch's constructor arguments
/// and <c>extra_repr</c>), and for a layer with parameters the values or initialisers the file gives them. Each layer
/// type declares one, in its own file, next to the layer it builds (<see cref="Linear"/> beside <see cref="Linear{T}"/>):
/// how it is read (<see cref="Kind"/>), its shapes for an input shape (<see cref="Layout"/>, the one place that shape
/// arithmetic and its checks live), how it is built (<see cref="Create{T}"/>) and how it is written back
/// (<see cref="ToString"/> reads like the model-file entry: <c>{"type": "linear", "out": 2}</c>).
/// </summary>
public abstract record LayerSpec
{
    private static readonly IReadOnlyDictionary<string, (double[] Values, int[] Shape)> NoValues =
        new Dictionary<string, (double[] Values, int[] Shape)>();

    /// <summary>The layer type: its model-file name, fields and reader.</summary>
    public abstract LayerKind Kind { get; }

    /// <summary>The name in model files ("linear", "relu", ...).</summary>
    public string Type => Kind.Name;

    /// <summary>Parameter values the file gives, by parameter name ("weight", "bias"), with the shape they were written in.</summary>
    public IReadOnlyDictionary<string, (double[] Values, int[] Shape)> Values { get; init; } = NoValues;

    /// <summary>How to initialise the weight when no values are given (null: PyTorch's default for the layer).</summary>
    public Initializer? Init { get; init; }

    /// <summary>How to initialise the bias when no values are given (null: PyTorch's default for the layer).</summary>
    public Initializer? BiasInit { get; init; }

    /// <summary>
    /// Whether parameters the file gives no values for are drawn from the model's generator (PyTorch's default
    /// scheme or "init"). False for a layer whose <see cref="Create{T}"/> already gives them PyTorch's fixed initial
    /// values (BatchNorm: weight 1, bias 0): nothing is drawn for it.
    /// </summary>
    public virtual bool DrawsInitialValues => true;

    /// <summary>
    /// The layer's shapes for one example of <paramref name="inputShape"/>, checked (rank, window fit, sizes an array
    /// can hold) without allocating anything; a <see cref="BackpropException"/> starting with <paramref name="where"/> otherwise.
    /// </summary>
    public abstract LayerLayout Layout(int[] inputShape, string where);

    /// <summary>The layer for an input of <paramref name="inputShape"/> (checked by <see cref="Layout"/>), parameters zero.</summary>
    public abstract Layer<T> Create<T>(int[] inputShape) where T : unmanaged, IFloatingPointIeee754<T>;

    /// <summary>The arguments after "type", as model-file fields: <c>, "out": 2</c>. Nothing by default.</summary>
    protected virtual void WriteArguments(StringBuilder sb) { }

    /// <summary>Initialisers and parameter values, after the arguments (values only when <paramref name="valueIndent"/> is given).</summary>
    protected virtual void WriteParameters(StringBuilder sb, string? valueIndent) { }

    /// <summary>The model-file entry; with <paramref name="valueIndent"/>, parameter values each on a line of their own.</summary>
    public void WriteJson(StringBuilder sb, string? valueIndent)
    {
        sb.Append("{\"type\": \"").Append(Type).Append('"');
        WriteArguments(sb);
        WriteParameters(sb, valueIndent);
        sb.Append('}');
    }

    /// <summary>
    /// The fields after "type" as the model file writes them, without parameter values: <c>"out": 10, "bias": false</c>
    /// (empty when there are none). Wrapped in braces it is a JSON object.
    /// </summary>
    public string ArgumentsJson
    {
        get
        {
            var sb = new StringBuilder();
            WriteArguments(sb);
            WriteParameters(sb, null);
            return sb.Length >= 2 ? sb.ToString(2, sb.Length - 2) : "";
        }
    }

    /// <summary>Reads like the layer's entry in a model file, without values: <c>{"type": "conv2d", "out_channels": 8, ...}</c>.</summary>
    public sealed override string ToString()
    {
        var sb = new StringBuilder();
        WriteJson(sb, null);
        return sb.ToString();
    }

    /// <summary>A model-file field: <c>, "name": value</c>.</summary>
    protected static void Field(StringBuilder sb, string name, string value) => sb.Append(", \"").Append(name).Append("\": ").Append(value);

    protected static string Number(double value) => NumberFormat.RoundTrip(value);

    /// <summary>A size pair as a file writes it: one number when both are equal ("kernel_size": 3), else a list ([3, 2]).</summary>
    protected static string Pair((int H, int W) v) => v.H == v.W ? v.H.ToString() : $"[{v.H}, {v.W}]";

    /// <summary>The layout of a layer that keeps the input's shape and has no parameters.</summary>
    protected LayerLayout SameShape(int[] inputShape, bool keepsBuffers = true) => new(Type, inputShape, inputShape, [], 0, keepsBuffers);

    /// <summary>Refuses an input of another rank, saying what the layer needs and, in <paramref name="advice"/>, what to do.</summary>
    protected static void NeedRank(int[] shape, int rank, string what, string where, string advice = "")
    {
        if (shape.Length != rank)
            throw new BackpropException($"{where}: needs {what} per example, but its input is [N, {string.Join(", ", shape)}]{advice}");
    }

    /// <summary>
    /// Shapes come from the file (each number up to 2^24), so a product can exceed what an array holds; say so here
    /// instead of failing inside a tensor constructor.
    /// </summary>
    protected static void NeedSize(string where, string what, params int[] dims)
    {
        long size = 1;
        foreach (int d in dims)
        {
            size *= d;
            if (size > Array.MaxLength)
                throw new BackpropException($"{where}: its {what} would have shape {Tensor.Format(dims)}, more elements than an array can hold");
        }
    }

    /// <summary>Refuses a sliding window (kernel given as text, "3x3") larger than its padded input.</summary>
    protected static void NeedWindowFits(bool fits, string kernel, int[] shape, string where)
    {
        if (!fits)
            throw new BackpropException($"{where}: the window (kernel {kernel}) does not fit its input [N, {string.Join(", ", shape)}]");
    }
}
