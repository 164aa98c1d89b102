using System.Globalization;
using System.Text.Json;
using Backprop.Cli;
using Backprop.Examples;
using Backprop.Models;

using Backprop.Tests.Support;

namespace Backprop.Tests.Cli;

/// <summary>The CLI's happy paths, run in-process through <see cref="Program.Run"/>.</summary>
public sealed class CliTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("backprop-cli-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static readonly string[] ExampleNames = ["seed003", "seed000-cnn", "seed004", "seed004-batch", "seed001-regression", "seed002-compose", "seed002-sum"];

    public static TheoryData<string> Examples => [.. ExampleNames];

    private static (int Code, string Stdout, string Stderr) Run(params string[] args) => BadInputTests.Run(args);

    /// <summary>Runs a command that must succeed and returns its stdout.</summary>
    private static string Ok(params string[] args) => CliRun.Ok(args);

    [Fact]
    public void Examples_lists_all_seven()
    {
        string stdout = Ok("examples");
        var listed = stdout.Split('\n').Where(l => l.Length > 0 && !char.IsWhiteSpace(l[0]) && !l.StartsWith("Run ")).Select(l => l.Split(' ')[0]);
        Assert.Equal(ExampleNames.Order(StringComparer.Ordinal), listed.Order(StringComparer.Ordinal));
        Assert.Contains("Run one with: backprop trace --example NAME", stdout);
    }

    [Fact]
    public void Examples_with_a_name_prints_its_json()
    {
        using var doc = JsonDocument.Parse(Ok("examples", "seed003"));
        Assert.Equal("half_sse", doc.RootElement.GetProperty("loss").GetString());
        Assert.Equal(4, doc.RootElement.GetProperty("model").GetProperty("layers").GetArrayLength());
    }

    [Fact]
    public void Grad_prints_one_json_object_with_the_seed003_values()
    {
        string stdout = Ok("grad", "--example", "seed003");
        Assert.Equal(1, stdout.Count(c => c == '\n'));
        using var doc = JsonDocument.Parse(stdout);
        var root = doc.RootElement;
        Assert.Equal(["loss", "output", "grads", "input_grad"], root.EnumerateObject().Select(p => p.Name));
        Assert.Equal(["0.weight", "0.bias", "2.weight", "2.bias"], root.GetProperty("grads").EnumerateObject().Select(p => p.Name));

        // The sheet's numbers by hand: h = σ([3·1 + 4·0 + 1, 6·1 + 5·0 − 6]) = σ([4, 0]); z = W2 h + b2; ŷ = softmax(z);
        // loss = ½‖ŷ − [0, 1]‖².
        double h0 = 1 / (1 + Math.Exp(-4)), h1 = 0.5;
        double z0 = 2 * h0 + 4 * h1 - 1, z1 = 3 * h0 + 3 * h1 - 2;
        double p0 = 1 / (1 + Math.Exp(z1 - z0)), p1 = 1 - p0;
        double loss = 0.5 * (p0 * p0 + (p1 - 1) * (p1 - 1));
        Assert.Equal(loss, root.GetProperty("loss").GetDouble(), 1e-15);
        var output = root.GetProperty("output")[0];
        Assert.Equal(p0, output[0].GetDouble(), 1e-15);
        Assert.Equal(p1, output[1].GetDouble(), 1e-15);
        // dℓ/db2 = J_softmax (ŷ − y) with J = diag(ŷ) − ŷŷᵀ: for two classes, ±p0·p1·((p0 − 0) − (p1 − 1)).
        double db20 = p0 * p1 * (p0 - (p1 - 1));
        Assert.Equal(db20, root.GetProperty("grads").GetProperty("2.bias")[0].GetDouble(), 1e-15);
        Assert.Equal(-db20, root.GetProperty("grads").GetProperty("2.bias")[1].GetDouble(), 1e-15);
        Assert.Equal([1, 2], Shape(root.GetProperty("input_grad")));
        Assert.Equal([2, 2], Shape(root.GetProperty("grads").GetProperty("0.weight")));
    }

    [Theory]
    [MemberData(nameof(Examples))]
    public void Grad_with_files_equals_grad_with_the_example(string name)
    {
        using var doc = JsonDocument.Parse(Problem.ExampleText(name));
        string model = Path.Combine(_dir, "model.json"), data = Path.Combine(_dir, "data.json");
        File.WriteAllText(model, doc.RootElement.GetProperty("model").GetRawText());
        File.WriteAllText(data, doc.RootElement.GetProperty("data").GetRawText());
        string loss = doc.RootElement.GetProperty("loss").GetString()!;

        foreach (string precision in new[] { "f64", "f32" })
        {
            string fromExample = Ok("grad", "--example", name, "--precision", precision);
            string fromFiles = Ok("grad", "--model", model, "--data", data, "--loss", loss, "--precision", precision);
            Assert.Equal(fromExample, fromFiles);
        }
    }

    [Theory]
    [MemberData(nameof(Examples))]
    public void Grad_in_f32_prints_float32_shortest_round_trip_numbers(string name)
    {
        string f32 = Ok("grad", "--example", name, "--precision", "f32");
        using var doc = JsonDocument.Parse(f32);
        var numbers = Numbers(doc.RootElement).ToList();
        Assert.NotEmpty(numbers);
        foreach (string text in numbers)
        {
            float value = float.Parse(text, NumberStyles.Float, CultureInfo.InvariantCulture);
            Assert.Equal(text, value.ToString("R", CultureInfo.InvariantCulture));
        }
    }

    [Fact]
    public void F32_and_f64_differ_where_float32_rounds()
    {
        // Guards the test above: seed003's sigmoid and softmax give numbers that float32 cannot hold exactly, so an f64
        // printer would fail it.
        using var f64 = JsonDocument.Parse(Ok("grad", "--example", "seed003"));
        Assert.Contains(Numbers(f64.RootElement), text =>
            float.Parse(text, CultureInfo.InvariantCulture).ToString("R", CultureInfo.InvariantCulture) != text);
        Assert.NotEqual(Ok("grad", "--example", "seed003"), Ok("grad", "--example", "seed003", "--precision", "f32"));
    }

    [Fact]
    public void Trace_json_has_forward_backward_and_updates()
    {
        using var doc = JsonDocument.Parse(Ok("trace", "--example", "seed003", "--format", "json"));
        var root = doc.RootElement;
        Assert.Equal(4, root.GetProperty("forward").GetArrayLength());
        Assert.Equal(4, root.GetProperty("backward").GetArrayLength());
        Assert.Equal(["0.weight", "0.bias", "2.weight", "2.bias"], root.GetProperty("updates").EnumerateArray().Select(u => u.GetProperty("name").GetString()));
        Assert.Equal(0.5, root.GetProperty("learning_rate").GetDouble());
        // The trace and grad agree on the loss.
        using var grad = JsonDocument.Parse(Ok("grad", "--example", "seed003"));
        Assert.Equal(grad.RootElement.GetProperty("loss").GetDouble(), root.GetProperty("loss").GetDouble());
    }

    [Fact]
    public void Trace_markdown_writes_latex_matrices()
    {
        string markdown = Ok("trace", "--example", "seed003", "--format", "markdown");
        Assert.Contains("\\begin{bmatrix}", markdown);
        Assert.Contains("\\end{bmatrix}", markdown);
        Assert.DoesNotContain("\\begin{bmatrix}", Ok("trace", "--example", "seed003"));
    }

    [Theory]
    [MemberData(nameof(Examples))]
    public void Gradcheck_passes_for_every_example(string name)
    {
        string stdout = Ok("gradcheck", "--example", name);
        Assert.Contains("gradient check passed", stdout);
        Assert.DoesNotContain("FAIL", stdout);
        Assert.Contains("input", stdout);
    }

    /// <summary>
    /// Gradient checking fails at a kink, and that is a real property of the method, not a bug in backward.
    /// Here z = w·x + b = 0 exactly (x = 0, b = 0), then ReLU, then ℓ = ½(relu(z) − y)² with y = −1. To the right of
    /// z = 0 the slope dℓ/dz is relu(z) − y = 1; to the left it is 0. Backward uses ReLU'(0) = 0 (as PyTorch does) and
    /// reports dℓ/db = 0; the central difference (ℓ(b + h) − ℓ(b − h)) / 2h averages both sides and sees about
    /// 0.5, half the right slope. So the bias and the input fail; the weight passes because with x = 0 moving w does not
    /// move z at all. Away from the kink (x = 0.5) the same network passes.
    /// </summary>
    [Fact]
    public void Gradcheck_fails_with_exit_code_1_at_a_relu_kink()
    {
        string model = Path.Combine(_dir, "model.json"), data = Path.Combine(_dir, "data.json");
        File.WriteAllText(model, """{"input": [1], "layers": [{"type": "linear", "out": 1, "weight": [[1]], "bias": [0]}, {"type": "relu"}]}""");
        File.WriteAllText(data, """{"x": [[0]], "y": [[-1]]}""");

        var (code, stdout, stderr) = Run("gradcheck", "--model", model, "--data", data, "--loss", "half_sse");
        Assert.Equal(ExitCodes.CheckFailed, code);
        Assert.Equal("", stderr);
        Assert.Contains("gradient check FAILED", stdout);
        string Row(string tensor) => stdout.Split('\n').Single(l => l.Contains($" {tensor} "));
        Assert.Contains("FAIL", Row("0.bias"));
        Assert.Contains("FAIL", Row("input"));
        Assert.Contains(" ok ", Row("0.weight"));

        // Backward's side of it: the bias gradient is exactly 0 at the kink.
        using var grad = JsonDocument.Parse(Ok("grad", "--model", model, "--data", data, "--loss", "half_sse"));
        Assert.Equal(0.0, grad.RootElement.GetProperty("grads").GetProperty("0.bias")[0].GetDouble());

        File.WriteAllText(data, """{"x": [[0.5]], "y": [[-1]]}""");
        Assert.Contains("gradient check passed", Ok("gradcheck", "--model", model, "--data", data, "--loss", "half_sse"));
    }

    [Fact]
    public void Bce_accepts_soft_targets()
    {
        string model = Path.Combine(_dir, "model.json"), data = Path.Combine(_dir, "data.json");
        File.WriteAllText(model, """{"input": [2], "layers": [{"type": "linear", "out": 1, "weight": [[1, -1]], "bias": [0]}, {"type": "sigmoid"}]}""");
        File.WriteAllText(data, """{"x": [[2, 1]], "y": [[0.3]]}""");
        using var doc = JsonDocument.Parse(Ok("grad", "--model", model, "--data", data, "--loss", "bce"));
        double p = 1 / (1 + Math.Exp(-1));
        Assert.Equal(-(0.3 * Math.Log(p) + 0.7 * Math.Log(1 - p)), doc.RootElement.GetProperty("loss").GetDouble(), 1e-12);
    }

    [Theory]
    [InlineData("hinge", """{"x": [[1, 0], [0, 1]], "y": [1, -1]}""")]
    [InlineData("logistic", """{"x": [[1, 0]], "y": [-1]}""")]
    [InlineData("perceptron", """{"x": [[1, 0]], "y": [1]}""")]
    public void Sign_losses_accept_labels_plus_and_minus_one(string loss, string dataJson)
    {
        string model = Path.Combine(_dir, "model.json"), data = Path.Combine(_dir, "data.json");
        File.WriteAllText(model, """{"input": [2], "layers": [{"type": "linear", "out": 1, "weight": [[1, -1]], "bias": [0]}]}""");
        File.WriteAllText(data, dataJson);
        using var doc = JsonDocument.Parse(Ok("grad", "--model", model, "--data", data, "--loss", loss));
        Assert.True(double.IsFinite(doc.RootElement.GetProperty("loss").GetDouble()));
    }

    [Fact]
    public void Cross_entropy_accepts_class_indices_up_to_classes_minus_one()
    {
        string model = Path.Combine(_dir, "model.json"), data = Path.Combine(_dir, "data.json");
        File.WriteAllText(model, """{"input": [2], "layers": [{"type": "linear", "out": 3, "weight": [[1, 0], [0, 1], [1, 1]], "bias": [0, 0, 0]}]}""");
        File.WriteAllText(data, """{"x": [[1, 0], [0, 1]], "y": [0, 2]}""");
        using var doc = JsonDocument.Parse(Ok("grad", "--model", model, "--data", data, "--loss", "cross_entropy"));
        // Mean over the batch of −log softmax(z)[y]: z = [1, 0, 1] with class 0, z = [0, 1, 1] with class 2.
        double expected = Math.Log(2 * Math.E + 1) - 1;
        Assert.Equal(expected, doc.RootElement.GetProperty("loss").GetDouble(), 1e-12);
    }

    [Theory]
    [MemberData(nameof(Examples))]
    public void Model_file_round_trip_is_bit_identical(string name)
    {
        var model = Problem.FromExample<double>(name).Model;
        AssertRoundTrip(model);
    }

    [Fact]
    public void Model_file_round_trip_keeps_initialised_parameters_bit_identical()
    {
        // Default-initialised values have all 17 digits, unlike the examples' hand-picked ones.
        var spec = ModelFile.Parse("""
            {"input": [2, 6, 5], "seed": 7, "layers": [
              {"type": "conv2d", "out_channels": 3, "kernel_size": [3, 2], "stride": [1, 2], "padding": 1},
              {"type": "leaky_relu", "negative_slope": 0.2},
              {"type": "maxpool2d", "kernel_size": 2},
              {"type": "flatten"},
              {"type": "linear", "out": 4, "bias": false},
              {"type": "softplus", "beta": 2, "threshold": 10},
              {"type": "relu", "scale": 5},
              {"type": "linear", "out": 2},
              {"type": "softmax"}]}
            """, "test");
        var model = ModelFile.Build<double>(spec, "test");
        Assert.Contains(model.NamedParameters.SelectMany(p => p.Parameter.Value.ToDoubleArray()),
            v => v.ToString("R", CultureInfo.InvariantCulture).Length > 12);
        AssertRoundTrip(model);
    }

    private static void AssertRoundTrip(Sequential<double> model)
    {
        string written = ModelFile.Write(model);
        var reloaded = ModelFile.Build<double>(ModelFile.Parse(written, "written"), "written");
        Assert.Equal(ModelFile.Describe(model), ModelFile.Describe(reloaded));
        Assert.Equal(model.NamedParameters.Select(p => p.Name), reloaded.NamedParameters.Select(p => p.Name));
        for (int i = 0; i < model.NamedParameters.Count; i++)
        {
            var (paramName, a) = model.NamedParameters[i];
            var b = reloaded.NamedParameters[i].Parameter;
            Assert.Equal(a.Value.Shape, b.Value.Shape);
            var bitsA = a.Value.ToDoubleArray().Select(BitConverter.DoubleToInt64Bits);
            var bitsB = b.Value.ToDoubleArray().Select(BitConverter.DoubleToInt64Bits);
            Assert.True(bitsA.SequenceEqual(bitsB), $"{paramName} changed in the round trip");
        }
        Assert.Equal(written, ModelFile.Write(reloaded));
    }

    [Fact]
    public void Help_exits_0_and_lists_the_commands()
    {
        string help = Ok("--help");
        foreach (string command in new[] { "grad", "trace", "gradcheck", "examples" })
            Assert.Contains(command, help);
        Assert.Contains("--precision", Ok("grad", "--help"));
    }

    private static IEnumerable<string> Numbers(JsonElement e) => e.ValueKind switch
    {
        JsonValueKind.Number => [e.GetRawText()],
        JsonValueKind.Array => e.EnumerateArray().SelectMany(Numbers),
        JsonValueKind.Object => e.EnumerateObject().SelectMany(p => Numbers(p.Value)),
        _ => [],
    };

    private static int[] Shape(JsonElement e)
    {
        var shape = new List<int>();
        for (; e.ValueKind == JsonValueKind.Array; e = e[0]) shape.Add(e.GetArrayLength());
        return [.. shape];
    }
}
