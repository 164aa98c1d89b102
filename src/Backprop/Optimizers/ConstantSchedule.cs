namespace Backprop.Optimizers;

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
