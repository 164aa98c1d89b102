namespace Backprop.Learners;

/// <summary>What <c>backprop fit</c> is asked to do; every field has the CLI option's name.</summary>
public sealed record FitOptions
{
    /// <summary>One of <see cref="Fit.Learners"/>.</summary>
    public string Learner { get; init; } = "perceptron";

    /// <summary>blobs, xor, circles, spirals, line, csv:TRAIN[,TEST], fashion-mnist or idx:DIR.</summary>
    public string Data { get; init; } = "blobs";

    public int Epochs { get; init; } = 20;

    /// <summary>η; by default <see cref="Fit.DefaultLearningRate"/> of the learner.</summary>
    public double? LearningRate { get; init; }

    /// <summary>Seeds the synthetic data and the order of the examples.</summary>
    public ulong Seed { get; init; }

    /// <summary>Use at most the first N examples of each split.</summary>
    public int? Limit { get; init; }

    /// <summary>Examples per split of a synthetic set (default 200).</summary>
    public int? Count { get; init; }

    /// <summary>Classes of blobs (default 2 for the binary learners, else 3) and arms of spirals (default 2).</summary>
    public int? Classes { get; init; }

    /// <summary>linear, poly or rbf (kernel-perceptron only; default rbf).</summary>
    public string? Kernel { get; init; }

    /// <summary>The polynomial kernel's degree (default 2).</summary>
    public int? Degree { get; init; }

    /// <summary>The polynomial kernel's offset c (default 1).</summary>
    public double? Offset { get; init; }

    /// <summary>The polynomial kernel's scale γ (default 1).</summary>
    public double? Scale { get; init; }

    /// <summary>The RBF kernel's γ (default <see cref="Learners.Kernel.DefaultGamma"/>).</summary>
    public double? Gamma { get; init; }

    /// <summary>Full-batch gradient descent for the single-unit learners.</summary>
    public bool FullBatch { get; init; }
}
