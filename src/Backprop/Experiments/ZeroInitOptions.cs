namespace Backprop.Experiments;

/// <summary>Settings of <see cref="ZeroInitExperiment.Run"/>.</summary>
public sealed record ZeroInitOptions
{
    public ulong Seed { get; init; }

    /// <summary>Iterations of the (corrected) loop; each is one full-batch gradient step.</summary>
    public int Epochs { get; init; } = 300;

    public int Examples { get; init; } = 64;
    public int Hidden { get; init; } = 4;
    public double LearningRate { get; init; } = 0.1;

    /// <summary>Scheme 1: N(0, 1)·RandomScale (the sheet's 0.01).</summary>
    public double RandomScale { get; init; } = 0.01;

    /// <summary>The third scheme, every weight equal to this nonzero constant.</summary>
    public double Constant { get; init; } = 0.1;

    public void Validate()
    {
        if (Epochs < 1) throw new BackpropException($"epochs: expected at least 1, got {Epochs}");
        if (Examples < 1) throw new BackpropException($"examples: expected at least 1, got {Examples}");
        if (Hidden < 2) throw new BackpropException($"hidden: expected at least 2 units (symmetry needs two to compare), got {Hidden}");
        if (!(LearningRate > 0) || !double.IsFinite(LearningRate)) throw new BackpropException($"learning rate: expected a positive number, got {LearningRate}");
        if (!(RandomScale > 0) || !double.IsFinite(RandomScale)) throw new BackpropException($"random scale: expected a positive number, got {RandomScale}");
        if (Constant == 0 || !double.IsFinite(Constant)) throw new BackpropException($"constant: expected a nonzero number, got {Constant}");
    }
}
