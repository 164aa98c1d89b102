namespace Backprop.Optimizers;

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
