namespace Backprop.Optimizers;

/// <summary>A learning rate per epoch (0 for the first), set on <see cref="Optimizer{T}.LearningRate"/> before each epoch.</summary>
public interface ILearningRateSchedule
{
    /// <summary>η for epoch <paramref name="epoch"/> ≥ 0.</summary>
    double LearningRate(int epoch);
}

/// <summary>η(epoch) = η₀ for every epoch.</summary>
public sealed class ConstantSchedule(double baseLearningRate) : ILearningRateSchedule
{
    public double BaseLearningRate { get; } = LearningRateSchedules.CheckRate(baseLearningRate, nameof(baseLearningRate));

    public double LearningRate(int epoch)
    {
        LearningRateSchedules.CheckEpoch(epoch);
        return BaseLearningRate;
    }
}

/// <summary>
/// torch.optim.lr_scheduler.StepLR stepped once per epoch: η(epoch) = η₀·γ^⌊epoch / step_size⌋. Computed as torch
/// computes it while training, by multiplying by γ once at each boundary ((η₀·γ)·γ ...), so the value is the
/// one torch's scheduler holds, bit for bit (the closed form η₀·γᵏ can differ in the last place).
/// </summary>
public sealed class StepSchedule : ILearningRateSchedule
{
    public StepSchedule(double baseLearningRate, int stepSize, double gamma = 0.1)
    {
        BaseLearningRate = LearningRateSchedules.CheckRate(baseLearningRate, nameof(baseLearningRate));
        if (stepSize < 1) throw new ArgumentOutOfRangeException(nameof(stepSize), stepSize, "step size must be ≥ 1");
        if (!(gamma >= 0) || !double.IsFinite(gamma)) throw new ArgumentOutOfRangeException(nameof(gamma), gamma, "γ must be a finite number ≥ 0");
        StepSize = stepSize;
        Gamma = gamma;
    }

    public double BaseLearningRate { get; }
    public int StepSize { get; }
    public double Gamma { get; }

    public double LearningRate(int epoch)
    {
        LearningRateSchedules.CheckEpoch(epoch);
        double lr = BaseLearningRate;
        for (int k = epoch / StepSize; k > 0; k--) lr *= Gamma;
        return lr;
    }
}

/// <summary>
/// torch.optim.lr_scheduler.CosineAnnealingLR in its closed form:
/// η(epoch) = η_min + (η₀ − η_min)·(1 + cos(π·epoch / T_max)) / 2. It reaches η_min at epoch T_max and, like torch's,
/// rises again after it (period 2·T_max). torch's scheduler applies a recursive form while training, which agrees
/// with this to rounding (about 1e-16 relative).
/// </summary>
public sealed class CosineSchedule : ILearningRateSchedule
{
    public CosineSchedule(double baseLearningRate, int tMax, double etaMin = 0)
    {
        BaseLearningRate = LearningRateSchedules.CheckRate(baseLearningRate, nameof(baseLearningRate));
        if (tMax < 1) throw new ArgumentOutOfRangeException(nameof(tMax), tMax, "T_max must be ≥ 1");
        EtaMin = LearningRateSchedules.CheckRate(etaMin, nameof(etaMin));
        TMax = tMax;
    }

    public double BaseLearningRate { get; }
    public int TMax { get; }
    public double EtaMin { get; }

    public double LearningRate(int epoch)
    {
        LearningRateSchedules.CheckEpoch(epoch);
        return EtaMin + (BaseLearningRate - EtaMin) * (1 + Math.Cos(Math.PI * epoch / TMax)) / 2;
    }
}

/// <summary>Schedules by name, for command lines and configuration files.</summary>
public static class LearningRateSchedules
{
    /// <summary>The names <see cref="Create"/> accepts.</summary>
    public static readonly IReadOnlyList<string> Names = ["constant", "step", "cosine"];

    public static ILearningRateSchedule Constant(double baseLearningRate) => new ConstantSchedule(baseLearningRate);

    public static ILearningRateSchedule Step(double baseLearningRate, int stepSize, double gamma = 0.1) => new StepSchedule(baseLearningRate, stepSize, gamma);

    public static ILearningRateSchedule Cosine(double baseLearningRate, int tMax, double etaMin = 0) => new CosineSchedule(baseLearningRate, tMax, etaMin);

    /// <summary>
    /// "constant"; "step" (needs <paramref name="stepSize"/>; γ defaults to 0.1 as torch's); "cosine" (T_max =
    /// <paramref name="tMax"/>, usually the number of epochs; η_min defaults to 0). Options that the schedule does
    /// not use, bad names and bad values are reported as <see cref="BackpropException"/>.
    /// </summary>
    public static ILearningRateSchedule Create(string name, double baseLearningRate, int? stepSize = null, double? gamma = null, int? tMax = null, double? etaMin = null)
    {
        ArgumentNullException.ThrowIfNull(name);
        void Unused(bool given, string option)
        {
            if (given) throw new BackpropException($"schedule {name}: {option} does not apply (it is for {(option is "step size" or "gamma" ? "step" : "cosine")})");
        }
        try
        {
            switch (name)
            {
                case "constant":
                    Unused(stepSize is not null, "step size"); Unused(gamma is not null, "gamma"); Unused(tMax is not null, "T_max"); Unused(etaMin is not null, "eta_min");
                    return Constant(baseLearningRate);
                case "step":
                    Unused(tMax is not null, "T_max"); Unused(etaMin is not null, "eta_min");
                    return Step(baseLearningRate, stepSize ?? throw new BackpropException("schedule step: needs a step size (epochs between decays)"), gamma ?? 0.1);
                case "cosine":
                    Unused(stepSize is not null, "step size"); Unused(gamma is not null, "gamma");
                    return Cosine(baseLearningRate, tMax ?? throw new BackpropException("schedule cosine: needs T_max (usually the number of epochs)"), etaMin ?? 0);
                default:
                    throw new BackpropException($"unknown learning-rate schedule '{name}'; expected one of: {string.Join(", ", Names)}");
            }
        }
        catch (ArgumentOutOfRangeException e)
        {
            string message = e.Message;
            int cut = message.IndexOf(" (Parameter '", StringComparison.Ordinal);
            throw new BackpropException($"schedule {name}: {(cut >= 0 ? message[..cut] : message)}, got {e.ActualValue}");
        }
    }

    internal static double CheckRate(double value, string name) =>
        value >= 0 && double.IsFinite(value) ? value : throw new ArgumentOutOfRangeException(name, value, "a learning rate must be a finite number ≥ 0");

    internal static void CheckEpoch(int epoch)
    {
        if (epoch < 0) throw new ArgumentOutOfRangeException(nameof(epoch), epoch, "epochs count from 0");
    }
}
