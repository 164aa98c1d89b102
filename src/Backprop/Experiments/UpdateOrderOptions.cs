namespace Backprop.Experiments;

/// <summary>Settings of <see cref="UpdateOrderExperiment.Run(UpdateOrderOptions)"/>.</summary>
public sealed record UpdateOrderOptions
{
    public ulong Seed { get; init; }

    /// <summary>Iterations of the sheet's loop; each is one full-batch gradient step.</summary>
    public int Epochs { get; init; } = 300;

    public int Examples { get; init; } = 64;
    public int Hidden { get; init; } = 8;

    /// <summary>Both loops run once per learning rate: a small one, where the bug only bends the path, and a larger one.</summary>
    public IReadOnlyList<double> LearningRates { get; init; } = [0.1, 0.6];

    /// <summary>Weights start as N(0, 1)·InitScale (the sheet's initialisation scheme 1: 0.01).</summary>
    public double InitScale { get; init; } = 0.01;

    public void Validate()
    {
        if (Epochs < 1) throw new BackpropException($"epochs: expected at least 1, got {Epochs}");
        if (Examples < 1) throw new BackpropException($"examples: expected at least 1, got {Examples}");
        if (Hidden < 1) throw new BackpropException($"hidden: expected at least 1, got {Hidden}");
        if (LearningRates.Count == 0) throw new BackpropException("learning rates: expected at least one");
        foreach (double lr in LearningRates)
            if (!(lr > 0) || !double.IsFinite(lr)) throw new BackpropException($"learning rate: expected a positive number, got {lr}");
        if (!(InitScale >= 0) || !double.IsFinite(InitScale)) throw new BackpropException($"init scale: expected a number ≥ 0, got {InitScale}");
    }
}
