using System.Collections.ObjectModel;
using System.Globalization;
using System.Numerics.Tensors;
using Backprop.Data;

namespace Backprop.Learners;

/// <summary>
/// Examples for the classical learners, in float64, row-major: example i is
/// <c>Features[i·Dimension .. (i+1)·Dimension)</c>, a vector x_i ∈ ℝ^d. Either a classification set (a class index
/// y_i ∈ [0, <see cref="Classes"/>) per example) or a regression set (a real target y_i per example, <see cref="Targets"/>).
/// <para>
/// The binary learners (<see cref="Perceptron"/>, <see cref="Adaline"/>, <see cref="TanhLogisticRegression"/>,
/// <see cref="LogisticRegression"/>) read a two-class set as class 1 ↦ y = +1 and class 0 ↦ y = −1 (the sigmoid
/// form uses t = (1 + y)/2 ∈ {0, 1} instead; see <see cref="LinearUnit.Target(bool)"/>).
/// </para>
/// </summary>
public sealed class LearnerData
{
    private readonly ReadOnlyCollection<string> _classNames;

    /// <summary>A classification set: <paramref name="features"/> (Count · d values, kept, not copied) and class indices.</summary>
    public LearnerData(double[] features, int dimension, int[] labels, int classes, IReadOnlyList<string>? classNames = null)
    {
        ArgumentNullException.ThrowIfNull(features);
        ArgumentNullException.ThrowIfNull(labels);
        Check(features, dimension, labels.Length);
        if (classes < 1) throw new ArgumentOutOfRangeException(nameof(classes), classes, "expected at least one class");
        for (int i = 0; i < labels.Length; i++)
            if ((uint)labels[i] >= (uint)classes)
                throw new ArgumentOutOfRangeException(nameof(labels), labels[i], $"label of example {i} is outside 0..{classes - 1}");
        if (classNames is not null && classNames.Count != classes)
            throw new ArgumentException($"{classNames.Count} class names for {classes} classes", nameof(classNames));
        Features = features;
        Dimension = dimension;
        Count = labels.Length;
        Labels = labels;
        Classes = classes;
        _classNames = Array.AsReadOnly(classNames?.ToArray()
            ?? Enumerable.Range(0, classes).Select(k => k.ToString(CultureInfo.InvariantCulture)).ToArray());
    }

    private LearnerData(double[] features, int dimension, double[] targets)
    {
        Check(features, dimension, targets.Length);
        Features = features;
        Dimension = dimension;
        Count = targets.Length;
        Targets = targets;
        _classNames = Array.AsReadOnly(Array.Empty<string>());
    }

    /// <summary>A regression set: Count · d features and one real target per example (both kept, not copied).</summary>
    public static LearnerData Regression(double[] features, int dimension, double[] targets)
    {
        ArgumentNullException.ThrowIfNull(features);
        ArgumentNullException.ThrowIfNull(targets);
        return new LearnerData(features, dimension, targets);
    }

    private static void Check(double[] features, int dimension, int count)
    {
        if (dimension < 1) throw new ArgumentOutOfRangeException(nameof(dimension), dimension, "expected at least one feature");
        if (features.Length != (long)count * dimension)
            throw new ArgumentException($"{features.Length} feature values for {count} examples of {dimension} features", nameof(features));
        foreach (double v in features)
            if (!double.IsFinite(v)) throw new ArgumentException("features must be finite", nameof(features));
    }

    /// <summary>All features, Count · <see cref="Dimension"/> values, row-major.</summary>
    public double[] Features { get; }

    /// <summary>d, the number of features of one example.</summary>
    public int Dimension { get; }

    /// <summary>n, the number of examples.</summary>
    public int Count { get; }

    /// <summary>Class indices (classification sets), else null.</summary>
    public int[]? Labels { get; }

    /// <summary>The number of classes C (0 for a regression set).</summary>
    public int Classes { get; }

    /// <summary>Real targets (regression sets), else null.</summary>
    public double[]? Targets { get; }

    /// <summary>Whether the examples have real targets rather than classes.</summary>
    public bool IsRegression => Targets is not null;

    /// <summary>C names, index = class (empty for a regression set).</summary>
    public IReadOnlyList<string> ClassNames => _classNames;

    /// <summary>x_i, a view into <see cref="Features"/>.</summary>
    public ReadOnlySpan<double> Row(int index) => Features.AsSpan(index * Dimension, Dimension);

    /// <summary>The class of example i (classification sets only).</summary>
    public int Label(int index) => (Labels ?? throw new InvalidOperationException("a regression set has no classes"))[index];

    /// <summary>The first <paramref name="count"/> examples (a copy), or this set when it has no more.</summary>
    public LearnerData Take(int count)
    {
        if (count < 0) throw new ArgumentOutOfRangeException(nameof(count));
        if (count >= Count) return this;
        double[] x = Features.AsSpan(0, count * Dimension).ToArray();
        return Targets is not null
            ? Regression(x, Dimension, Targets.AsSpan(0, count).ToArray())
            : new LearnerData(x, Dimension, Labels!.AsSpan(0, count).ToArray(), Classes, _classNames);
    }

    /// <summary>
    /// A regression set whose targets are this classification set's class names read as numbers (a CSV file whose
    /// label column holds real values: <see cref="CsvReader"/> makes each distinct value a class).
    /// </summary>
    /// <param name="source">Names the data in the error message.</param>
    public LearnerData AsRegression(string source)
    {
        if (Targets is not null) return this;
        var values = new double[Classes];
        for (int k = 0; k < Classes; k++)
            if (!double.TryParse(_classNames[k], NumberStyles.Float, CultureInfo.InvariantCulture, out values[k]) || !double.IsFinite(values[k]))
                throw new BackpropException($"{source}: label '{_classNames[k]}' is not a number, so the labels cannot be regression targets");
        var targets = new double[Count];
        for (int i = 0; i < Count; i++) targets[i] = values[Labels![i]];
        return Regression(Features, Dimension, targets);
    }

    /// <summary>A dataset's examples flattened to vectors and widened to float64 (labels shared, features copied).</summary>
    public static LearnerData FromDataset(Dataset dataset)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        var x = new double[dataset.Features.Length];
        TensorPrimitives.ConvertTruncating<float, double>(dataset.Features, x);
        return new LearnerData(x, dataset.ExampleSize, dataset.Labels, dataset.Classes, dataset.ClassNames);
    }
}
