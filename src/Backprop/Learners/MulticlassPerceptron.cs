using System.Numerics.Tensors;
using Backprop.Losses;

namespace Backprop.Learners;

/// <summary>
/// The multiclass perceptron (seed 000, problem 1): C weight vectors w_1 … w_C ∈ ℝ^d (and, with a bias, b_1 … b_C),
/// scores s_c = b_c + w_cᵀx, prediction ŷ = argmax_c s_c (the first class on ties).
/// <para>
/// <b>Loss.</b> F_i = max{0, max_{c≠y_i} (w_cᵀx_i − w_{y_i}ᵀx_i)}, and F = (1/n) Σ_i F_i.
/// <b>Gradient</b> (no ties, so F_i is differentiable): let c* = argmax_{c≠y_i} s_c be the highest-scoring wrong class.
/// Where F_i = 0 (s_{y_i} &gt; s_c* ) the loss is 0 in a neighbourhood and every ∂F_i/∂w_c = 0. Where F_i &gt; 0,
/// F_i = w_c*ᵀx_i − w_{y_i}ᵀx_i near the point, so
/// <code>
/// ∂F_i/∂w_c = x_i (c = c*),   −x_i (c = y_i),   0 (every other c),
/// </code>
/// and likewise ∂F_i/∂b_c = 1, −1, 0 (<see cref="LossGradient"/>).
/// <b>Algorithm</b> (stochastic gradient descent on F_i with step η; seed 000 uses η = 1): visit x_i; if
/// ŷ = argmax_c s_c ≠ y_i, then w_{y_i} ← w_{y_i} + η x_i and w_ŷ ← w_ŷ − η x_i (b_{y_i} += η, b_ŷ −= η). On a strict
/// mistake ŷ = c* and this is exactly −η∇F_i; a tie that the argmax breaks against y_i (s_ŷ = s_{y_i}, where F_i = 0
/// has a kink) also counts as a mistake and is updated the same way, which is what lets training leave w = 0.
/// </para>
/// <para>
/// With no bias the parameters stay w_c = Σ_i α_{c,i} x_i (α_{c,i} = η·(number of mistakes on x_i labelled c) −
/// η·(number of mistakes on x_i predicted as c)), the fact <see cref="KernelPerceptron"/> is built on; a bias acts as
/// one more feature that is always 1. On linearly separable data the number of mistakes is finite (Collins' bound
/// 2R²/γ², R = max‖x_i‖ and γ the margin of a unit-norm separating (w_1 … w_C)).
/// </para>
/// </summary>
/// <example><code>
/// var model = new MulticlassPerceptron(classes: 3, dimension: 2);
/// OnlineTraining.Train(model, SyntheticData.Blobs(300, 3, new Rng(0)), new OnlineTrainingOptions { Epochs = 20 });
/// int predicted = model.Predict([1.0, -2.0]);
/// </code></example>
public sealed class MulticlassPerceptron : IOnlineLearner
{
    private readonly double[] _scores;

    /// <param name="classes">C ≥ 2.</param>
    /// <param name="dimension">d ≥ 1.</param>
    /// <param name="bias">Whether the scores have biases b_c (default true); without, s_c = w_cᵀx as in seed 000.</param>
    public MulticlassPerceptron(int classes, int dimension, bool bias = true)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(classes, 2);
        ArgumentOutOfRangeException.ThrowIfLessThan(dimension, 1);
        Classes = classes;
        Dimension = dimension;
        HasBias = bias;
        Weights = new double[classes * dimension];
        Biases = new double[classes];
        _scores = new double[classes];
    }

    public string Name => "multiclass-perceptron";

    public bool UpdatesOnlyOnMistakes => true;

    /// <summary>C.</summary>
    public int Classes { get; }

    /// <summary>d.</summary>
    public int Dimension { get; }

    /// <summary>Whether the scores include the biases b_c.</summary>
    public bool HasBias { get; }

    /// <summary>W [C, d], row c = w_c (the model's own array).</summary>
    public double[] Weights { get; }

    /// <summary>b [C] (all 0 and unused without a bias).</summary>
    public double[] Biases { get; }

    /// <summary>w_c, a view of row c of <see cref="Weights"/>.</summary>
    public Span<double> Weight(int c) => Weights.AsSpan(c * Dimension, Dimension);

    /// <summary>s_c = b_c + w_cᵀx for every class. x: [d], scores: [C].</summary>
    public void Scores(ReadOnlySpan<double> x, Span<double> scores)
    {
        for (int c = 0; c < Classes; c++)
            scores[c] = (HasBias ? Biases[c] : 0) + TensorPrimitives.Dot(Weights.AsSpan(c * Dimension, Dimension), x);
    }

    public int Predict(ReadOnlySpan<double> x)
    {
        Scores(x, _scores);
        return VectorFunctions.ArgMax<double>(_scores);
    }

    /// <summary>F_i = max{0, max_{c≠y} (s_c − s_y)} at the current parameters.</summary>
    public double Loss(ReadOnlySpan<double> x, int y)
    {
        Scores(x, _scores);
        int rival = MulticlassPerceptronLoss<double>.BestRival(_scores, y);
        return Math.Max(0, _scores[rival] - _scores[y]);
    }

    /// <summary>
    /// Writes ∂F_i/∂w_c into row c of <paramref name="weightGradient"/> [C, d] and ∂F_i/∂b_c into
    /// <paramref name="biasGradient"/> [C]: x and 1 for c = c*, −x and −1 for c = y, 0 elsewhere, where F_i &gt; 0;
    /// all 0 where F_i = 0 (at the kink F_i = 0 with a tie, too).
    /// </summary>
    public void LossGradient(ReadOnlySpan<double> x, int y, Span<double> weightGradient, Span<double> biasGradient)
    {
        weightGradient[..(Classes * Dimension)].Clear();
        biasGradient[..Classes].Clear();
        Scores(x, _scores);
        int rival = MulticlassPerceptronLoss<double>.BestRival(_scores, y);
        if (!(_scores[rival] - _scores[y] > 0)) return;
        x.CopyTo(weightGradient.Slice(rival * Dimension, Dimension));
        TensorPrimitives.Negate(x, weightGradient.Slice(y * Dimension, Dimension));
        if (HasBias)
        {
            biasGradient[rival] = 1;
            biasGradient[y] = -1;
        }
    }

    public bool Step(LearnerData data, int index, double learningRate)
    {
        var x = data.Row(index);
        int y = data.Label(index);
        int predicted = Predict(x);
        if (predicted == y) return false;
        // w_y += ηx, w_ŷ −= ηx: −η ∂F_i/∂w (ŷ = c* on a strict mistake).
        TensorPrimitives.MultiplyAdd(x, learningRate, Weight(y), Weight(y));
        TensorPrimitives.MultiplyAdd(x, -learningRate, Weight(predicted), Weight(predicted));
        if (HasBias)
        {
            Biases[y] += learningRate;
            Biases[predicted] -= learningRate;
        }
        return true;
    }

    public double MeanLoss(LearnerData data)
    {
        ArgumentNullException.ThrowIfNull(data);
        double sum = 0;
        for (int i = 0; i < data.Count; i++) sum += Loss(data.Row(i), data.Label(i));
        return data.Count == 0 ? 0 : sum / data.Count;
    }

    public void CheckData(LearnerData data, string source) => CheckClassification(data, source, Name, Classes, Dimension);

    internal static void CheckClassification(LearnerData data, string source, string name, int classes, int dimension)
    {
        ArgumentNullException.ThrowIfNull(data);
        if (data.IsRegression)
            throw new BackpropException($"{source}: real-valued targets; {name} is a classifier (use adaline for regression)");
        if (data.Dimension != dimension)
            throw new BackpropException($"{source}: {data.Dimension} features, but the {name} expects {dimension}");
        if (data.Classes != classes)
            throw new BackpropException($"{source}: {data.Classes} classes, but the {name} has {classes}");
    }
}
