namespace Backprop.Experiments;

/// <summary>Settings of <see cref="MiniCnn.Run"/>.</summary>
public sealed record MiniCnnOptions
{
    public ulong Seed { get; init; }
    public int Epochs { get; init; } = 20;
    public int TrainExamples { get; init; } = 200;
    public int TestExamples { get; init; } = 200;
    public double LearningRate { get; init; } = 0.1;

    public void Validate()
    {
        if (Epochs < 1) throw new BackpropException($"epochs: expected at least 1, got {Epochs}");
        if (TrainExamples < 1 || TestExamples < 1) throw new BackpropException("examples: expected at least 1 training and 1 test example");
        if (!(LearningRate > 0) || !double.IsFinite(LearningRate)) throw new BackpropException($"learning rate: expected a positive number, got {LearningRate}");
    }
}
