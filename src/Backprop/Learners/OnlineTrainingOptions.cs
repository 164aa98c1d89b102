using Backprop.Data;

namespace Backprop.Learners;

/// <summary>How <see cref="OnlineTraining.Train"/> runs.</summary>
public sealed record OnlineTrainingOptions
{
    /// <summary>The most passes over the training set (default 20).</summary>
    public int Epochs { get; init; } = 20;

    /// <summary>η (default 1).</summary>
    public double LearningRate { get; init; } = 1;

    /// <summary>Seeds the order of the examples in each epoch (<see cref="Data.Shuffle.Permutation(int, ulong, int)"/>).</summary>
    public ulong Seed { get; init; }

    /// <summary>Visit the examples in a seeded random order each epoch (default); false: in index order.</summary>
    public bool Shuffle { get; init; } = true;

    /// <summary>
    /// Full-batch gradient descent (only for a <see cref="LinearUnit"/>): each epoch is one
    /// <see cref="LinearUnit.BatchStep"/>, the mean of the n per-example updates.
    /// </summary>
    public bool FullBatch { get; init; }
}
