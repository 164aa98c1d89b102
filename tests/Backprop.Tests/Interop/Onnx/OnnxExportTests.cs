using System.Globalization;
using Backprop.Onnx;
using Backprop.Onnx.Proto;
using Backprop.Models;
using Backprop.Tensors;
using Xunit.Abstractions;
using Backprop.Runs;

namespace Backprop.Tests.Interop.Onnx;

/// <summary>
/// Random networks of every layer type, exported to ONNX and run by ONNX Runtime: its outputs equal Backprop's
/// (float32) to 1e-5 relative with a 1e-6 absolute floor (see <see cref="OnnxRuntimeRunner"/>). Each case is built
/// from three seeds, which choose the sizes, strides, paddings, slopes and scales, the weights and a batch of 1 to 7
/// examples (the batch dimension is symbolic).
/// </summary>
public sealed class OnnxExportTests(ITestOutputHelper output)
{
    private static string N(double v) => v.ToString("R", CultureInfo.InvariantCulture);

    /// <summary>input [F] → linear → act → linear (maybe without bias) → act → linear → softmax (or not).</summary>
    private static string Mlp(Rng r, string activation, bool softmax = true) =>
        $$"""
        {"input": [{{3 + r.NextInt(10)}}], "seed": {{r.NextInt(1000)}}, "layers": [
          {"type": "linear", "out": {{2 + r.NextInt(12)}}}, {{activation}},
          {"type": "linear", "out": {{2 + r.NextInt(12)}}, "bias": {{(r.NextInt(2) == 0 ? "false" : "true")}}}, {{activation}},
          {"type": "linear", "out": {{2 + r.NextInt(5)}}}{{(softmax ? ", {\"type\": \"softmax\"}" : "")}}]}
        """;

    public static readonly IReadOnlyDictionary<string, Func<Rng, string>> Cases = new Dictionary<string, Func<Rng, string>>
    {
        ["mlp relu"] = r => Mlp(r, """{"type": "relu"}"""),
        ["mlp scaled relu"] = r => Mlp(r, $$"""{"type": "relu", "scale": {{N(Math.Round(r.Uniform(0.2, 5), 3))}}}"""),
        ["mlp leaky_relu"] = r => Mlp(r, $$"""{"type": "leaky_relu", "negative_slope": {{N(r.Uniform(0.001, 0.5))}}}"""),
        ["mlp sigmoid"] = r => Mlp(r, """{"type": "sigmoid"}"""),
        ["mlp tanh"] = r => Mlp(r, """{"type": "tanh"}"""),
        ["mlp softplus beta 1"] = r => Mlp(r, """{"type": "softplus"}"""),
        ["mlp softplus beta 2"] = r => Mlp(r, """{"type": "softplus", "beta": 2}"""),
        // A threshold where the branch y = x changes the value: exported with Greater and Where.
        ["mlp softplus beta 2 threshold 1"] = r => Mlp(r, """{"type": "softplus", "beta": 2, "threshold": 1}"""),
        ["mlp softplus beta -1.5 threshold 0.5"] = r => Mlp(r, """{"type": "softplus", "beta": -1.5, "threshold": 0.5}"""),
        ["mlp gelu"] = r => Mlp(r, """{"type": "gelu"}"""),
        ["mlp identity, regression head"] = r => Mlp(r, """{"type": "identity"}""", softmax: false),
        ["mlp tanh, regression head"] = r => Mlp(r, """{"type": "tanh"}""", softmax: false),
        ["conv1d"] = r =>
            $$"""
            {"input": [{{1 + r.NextInt(3)}}, {{10 + r.NextInt(8)}}], "seed": {{r.NextInt(1000)}}, "layers": [
              {"type": "conv1d", "out_channels": {{1 + r.NextInt(4)}}, "kernel_size": {{1 + r.NextInt(4)}}, "stride": {{1 + r.NextInt(2)}}, "padding": {{r.NextInt(3)}}},
              {"type": "leaky_relu", "negative_slope": {{N(r.Uniform(0.01, 0.3))}}},
              {"type": "conv1d", "out_channels": {{1 + r.NextInt(4)}}, "kernel_size": 2, "bias": false},
              {"type": "gelu"}, {"type": "flatten"}, {"type": "linear", "out": {{2 + r.NextInt(4)}}}, {"type": "softmax"}]}
            """,
        ["conv2d, max-pool, avg-pool"] = r =>
            $$"""
            {"input": [{{1 + r.NextInt(3)}}, {{12 + r.NextInt(5)}}, {{12 + r.NextInt(5)}}], "seed": {{r.NextInt(1000)}}, "layers": [
              {"type": "conv2d", "out_channels": {{2 + r.NextInt(3)}}, "kernel_size": [{{2 + r.NextInt(3)}}, {{1 + r.NextInt(3)}}], "stride": [{{1 + r.NextInt(2)}}, {{1 + r.NextInt(2)}}], "padding": [{{r.NextInt(3)}}, {{r.NextInt(2)}}]},
              {"type": "relu"},
              {"type": "maxpool2d", "kernel_size": 2},
              {"type": "conv2d", "out_channels": {{1 + r.NextInt(3)}}, "kernel_size": 2, "padding": 1, "bias": false},
              {"type": "tanh"},
              {"type": "avgpool2d", "kernel_size": [2, {{1 + r.NextInt(2)}}], "stride": [1, 2]},
              {"type": "flatten"}, {"type": "linear", "out": {{2 + r.NextInt(5)}}}, {"type": "softmax"}]}
            """,
        ["conv2d, overlapping pools, softplus, sigmoid"] = r =>
            $$"""
            {"input": [2, {{11 + r.NextInt(4)}}, {{11 + r.NextInt(4)}}], "seed": {{r.NextInt(1000)}}, "layers": [
              {"type": "conv2d", "out_channels": 3, "kernel_size": 3, "stride": 2, "padding": 2},
              {"type": "softplus", "beta": 2},
              {"type": "maxpool2d", "kernel_size": 3, "stride": 1},
              {"type": "avgpool2d", "kernel_size": [2, 3], "stride": [2, 1]},
              {"type": "relu", "scale": {{N(Math.Round(r.Uniform(0.5, 3), 2))}}},
              {"type": "flatten"}, {"type": "linear", "out": 4}, {"type": "sigmoid"}]}
            """,
        // Evaluation mode: BatchNormalization with the running statistics; dropout as Identity.
        ["batchnorm2d, batchnorm1d, dropout"] = r =>
            $$"""
            {"input": [2, {{5 + r.NextInt(4)}}, {{5 + r.NextInt(4)}}], "seed": {{r.NextInt(1000)}}, "layers": [
              {"type": "conv2d", "out_channels": 3, "kernel_size": 3, "bias": false},
              {"type": "batchnorm2d", "eps": {{N(r.Uniform(1e-5, 0.1))}}, "weight": [{{V(r, 3, -2, 2)}}], "bias": [{{V(r, 3, -1, 1)}}],
               "running_mean": [{{V(r, 3, -1, 1)}}], "running_var": [{{V(r, 3, 0.2, 3)}}], "num_batches_tracked": 7},
              {"type": "relu"}, {"type": "dropout", "p": 0.3}, {"type": "flatten"}, {"type": "linear", "out": 4},
              {"type": "batchnorm1d", "momentum": null, "running_mean": [{{V(r, 4, -1, 1)}}], "running_var": [{{V(r, 4, 0.2, 3)}}]},
              {"type": "linear", "out": 3}]}
            """,
        // Without running statistics evaluation mode normalises with the batch's: exported op by op.
        ["batchnorm2d without running statistics"] = r =>
            $$"""
            {"input": [2, {{4 + r.NextInt(4)}}, {{4 + r.NextInt(4)}}], "seed": {{r.NextInt(1000)}}, "layers": [
              {"type": "conv2d", "out_channels": 3, "kernel_size": 2},
              {"type": "batchnorm2d", "track_running_stats": false, "affine": {{(r.NextInt(2) == 0 ? "false" : "true")}}},
              {"type": "tanh"}, {"type": "flatten"}, {"type": "linear", "out": 3}]}
            """,
        ["no layers"] = r => $$"""{"input": [{{1 + r.NextInt(5)}}], "layers": []}""",
    };

    /// <summary><paramref name="n"/> values uniform in [low, high), as a model file lists them.</summary>
    private static string V(Rng r, int n, double low, double high) => string.Join(", ", Enumerable.Range(0, n).Select(_ => N(r.Uniform(low, high))));

    public static TheoryData<string> CaseNames() => [.. Cases.Keys];

    [Theory]
    [MemberData(nameof(CaseNames))]
    public void Onnx_Runtime_computes_what_Backprop_computes(string name)
    {
        double maxAbs = 0, maxRel = 0;
        int compared = 0;
        foreach (ulong seed in new ulong[] { 1, 2, 3 })
        {
            var r = new Rng(seed * 7919 + (ulong)name.Length);
            string json = Cases[name](r);
            var model = ModelFile.Build<float>(ModelFile.Parse(json, name), name).Eval(); // exports are inference graphs
            var x = RandomInput(r, 1 + r.NextInt(7), model.InputShape);

            var (actual, shape) = OnnxRuntimeRunner.Run(OnnxExport.ToBytes(model), x);
            var expected = model.Forward(x);
            Assert.Equal(expected.Shape.Select(d => (long)d), shape);
            var (abs, rel) = OnnxRuntimeRunner.AssertClose(expected, actual, $"{name} (seed {seed}): {json}");
            maxAbs = Math.Max(maxAbs, abs);
            maxRel = Math.Max(maxRel, rel);
            compared += actual.Length;
        }
        output.WriteLine($"{name}: {compared} outputs, max |difference| {maxAbs:E2}, max relative {maxRel:E2}");
    }

    internal static Tensor<float> RandomInput(Rng r, int batch, int[] exampleShape)
    {
        int[] shape = Tensor.Batched(batch, exampleShape);
        return Tensor<float>.FromDoubles(Enumerable.Range(0, Tensor.SizeOf(shape)).Select(_ => r.Uniform(-3, 3)).ToArray(), shape);
    }

    private static ModelProto Parse(byte[] bytes) => ModelProto.Parser.ParseFrom(bytes);

    [Fact]
    public void The_graph_is_named_and_typed_as_documented()
    {
        var model = ModelFile.Build<float>(ModelFile.Parse(Cases["conv1d"](new Rng(5)), "conv1d"), "conv1d");
        var proto = Parse(OnnxExport.ToBytes(model));
        Assert.Equal(8, proto.IrVersion);
        Assert.Equal(17, Assert.Single(proto.OpsetImport).Version);
        Assert.Equal("Backprop", proto.ProducerName);
        Assert.Equal(ModelFile.Describe(model), proto.MetadataProps.Single(p => p.Key == "backprop.model").Value);
        Assert.Equal("none", proto.MetadataProps.Single(p => p.Key == "backprop.preprocessing").Value);

        var input = Assert.Single(proto.Graph.Input);
        Assert.Equal("input", input.Name);
        Assert.Equal((int)TensorProto.Types.DataType.Float, input.Type.TensorType.ElemType);
        Assert.Equal("N", input.Type.TensorType.Shape.Dim[0].DimParam);
        Assert.Equal(model.InputShape.Select(d => (long)d), input.Type.TensorType.Shape.Dim.Skip(1).Select(d => d.DimValue));
        var outputValue = Assert.Single(proto.Graph.Output);
        Assert.Equal("output", outputValue.Name);
        Assert.Equal(model.OutputShape.Select(d => (long)d), outputValue.Type.TensorType.Shape.Dim.Skip(1).Select(d => d.DimValue));

        // Parameters keep their state_dict names; layer 2 has no bias.
        Assert.Equal(["0.weight", "0.bias", "2.weight", "5.weight", "5.bias"], proto.Graph.Initializer.Where(t => t.Dims.Count > 0).Select(t => t.Name));
        Assert.Equal(["Conv", "LeakyRelu", "Conv", "Div", "Erf", "Add", "Mul", "Mul", "Flatten", "Gemm", "Softmax"], proto.Graph.Node.Select(n => n.OpType));
        var gemm = proto.Graph.Node.Single(n => n.OpType == "Gemm");
        Assert.Equal(1, gemm.Attribute.Single(a => a.Name == "transB").I);
        Assert.Equal("output", proto.Graph.Node[^1].Output.Single());
        Assert.Equal(model.NamedParameters.Single(p => p.Name == "5.weight").Parameter.Value.Data,
            ToFloats(proto.Graph.Initializer.Single(t => t.Name == "5.weight").RawData.ToByteArray()));
    }

    private static float[] ToFloats(byte[] bytes) =>
        Enumerable.Range(0, bytes.Length / 4).Select(i => BitConverter.ToSingle(bytes, 4 * i)).ToArray();

    [Theory]
    [InlineData("""{"type": "softplus"}""", new[] { "Softplus" })]
    [InlineData("""{"type": "softplus", "beta": 2}""", new[] { "Mul", "Softplus", "Div" })]
    [InlineData("""{"type": "softplus", "threshold": 15}""", new[] { "Softplus" })]
    [InlineData("""{"type": "softplus", "threshold": 14.9}""", new[] { "Softplus", "Greater", "Where" })]
    [InlineData("""{"type": "softplus", "beta": 3, "threshold": -1}""", new[] { "Mul", "Softplus", "Div", "Greater", "Where" })]
    [InlineData("""{"type": "relu"}""", new[] { "Relu" })]
    [InlineData("""{"type": "relu", "scale": 5}""", new[] { "Relu", "Mul" })]
    [InlineData("""{"type": "identity"}""", new[] { "Identity" })]
    public void Each_activation_becomes_the_documented_operators(string layer, string[] ops)
    {
        var model = ModelFile.Build<float>(ModelFile.Parse($$"""{"input": [3], "layers": [{{layer}}]}""", "m"), "m");
        var proto = Parse(OnnxExport.ToBytes(model));
        Assert.Equal(ops, proto.Graph.Node.Select(n => n.OpType));
        Assert.Equal("output", proto.Graph.Node[^1].Output.Single());
    }

    [Fact]
    public void The_same_model_gives_the_same_bytes_and_a_double_model_is_rounded_to_float32()
    {
        string json = Cases["conv2d, max-pool, avg-pool"](new Rng(9));
        var model = ModelFile.Build<double>(ModelFile.Parse(json, "m"), "m");
        byte[] fromDouble = OnnxExport.ToBytes(model);
        Assert.Equal(fromDouble, OnnxExport.ToBytes(model));
        Assert.Equal(fromDouble, OnnxExport.ToBytes(model.Cast<float>()));
    }

    [Fact]
    public void A_model_file_without_values_cannot_be_exported()
    {
        using var files = new Data.TempFiles();
        string noWeight = files.WriteText("a.json", """{"input": [2], "layers": [{"type": "relu"}, {"type": "linear", "out": 2}]}""");
        var e = Assert.Throws<BackpropException>(() => TrainedModel.LoadForExport(noWeight));
        Assert.Equal($"{noWeight}: layers[1] (linear): no weight values; an export needs every parameter's values (a model file written by Backprop, or a trained model folder)", e.Message);
        string noBias = files.WriteText("b.json", """{"input": [2], "layers": [{"type": "linear", "out": 1, "weight": [[1, 2]]}]}""");
        Assert.Contains("layers[0] (linear): no bias values", Assert.Throws<BackpropException>(() => TrainedModel.LoadForExport(noBias)).Message);
        string noBiasAtAll = files.WriteText("c.json", """{"input": [2], "layers": [{"type": "linear", "out": 1, "weight": [[1, 2]], "bias": false}]}""");
        Assert.Equal([1, 2], TrainedModel.LoadForExport(noBiasAtAll).Model.NamedParameters.Single().Parameter.Value.Data);
    }
}
