using Backprop.Data;
using Backprop.Diagnostics;
using Backprop.Examples;
using Backprop.Layers;
using Backprop.Losses;
using Backprop.Models;
using Backprop.Tensors;
using Backprop.Tests.Experiments;
using Backprop.Visualization;

namespace Backprop.Tests.Diagnostics;

public sealed class GradientFlowTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("backprop-gradflow-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static double L2(IEnumerable<double> v) => Math.Sqrt(v.Sum(x => x * x));

    private static Sequential<double> Model(string json) => ModelFile.Build<double>(ModelFile.Parse(json, "test"), "test");

    [Fact]
    public void Norms_are_the_L2_norms_of_the_pass_gradients()
    {
        var p = Problem.FromExample<double>("seed003");
        var expected = GradientReport.Compute(p.Model, p.Loss, p.Batch);
        var report = GradientFlow.Compute(p.Model, p.Loss, p.Batch);

        Assert.Equal(expected.Loss, report.Loss);
        Assert.Equal(4, report.Layers.Count);
        var parameters = report.Layers.SelectMany(l => l.Parameters).ToList();
        Assert.Equal(expected.Grads.Select(g => g.Name), parameters.Select(q => q.Name));
        for (int i = 0; i < parameters.Count; i++)
        {
            Assert.Equal(L2(expected.Grads[i].Grad.Values), parameters[i].GradNorm, 1e-15);
            Assert.Equal(L2(p.Model.NamedParameters[i].Parameter.Value.ToDoubleArray()), parameters[i].ValueNorm, 1e-14);
        }
        // What the first layer passes back is dL/dx; what the last layer receives is dL/dŷ.
        Assert.Equal(L2(expected.InputGrad.Values), report.Layers[0].InputGradNorm, 1e-15);
        p.Loss.Forward(p.Model.Forward(p.Batch.X), p.Batch.Y);
        Assert.Equal(L2(p.Loss.Backward().ToDoubleArray()), report.Layers[^1].OutputGradNorm, 1e-15);
        // Between layers, one's input gradient is the next one's output gradient.
        for (int i = 0; i + 1 < report.Layers.Count; i++) Assert.Equal(report.Layers[i + 1].InputGradNorm, report.Layers[i].OutputGradNorm);
    }

    [Fact]
    public void Record_keeps_every_layer_output_and_gradient()
    {
        var p = Problem.FromExample<double>("seed004-batch");
        var pass = GradientFlow.Record(p.Model, p.Loss, p.Batch);
        var x = p.Batch.X;
        for (int i = 0; i < p.Model.Layers.Count; i++)
        {
            Assert.Equal(x.ToDoubleArray(), pass.InputOf(i).Values);
            x = p.Model.Layers[i].Forward(x);
            Assert.Equal(x.ToDoubleArray(), pass.Outputs[i].Values);
        }
        var report = GradientReport.Compute(p.Model, p.Loss, p.Batch);
        Assert.Equal(report.InputGrad.Values, pass.InputGrads[0].Values);
        Assert.Equal(report.Grads.Select(g => g.Grad.Values), pass.Parameters.Select(q => q.Grad.Values));
    }

    [Fact]
    public void A_ReLU_unit_is_dead_when_its_pre_activation_is_at_most_0_for_every_example()
    {
        // Pre-activations per example (rows) and unit (columns), the identity weight passing x through:
        // unit 0 negative in both, unit 1 exactly 0 in both, unit 2 positive in one, unit 3 positive in both.
        var model = Model("""{"input": [4], "layers": [{"type": "linear", "out": 4, "bias": false, "weight": [[1,0,0,0],[0,1,0,0],[0,0,1,0],[0,0,0,1]]}, {"type": "relu"}]}""");
        var batch = new Batch<double>(new Tensor<double>([-1.0, 0, -2, 3, -0.5, 0, 4, 1], 2, 4), new Tensor<double>(2, 4));
        var report = GradientFlow.Compute(model, new MSELoss<double>(), batch);
        Assert.Equal(0.5, report.Layers[1].DeadFraction);
        Assert.Null(report.Layers[0].DeadFraction);
        Assert.Null(report.Layers[1].SaturatedFraction);
    }

    [Fact]
    public void Saturation_uses_the_documented_thresholds()
    {
        // σ(±5) = 0.9933 / 0.0067 (|y − ½| > 0.49), σ(±4) = 0.982 / 0.018 (not); tanh(±3) = ±0.9951 (> 0.99), tanh(2) = 0.964 (not).
        var x = new Tensor<double>([5.0, -5, 4, -4, 0, 4.5], 1, 6);
        var sigmoid = Model("""{"input": [6], "layers": [{"type": "sigmoid"}]}""");
        var tanh = Model("""{"input": [6], "layers": [{"type": "tanh"}]}""");
        var loss = new MSELoss<double>();
        Assert.Equal(2.0 / 6, GradientFlow.Compute(sigmoid, loss, new Batch<double>(x, new Tensor<double>(1, 6))).Layers[0].SaturatedFraction);
        var t = new Tensor<double>([3.0, -3, 2, 0, 2.65, -2.6], 1, 6);  // tanh(2.65) = 0.99007 > 0.99, tanh(2.6) = 0.98903
        Assert.Equal(3.0 / 6, GradientFlow.Compute(tanh, loss, new Batch<double>(t, new Tensor<double>(1, 6))).Layers[0].SaturatedFraction);
        Assert.Equal(0.49, GradientFlow.SigmoidSaturation);
        Assert.Equal(0.99, GradientFlow.TanhSaturation);
    }

    [Fact]
    public void Norm_neither_underflows_nor_overflows()
    {
        Assert.Equal(Math.Sqrt(2) * 1e-200, GradientFlow.Norm([1e-200, -1e-200]), 1e-214);
        Assert.Equal(5e200, GradientFlow.Norm([3e200, 4e200]), 1e186);
        Assert.Equal(0, GradientFlow.Norm([0.0, 0.0]));
        Assert.True(double.IsNaN(GradientFlow.Norm([1.0, double.NaN, 2.0])));
        Assert.Equal(double.PositiveInfinity, GradientFlow.Norm([1.0, double.NegativeInfinity]));
    }

    [Fact]
    public void Works_on_a_network_of_layers_without_a_model_file_type()
    {
        var model = new Sequential<double>([2], [new DiagonalLinear<double>(2), new Sigmoid<double>([2])]);
        model.Layers[0].Parameters[0].Value.Fill(1);
        var report = GradientFlow.Compute(model, new HalfSSELoss<double>(), new Batch<double>(new Tensor<double>([1.0, 2], 1, 2), new Tensor<double>(1, 2)));
        Assert.Contains("diagonal_linear", report.Layers[0].Layer);
        Assert.True(report.Layers[0].Parameters[0].GradNorm > 0);
    }

    [Fact]
    public void Cli_prints_the_table_and_writes_the_plot()
    {
        string plot = Path.Combine(_dir, "flow.png");
        string stdout = ExperimentCli.Ok("gradflow", "--example", "seed004-batch", "--plot", plot);
        foreach (string heading in new[] { "‖dL/dθ‖", "‖dL/d(input)‖", "dead ReLU units", "saturated outputs", "0.weight", "4.weight" })
            Assert.Contains(heading, stdout);
        Assert.Contains($"wrote {plot}", stdout);
        ExperimentCli.AssertPng(plot, ExperimentCharts.Width, ExperimentCharts.Height);
    }

    [Fact]
    public void Cli_takes_model_data_and_loss_files()
    {
        string model = Path.Combine(_dir, "m.json"), data = Path.Combine(_dir, "d.json");
        File.WriteAllText(model, """{"input": [2], "layers": [{"type": "linear", "out": 2, "weight": [[-1, -1], [1, 1]], "bias": [0, 0]}, {"type": "relu"}, {"type": "linear", "out": 1}, {"type": "tanh"}]}""");
        File.WriteAllText(data, """{"x": [[1, 2], [3, 4]], "y": [[1], [0]]}""");
        string stdout = ExperimentCli.Ok("gradflow", "--model", model, "--data", data, "--loss", "mse");
        Assert.Contains("50.0%", stdout);  // unit 0's pre-activation is −3 and −7: dead
    }

    [Theory]
    [InlineData("--plot: expected FILE.png", "gradflow", "--example", "seed003", "--plot", "flow.svg")]
    [InlineData("unknown example", "gradflow", "--example", "nope")]
    [InlineData("missing --loss", "gradflow", "--model", "m.json", "--data", "d.json")]
    [InlineData("--loss: unknown loss", "gradflow", "--model", "m.json", "--data", "d.json", "--loss", "nope")]
    public void Cli_refuses_bad_options(string fragment, params string[] args) => ExperimentCli.BadInput(fragment, args);
}
