namespace Backprop.Training;

/// <summary>Hears about a run's progress (the CLI draws progress bars or prints lines).</summary>
public interface ITrainingReporter
{
    void Message(string text);
    void EpochStarted(int epoch, int epochs, int examples);
    void Batch(BatchProgress progress);
    void EpochFinished(EpochMetrics metrics);
}
