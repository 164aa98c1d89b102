using Backprop.Training;

namespace Backprop.Tests.Support;

/// <summary>A training reporter that prints nothing and keeps the messages and the finished epochs, for tests to read.</summary>
public sealed class RecordingReporter : ITrainingReporter
{
    public List<string> Messages { get; } = [];

    public List<EpochMetrics> Epochs { get; } = [];

    public void Message(string text) => Messages.Add(text);

    public void EpochStarted(int epoch, int epochs, int examples) { }

    public void Batch(BatchProgress progress) { }

    public void EpochFinished(EpochMetrics metrics) => Epochs.Add(metrics);
}
