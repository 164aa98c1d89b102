using System.Text.Json;
using Backprop.Cli;

namespace Backprop.Tests.Cli;

/// <summary>
/// Issue 15, the reproductions of findings 2, 4 and 5 through the CLI: a NaN that ReLU used to turn into 0, outputs and
/// gradients that overflow (printed as bare Infinity with exit code 0, which is not JSON), and `graph` expressions
/// nested 10,000 deep (a stack overflow). Each must end in exit code 2 with one line naming what is refused.
/// </summary>
public sealed class NonFiniteCliTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("backprop-nonfinite-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    // Finding 4: 1e308·10 overflows to +∞ in both outputs of the first layer, ∞ − ∞ = NaN, then ReLU. torch.relu keeps
    // the NaN, so PyTorch's loss is NaN; Backprop's ReLU gave 0 and a loss of 0.125.
    private const string ReluNaNModel = """{"input":[1],"layers":[{"type":"linear","out":2,"weight":[[1e308],[1e308]],"bias":[0,0]},{"type":"linear","out":1,"weight":[[1,-1]],"bias":[0]},{"type":"relu"},{"type":"linear","out":1,"weight":[[1]],"bias":[0.5]}]}""";
    private const string ReluNaNData = """{"x":[[10]],"y":[[0]]}""";

    // Finding 5: a finite loss (1.69e308) whose input gradient overflows.
    private const string OverflowModel = """{"input":[2],"layers":[{"type":"linear","out":1,"weight":[[1.3e154,1e200]],"bias":[0]}]}""";
    private const string OverflowData = """{"x":[[1,0]],"y":[[0]]}""";

    private string[] Files(string model, string data, string loss)
    {
        string m = Path.Combine(_dir, "model.json"), d = Path.Combine(_dir, "data.json");
        File.WriteAllText(m, model);
        File.WriteAllText(d, data);
        return ["--model", m, "--data", d, "--loss", loss];
    }

    /// <summary>
    /// Exit code 2, one line on stderr holding every fragment, no stack trace; nothing on stdout, except for train,
    /// which prints its progress ("loading ...") there before it meets the problem.
    /// </summary>
    internal static string AssertRefused(string[] args, params string[] fragments)
    {
        var (code, stdout, stderr) = BadInputTests.Run(args);
        string context = $"backprop {string.Join(' ', args.Select(a => a.Length > 80 ? a[..80] + "..." : a))}\nexit {code}\nstdout: {(stdout.Length > 300 ? stdout[..300] : stdout)}\nstderr: {stderr}";
        Assert.True(code == ExitCodes.BadInput, context);
        Assert.True(stdout.Length == 0 || args[0] == "train", context);
        Assert.True(stderr.StartsWith("error: ", StringComparison.Ordinal) && stderr.IndexOfAny(['\n', '\r']) == stderr.Length - 1, context);
        foreach (string marker in new[] { "   at ", "Exception", "internal error" })
            Assert.False(stderr.Contains(marker, StringComparison.Ordinal), context);
        foreach (string fragment in fragments)
            Assert.True(stderr.Contains(fragment, StringComparison.Ordinal), $"stderr should contain: {fragment}\n{context}");
        return stderr;
    }

    [Theory]
    [InlineData("grad")]
    [InlineData("trace")]
    [InlineData("gradcheck")]
    public void A_NaN_behind_a_relu_is_not_hidden(string command)
    {
        string[] args = [command, .. Files(ReluNaNModel, ReluNaNData, "half_sse")];
        string message = AssertRefused(args, "the loss 'half_sse' is NaN");
        if (command == "grad")
            Assert.Contains("anomaly: the output of layers[0] (linear) is Infinity at [0, 0]", message);
    }

    [Fact]
    public void The_relu_NaN_reaches_the_loss_as_in_torch()
    {
        string[] files = Files(ReluNaNModel, ReluNaNData, "half_sse");
        var p = Backprop.Examples.Problem.FromFiles<double>(files[1], files[3], "half_sse");
        var report = Backprop.Diagnostics.GradientReport.Compute(p.Model, p.Loss, p.Batch, allowNonFinite: true);
        Assert.True(double.IsNaN(report.Loss));
        Assert.True(double.IsNaN(report.Output[0]));
    }

    [Theory]
    [InlineData("grad", new[] { "input_grad is Infinity at [0, 0]", "(JSON has no NaN or infinity)", "anomaly: dL/d(input) of layers[0] (linear) is Infinity at [0, 0]" })]
    [InlineData("gradcheck", new[] { "input_grad is Infinity at [0, 0]" })]
    public void Overflowing_gradients_are_refused_not_printed_as_Infinity(string command, string[] fragments) =>
        AssertRefused([command, .. Files(OverflowModel, OverflowData, "mse")], fragments);

    [Fact]
    public void Trace_json_refuses_what_JSON_cannot_hold_and_text_shows_it()
    {
        string[] files = Files(OverflowModel, OverflowData, "mse");
        AssertRefused(["trace", .. files, "--format", "json"], "trace --format json: dL/d(input) of layers[0] is Infinity at [0, 0], which JSON cannot hold");
        var (code, stdout, _) = BadInputTests.Run(["trace", .. files]);
        Assert.Equal(ExitCodes.Ok, code);
        Assert.Contains("∞", stdout.Replace("Infinity", "∞"));
    }

    /// <summary>What grad prints on success is JSON, every number finite; the library's report, asked to keep NaN, writes it as a string.</summary>
    [Fact]
    public void Grad_output_is_always_valid_JSON()
    {
        var (code, stdout, _) = BadInputTests.Run(["grad", "--example", "seed003"]);
        Assert.Equal(ExitCodes.Ok, code);
        using (JsonDocument.Parse(stdout)) { }
        string[] files = Files(OverflowModel, OverflowData, "mse");
        var p = Backprop.Examples.Problem.FromFiles<double>(files[1], files[3], "mse");
        string json = Backprop.Diagnostics.GradientReport.Compute(p.Model, p.Loss, p.Batch, allowNonFinite: true).ToJson();
        using var doc = JsonDocument.Parse(json);
        Assert.Equal("Infinity", doc.RootElement.GetProperty("input_grad")[0][0].GetString());
    }

    [Theory]
    [InlineData("(", ")")]
    [InlineData("exp(", ")")]
    public void Graph_refuses_10000_nested_levels(string open, string close)
    {
        string expr = "w = " + string.Concat(Enumerable.Repeat(open, 10_000)) + "x" + string.Concat(Enumerable.Repeat(close, 10_000));
        AssertRefused(["graph", "--expr", expr, "--at", "x=1"], "--expr: column ", "nests deeper than 64 levels");
    }
}
