using Backprop.Models;
using Backprop.Tests.Support;
using Backprop.Training;
using Backprop.Runs;

namespace Backprop.Tests.Visualization;

/// <summary>
/// Two small models trained once for the dreaming tests on <see cref="SyntheticIdx"/> (6×6 images of a bright row,
/// column or diagonal): one on [0, 1] pixels, one trained with --standardize. Tests load their own copy with
/// <see cref="Load"/>, since dreaming uses the model's buffers.
/// <para>
/// The model is <see cref="SyntheticIdx.Model"/> with ReLU in place of its tanh: a bounded hidden layer bounds the
/// logits too, and then no image may reach a probability of 0.99.
/// </para>
/// </summary>
public sealed class DreamModelFixture : IDisposable
{
    public DreamModelFixture()
    {
        Root = Directory.CreateTempSubdirectory("backprop-dream-").FullName;
        Dataset = SyntheticIdx.Write(Path.Combine(Root, "data"));
        var parsed = ModelFile.Parse(Model, "test model");
        var options = new TrainingOptions { Epochs = 4, BatchSize = 32, LearningRate = 0.1, Schedule = "constant", Seed = 3 };
        foreach (var (dir, standardize) in new[] { (Plain, false), (Standardized, true) })
        {
            var spec = new ModelSpec { Input = parsed.Input, Layers = parsed.Layers, Seed = 3 };
            var result = TrainingRun.Run(spec, Dataset, options with { Standardize = standardize }, Path.Combine(Root, dir), new RecordingReporter());
            if (result.TestAccuracy < 0.9) throw new InvalidOperationException($"the {dir} test model reached only {result.TestAccuracy} test accuracy");
        }
    }

    public const string Plain = "plain", Standardized = "standardized";

    /// <summary>conv 3@3×3 pad 1, ReLU, max-pool 2, flatten, linear 27 → 16, ReLU, linear 16 → 3.</summary>
    public const string Model = """
        {"input": [1, 6, 6], "layers": [
          {"type": "conv2d", "out_channels": 3, "kernel_size": 3, "padding": 1}, {"type": "relu"},
          {"type": "maxpool2d", "kernel_size": 2}, {"type": "flatten"},
          {"type": "linear", "out": 16}, {"type": "relu"}, {"type": "linear", "out": 3}]}
        """;

    public string Root { get; }

    /// <summary>The idx: spec of the synthetic data set.</summary>
    public string Dataset { get; }

    public string Dir(string which) => Path.Combine(Root, which);

    public TrainedModel Load(string which = Plain) => TrainedModel.Load(Dir(which));

    public void Dispose() => Directory.Delete(Root, recursive: true);

}
