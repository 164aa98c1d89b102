using System.Text.Json;
using Backprop.Architectures;
using Backprop.Cli;
using Backprop.Examples;
using Backprop.Models;

using Backprop.Tests.Support;

namespace Backprop.Tests.Cli;

/// <summary>backprop summary on every built-in architecture and example, model files and trained model folders, and bad input.</summary>
public sealed class SummaryCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("backprop-summary-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static string Ok(params string[] args) => CliRun.Ok(args);

    public static TheoryData<string, string> Models()
    {
        var data = new TheoryData<string, string>();
        foreach (string arch in Architecture.Names) data.Add("--arch", arch);
        foreach (var (name, _) in Problem.Examples) data.Add("--example", name);
        return data;
    }

    [Theory]
    [MemberData(nameof(Models))]
    public void Every_architecture_and_example_in_every_format(string option, string name)
    {
        string text = Ok("summary", option, name);
        Assert.Contains("total", text);
        Assert.Contains("multiply-adds (forward pass)", text);
        Assert.StartsWith("## Model summary", Ok("summary", option, name, "--format", "markdown"));
        using var doc = JsonDocument.Parse(Ok("summary", option, name, "--format", "json", "--batch-size", "7"));
        Assert.Equal(7, doc.RootElement.GetProperty("batch_size").GetInt32());
        Assert.True(doc.RootElement.GetProperty("layers").GetArrayLength() > 0);
    }

    [Fact]
    public void Mlp_text_names_its_parameters_and_shapes()
    {
        string text = Ok("summary", "--arch", "mlp", "--batch-size", "64");
        Assert.Contains("parameters: 235,146", text);
        Assert.Contains("linear(out=256)", text);
        Assert.Contains("[64, 256]", text);
        Assert.Contains("234,752 per example", text);
    }

    [Fact]
    public void A_model_file_and_a_trained_model_folder_give_the_same_summary()
    {
        string file = Path.Combine(_dir, "m.json");
        File.WriteAllText(file, Architecture.ModelText("cnn"));
        string folder = Path.Combine(_dir, "run");
        Directory.CreateDirectory(folder);
        File.WriteAllText(Path.Combine(folder, "model.json"), Architecture.ModelText("cnn"));
        static JsonElement Layers(string json) => JsonDocument.Parse(json).RootElement.GetProperty("layers").Clone();
        string fromArch = Layers(Ok("summary", "--arch", "cnn", "--format", "json")).GetRawText();
        Assert.Equal(fromArch, Layers(Ok("summary", "--model", file, "--format", "json")).GetRawText());
        Assert.Equal(fromArch, Layers(Ok("summary", "--model", folder, "--format", "json")).GetRawText());
    }

    [Theory]
    [InlineData("no model given")]
    [InlineData("--arch: unknown architecture 'resnet'", "--arch", "resnet")]
    [InlineData("--example: unknown example 'seed999'", "--example", "seed999")]
    [InlineData("--batch-size: expected an integer ≥ 1, got 0", "--arch", "mlp", "--batch-size", "0")]
    [InlineData("--batch-size: expected an integer ≥ 1, got -3", "--arch", "mlp", "--batch-size", "-3")]
    [InlineData("--batch-size: expected an integer, got 'many'", "--arch", "mlp", "--batch-size", "many")]
    [InlineData("--format: expected text, markdown or json, got 'html'", "--arch", "mlp", "--format", "html")]
    [InlineData("give one of --model, --arch and --example", "--arch", "mlp", "--example", "seed003")]
    [InlineData("$dir/missing.json: no such model file or trained model folder", "--model", "$dir/missing.json")]
    [InlineData("$dir/model.json: missing; is $dir the --out folder", "--model", "$dir")]
    public void Bad_input_is_one_line_and_exit_code_2(string expected, params string[] args)
    {
        var (code, stdout, stderr) = BadInputTests.Run(["summary", .. args.Select(a => a.Replace("$dir", _dir))]);
        Assert.Equal(ExitCodes.BadInput, code);
        Assert.Equal("", stdout);
        Assert.Single(stderr.TrimEnd('\n').Split('\n'));
        Assert.Contains(expected.Replace("$dir", _dir), stderr);
    }

    [Fact]
    public void A_model_that_does_not_fit_its_input_names_the_layer()
    {
        string file = Path.Combine(_dir, "bad.json");
        File.WriteAllText(file, """{"input": [1, 4, 4], "layers": [{"type": "linear", "out": 2}]}""");
        var (code, _, stderr) = BadInputTests.Run(["summary", "--model", file]);
        Assert.Equal(ExitCodes.BadInput, code);
        Assert.Contains($"{file}: layers[0] (linear)", stderr);
    }

    [Fact]
    public void Help_lists_summary()
    {
        Assert.Contains("summary", Ok("--help"));
        string help = Ok("summary", "--help");
        foreach (string option in new[] { "--model", "--arch", "--example", "--batch-size", "--format" }) Assert.Contains(option, help);
    }
}
