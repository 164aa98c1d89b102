using Backprop.Visualization;

namespace Backprop.Tests.Experiments;

/// <summary>backprop experiment NAME on tiny settings, and its refusals.</summary>
public sealed class ExperimentCliTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("backprop-experiments-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Mini_cnn_prints_the_closed_forms_the_losses_and_the_accuracy()
    {
        string stdout = ExperimentCli.Ok("experiment", "mini-cnn", "--epochs", "2", "--seed", "3");
        Assert.Contains("∂ℓ/∂w1 (2.2)", stdout);
        Assert.Contains("∂ℓ/∂v2 (2.1)", stdout);
        Assert.Contains("train loss", stdout);
        Assert.Contains("final accuracy: training ", stdout);
        Assert.Contains("seed 3", stdout);
    }

    [Fact]
    public void Update_order_prints_both_checks_and_writes_its_picture()
    {
        string stdout = ExperimentCli.Ok("experiment", "update-order", "--epochs", "3", "--lr", "0.1", "--out", _dir);
        Assert.Contains("FAIL", stdout);
        Assert.Contains("W2 updated first", stdout);
        string png = Path.Combine(_dir, "update-order.png");
        Assert.Contains($"wrote {png}", stdout);
        ExperimentCli.AssertPng(png, ExperimentCharts.Width, ExperimentCharts.Height);
    }

    [Fact]
    public void Zero_init_prints_every_scheme()
    {
        string stdout = ExperimentCli.Ok("experiment", "zero-init", "--epochs", "3");
        foreach (string scheme in ZeroInitExperimentSchemes) Assert.Contains($"{scheme}:", stdout);
        Assert.Contains("(every hidden unit outputs 0: dead)", stdout);
        Assert.Contains("(identical copies)", stdout);
    }

    private static readonly string[] ZeroInitExperimentSchemes = [.. Backprop.Experiments.ZeroInitExperiment.Schemes];

    [Fact]
    public void Gradient_flow_prints_every_layer_and_writes_its_picture()
    {
        string dir = Path.Combine(_dir, "new", "dir");
        string stdout = ExperimentCli.Ok("experiment", "gradient-flow", "--out", dir);
        Assert.Contains("│ 152 │", stdout);
        Assert.Contains("dL/dw₁ is exactly 0 at 152 layer(s): 1–152", stdout);
        Assert.Contains("dL/dw₁ is exactly 0 at 2 layer(s): 76–77", stdout);
        string png = Path.Combine(dir, "gradient-flow.png");
        ExperimentCli.AssertPng(png, ExperimentCharts.Width, ExperimentCharts.Height);
    }

    [Theory]
    [InlineData("--epochs: expected an integer ≥ 1, got 0", "experiment", "mini-cnn", "--epochs", "0")]
    [InlineData("--epochs: expected an integer, got 'x'", "experiment", "zero-init", "--epochs", "x")]
    [InlineData("--seed: expected an integer ≥ 0, got -1", "experiment", "mini-cnn", "--seed", "-1")]
    [InlineData("--seed: expected an integer, got 'abc'", "experiment", "gradient-flow", "--seed", "abc")]
    [InlineData("--lr: expected a positive number, got 0", "experiment", "mini-cnn", "--lr", "0")]
    [InlineData("--lr: expected positive numbers separated by commas, got '0.1,x'", "experiment", "update-order", "--lr", "0.1,x")]
    [InlineData("Unrecognized command or argument 'frobnicate'", "experiment", "frobnicate")]
    [InlineData("no experiment given; expected one of: mini-cnn, update-order, zero-init, gradient-flow", "experiment")]
    [InlineData("Unrecognized command or argument '--plot'", "experiment", "zero-init", "--plot", "x.png")]
    public void Bad_options_exit_2(string fragment, params string[] args) => ExperimentCli.BadInput(fragment, args);

    [Fact]
    public void An_out_that_is_a_file_exits_2()
    {
        string file = Path.Combine(_dir, "file");
        File.WriteAllText(file, "");
        ExperimentCli.BadInput("is a file, not a directory", "experiment", "gradient-flow", "--out", file);
    }
}
