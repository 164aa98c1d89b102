using Backprop.Cli;
using Backprop.Diagnostics;
using Backprop.IO;
using Backprop.Models;
using Backprop.Tensors;
using Backprop.Tests.Cli;
using Backprop.Tests.Data;
using Backprop.Tests.Support;
using Backprop.Training;
using Backprop.Runs;

namespace Backprop.Tests.Diagnostics;

/// <summary>--detect-anomaly: the first NaN or infinity named by layer, tensor and step; nothing changes without it.</summary>
public sealed class AnomalyDetectorTests : IDisposable
{
    private readonly TempFiles _files = new();

    public void Dispose() => _files.Dispose();

    private (int Code, string Stdout, string Stderr) Grad(string model, string data, string loss, params string[] extra)
    {
        string m = _files.WriteText("model.json", model), d = _files.WriteText("data.json", data);
        return BadInputTests.Run(["grad", "--model", m, "--data", d, "--loss", loss, .. extra]);
    }

    // 1e200 · 1e200 overflows float64 in the first layer's output.
    private const string Overflowing = """{"input": [2], "layers": [{"type": "linear", "out": 1, "weight": [[1e200, 1]], "bias": [0]}, {"type": "tanh"}]}""";

    [Fact]
    public void Grad_names_the_layer_and_the_output_that_overflows()
    {
        var (code, stdout, stderr) = Grad(Overflowing, """{"x": [[1, 0], [1e200, 0]], "y": [[0], [0]]}""", "mse", "--detect-anomaly");
        Assert.Equal(ExitCodes.BadInput, code);
        Assert.Equal("", stdout);
        Assert.Equal("error: anomaly: the output of layers[0] (linear) is Infinity at [1, 0] (the first NaN or infinity of the pass)\n", stderr);
    }

    [Fact]
    public void Without_the_flag_grad_behaves_as_before()
    {
        // tanh brings the infinity back to 1, so the loss is finite and the report is printed, as it always was.
        var (code, stdout, stderr) = Grad(Overflowing, """{"x": [[1, 0], [1e200, 0]], "y": [[0], [0]]}""", "mse");
        Assert.Equal(ExitCodes.Ok, code);
        Assert.Equal("", stderr);
        Assert.StartsWith("{\"loss\": ", stdout);
    }

    [Fact]
    public void A_parameter_gradient_that_overflows_is_named_though_output_and_loss_are_finite()
    {
        // float32: ŷ = 1e-20 · 1e30 = 1e10 and the loss 1e20 are finite, but dL/dW = 2ŷ · x = 2e40 is not.
        const string model = """{"input": [1], "layers": [{"type": "linear", "out": 1, "weight": [[1e-20]], "bias": [0]}]}""";
        var (code, _, stderr) = Grad(model, """{"x": [[1e30]], "y": [[0]]}""", "mse", "--precision", "f32", "--detect-anomaly");
        Assert.Equal(ExitCodes.BadInput, code);
        Assert.Equal("error: anomaly: the gradient of 0.weight in layers[0] (linear) is Infinity at [0, 0] (the first NaN or infinity of the pass)\n", stderr);
    }

    [Fact]
    public void The_detector_reports_a_nan_loss_gradient_and_input_gradient_in_order()
    {
        var model = ModelFile.Build<double>(ModelFile.Parse("""{"input": [2], "layers": [{"type": "linear", "out": 2}, {"type": "relu"}]}""", "m"), "m");
        using var detector = AnomalyDetector<double>.Attach(model);
        detector.Step = "epoch 4, batch 2";
        model.Forward(new Tensor<double>([1.0, 2.0], 1, 2));
        var e = Assert.Throws<AnomalyException>(() => model.Backward(new Tensor<double>([0.5, double.NaN], 1, 2)));
        Assert.Equal("anomaly at epoch 4, batch 2: dL/d(output) of layers[1] (relu) (the loss gradient) is NaN at [0, 1] (the first NaN or infinity of the pass)", e.Message);
        Assert.Equal((1, "relu", 1), (e.LayerIndex!.Value, e.LayerType!, e.Element));
        Assert.True(double.IsNaN(e.Value));

        var loss = Assert.Throws<AnomalyException>(() => detector.CheckLoss("cross_entropy", double.PositiveInfinity));
        Assert.Equal("anomaly at epoch 4, batch 2: the loss (cross_entropy) is Infinity", loss.Message);
        Assert.Null(loss.LayerIndex);
    }

    [Fact]
    public void A_detector_checks_a_model_only_while_attached()
    {
        var model = ModelFile.Build<double>(ModelFile.Parse("""{"input": [2], "layers": [{"type": "linear", "out": 2}, {"type": "relu"}]}""", "m"), "m");
        var bad = new Tensor<double>([1.0, double.NaN], 1, 2);
        var detector = AnomalyDetector<double>.Attach(model);
        var e = Assert.Throws<AnomalyException>(() => model.Forward(bad));
        Assert.Equal("anomaly: the input batch is NaN at [0, 1] (the first NaN or infinity of the pass)", e.Message);

        // A backward pass from a layer inside the model: its gradient is not the loss gradient.
        model.Forward(new Tensor<double>([1.0, 2.0], 1, 2));
        e = Assert.Throws<AnomalyException>(() => model.Backward(new Tensor<double>([double.NegativeInfinity, 0], 1, 2), from: 0));
        Assert.Equal("anomaly: dL/d(output) of layers[0] (linear) is -Infinity at [0, 0] (the first NaN or infinity of the pass)", e.Message);

        detector.Dispose();
        model.Forward(bad); // detached: nothing is checked
        model.Backward(new Tensor<double>([double.NaN, 0], 1, 2));
    }

    // ---- training ----

    private sealed class Reporter : ITrainingReporter
    {
        public void Message(string text) { }
        public void EpochStarted(int epoch, int epochs, int examples) { }
        public void Batch(BatchProgress progress) { }
        public void EpochFinished(EpochMetrics metrics) { }
    }

    private static ModelSpec Spec() => ModelFile.Parse(SyntheticIdx.Model, "model");

    [Fact]
    public void A_huge_learning_rate_is_stopped_at_the_first_output_that_overflows()
    {
        string dataset = SyntheticIdx.Write(Path.Combine(_files.Directory, "data"), 200, 30);
        string run = Path.Combine(_files.Directory, "run");
        var options = new TrainingOptions { Epochs = 2, BatchSize = 20, LearningRate = 1e38, Momentum = 0, Schedule = "constant" };
        var e = Assert.Throws<AnomalyException>(() => TrainingRun.Run(Spec(), dataset, options, run, new Reporter(), detectAnomaly: true));
        // The first step multiplies the weights by about 10^38; the next batch's forward pass overflows.
        Assert.Matches(@"^anomaly at epoch 1, batch 2: the output of layers\[\d\] \((conv2d|relu|maxpool2d|linear|tanh)\) is (NaN|-?Infinity) at \[\d+, [\d, ]+\] \(the first NaN or infinity of the pass\)$", e.Message);
        Assert.Equal("epoch 1, batch 2", e.Step);
        Assert.False(File.Exists(Path.Combine(run, RunFiles.Checkpoint)));

        // Without the flag the run fails as before, later, on the loss.
        var plain = Assert.Throws<BackpropException>(() => TrainingRun.Run(Spec(), dataset, options, Path.Combine(_files.Directory, "plain"), new Reporter()));
        Assert.IsNotType<AnomalyException>(plain);
        Assert.StartsWith("training diverged: the loss is NaN at epoch 1", plain.Message);
    }

    /// <summary>
    /// A learning rate that overflows float32 turns the weights into infinities on the only step of epoch 1. With the
    /// flag the run stops on that step and writes no checkpoint. Without it the run used to save them in epoch 1's
    /// checkpoint (issue 15); now every weight is checked before a save, so it stops at the end of the epoch, as
    /// divergence, and writes no checkpoint either.
    /// </summary>
    [Fact]
    public void Weights_that_overflow_on_an_update_are_caught_before_the_checkpoint()
    {
        string dataset = SyntheticIdx.Write(Path.Combine(_files.Directory, "data"), 20, 10);
        var options = new TrainingOptions { Epochs = 2, BatchSize = 32, LearningRate = 1e39, Momentum = 0, Schedule = "constant", ValidationFraction = 0 };
        string run = Path.Combine(_files.Directory, "run"), plain = Path.Combine(_files.Directory, "plain");
        var e = Assert.Throws<AnomalyException>(() => TrainingRun.Run(Spec(), dataset, options, run, new Reporter(), detectAnomaly: true));
        Assert.Matches(@"^anomaly at epoch 1, batch 1: 0\.weight of layers\[0\] \(conv2d\) after the optimizer step is (NaN|-?Infinity) at \[[\d, ]+\]", e.Message);
        Assert.False(File.Exists(Path.Combine(run, RunFiles.Checkpoint)));

        var diverged = Assert.Throws<BackpropException>(() => TrainingRun.Run(Spec(), dataset, options, plain, new Reporter()));
        Assert.Matches(@"^training diverged: 0\.weight is (NaN|-?Infinity) after epoch 1; lower --lr\. No checkpoint was written$", diverged.Message);
        Assert.False(File.Exists(Path.Combine(plain, RunFiles.Checkpoint)));
    }

    [Fact]
    public void The_flag_changes_nothing_in_a_healthy_run()
    {
        string dataset = SyntheticIdx.Write(Path.Combine(_files.Directory, "data"), 200, 30);
        var options = new TrainingOptions { Epochs = 2, BatchSize = 32, LearningRate = 0.1, Schedule = "constant" };
        TrainingRun.Run(Spec(), dataset, options, Path.Combine(_files.Directory, "a"), new Reporter(), detectAnomaly: true);
        TrainingRun.Run(Spec(), dataset, options, Path.Combine(_files.Directory, "b"), new Reporter());
        Assert.Equal(File.ReadAllBytes(Path.Combine(_files.Directory, "a", RunFiles.Weights)), File.ReadAllBytes(Path.Combine(_files.Directory, "b", RunFiles.Weights)));
    }

    /// <summary>
    /// Epoch 1 trains on good data and checkpoints; then one row of the CSV is replaced by values near float32's limit,
    /// which overflow the first layer. Resuming on the changed data is refused (the checkpoint knows its dataset, issue
    /// 15) and leaves the checkpoint as it was. A new run on it with the flag gets through epoch 1 (its small first
    /// weights keep the row finite) and stops on the poisoned batch of epoch 2, before that epoch's checkpoint.
    /// </summary>
    [Fact]
    public void Training_stops_before_writing_a_bad_checkpoint()
    {
        var rng = new Rng(5);
        string Row(int label, bool poison) =>
            $"{label}," + string.Join(",", Enumerable.Range(0, 4).Select(f => poison ? "3e38" : ((f == label ? 1 : 0) + 0.1 * rng.Normal()).ToString("R", System.Globalization.CultureInfo.InvariantCulture)));
        string Csv(int poisonRow) => "label,a,b,c,d\n" + string.Concat(Enumerable.Range(0, 64).Select(i => Row(i % 3, i == poisonRow) + "\n"));
        string train = Path.Combine(_files.Directory, "train.csv"), test = Path.Combine(_files.Directory, "test.csv");
        File.WriteAllText(train, Csv(-1));
        File.WriteAllText(test, Csv(-1));
        string run = Path.Combine(_files.Directory, "run");
        var spec = ModelFile.Parse("""{"input": [4], "layers": [{"type": "linear", "out": 8}, {"type": "relu"}, {"type": "linear", "out": 3}]}""", "m");
        var options = new TrainingOptions { Epochs = 1, BatchSize = 8, LearningRate = 0.1, Schedule = "constant", ValidationFraction = 0 };
        TrainingRun.Run(spec, $"csv:{train},{test}", options, run, new Reporter(), detectAnomaly: true);
        string checkpoint = Path.Combine(run, RunFiles.Checkpoint);
        var good = File.ReadAllBytes(checkpoint);

        File.WriteAllText(train, Csv(poisonRow: 40));
        var refused = Assert.Throws<BackpropException>(() =>
            TrainingRun.Run(spec, $"csv:{train},{test}", options with { Epochs = 2 }, run, new Reporter(), resume: true, detectAnomaly: true));
        Assert.StartsWith("--dataset: the checkpoint in ", refused.Message);
        Assert.Equal(good, File.ReadAllBytes(checkpoint));
        Assert.Contains("\"epochs_done\":1,", SafetensorsFile.Read(checkpoint).Metadata["backprop_training"]);

        string fresh = Path.Combine(_files.Directory, "fresh");
        var e = Assert.Throws<AnomalyException>(() =>
            TrainingRun.Run(spec, $"csv:{train},{test}", options with { Epochs = 2 }, fresh, new Reporter(), detectAnomaly: true));
        Assert.Matches(@"^anomaly at epoch 2, batch \d: the output of layers\[0\] \(linear\) is (NaN|-?Infinity) at \[\d, \d\]", e.Message);
        Assert.Equal(0, e.LayerIndex);
        Assert.Contains("\"epochs_done\":1,", SafetensorsFile.Read(Path.Combine(fresh, RunFiles.Checkpoint)).Metadata["backprop_training"]);
    }

    [Fact]
    public void Train_takes_the_flag_on_the_command_line()
    {
        string dataset = SyntheticIdx.Write(Path.Combine(_files.Directory, "data"), 100, 30);
        string model = _files.WriteText("model.json", SyntheticIdx.Model);
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        int code = Program.Run(["train", "--model", model, "--dataset", dataset, "--epochs", "1", "--lr", "1e38", "--momentum", "0", "--batch-size", "20",
            "--out", Path.Combine(_files.Directory, "run"), "--detect-anomaly"], stdout, stderr);
        Assert.Equal(ExitCodes.BadInput, code);
        Assert.Matches(@"^error: anomaly at epoch 1, batch 2: the output of layers\[\d\] \(\w+\) is (NaN|-?Infinity) at \[[\d, ]+\] \(the first NaN or infinity of the pass\)\n$", stderr.ToString());
    }
}
