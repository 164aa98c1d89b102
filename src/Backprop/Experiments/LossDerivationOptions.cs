namespace Backprop.Experiments;

/// <summary>Settings of <see cref="LossDerivationExperiment"/>.</summary>
public sealed record LossDerivationOptions
{
    public ulong Seed { get; init; }
    public int Dimension { get; init; } = 5;
    public int Examples { get; init; } = 200;
    public double LearningRate { get; init; } = 0.1;
}
