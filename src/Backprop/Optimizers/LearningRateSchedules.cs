namespace Backprop.Optimizers;

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
