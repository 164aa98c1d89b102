using Backprop.Data;

namespace Backprop.Learners;

/// <summary>How <see cref="OnlineTraining.Train"/> runs.</summary>
public sealed record OnlineTrainingOptions
{
    /// <summary>The most passes over the training set (default 20).</summary>
    public int Epochs { get; init; } = 20;

    /// <summary>η (default 1).</summary>
    public double LearningRate { get; init; } = 1;

    /// <summary>Seeds the order of the examples in each epoch (<see cref="Data.Shuffle.Permutation(int, ulong, int)"/>).</summary>
    public ulong Seed { get; init; }

    /// <summary>Visit the examples in a seeded random order each epoch (default); false: in index order.</summary>
    public bool Shuffle { get; init; } = true;

    /// <summary>
    /// Full-batch gradient descent (only for a <see cref="LinearUnit"/>): each epoch is one
    /// <see cref="LinearUnit.BatchStep"/>, the mean of the n per-example updates.
    /// </summary>
    public bool FullBatch { get; init; }
}

/// <summary>One epoch's figures.</summary>
/// <param name="Epoch">1-based.</param>
/// <param name="Epochs">The most epochs the run may take.</param>
/// <param name="Mistakes">Examples the learner got wrong when it visited them, before their update (null for a regression set).</param>
/// <param name="Loss">The mean loss over the training set after the epoch.</param>
/// <param name="Examples">n.</param>
public sealed record EpochReport(int Epoch, int Epochs, int? Mistakes, double Loss, int Examples);

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
