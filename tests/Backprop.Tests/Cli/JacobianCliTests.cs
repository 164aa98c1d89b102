using System.Globalization;
using System.Text.Json;
using Backprop.Cli;
using Backprop.Diagnostics;
using Backprop.Examples;

using Backprop.Tests.Support;

namespace Backprop.Tests.Cli;

/// <summary>backprop jacobian: the formats, the options, and that it prints what the library computes.</summary>
public sealed class JacobianCliTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("backprop-jacobian-cli-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static string Ok(params string[] args) => CliRun.Ok(args);

    private static double[][] Values(JsonElement e) =>
        e.GetProperty("values").EnumerateArray().Select(r => r.EnumerateArray().Select(v => v.GetDouble()).ToArray()).ToArray();

    [Fact]
    public void Text_shows_the_labelled_matrix_and_its_structure()
    {
        string text = Ok("jacobian", "--example", "seed002-compose");
        Assert.StartsWith("Jacobian ∂ŷ/∂x of example 0\n2 × 3, float64; torch layout", text);
        Assert.Contains("         x₁       x₂       x₃\nŷ₁   3.0000   1.0000  -1.0000\nŷ₂  -3.0000  14.0000   4.0000\n", text);
        Assert.Contains("structure: equal to 1.weight · 0.weight", text);
        Assert.Contains("ŷ₂  0.0000  1.0000   5.0000", Ok("jacobian", "--example", "seed002-sum", "--digits", "4"));
    }

    [Fact]
    public void A_model_folder_gives_the_Jacobian_of_its_weights()
    {
        // A folder as train or PyTorch leaves it: model.json without values, the weights in model.safetensors.
        var problem = Problem.FromExample<double>("seed003");
        string folder = Path.Combine(_dir, "run"), model = Path.Combine(_dir, "model.json"), data = Path.Combine(_dir, "data.json");
        Directory.CreateDirectory(folder);
        File.WriteAllText(Path.Combine(folder, "model.json"), global::Backprop.Models.ModelFile.WriteArchitecture(global::Backprop.Models.ModelFile.ToSpec(problem.Model)));
        global::Backprop.IO.Safetensors.SaveModel(Path.Combine(folder, "model.safetensors"), problem.Model);
        var files = ProblemFiles.Of(problem, model, data);
        File.WriteAllText(model, files.ModelJson);
        File.WriteAllText(data, files.DataJson);
        Assert.Equal(Ok("jacobian", "--model", model, "--data", data, "--wrt", "params"),
            Ok("jacobian", "--model", folder, "--data", data, "--wrt", "params").Replace(folder, model));
    }

    [Fact]
    public void Json_holds_exact_values_labels_and_notes()
    {
        using var doc = JsonDocument.Parse(Ok("jacobian", "--example", "seed003", "--wrt", "params", "--format", "json"));
        var root = doc.RootElement;
        Assert.Equal(["example", "layer", "of", "wrt", "layout", "precision", "title", "rows", "columns", "values", "structure"], root.EnumerateObject().Select(p => p.Name));
        Assert.Equal("∂ŷ/∂θ", root.GetProperty("title").GetString());
        Assert.Equal(12, root.GetProperty("columns").GetArrayLength());
        Assert.Equal("0.weight[0,0]", root.GetProperty("columns")[0].GetString());
        var p = Problem.FromExample<double>("seed003");
        var expected = Jacobian.Compute(p.Model, p.Batch, new JacobianRequest { Wrt = "params" });
        Assert.Equal(expected.Values, Values(root).SelectMany(r => r));
    }

    [Fact]
    public void All_gives_a_json_array_of_every_example()
    {
        using var doc = JsonDocument.Parse(Ok("jacobian", "--example", "seed004-batch", "--all", "--format", "json"));
        Assert.Equal(JsonValueKind.Array, doc.RootElement.ValueKind);
        Assert.Equal([0, 1], doc.RootElement.EnumerateArray().Select(e => e.GetProperty("example").GetInt32()));
        string text = Ok("jacobian", "--example", "seed004-batch", "--all");
        Assert.Contains("of example 0", text);
        Assert.Contains("of example 1", text);
    }

    [Fact]
    public void Csv_has_a_header_of_column_labels_and_a_line_per_row()
    {
        string csv = Ok("jacobian", "--example", "seed003", "--layer", "0", "--wrt", "0.weight", "--format", "csv");
        var lines = csv.TrimEnd('\n').Split('\n');
        Assert.Equal("example,row,\"0.weight[0,0]\",\"0.weight[0,1]\",\"0.weight[1,0]\",\"0.weight[1,1]\"", lines[0]);
        Assert.Equal(3, lines.Length);
        // ∂h⁽¹⁾ⱼ/∂W[r,c] = δⱼᵣ·x_c with x = [1, 0]
        Assert.Equal("0,h⁽¹⁾₁,1,0,0,0", lines[1]);
        Assert.Equal("0,h⁽¹⁾₂,0,0,1,0", lines[2]);

        string checkedCsv = Ok("jacobian", "--example", "seed003", "--check", "--format", "csv");
        Assert.StartsWith("example,matrix,row,x₁,x₂\n0,jacobian,ŷ₁,", checkedCsv);
        Assert.Contains("\n0,central_difference,ŷ₂,", checkedCsv);
    }

    [Fact]
    public void Markdown_writes_a_table_and_a_latex_matrix()
    {
        string md = Ok("jacobian", "--example", "seed003", "--layer", "1", "--format", "markdown");
        Assert.StartsWith("### Layer 1's local Jacobian ∂h⁽²⁾/∂h⁽¹⁾ of example 0\n", md);
        Assert.Contains("| | h⁽¹⁾₁ | h⁽¹⁾₂ |\n|---|---:|---:|\n", md);
        Assert.Contains("$$\\frac{\\partial h^{(2)}}{\\partial h^{(1)}} = \\begin{bmatrix}", md);
        Assert.Contains("- diagonal", md);
        string sheet = Ok("jacobian", "--example", "seed003", "--layer", "0", "--layout", "sheet", "--format", "markdown");
        Assert.Contains("$$\\left(\\frac{\\partial h^{(1)}}{\\partial x}\\right)^\\top = \\begin{bmatrix} 3.0000 & 6.0000 \\\\ 4.0000 & 5.0000 \\end{bmatrix}$$", sheet);
    }

    [Fact]
    public void Check_passes_on_every_example_and_fails_with_exit_code_1_at_a_kink()
    {
        foreach (var (name, _) in Problem.Examples)
            foreach (string wrt in new[] { "input", "params" })
                Assert.Contains("check: central differences", Ok("jacobian", "--example", name, "--wrt", wrt, "--check", "--all"));

        // ReLU at exactly 0: the engine takes ReLU'(0) = 0, central differences see ½.
        string model = Path.Combine(_dir, "model.json"), data = Path.Combine(_dir, "data.json");
        File.WriteAllText(model, """{"input": [1], "layers": [{"type": "linear", "out": 1, "weight": [[1]], "bias": [0]}, {"type": "relu"}]}""");
        File.WriteAllText(data, """{"x": [[0]], "y": [[0]]}""");
        var (code, stdout, stderr) = BadInputTests.Run(["jacobian", "--model", model, "--data", data, "--check"]);
        Assert.Equal(ExitCodes.CheckFailed, code);
        Assert.Equal("", stderr);
        Assert.Contains("FAILED", stdout);
    }

    [Fact]
    public void Model_and_data_files_need_no_loss_unless_the_loss_is_differentiated()
    {
        using var doc = JsonDocument.Parse(Problem.ExampleText("seed003"));
        string model = Path.Combine(_dir, "model.json"), data = Path.Combine(_dir, "data.json");
        File.WriteAllText(model, doc.RootElement.GetProperty("model").GetRawText());
        File.WriteAllText(data, doc.RootElement.GetProperty("data").GetRawText());
        Assert.Equal(Ok("jacobian", "--example", "seed003"), Ok("jacobian", "--model", model, "--data", data));
        Assert.Equal(Ok("jacobian", "--example", "seed003", "--of", "loss", "--wrt", "params", "--format", "json"),
            Ok("jacobian", "--model", model, "--data", data, "--loss", "half_sse", "--of", "loss", "--wrt", "params", "--format", "json"));

        // The loss row of a one-example batch is `backprop grad`'s gradient.
        using var grad = JsonDocument.Parse(Ok("grad", "--example", "seed003"));
        using var loss = JsonDocument.Parse(Ok("jacobian", "--example", "seed003", "--of", "loss", "--format", "json"));
        Assert.Equal(grad.RootElement.GetProperty("input_grad")[0].EnumerateArray().Select(v => v.GetDouble()), Values(loss.RootElement)[0]);
    }

    [Fact]
    public void F32_prints_float32_numbers_and_eval_mode_is_taken()
    {
        using var doc = JsonDocument.Parse(Ok("jacobian", "--example", "seed003", "--precision", "f32", "--format", "json"));
        Assert.Equal("f32", doc.RootElement.GetProperty("precision").GetString());
        foreach (var row in doc.RootElement.GetProperty("values").EnumerateArray())
            foreach (var v in row.EnumerateArray())
                Assert.Equal(v.GetRawText(), float.Parse(v.GetRawText(), CultureInfo.InvariantCulture).ToString("R", CultureInfo.InvariantCulture));
        Assert.Contains("float64", Ok("jacobian", "--example", "seed003", "--mode", "eval"));
    }

    [Fact]
    public void Help_lists_the_options()
    {
        string help = Ok("jacobian", "--help");
        foreach (string option in new[] { "--example-index", "--all", "--layer", "--of", "--wrt", "--layout", "--check", "--format", "--precision", "--mode" })
            Assert.Contains(option, help);
        Assert.Contains("jacobian", Ok("--help"));
    }
}
