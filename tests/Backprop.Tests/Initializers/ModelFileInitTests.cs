using Backprop.Initializers;
using Backprop.Layers;
using Backprop.Models;

namespace Backprop.Tests.Initializers;

/// <summary>"init" and "bias_init" in model files: parsing, errors that name the place, building, writing back, determinism.</summary>
public class ModelFileInitTests
{
    private static ModelSpec Parse(string json) => ModelFile.Parse(json, "model.json");

    private static Sequential<T> Build<T>(string json) where T : unmanaged, System.Numerics.IFloatingPointIeee754<T> =>
        ModelFile.Build<T>(Parse(json), "model.json");

    private static string OneLayer(string fields, string type = "linear", string input = "[6]") =>
        $$"""{"input": {{input}}, "layers": [{"type": "{{type}}", {{fields}}}]}""";

    private const string Mixed = """
        {"input": [2, 12, 12], "seed": 42, "layers": [
          {"type": "conv2d", "out_channels": 4, "kernel_size": 3, "init": {"name": "kaiming_normal", "mode": "fan_out", "nonlinearity": "relu"}, "bias_init": "zeros"},
          {"type": "relu"},
          {"type": "flatten"},
          {"type": "linear", "out": 5, "init": {"name": "normal", "std": 0.02}, "bias_init": {"name": "constant", "value": 0.1}},
          {"type": "tanh"},
          {"type": "linear", "out": 2, "init": {"name": "kaiming_uniform", "a": 0.1}, "bias_init": {"name": "uniform", "a": -0.5, "b": 0.5}},
          {"type": "linear", "out": 2, "init": "xavier_uniform"}
        ]}
        """;

    [Fact]
    public void Parses_init_objects_and_names()
    {
        var spec = Parse(Mixed);
        Assert.Equal(new Initializer("kaiming_normal") { Mode = "fan_out", Nonlinearity = "relu" }, spec.Layers[0].Init);
        Assert.Equal(new Initializer("zeros"), spec.Layers[0].BiasInit);
        Assert.Equal(new Initializer("normal") { Std = 0.02 }, spec.Layers[3].Init);
        Assert.Equal(new Initializer("constant") { Value = 0.1 }, spec.Layers[3].BiasInit);
        Assert.Equal(new Initializer("kaiming_uniform") { A = 0.1 }, spec.Layers[5].Init);
        Assert.Equal(new Initializer("uniform") { A = -0.5, B = 0.5 }, spec.Layers[5].BiasInit);
        Assert.Equal(new Initializer("xavier_uniform"), spec.Layers[6].Init);
        Assert.Null(spec.Layers[6].BiasInit);
        Assert.Null(spec.Layers[1].Init);
    }

    [Fact]
    public void Builds_with_the_given_initialisers()
    {
        // conv1d needs [channels, length]: use a model where it fits.
        var model = Build<double>("""
            {"input": [3, 10], "seed": 1, "layers": [
              {"type": "conv1d", "out_channels": 4, "kernel_size": 3, "init": {"name": "kaiming_uniform", "nonlinearity": "relu", "mode": "fan_out"}, "bias_init": "zeros"},
              {"type": "flatten"},
              {"type": "linear", "out": 2, "init": {"name": "constant", "value": -0.25}, "bias_init": {"name": "uniform", "a": 2, "b": 3}}
            ]}
            """);
        var conv = (Conv1d<double>)model.Layers[0];
        double bound = Math.Sqrt(3.0) * (Math.Sqrt(2.0) / Math.Sqrt(4 * 3)); // fan_out = 4·3
        Assert.All(conv.Weight.Value.Data, v => Assert.InRange(v, -bound, bound));
        Assert.Contains(conv.Weight.Value.Data, v => Math.Abs(v) > 1 / Math.Sqrt(9)); // beyond the default's bound 1/√fan_in
        Assert.All(conv.Bias!.Value.Data, v => Assert.Equal(0.0, v));
        var linear = (Linear<double>)model.Layers[2];
        Assert.All(linear.Weight.Value.Data, v => Assert.Equal(-0.25, v));
        Assert.All(linear.Bias!.Value.Data, v => Assert.InRange(v, 2, 3));
    }

    [Fact]
    public void Bias_keeps_pytorchs_default_unless_bias_init_is_given()
    {
        var model = Build<double>(OneLayer("\"out\": 3, \"init\": \"zeros\"", input: "[100]"));
        var bias = ((Linear<double>)model.Layers[0]).Bias!.Value.Data;
        Assert.All(bias, v => Assert.InRange(v, -0.1, 0.1));
        Assert.Contains(bias, v => v != 0);
    }

    [Fact]
    public void Default_init_is_the_same_as_no_init()
    {
        var plain = Build<double>("""{"input": [4], "seed": 9, "layers": [{"type": "linear", "out": 3}, {"type": "linear", "out": 2}]}""");
        var explicitDefault = Build<double>("""{"input": [4], "seed": 9, "layers": [{"type": "linear", "out": 3, "init": "default", "bias_init": "default"}, {"type": "linear", "out": 2, "init": {"name": "default"}}]}""");
        for (int i = 0; i < plain.NamedParameters.Count; i++)
            Assert.Equal(plain.NamedParameters[i].Parameter.Value.Data, explicitDefault.NamedParameters[i].Parameter.Value.Data);
    }

    [Fact]
    public void Same_seed_same_weights_bit_for_bit_and_another_seed_other_weights()
    {
        foreach (var precision in new[] { "f64", "f32" })
        {
            double[][] Weights(string json) => precision == "f64"
                ? Build<double>(json).NamedParameters.Select(p => p.Parameter.Value.ToDoubleArray()).ToArray()
                : Build<float>(json).NamedParameters.Select(p => p.Parameter.Value.ToDoubleArray()).ToArray();
            var a = Weights(Mixed);
            var b = Weights(Mixed);
            var other = Weights(Mixed.Replace("\"seed\": 42", "\"seed\": 43"));
            for (int i = 0; i < a.Length; i++)
            {
                Assert.Equal(a[i], b[i]);
                bool drawsNothing = i is 1 or 3; // bias zeros and constant
                if (drawsNothing) Assert.Equal(a[i], other[i]);
                else Assert.NotEqual(a[i], other[i]);
            }
        }
    }

    [Fact]
    public void Zeros_and_constant_draw_nothing_and_given_values_win()
    {
        // Layer 0's weight drawn as zeros takes nothing from the stream, so layer 1 gets what layer 0 would have had.
        var withZeros = Build<double>("""{"input": [3], "layers": [{"type": "linear", "out": 3, "bias": false, "init": "zeros"}, {"type": "linear", "out": 3, "bias": false}]}""");
        var plain = Build<double>("""{"input": [3], "layers": [{"type": "linear", "out": 3, "bias": false}]}""");
        Assert.Equal(plain.NamedParameters[0].Parameter.Value.Data, withZeros.NamedParameters[1].Parameter.Value.Data);
        // Values in the file win over init, as over seed.
        var given = Build<double>(OneLayer("\"out\": 1, \"init\": \"zeros\", \"weight\": [[1, 2]], \"bias\": [3], \"bias_init\": \"zeros\"", input: "[2]"));
        Assert.Equal([1.0, 2.0], given.NamedParameters[0].Parameter.Value.Data);
        Assert.Equal([3.0], given.NamedParameters[1].Parameter.Value.Data);
    }

    [Fact]
    public void Init_is_written_back_only_when_given()
    {
        var spec = Parse(Mixed);
        string written = ModelFile.Write(spec);
        Assert.Contains("\"init\": {\"name\": \"kaiming_normal\", \"mode\": \"fan_out\", \"nonlinearity\": \"relu\"}, \"bias_init\": {\"name\": \"zeros\"}", written);
        Assert.Contains("\"init\": {\"name\": \"normal\", \"std\": 0.02}, \"bias_init\": {\"name\": \"constant\", \"value\": 0.1}", written);
        var reparsed = Parse(written);
        for (int i = 0; i < spec.Layers.Count; i++)
        {
            Assert.Equal(spec.Layers[i].Init, reparsed.Layers[i].Init);
            Assert.Equal(spec.Layers[i].BiasInit, reparsed.Layers[i].BiasInit);
        }
        // The same weights from the rewritten file.
        var a = ModelFile.Build<double>(spec, "a");
        var b = ModelFile.Build<double>(reparsed, "b");
        for (int i = 0; i < a.NamedParameters.Count; i++)
            Assert.Equal(a.NamedParameters[i].Parameter.Value.Data, b.NamedParameters[i].Parameter.Value.Data);
        // A model is written with its values and without init.
        string fromModel = ModelFile.Write(a);
        Assert.DoesNotContain("init", fromModel);
        Assert.DoesNotContain("init", ModelFile.Write(Parse(OneLayer("\"out\": 2"))));
    }

    [Theory]
    [InlineData("\"out\": 2, \"init\": {\"name\": \"he_normal\"}",
        "model.json: layers[0].init.name: unknown initializer 'he_normal'; expected one of: default, zeros, constant, normal, uniform, xavier_uniform, xavier_normal, kaiming_uniform, kaiming_normal")]
    [InlineData("\"out\": 2, \"init\": \"glorot\"", "model.json: layers[0].init: unknown initializer 'glorot'")]
    [InlineData("\"out\": 2, \"init\": {\"name\": \"normal\", \"gain\": 2}", "model.json: layers[0].init: unknown field 'gain'; normal takes: mean, std")]
    [InlineData("\"out\": 2, \"init\": {\"name\": \"zeros\", \"value\": 0}", "model.json: layers[0].init: unknown field 'value'; zeros takes no arguments")]
    [InlineData("\"out\": 2, \"init\": {\"mode\": \"fan_in\"}", "model.json: layers[0].init: missing field 'name'")]
    [InlineData("\"out\": 2, \"init\": 3", "model.json: layers[0].init: expected an initializer name or an object {\"name\": ...}, got the number 3")]
    [InlineData("\"out\": 2, \"init\": {\"name\": \"kaiming_normal\", \"mode\": \"fan_avg\"}", "model.json: layers[0].init.mode: expected one of: fan_in, fan_out; got 'fan_avg'")]
    [InlineData("\"out\": 2, \"init\": {\"name\": \"kaiming_normal\", \"mode\": 1}", "model.json: layers[0].init.mode: expected a string, got the number 1")]
    [InlineData("\"out\": 2, \"init\": {\"name\": \"kaiming_uniform\", \"nonlinearity\": \"selu\"}", "model.json: layers[0].init.nonlinearity: expected one of: relu, leaky_relu, linear, sigmoid, tanh; got 'selu'")]
    [InlineData("\"out\": 2, \"init\": {\"name\": \"kaiming_uniform\", \"nonlinearity\": \"relu\", \"a\": 0.1}", "model.json: layers[0].init.a: the negative slope applies only to nonlinearity leaky_relu, not relu")]
    [InlineData("\"out\": 2, \"init\": {\"name\": \"constant\"}", "model.json: layers[0].init: missing field 'value'")]
    [InlineData("\"out\": 2, \"init\": \"constant\"", "model.json: layers[0].init: constant needs a value")]
    [InlineData("\"out\": 2, \"init\": {\"name\": \"constant\", \"value\": \"1\"}", "model.json: layers[0].init.value: expected a number, got the string \"1\"")]
    [InlineData("\"out\": 2, \"init\": {\"name\": \"normal\", \"std\": -1}", "model.json: layers[0].init.std: must be ≥ 0, got -1")]
    [InlineData("\"out\": 2, \"init\": {\"name\": \"uniform\", \"a\": 2}", "model.json: layers[0].init: a = 2 is greater than b = 1")]
    [InlineData("\"out\": 2, \"bias_init\": \"kaiming_normal\"", "model.json: layers[0].bias_init: kaiming_normal needs a weight's fan-in and fan-out, so it cannot initialise a bias; expected one of: default, zeros, constant, normal, uniform")]
    [InlineData("\"out\": 2, \"bias_init\": {\"name\": \"ones\"}", "model.json: layers[0].bias_init.name: unknown initializer 'ones'; expected one of: default, zeros, constant, normal, uniform")]
    [InlineData("\"out\": 2, \"bias\": false, \"bias_init\": \"zeros\"", "model.json: layers[0].bias_init: the layer has no bias (\"bias\": false)")]
    [InlineData("\"out\": 2, \"weight_init\": \"zeros\"", "model.json: layers[0] (linear): unknown field 'weight_init'; expected one of: type, out, bias, weight, init, bias_init")]
    public void Bad_init_is_an_error_naming_the_place(string fields, string message)
    {
        var e = Assert.Throws<BackpropException>(() => Parse(OneLayer(fields)));
        Assert.StartsWith(message, e.Message);
    }

    [Fact]
    public void Init_belongs_to_layers_with_weights_only()
    {
        var e = Assert.Throws<BackpropException>(() => Parse("""{"input": [2], "layers": [{"type": "relu", "init": "zeros"}]}"""));
        Assert.StartsWith("model.json: layers[0] (relu): unknown field 'init'", e.Message);
        e = Assert.Throws<BackpropException>(() => Parse(OneLayer("\"out_channels\": 2, \"kernel_size\": 2, \"init\": {\"name\": \"xavier_normal\", \"mode\": \"fan_in\"}", "conv2d", "[1, 4, 4]")));
        Assert.StartsWith("model.json: layers[0].init: unknown field 'mode'; xavier_normal takes: gain", e.Message);
    }

    [Fact]
    public void A_constant_that_overflows_float32_is_an_error_at_build()
    {
        string json = OneLayer("\"out\": 2, \"init\": {\"name\": \"constant\", \"value\": 1e300}");
        Assert.Equal(1e300, Build<double>(json).NamedParameters[0].Parameter.Value[0]);
        var e = Assert.Throws<BackpropException>(() => Build<float>(json));
        Assert.StartsWith("model.json: layers[0].init: constant gave element 0 = ", e.Message);
        Assert.EndsWith("which overflows float32", e.Message);
    }
}
