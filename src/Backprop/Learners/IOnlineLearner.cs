namespace Backprop.Learners;

/// <summary>
/// A learner trained one example at a time (<see cref="OnlineTraining"/>): it visits example i, predicts, applies
/// its update rule, and can say what its loss is over a whole set.
/// </summary>
public interface IOnlineLearner
{
    /// <summary>The learner's name on the command line ("perceptron", "kernel-perceptron", …).</summary>
    string Name { get; }

    /// <summary>
    /// Whether the parameters change only on a mistake (the perceptrons): then an epoch without a mistake leaves
    /// them as they were, and training can stop there.
    /// </summary>
    bool UpdatesOnlyOnMistakes { get; }

    /// <summary>
    /// Throws <see cref="BackpropException"/> (naming <paramref name="source"/>) when the learner cannot be trained on
    /// <paramref name="data"/> (wrong number of features or classes, real targets for a classifier).
    /// </summary>
    void CheckData(LearnerData data, string source);

    /// <summary>
    /// Visits example <paramref name="index"/> of <paramref name="data"/>: predicts with the current parameters, then
    /// applies the update rule with learning rate η = <paramref name="learningRate"/>. Returns whether the prediction
    /// was a mistake (always false for a regression set).
    /// </summary>
    bool Step(LearnerData data, int index, double learningRate);

    /// <summary>The mean loss (1/n) Σ_i ℓ_i over <paramref name="data"/> at the current parameters.</summary>
    double MeanLoss(LearnerData data);

    /// <summary>The predicted class index of <paramref name="x"/> (for binary learners 1 when b + wᵀx &gt; 0, else 0).</summary>
    int Predict(ReadOnlySpan<double> x);
}
