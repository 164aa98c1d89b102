namespace Backprop.Training;

/// <summary>The outcome of a run: its metrics per epoch and the test-set figures.</summary>
public sealed record TrainingResult(IReadOnlyList<EpochMetrics> Epochs, double TestLoss, double TestAccuracy, bool StoppedEarly);
