using Backprop.Data;

namespace Backprop.Learners;

/// <summary>
/// The training loop of the classical learners: epoch by epoch, visit every example once in a seeded order and let
/// the learner apply its rule (<see cref="IOnlineLearner.Step"/>); report the mistakes and the loss after each epoch.
/// A learner that updates only on mistakes stops after the first epoch without one (later epochs would change
/// nothing: the training set is separated).
/// </summary>
public static class OnlineTraining
{
    /// <summary>Trains <paramref name="learner"/> on <paramref name="data"/>; returns the epochs it ran.</summary>
    /// <param name="learner">The learner, trained in place.</param>
    /// <param name="data">The training set.</param>
    /// <param name="options">Epochs, η, seed, order.</param>
    /// <param name="onEpoch">Called after each epoch (e.g. to print a line).</param>
    /// <param name="source">Names the data in error messages.</param>
    public static IReadOnlyList<EpochReport> Train(IOnlineLearner learner, LearnerData data, OnlineTrainingOptions options,
        Action<EpochReport>? onEpoch = null, string source = "data")
    {
        ArgumentNullException.ThrowIfNull(learner);
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(options);
        if (options.Epochs < 1) throw new BackpropException($"epochs: expected at least 1, got {options.Epochs}");
        if (!(options.LearningRate > 0) || !double.IsFinite(options.LearningRate))
            throw new BackpropException($"learning rate: expected a finite number > 0, got {options.LearningRate}");
        if (data.Count == 0) throw new BackpropException($"{source}: no training examples");
        learner.CheckData(data, source);
        LinearUnit? unit = null;
        if (options.FullBatch && (unit = learner as LinearUnit) is null)
            throw new BackpropException($"full-batch training applies to perceptron, adaline, logistic and logistic-tanh, not {learner.Name}");

        var reports = new List<EpochReport>();
        var order = new int[data.Count];
        for (int epoch = 0; epoch < options.Epochs; epoch++)
        {
            int mistakes = 0;
            if (unit is not null)
            {
                mistakes = unit.BatchStep(data, options.LearningRate);
            }
            else
            {
                if (options.Shuffle) Data.Shuffle.Permutation(order, options.Seed, epoch);
                else for (int i = 0; i < order.Length; i++) order[i] = i;
                foreach (int i in order)
                    if (learner.Step(data, i, options.LearningRate)) mistakes++;
            }
            var report = new EpochReport(epoch + 1, options.Epochs, data.IsRegression ? null : mistakes, learner.MeanLoss(data), data.Count);
            reports.Add(report);
            onEpoch?.Invoke(report);
            if (learner.UpdatesOnlyOnMistakes && mistakes == 0 && !data.IsRegression) break;
        }
        return reports;
    }

    /// <summary>The number of examples of <paramref name="data"/> whose class the learner predicts correctly.</summary>
    public static int Correct(IOnlineLearner learner, LearnerData data)
    {
        ArgumentNullException.ThrowIfNull(learner);
        ArgumentNullException.ThrowIfNull(data);
        int correct = 0;
        for (int i = 0; i < data.Count; i++)
            if (learner.Predict(data.Row(i)) == data.Label(i)) correct++;
        return correct;
    }
}
