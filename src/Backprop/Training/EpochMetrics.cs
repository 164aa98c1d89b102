namespace Backprop.Training;

/// <summary>What one epoch measured.</summary>
public sealed record EpochMetrics(int Epoch, double LearningRate, double TrainLoss, double TrainAccuracy,
    double ValidationLoss, double ValidationAccuracy, double Seconds);
