using System.Numerics.Tensors;

namespace Backprop.Learners;

/// <summary>
/// The kernel multiclass perceptron (seed 000, 1.3). The primal <see cref="MulticlassPerceptron"/> keeps
/// w_c = Σ_i α_{c,i} x_i; with a feature map φ the same run keeps w_c = Σ_i α_{c,i} φ(x_i), and every score is
/// <code>
/// s_c(x) = w_cᵀφ(x) = Σ_i α_{c,i} k(x_i, x)     (+ b_c = Σ_i α_{c,i} with a bias, i.e. k + 1),
/// </code>
/// so only the coefficients α_{c,i} are stored. Algorithm 2: α = 0; repeat: visit x_i, ŷ = argmax_c s_c(x_i) (first
/// class on ties); if ŷ ≠ y_i then α_{y_i,i} ← α_{y_i,i} + η and α_{ŷ,i} ← α_{ŷ,i} − η. This is the primal update
/// w_{y_i} += ηφ(x_i), w_ŷ −= ηφ(x_i) written in coefficients, so with the linear kernel it makes the same predictions
/// and mistakes as the primal perceptron visiting the same examples in the same order.
/// <para>
/// <b>Cost.</b> Only the support set S = {i : α_{·,i} ≠ 0} (the examples the perceptron has erred on) contributes, so
/// the model keeps a compact list of them (a copy of x_i and its C coefficients, contiguous) rather than α for all n
/// examples: a prediction costs |S| kernel evaluations and |S|·C multiply-adds, not n. The set only grows: each
/// mistake on x_i adds η to α_{y_i,i}, which never decreases, so α_{y_i,i} &gt; 0 once i has erred (and
/// Σ_c α_{c,i} = 0 always).
/// </para>
/// <para>Example indices i are those of the training set passed to <see cref="Step"/>; train on one set only.</para>
/// </summary>
/// <example><code>
/// var model = new KernelPerceptron(classes: 2, dimension: 2, Kernel.Rbf(gamma: 2));
/// OnlineTraining.Train(model, SyntheticData.Circles(200, new Rng(0)), new OnlineTrainingOptions { Epochs = 30 });
/// Console.WriteLine($"{model.SupportCount} support vectors");
/// </code></example>
public sealed class KernelPerceptron : IOnlineLearner
{
    private readonly Dictionary<int, int> _slotOf = [];
    private readonly List<int> _supportIndices = [];
    private double[] _supportX;     // [capacity, d]: x_i of slot s at s·d
    private double[] _alpha;        // [capacity, C]: α_{c,i} of slot s at s·C + c
    private readonly double[] _scores;

    /// <param name="classes">C ≥ 2.</param>
    /// <param name="dimension">d ≥ 1.</param>
    /// <param name="kernel">k.</param>
    /// <param name="bias">Whether the scores include b_c = Σ_i α_{c,i} (k + 1 in place of k; default true, like the primal).</param>
    public KernelPerceptron(int classes, int dimension, Kernel kernel, bool bias = true)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(classes, 2);
        ArgumentOutOfRangeException.ThrowIfLessThan(dimension, 1);
        ArgumentNullException.ThrowIfNull(kernel);
        Classes = classes;
        Dimension = dimension;
        Kernel = kernel;
        HasBias = bias;
        _supportX = new double[16 * dimension];
        _alpha = new double[16 * classes];
        _scores = new double[classes];
    }

    public string Name => "kernel-perceptron";

    public bool UpdatesOnlyOnMistakes => true;

    /// <summary>C.</summary>
    public int Classes { get; }

    /// <summary>d.</summary>
    public int Dimension { get; }

    /// <summary>k.</summary>
    public Kernel Kernel { get; }

    /// <summary>Whether k + 1 is used in place of k (a bias b_c = Σ_i α_{c,i}).</summary>
    public bool HasBias { get; }

    /// <summary>|S|, the number of examples with a nonzero coefficient.</summary>
    public int SupportCount => _supportIndices.Count;

    /// <summary>The training indices i of the support set, slot by slot (in the order of their first mistake).</summary>
    public IReadOnlyList<int> SupportIndices => _supportIndices;

    /// <summary>x_i of the support example in <paramref name="slot"/>.</summary>
    public ReadOnlySpan<double> SupportVector(int slot) => _supportX.AsSpan(CheckSlot(slot) * Dimension, Dimension);

    /// <summary>α_{1,i} … α_{C,i} of the support example in <paramref name="slot"/>.</summary>
    public ReadOnlySpan<double> Alphas(int slot) => _alpha.AsSpan(CheckSlot(slot) * Classes, Classes);

    /// <summary>α_{c,i}: 0 for examples outside the support set.</summary>
    public double Alpha(int c, int index) => _slotOf.TryGetValue(index, out int slot) ? _alpha[slot * Classes + c] : 0;

    /// <summary>s_c(x) = Σ_{i∈S} α_{c,i} (k(x_i, x) [+ 1]) for every class. x: [d], scores: [C].</summary>
    public void Scores(ReadOnlySpan<double> x, Span<double> scores)
    {
        scores[..Classes].Clear();
        double one = HasBias ? 1 : 0;
        for (int slot = 0; slot < _supportIndices.Count; slot++)
        {
            double k = Kernel.Evaluate(_supportX.AsSpan(slot * Dimension, Dimension), x) + one;
            var alpha = _alpha.AsSpan(slot * Classes, Classes);
            TensorPrimitives.MultiplyAdd(alpha, k, scores[..Classes], scores[..Classes]);
        }
    }

    public int Predict(ReadOnlySpan<double> x)
    {
        Scores(x, _scores);
        return VectorFunctions.ArgMax<double>(_scores);
    }

    /// <summary>F_i = max{0, max_{c≠y} (s_c − s_y)}, the multiclass perceptron loss in feature space.</summary>
    public double Loss(ReadOnlySpan<double> x, int y)
    {
        Scores(x, _scores);
        int rival = Losses.MulticlassPerceptronLoss<double>.BestRival(_scores, y);
        return Math.Max(0, _scores[rival] - _scores[y]);
    }

    public bool Step(LearnerData data, int index, double learningRate)
    {
        var x = data.Row(index);
        int y = data.Label(index);
        int predicted = Predict(x);
        if (predicted == y) return false;
        int slot = SlotFor(index, x);
        // α_{y,i} += η, α_{ŷ,i} −= η: the primal w_y += ηφ(x_i), w_ŷ −= ηφ(x_i).
        _alpha[slot * Classes + y] += learningRate;
        _alpha[slot * Classes + predicted] -= learningRate;
        return true;
    }

    public double MeanLoss(LearnerData data)
    {
        ArgumentNullException.ThrowIfNull(data);
        double sum = 0;
        for (int i = 0; i < data.Count; i++) sum += Loss(data.Row(i), data.Label(i));
        return data.Count == 0 ? 0 : sum / data.Count;
    }

    public void CheckData(LearnerData data, string source) => MulticlassPerceptron.CheckClassification(data, source, Name, Classes, Dimension);

    /// <summary>The slot of example i, appending x_i (and C zero coefficients) to the support list on its first mistake.</summary>
    private int SlotFor(int index, ReadOnlySpan<double> x)
    {
        if (_slotOf.TryGetValue(index, out int slot)) return slot;
        slot = _supportIndices.Count;
        if ((slot + 1) * Dimension > _supportX.Length)
        {
            Array.Resize(ref _supportX, 2 * _supportX.Length);
            Array.Resize(ref _alpha, 2 * _alpha.Length);
        }
        x.CopyTo(_supportX.AsSpan(slot * Dimension, Dimension));
        _slotOf.Add(index, slot);
        _supportIndices.Add(index);
        return slot;
    }

    private int CheckSlot(int slot)
    {
        if ((uint)slot >= (uint)_supportIndices.Count) throw new ArgumentOutOfRangeException(nameof(slot), slot, $"the support set has {_supportIndices.Count} examples");
        return slot;
    }
}
