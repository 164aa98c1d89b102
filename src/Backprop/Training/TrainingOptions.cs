using System.Text.Json.Serialization;

namespace Backprop.Training;

/// <summary>Everything that determines a training run. The same options and seed give the same weights bit for bit.</summary>
public sealed record TrainingOptions
{
    public int Epochs { get; init; } = 15;
    public int BatchSize { get; init; } = 128;
    public string Optimizer { get; init; } = "sgd";
    public double LearningRate { get; init; } = 0.05;
    public double Momentum { get; init; } = 0.9;
    public bool Nesterov { get; init; }
    public double WeightDecay { get; init; }
    public string Schedule { get; init; } = "cosine";
    public string Loss { get; init; } = "cross_entropy";
    public ulong Seed { get; init; }
    /// <summary>Fraction of the training set held out for validation (seeded).</summary>
    public double ValidationFraction { get; init; } = 0.1;
    /// <summary>Stop when the validation loss has not improved for this many epochs; null: never.</summary>
    public int? Patience { get; init; }
    /// <summary>Standardise each feature with the training set's mean and standard deviation (after scaling to [0, 1]).</summary>
    public bool Standardize { get; init; }
    /// <summary>Use only the first N training examples (quick runs, CI); null: all.</summary>
    public int? Limit { get; init; }
    /// <summary>Augment the training images by mirroring each left to right with probability ½ (seeded).</summary>
    public bool FlipHorizontally { get; init; }
    /// <summary>Augment the training images by shifting each by up to this many pixels in each direction (seeded); 0: off.</summary>
    // Left out of a checkpoint's fingerprint at their defaults, so runs from before these options existed still resume.
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public int MaxShift { get; init; }
    /// <summary>Cross-entropy's label smoothing ε: the target puts 1 − ε on the label and ε spread evenly over all classes.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public double LabelSmoothing { get; init; }
    /// <summary>With a CSV dataset: the name of the label column.</summary>
    public string? LabelColumn { get; init; }

    /// <summary>Adam's and AdamW's learning rate when none is given; SGD's is <see cref="LearningRate"/>'s default.</summary>
    public const double AdamLearningRate = 0.001;

    /// <summary>The learning rate of <paramref name="optimizer"/> when --lr is not given, as <c>backprop train</c> takes it.</summary>
    public static double DefaultLearningRate(string optimizer) => optimizer == "sgd" ? new TrainingOptions().LearningRate : AdamLearningRate;

    /// <summary>The command-line option of a property ("LearningRate" → "--lr"), as messages name it; null for an unknown name.</summary>
    public static string? OptionName(string property) => property switch
    {
        nameof(Epochs) => "--epochs", nameof(BatchSize) => "--batch-size", nameof(Optimizer) => "--optimizer", nameof(LearningRate) => "--lr",
        nameof(Momentum) => "--momentum", nameof(Nesterov) => "--nesterov", nameof(WeightDecay) => "--weight-decay", nameof(Schedule) => "--schedule",
        nameof(Loss) => "--loss", nameof(Seed) => "--seed", nameof(ValidationFraction) => "--validation", nameof(Patience) => "--patience",
        nameof(Standardize) => "--standardize", nameof(Limit) => "--limit", nameof(FlipHorizontally) => "--flip", nameof(MaxShift) => "--shift",
        nameof(LabelSmoothing) => "--label-smoothing", nameof(LabelColumn) => "--label-column",
        _ => null,
    };

    /// <summary>Checks every option, naming the one at fault.</summary>
    public void Validate()
    {
        if (Epochs < 1) throw new BackpropException($"--epochs: expected at least 1, got {Epochs}");
        if (BatchSize < 1) throw new BackpropException($"--batch-size: expected at least 1, got {BatchSize}");
        if (!(LearningRate > 0) || !double.IsFinite(LearningRate)) throw new BackpropException($"--lr: expected a positive number, got {LearningRate}");
        if (!(Momentum >= 0 && Momentum < 1)) throw new BackpropException($"--momentum: expected a number in [0, 1), got {Momentum}");
        if (!(WeightDecay >= 0) || !double.IsFinite(WeightDecay)) throw new BackpropException($"--weight-decay: expected a number ≥ 0, got {WeightDecay}");
        if (!(ValidationFraction >= 0 && ValidationFraction < 1)) throw new BackpropException($"--validation: expected a fraction in [0, 1), got {ValidationFraction}");
        if (Patience is < 1) throw new BackpropException($"--patience: expected at least 1, got {Patience}");
        if (MaxShift < 0) throw new BackpropException($"--shift: expected a number of pixels ≥ 0, got {MaxShift}");
        if (!(LabelSmoothing >= 0 && LabelSmoothing <= 1)) throw new BackpropException($"--label-smoothing: expected a number in [0, 1], got {LabelSmoothing}");
        if (LabelSmoothing > 0 && Loss != "cross_entropy") throw new BackpropException($"--label-smoothing: only the cross_entropy loss has label smoothing, not '{Loss}'");
        if (Standardize && (FlipHorizontally || MaxShift > 0))
            throw new BackpropException("--standardize cannot be combined with --flip or --shift: it gives each pixel its own mean and deviation, and a flip or shift would move pixels away from their statistics");
        if (Limit is < 1) throw new BackpropException($"--limit: expected at least 1, got {Limit}");
    }
}
