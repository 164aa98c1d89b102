using Backprop.IO;
using Backprop.Models;
using Backprop.Tensors;

namespace Backprop.Tests.Interop;

/// <summary>Saving a model's parameters under their state_dict names and loading them back into a model.</summary>
public sealed class SafetensorsModelTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("backprop-safetensors-model-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string PathOf(string name) => Path.Combine(_dir, name);

    internal const string Mlp = """
        {"input": [4], "seed": 3, "layers": [
          {"type": "linear", "out": 8}, {"type": "tanh"},
          {"type": "linear", "out": 6, "bias": false}, {"type": "gelu"},
          {"type": "linear", "out": 3}, {"type": "softmax"}]}
        """;

    internal const string Cnn = """
        {"input": [2, 8, 8], "seed": 5, "layers": [
          {"type": "conv2d", "out_channels": 4, "kernel_size": 3, "padding": 1}, {"type": "relu"},
          {"type": "maxpool2d", "kernel_size": 2},
          {"type": "conv2d", "out_channels": 3, "kernel_size": [3, 2], "stride": [1, 2], "bias": false}, {"type": "leaky_relu", "negative_slope": 0.1},
          {"type": "avgpool2d", "kernel_size": 2, "stride": 1},
          {"type": "flatten"}, {"type": "linear", "out": 5}, {"type": "sigmoid"}]}
        """;

    internal const string Conv1d = """
        {"input": [3, 10], "seed": 9, "layers": [
          {"type": "conv1d", "out_channels": 4, "kernel_size": 3, "stride": 2, "padding": 1}, {"type": "softplus", "beta": 2, "threshold": 10},
          {"type": "flatten"}, {"type": "linear", "out": 2}, {"type": "identity"}]}
        """;

    internal static Sequential<T> Build<T>(string json, ulong? seed = null) where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        var spec = ModelFile.Parse(json, "model");
        if (seed is { } s) spec = new ModelSpec { Input = spec.Input, Seed = s, Layers = spec.Layers };
        return ModelFile.Build<T>(spec, "model");
    }

    private static long[][] Bits(Sequential<float> model) =>
        model.NamedParameters.Select(p => p.Parameter.Value.Data.Select(v => (long)BitConverter.SingleToInt32Bits(v)).ToArray()).ToArray();

    private static long[][] Bits(Sequential<double> model) =>
        model.NamedParameters.Select(p => p.Parameter.Value.Data.Select(BitConverter.DoubleToInt64Bits).ToArray()).ToArray();

    [Theory]
    [InlineData(Mlp)]
    [InlineData(Cnn)]
    [InlineData(Conv1d)]
    public void SaveModel_then_LoadInto_restores_every_float_parameter_bit_for_bit(string json)
    {
        var saved = Build<float>(json);
        string path = PathOf("m.safetensors");
        Safetensors.SaveModel(path, saved);

        var loaded = Build<float>(json, seed: 12345);
        Assert.NotEqual(Bits(saved), Bits(loaded));
        Safetensors.LoadInto(path, loaded);
        Assert.Equal(Bits(saved), Bits(loaded));

        var x = Tensor<float>.FromDoubles(Enumerable.Range(0, 3 * saved.InputShape.Aggregate(1, (a, b) => a * b)).Select(i => Math.Sin(i)).ToArray(), Tensor.Batched(3, saved.InputShape));
        Assert.Equal(saved.Forward(x).Data, loaded.Forward(x).Data);
    }

    [Fact]
    public void SaveModel_then_LoadInto_restores_every_double_parameter_bit_for_bit()
    {
        var saved = Build<double>(Cnn);
        string path = PathOf("m.safetensors");
        Safetensors.SaveModel(path, saved);
        var loaded = Build<double>(Cnn, seed: 1);
        Safetensors.LoadInto(path, loaded);
        Assert.Equal(Bits(saved), Bits(loaded));
        Assert.All(Safetensors.Read(path).Entries, e => Assert.Equal("F64", e.Dtype));
    }

    [Fact]
    public void The_file_uses_state_dict_names_in_order_and_describes_the_model()
    {
        var model = Build<float>(Mlp);
        string path = PathOf("m.safetensors");
        Safetensors.SaveModel(path, model);
        var file = Safetensors.Read(path);
        Assert.Equal(["0.weight", "0.bias", "2.weight", "4.weight", "4.bias"], file.Names);
        Assert.Equal([8, 4], file.Entry("0.weight").Shape);
        Assert.Equal([6, 8], file.Entry("2.weight").Shape);
        Assert.Equal("pt", file.Metadata["format"]);
        Assert.Equal(model.ToString(), file.Metadata[Safetensors.ModelMetadataKey]);
    }

    [Theory]
    [InlineData(Mlp)]
    [InlineData(Cnn)]
    [InlineData(Conv1d)]
    public void LoadModel_rebuilds_the_architecture_and_the_parameters(string json)
    {
        var saved = Build<double>(json);
        string path = PathOf("m.safetensors");
        Safetensors.SaveModel(path, saved);
        var loaded = Safetensors.LoadModel<double>(path);
        Assert.Equal(saved.ToString(), loaded.ToString());
        Assert.Equal(ModelFile.Write(saved), ModelFile.Write(loaded));
        Assert.Equal(Bits(saved), Bits(loaded));
    }

    [Fact]
    public void LoadModel_needs_the_architecture_in_the_metadata()
    {
        string path = PathOf("plain.safetensors");
        Safetensors.Save(path, [("0.weight", new Tensor<float>(2, 2))]);
        var e = Assert.Throws<BackpropException>(() => Safetensors.LoadModel<float>(path));
        Assert.Equal($"{path}: __metadata__ has no 'backprop.model' (the architecture); build the model from its JSON file and use LoadInto", e.Message);
    }

    [Fact]
    public void A_double_checkpoint_loads_into_a_float_model_and_back()
    {
        var d = Build<double>(Mlp);
        string path = PathOf("d.safetensors");
        Safetensors.SaveModel(path, d);
        var f = Build<float>(Mlp, seed: 77);
        Safetensors.LoadInto(path, f);
        for (int i = 0; i < d.NamedParameters.Count; i++)
            Assert.Equal(d.NamedParameters[i].Parameter.Value.Data.Select(v => (float)v), f.NamedParameters[i].Parameter.Value.Data);

        Safetensors.SaveModel(path, f);
        var d2 = Build<double>(Mlp, seed: 78);
        Safetensors.LoadInto(path, d2);
        for (int i = 0; i < d.NamedParameters.Count; i++)
            Assert.Equal(f.NamedParameters[i].Parameter.Value.Data.Select(v => (double)v), d2.NamedParameters[i].Parameter.Value.Data);
    }

    private void AssertLoadFails(string path, Sequential<float> model, string expected)
    {
        var before = Bits(model);
        var e = Assert.Throws<BackpropException>(() => Safetensors.LoadInto(path, model));
        Assert.Equal(expected, e.Message);
        Assert.Equal(before, Bits(model)); // nothing was changed
    }

    [Fact]
    public void A_missing_parameter_is_an_error_naming_it_and_its_shape()
    {
        string path = PathOf("m.safetensors");
        Safetensors.SaveModel(path, Build<float>(Mlp.Replace("{\"type\": \"linear\", \"out\": 3}", "{\"type\": \"linear\", \"out\": 3, \"bias\": false}")));
        AssertLoadFails(path, Build<float>(Mlp), $"{path}: the tensors do not match the model's parameters: missing '4.bias' [3]");
    }

    [Fact]
    public void An_extra_tensor_is_an_error_naming_it()
    {
        string path = PathOf("m.safetensors");
        var model = Build<float>(Mlp);
        var tensors = model.NamedParameters.Select(p => (p.Name, p.Parameter.Value)).Append(("optimizer.step", new Tensor<float>(1))).ToList();
        Safetensors.Save(path, tensors);
        AssertLoadFails(path, Build<float>(Mlp, seed: 4), $"{path}: the tensors do not match the model's parameters: not in the model: 'optimizer.step' [1]");
    }

    [Fact]
    public void A_different_shape_is_an_error_naming_both_shapes()
    {
        string path = PathOf("m.safetensors");
        Safetensors.SaveModel(path, Build<float>(Mlp));
        var other = Build<float>(Mlp.Replace("\"out\": 8", "\"out\": 7"));
        AssertLoadFails(path, other, $"{path}: the tensors do not match the model's parameters: " +
            "'0.weight' is [8, 4] in the file but [7, 4] in the model; '0.bias' is [8] in the file but [7] in the model; '2.weight' is [6, 8] in the file but [6, 7] in the model");
    }

    [Fact]
    public void Every_problem_is_listed_at_once()
    {
        string path = PathOf("m.safetensors");
        Safetensors.Save(path, [("0.weight", new Tensor<float>(8, 5)), ("9.bias", new Tensor<float>(2))]);
        AssertLoadFails(path, Build<float>(Mlp), $"{path}: the tensors do not match the model's parameters: " +
            "missing '0.bias' [8], '2.weight' [6, 8], '4.weight' [3, 6], '4.bias' [3]; not in the model: '9.bias' [2]; '0.weight' is [8, 5] in the file but [8, 4] in the model");
    }

    /// <summary>A state_dict of a DistributedDataParallel wrapper ("module.0.weight", ...) gets the one thing to do, not every name twice.</summary>
    [Fact]
    public void Names_prefixed_by_distributed_data_parallel_get_a_short_hint()
    {
        string path = PathOf("m.safetensors");
        var model = Build<float>(Mlp);
        Safetensors.Save(path, model.NamedParameters.Select(p => ("module." + p.Name, p.Parameter.Value)).ToList());
        AssertLoadFails(path, Build<float>(Mlp, seed: 4), $"{path}: the tensor names start with 'module.' ('module.0.weight' for '0.weight'): " +
            "saved from DistributedDataParallel; save net.module.state_dict() or strip the 'module.' prefix");
    }

    [Fact]
    public void NaN_parameters_are_refused_unless_allowed()
    {
        string path = PathOf("m.safetensors");
        var model = Build<float>(Mlp);
        model.NamedParameters[1].Parameter.Value[3] = float.NaN;
        Safetensors.SaveModel(path, model);
        AssertLoadFails(path, Build<float>(Mlp, seed: 8), $"{path}: tensor '0.bias' holds NaN or infinite values (allowNonFinite: true loads them anyway)");

        var other = Build<float>(Mlp, seed: 8);
        Safetensors.LoadInto(path, other, allowNonFinite: true);
        Assert.True(float.IsNaN(other.NamedParameters[1].Parameter.Value[3]));
        Assert.False(Safetensors.Read(path).AllFinite());
    }

    [Fact]
    public void A_tensor_of_another_dtype_is_an_error()
    {
        string path = PathOf("i.safetensors");
        // "0.weight" stored as I32 [2, 2], written by hand.
        byte[] header = System.Text.Encoding.UTF8.GetBytes("{\"0.weight\":{\"dtype\":\"I32\",\"shape\":[2,2],\"data_offsets\":[0,16]}}");
        File.WriteAllBytes(path, [.. BitConverter.GetBytes((ulong)header.Length), .. header, .. new byte[16]]);
        var model = Build<float>("""{"input": [2], "layers": [{"type": "linear", "out": 2, "bias": false}]}""");
        AssertLoadFails(path, model, $"{path}: tensor '0.weight': dtype I32 cannot be read as Single; supported: F32, F64, F16, BF16");
    }

    /// <summary>
    /// A running variance ≤ 0 or a count that is not a whole number ≥ 0 would make every later running statistic NaN
    /// (momentum null divides by the count), so a safetensors file holding one is refused as a model file is.
    /// </summary>
    [Theory]
    [InlineData("running_var", "F32", "{\"input\": [2], \"layers\": [{\"type\": \"batchnorm1d\"}]}", 0.0, "tensor '0.running_var': element 1 is 0, but a variance must be > 0")]
    [InlineData("running_var", "F32", "{\"input\": [2], \"layers\": [{\"type\": \"batchnorm1d\"}]}", double.NaN, "tensor '0.running_var': element 1 is NaN, but a variance must be > 0")]
    [InlineData("num_batches_tracked", "I64", "{\"input\": [2], \"layers\": [{\"type\": \"batchnorm1d\", \"momentum\": null}]}", -1.0, "tensor '0.num_batches_tracked': -1 is not a count")]
    [InlineData("num_batches_tracked", "F32", "{\"input\": [2], \"layers\": [{\"type\": \"batchnorm1d\"}]}", 1.5, "tensor '0.num_batches_tracked': 1.5 is not a count")]
    public void Buffers_that_cannot_be_batch_statistics_are_refused(string buffer, string dtype, string json, double bad, string expected)
    {
        string path = PathOf("bn.safetensors");
        var model = Build<float>(json);
        var tensors = Safetensors.StateDict(model).Select(p => (p.Name, p.Tensor.Clone())).ToList();
        var target = tensors.Single(t => t.Name == "0." + buffer).Item2;
        target[target.Length - 1] = (float)bad;
        Safetensors.Save(path, tensors);
        if (dtype == "I64") RewriteAsInt64(path, "0." + buffer, (long)bad);
        var into = Build<float>(json);
        into.Layers[0].Buffers.Single(b => b.Name == "running_mean").Value.Fill(7f);
        var e = Assert.Throws<BackpropException>(() => Safetensors.LoadInto(path, into, allowNonFinite: true));
        Assert.StartsWith($"{path}: {expected}", e.Message);
        Assert.All(into.Layers[0].Buffers.Single(b => b.Name == "running_mean").Value.Span.ToArray(), v => Assert.Equal(7f, v)); // left as it was
    }

    /// <summary>Rewrites one scalar F32 tensor of a file as PyTorch stores num_batches_tracked: an I64.</summary>
    private static void RewriteAsInt64(string path, string name, long value)
    {
        var file = Safetensors.Read(path);
        var header = new System.Text.StringBuilder("{");
        var data = new List<byte>();
        foreach (var entry in file.Entries)
        {
            byte[] bytes = entry.Name == name ? BitConverter.GetBytes(value) : file.Bytes(entry.Name).ToArray();
            string dtype = entry.Name == name ? "I64" : entry.Dtype;
            if (header.Length > 1) header.Append(',');
            header.Append($"\"{entry.Name}\":{{\"dtype\":\"{dtype}\",\"shape\":[{string.Join(',', entry.Shape)}],\"data_offsets\":[{data.Count},{data.Count + bytes.Length}]}}");
            data.AddRange(bytes);
        }
        byte[] json = System.Text.Encoding.UTF8.GetBytes(header.Append('}').ToString());
        File.WriteAllBytes(path, [.. BitConverter.GetBytes((ulong)json.Length), .. json, .. data]);
    }
}
