namespace Backprop.Optimizers;

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
