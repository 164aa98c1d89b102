using System.Buffers.Binary;
using Backprop.Onnx.Proto;
using Google.Protobuf;

namespace Backprop.Onnx;

/// <summary>
/// Builds one ONNX GraphProto node by node: float32 initializers (raw little-endian data), nodes with attributes, and
/// value names kept unique (an ONNX graph is in SSA form: every value is written by exactly one node).
/// </summary>
internal sealed class OnnxGraph
{
    private readonly HashSet<string> _names = new(StringComparer.Ordinal);

    public OnnxGraph(string name) => Proto = new GraphProto { Name = name };

    public GraphProto Proto { get; }

    /// <summary><paramref name="name"/>, or name_1, name_2, ... if it is taken.</summary>
    public string Unique(string name)
    {
        string candidate = name;
        for (int k = 1; !_names.Add(candidate); k++) candidate = $"{name}_{k}";
        return candidate;
    }

    /// <summary>A graph input or output: float32 [N, ...shape] with a symbolic batch dimension.</summary>
    public static ValueInfoProto FloatValue(string name, string batchDimension, IReadOnlyList<int> shape)
    {
        var tensorShape = new TensorShapeProto();
        tensorShape.Dim.Add(new TensorShapeProto.Types.Dimension { DimParam = batchDimension });
        foreach (int d in shape) tensorShape.Dim.Add(new TensorShapeProto.Types.Dimension { DimValue = d });
        return new ValueInfoProto
        {
            Name = name,
            Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)TensorProto.Types.DataType.Float, Shape = tensorShape } },
        };
    }

    public void AddInput(string name, string batchDimension, IReadOnlyList<int> shape)
    {
        _names.Add(name);
        Proto.Input.Add(FloatValue(name, batchDimension, shape));
    }

    public void AddOutput(string name, string batchDimension, IReadOnlyList<int> shape) =>
        Proto.Output.Add(FloatValue(name, batchDimension, shape));

    /// <summary>A float32 constant of the given shape ([] for a scalar, which broadcasts); returns its (unique) name.</summary>
    public string Initializer(string name, ReadOnlySpan<float> values, IReadOnlyList<int> shape)
    {
        var tensor = new TensorProto { Name = Unique(name), DataType = (int)TensorProto.Types.DataType.Float };
        foreach (int d in shape) tensor.Dims.Add(d);
        var bytes = new byte[values.Length * sizeof(float)];
        for (int i = 0; i < values.Length; i++) BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(i * sizeof(float)), values[i]);
        tensor.RawData = ByteString.CopyFrom(bytes);
        Proto.Initializer.Add(tensor);
        return tensor.Name;
    }

    public string Scalar(string name, float value) => Initializer(name, [value], []);

    /// <summary>
    /// Adds a node named <paramref name="name"/> (made unique) and returns the name of its one output:
    /// <paramref name="output"/> when given, else the node's own name.
    /// </summary>
    public string Node(string opType, string name, IEnumerable<string> inputs, string? output = null, params AttributeProto[] attributes)
    {
        var node = new NodeProto { OpType = opType, Name = Unique(name), Domain = "" };
        node.Input.AddRange(inputs);
        string result = output is null ? node.Name : output;
        if (output is not null) _names.Add(output);
        node.Output.Add(result);
        node.Attribute.AddRange(attributes);
        Proto.Node.Add(node);
        return result;
    }

    public static AttributeProto Int(string name, long value) =>
        new() { Name = name, Type = AttributeProto.Types.AttributeType.Int, I = value };

    public static AttributeProto Ints(string name, params long[] values)
    {
        var a = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Ints };
        a.Ints.AddRange(values);
        return a;
    }

    public static AttributeProto Float(string name, float value) =>
        new() { Name = name, Type = AttributeProto.Types.AttributeType.Float, F = value };
}
