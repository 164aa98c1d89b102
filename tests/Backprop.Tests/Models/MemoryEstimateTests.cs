using System.Diagnostics;
using Backprop.Cli;
using Backprop.Models;
using Backprop.Tests.Cli;
using Backprop.Tests.Data;
using Backprop.Tests.Support;
using Backprop.Training;
using Backprop.Runs;

namespace Backprop.Tests.Models;

/// <summary>
/// Models and batches too large for the machine are refused up front, with their estimated size, before anything
/// big is allocated. The models here need terabytes, so they are refused on any machine.
/// </summary>
public sealed class MemoryEstimateTests : IDisposable
{
    private readonly TempFiles _files = new();

    public void Dispose() => _files.Dispose();

    // 200 linear layers of 46000 x 46000 (each just under the largest array): 4.2·10^11 parameters.
    private static readonly string Absurd = "{\"input\": [46000], \"layers\": [" +
        string.Join(", ", Enumerable.Repeat("{\"type\": \"linear\", \"out\": 46000, \"bias\": false}", 200)) + "]}";

    [Fact]
    public void Sizes_are_formatted_in_decimal_units()
    {
        Assert.Equal("812 bytes", MemoryEstimate.Format(812));
        Assert.Equal("3.4 MB", MemoryEstimate.Format(3_400_000));
        Assert.Equal("6.8 TB", MemoryEstimate.Format(6_771_200_000_000));
        Assert.Equal("9.2 EB", MemoryEstimate.Format(long.MaxValue));
    }

    [Fact]
    public void The_estimate_adds_parameters_gradients_optimizer_state_and_activations()
    {
        var layout = ModelFile.Layout(ModelFile.Parse(SyntheticIdx.Model, "m"), "m");
        var memory = MemoryEstimate.Training(layout, sizeof(float), batchSize: 32, optimizerSlots: 2);
        long parameters = layout.ParameterCount * 4;
        Assert.Equal(parameters, memory.Parameters);
        Assert.Equal(parameters, memory.Gradients);
        Assert.Equal(2 * parameters, memory.OptimizerState);
        Assert.Equal(layout.ActivationElementsPerExample * 32 * 4, memory.Activations);
        Assert.Equal(memory.Parameters + memory.Gradients + memory.OptimizerState + memory.Scratch + memory.Activations, memory.Total);
        Assert.True(memory.Total < MemoryEstimate.Available);
    }

    [Fact]
    public void Building_an_absurd_model_is_refused_with_its_size_before_allocating()
    {
        var spec = ModelFile.Parse(Absurd, "absurd.json");
        var clock = Stopwatch.StartNew();
        long before = GC.GetAllocatedBytesForCurrentThread();
        var e = Assert.Throws<BackpropException>(() => ModelFile.Build<double>(spec, "absurd.json"));
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 10_000_000);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"{clock.Elapsed}");
        Assert.StartsWith("absurd.json: the model's 423,200,000,000 parameters and their gradients in float64 need about 6.8 TB, more than the ", e.Message);
        Assert.EndsWith(" of memory available", e.Message);
    }

    [Fact]
    public void Grad_refuses_an_absurd_model_in_one_line()
    {
        string model = _files.WriteText("model.json", Absurd), data = _files.WriteText("data.json", """{"x": [[1]], "y": [[1]]}""");
        var (code, stdout, stderr) = BadInputTests.Run(["grad", "--model", model, "--data", data, "--loss", "mse", "--precision", "f32"]);
        Assert.Equal(ExitCodes.BadInput, code);
        Assert.Equal("", stdout);
        Assert.Matches($"^error: {System.Text.RegularExpressions.Regex.Escape(model)}: the model's 423,200,000,000 parameters and their gradients in float32 need about 3.4 TB, more than the .* of memory available\n$", stderr);
    }

    [Fact]
    public void A_layer_of_a_billion_outputs_is_refused_at_once()
    {
        string model = _files.WriteText("model.json", """{"input": [784], "layers": [{"type": "linear", "out": 1000000000}]}"""),
            data = _files.WriteText("data.json", """{"x": [[1]], "y": [[1]]}""");
        var clock = Stopwatch.StartNew();
        var (code, _, stderr) = BadInputTests.Run(["grad", "--model", model, "--data", data, "--loss", "mse"]);
        Assert.Equal(ExitCodes.BadInput, code);
        Assert.Equal($"error: {model}: layers[0].out: 1000000000 is too large; sizes, seeds and counts in a model file are at most 16777216 (2^24)\n", stderr);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(2), $"{clock.Elapsed}");
    }

    /// <summary>A 1x1 convolution padded by 8000 turns a 6x6 image into 16006x16006: 2 parameters, gigabytes of activations per example.</summary>
    private const string HugeActivations = """
        {"input": [1, 6, 6], "layers": [
          {"type": "conv2d", "out_channels": 1, "kernel_size": 1, "padding": 8000},
          {"type": "maxpool2d", "kernel_size": 16006}, {"type": "flatten"}, {"type": "linear", "out": 3}]}
        """;

    [Fact]
    public void Training_refuses_a_batch_whose_activations_do_not_fit()
    {
        string dataset = SyntheticIdx.Write(Path.Combine(_files.Directory, "data"), 600, 30);
        var parsed = ModelFile.Parse(HugeActivations, "model");
        var options = new TrainingOptions { Epochs = 1, BatchSize = 512 };
        var clock = Stopwatch.StartNew();
        var e = Assert.Throws<BackpropException>(() => TrainingRun.Run(parsed, dataset, options, Path.Combine(_files.Directory, "run"), new RecordingReporter()));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"{clock.Elapsed}");
        Assert.Matches(@"^training needs about [\d.]+ TB \(parameters 32 bytes, gradients 32 bytes, optimizer state 32 bytes, convolution buffers 2 GB, activations for a batch of 512: [\d.]+ TB\), more than the .* of memory available; lower --batch-size or use a smaller model$", e.Message);
        Assert.False(File.Exists(Path.Combine(_files.Directory, "run", RunFiles.Checkpoint)));
    }

    [Fact]
    public void Grad_refuses_a_batch_whose_activations_do_not_fit()
    {
        string x = "[" + string.Join(", ", Enumerable.Repeat("[[[0, 0, 0, 0, 0, 0], [0, 0, 0, 0, 0, 0], [0, 0, 0, 0, 0, 0], [0, 0, 0, 0, 0, 0], [0, 0, 0, 0, 0, 0], [0, 0, 0, 0, 0, 0]]]", 200)) + "]";
        string model = _files.WriteText("model.json", HugeActivations), data = _files.WriteText("data.json", $"{{\"x\": {x}, \"y\": [{string.Join(", ", Enumerable.Repeat(0, 200))}]}}");
        var (code, _, stderr) = BadInputTests.Run(["grad", "--model", model, "--data", data, "--loss", "cross_entropy"]);
        Assert.Equal(ExitCodes.BadInput, code);
        Assert.Contains($"data.json: a forward and backward pass over its 200 examples needs about ", stderr);
        Assert.Contains("activations for a batch of 200: ", stderr);
    }

}
