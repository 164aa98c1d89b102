using Backprop.Architectures;
using Backprop.Data;
using Backprop.Models;
using Backprop.Training;
using Xunit.Abstractions;
using Backprop.Runs;

namespace Backprop.Tests.Training;

/// <summary>A short run of the built-in mlp on a slice of the real Fashion-MNIST: it must beat chance (0.1) by a wide margin.</summary>
public sealed class FashionMnistTrainingTests(ITestOutputHelper output)
{
    private sealed class Reporter(ITestOutputHelper output) : ITrainingReporter
    {
        public void Message(string text) => output.WriteLine(text);
        public void EpochStarted(int epoch, int epochs, int examples) { }
        public void Batch(BatchProgress progress) { }
        public void EpochFinished(EpochMetrics m) => output.WriteLine($"epoch {m.Epoch}: train loss {m.TrainLoss:F4}, validation accuracy {m.ValidationAccuracy:F4}");
    }

    [Fact]
    public void Mlp_on_a_slice_of_fashion_mnist_beats_chance_by_far()
    {
        if (!Directory.Exists(DatasetSource.FashionMnistDirectory))
        {
            Assert.False(Environment.GetEnvironmentVariable("CI") == "true", "Fashion-MNIST is missing: apt-get install dataset-fashion-mnist");
            output.WriteLine("SKIPPED: Fashion-MNIST is not installed here");
            return;
        }
        var spec = ModelFile.Parse(Architecture.ModelText("mlp"), "mlp");
        string dir = Directory.CreateTempSubdirectory("backprop-fmnist-").FullName;
        try
        {
            var result = TrainingRun.Run(spec, "fashion-mnist", new TrainingOptions { Epochs = 2, Limit = 6000, Seed = 1 }, dir, new Reporter(output));
            output.WriteLine($"test accuracy {result.TestAccuracy:F4}");
            Assert.True(result.TestAccuracy > 0.7, $"test accuracy {result.TestAccuracy}");
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
