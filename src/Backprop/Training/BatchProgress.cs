namespace Backprop.Training;

/// <summary>Progress within an epoch, reported after each mini-batch.</summary>
public readonly record struct BatchProgress(int Epoch, int ExamplesDone, int ExamplesTotal, double RunningLoss, double Seconds);
