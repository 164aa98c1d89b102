using System.Numerics.Tensors;

namespace Backprop.Learners;

/// <summary>
/// A single linear unit: pre-activation a = b + wᵀx, output ŷ = f(a), trained with the common update rule of seed 001
/// (1.4)
/// <code>
/// w ← w + η (y − ŷ) x,    b ← b + η (y − ŷ).
/// </code>
/// Each subclass fixes f and, beside it, the loss ℓ(a; y) whose gradient that rule follows: wherever ℓ is
/// differentiable, ∂ℓ/∂w = (∂ℓ/∂a)·x and ∂ℓ/∂b = ∂ℓ/∂a, and
/// <code>
/// η (y − ŷ) = −κ η ∂ℓ/∂a,    i.e. the update is −κη ∇ℓ,
/// </code>
/// with κ = <see cref="StepScale"/> (1, except 2 for the perceptron, whose factor y − ŷ is 2y on a mistake).
/// Subclasses: <see cref="Perceptron"/> (f = sign), <see cref="Adaline"/> (f = identity),
/// <see cref="TanhLogisticRegression"/> (f = tanh), <see cref="LogisticRegression"/> (f = σ).
/// <para>
/// Targets: y = +1 for class 1 and y = −1 for class 0 (<see cref="LogisticRegression"/>: t = 1 and 0); a regression
/// set's real targets as they are (<see cref="Adaline"/> only). The predicted class is 1 where a &gt; 0, else 0.
/// </para>
/// </summary>
public abstract class LinearUnit : IOnlineLearner
{
    /// <param name="dimension">d, the number of features; w starts at 0 ∈ ℝ^d and b at 0.</param>
    protected LinearUnit(int dimension)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(dimension, 1);
        Weights = new double[dimension];
    }

    public abstract string Name { get; }

    /// <summary>w ∈ ℝ^d (the unit's own array: change it to start elsewhere).</summary>
    public double[] Weights { get; }

    /// <summary>b.</summary>
    public double Bias { get; set; }

    /// <summary>κ in "the update is −κη∇ℓ": 1 unless the subclass says otherwise.</summary>
    public virtual double StepScale => 1;

    /// <summary>Whether the unit can fit real targets (only <see cref="Adaline"/>).</summary>
    protected virtual bool AcceptsRealTargets => false;

    public virtual bool UpdatesOnlyOnMistakes => false;

    /// <summary>a = b + wᵀx.</summary>
    public double PreActivation(ReadOnlySpan<double> x) => Bias + TensorPrimitives.Dot(Weights, x);

    /// <summary>ŷ = f(a).</summary>
    public abstract double Output(double a);

    /// <summary>ℓ(a; y), the loss of one example whose pre-activation is a and whose target is y.</summary>
    public abstract double Loss(double a, double y);

    /// <summary>∂ℓ/∂a where ℓ is differentiable (subclasses say what they return at a kink).</summary>
    public abstract double LossDerivative(double a, double y);

    /// <summary>The target of a class: +1 or −1 (the sigmoid form: 1 or 0).</summary>
    public virtual double Target(bool positiveClass) => positiveClass ? 1 : -1;

    /// <summary>The target of example i: its real target, or <see cref="Target(bool)"/> of its class (class 1 positive).</summary>
    public double Target(LearnerData data, int index) =>
        data.Targets is { } targets ? targets[index] : Target(data.Label(index) == 1);

    /// <summary>Whether the unit, at pre-activation a, gets an example of class <paramref name="label"/> wrong.</summary>
    protected virtual bool IsMistake(double a, int label) => (a > 0 ? 1 : 0) != label;

    public int Predict(ReadOnlySpan<double> x) => PreActivation(x) > 0 ? 1 : 0;

    /// <summary>
    /// One application of the rule to (x, y): ŷ = f(b + wᵀx), then w ← w + η(y − ŷ)x and b ← b + η(y − ŷ).
    /// Returns y − ŷ (computed before the update).
    /// </summary>
    public double Update(ReadOnlySpan<double> x, double y, double learningRate)
    {
        // x: [d], w: [d]
        double delta = y - Output(PreActivation(x));
        double step = learningRate * delta;
        if (step != 0)
        {
            TensorPrimitives.MultiplyAdd(x, step, Weights, Weights);
            Bias += step;
        }
        return delta;
    }

    public bool Step(LearnerData data, int index, double learningRate)
    {
        var x = data.Row(index);
        bool mistake = !data.IsRegression && IsMistake(PreActivation(x), data.Label(index));
        Update(x, Target(data, index), learningRate);
        return mistake;
    }

    /// <summary>
    /// One step of full-batch gradient descent: the mean of the n per-example updates, taken at the same parameters,
    /// w ← w + (η/n) Σ_i (y_i − ŷ_i) x_i and b ← b + (η/n) Σ_i (y_i − ŷ_i), which is −κη times the gradient of the mean
    /// loss. Returns the number of examples the unit got wrong before the step (0 for a regression set).
    /// </summary>
    public int BatchStep(LearnerData data, double learningRate)
    {
        ArgumentNullException.ThrowIfNull(data);
        var sum = new double[Weights.Length];
        double biasSum = 0;
        int mistakes = 0;
        for (int i = 0; i < data.Count; i++)
        {
            var x = data.Row(i);
            double a = PreActivation(x);
            if (!data.IsRegression && IsMistake(a, data.Label(i))) mistakes++;
            double delta = Target(data, i) - Output(a);
            TensorPrimitives.MultiplyAdd(x, delta, sum, sum);
            biasSum += delta;
        }
        if (data.Count > 0)
        {
            double scale = learningRate / data.Count;
            TensorPrimitives.MultiplyAdd(sum, scale, Weights, Weights);
            Bias += scale * biasSum;
        }
        return mistakes;
    }

    public double MeanLoss(LearnerData data)
    {
        ArgumentNullException.ThrowIfNull(data);
        double sum = 0;
        for (int i = 0; i < data.Count; i++) sum += Loss(PreActivation(data.Row(i)), Target(data, i));
        return data.Count == 0 ? 0 : sum / data.Count;
    }

    public void CheckData(LearnerData data, string source)
    {
        ArgumentNullException.ThrowIfNull(data);
        if (data.Dimension != Weights.Length)
            throw new BackpropException($"{source}: {data.Dimension} features, but the {Name} has {Weights.Length} weights");
        if (data.IsRegression && !AcceptsRealTargets)
            throw new BackpropException($"{source}: real-valued targets; {Name} is a classifier (use adaline for regression)");
        if (!data.IsRegression && data.Classes != 2)
            throw new BackpropException($"{source}: {data.Classes} classes; {Name} is a binary learner and needs exactly 2 (use multiclass-perceptron or kernel-perceptron)");
    }

    /// <summary>softplus(z) = ln(1 + eᶻ), computed as max(z, 0) + ln(1 + e^(−|z|)) so that it never overflows.</summary>
    protected static double Softplus(double z) => Math.Max(z, 0) + Math.Log(1 + Math.Exp(-Math.Abs(z)));
}
