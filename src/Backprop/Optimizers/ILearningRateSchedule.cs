namespace Backprop.Optimizers;

/// <summary>A learning rate per epoch (0 for the first), set on <see cref="Optimizer{T}.LearningRate"/> before each epoch.</summary>
public interface ILearningRateSchedule
{
    /// <summary>η for epoch <paramref name="epoch"/> ≥ 0.</summary>
    double LearningRate(int epoch);
}
