using System.Collections.ObjectModel;
using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.InteropServices;

namespace Backprop.Data;

/// <summary>
/// In-memory labelled examples for classification, float32, row-major: example i occupies
/// <c>Features[i·ExampleSize .. (i+1)·ExampleSize)</c> and has shape <see cref="ExampleShape"/> (e.g. [1, 28, 28] for
/// Fashion-MNIST, [F] for a CSV file with F feature columns); its class is <c>Labels[i]</c> ∈ [0, <see cref="Classes"/>).
/// <para>
/// The feature array is shared, not copied, and <see cref="Preprocessing"/> changes it in place. The constructor checks
/// the sizes and every label and throws <see cref="BackpropException"/> when they do not fit.
/// </para>
/// </summary>
public sealed class Dataset
{
    /// <summary>The largest number of classes a dataset may declare (a guard against absurd labels such as 2³¹ − 1).</summary>
    public const int MaxClasses = 1 << 16;

    private readonly ReadOnlyCollection<string> _classNames;

    /// <param name="features">Count · ExampleSize values, row-major; kept, not copied.</param>
    /// <param name="exampleShape">The shape of one example, every dimension ≥ 1.</param>
    /// <param name="labels">Count class indices in [0, <paramref name="classes"/>); kept, not copied.</param>
    /// <param name="classes">The number of classes K, 1 ≤ K ≤ <see cref="MaxClasses"/>.</param>
    /// <param name="classNames">K names; by default "0", "1", …, "K−1".</param>
    public Dataset(float[] features, int[] exampleShape, int[] labels, int classes, IReadOnlyList<string>? classNames = null)
    {
        ArgumentNullException.ThrowIfNull(features);
        ArgumentNullException.ThrowIfNull(exampleShape);
        ArgumentNullException.ThrowIfNull(labels);
        if (exampleShape.Length == 0)
            throw new BackpropException("dataset: the example shape needs at least one dimension");
        long size = 1;
        foreach (int d in exampleShape)
        {
            if (d < 1) throw new BackpropException($"dataset: example shape [{string.Join(", ", exampleShape)}] has a dimension < 1");
            size *= d;
            if (size > Array.MaxLength) throw new BackpropException($"dataset: example shape [{string.Join(", ", exampleShape)}] is too large");
        }
        if (features.Length % size != 0)
            throw new BackpropException($"dataset: {features.Length} feature values are not a whole number of examples of shape [{string.Join(", ", exampleShape)}] ({size} values each)");
        int count = (int)(features.Length / size);
        if (labels.Length != count)
            throw new BackpropException($"dataset: {labels.Length} labels for {count} examples");
        if (classes < 1 || classes > MaxClasses)
            throw new BackpropException($"dataset: {classes} classes; expected 1 to {MaxClasses}");
        for (int i = 0; i < labels.Length; i++)
            if ((uint)labels[i] >= (uint)classes)
                throw new BackpropException($"dataset: label {labels[i]} of example {i} is outside 0..{classes - 1}");

        string[] names = new string[classes];
        if (classNames is null)
        {
            for (int k = 0; k < classes; k++) names[k] = k.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }
        else
        {
            if (classNames.Count != classes)
                throw new BackpropException($"dataset: {classNames.Count} class names for {classes} classes");
            for (int k = 0; k < classes; k++) names[k] = classNames[k] ?? throw new ArgumentNullException(nameof(classNames), $"class name {k} is null");
        }

        Features = features;
        ExampleShape = (int[])exampleShape.Clone();
        ExampleSize = (int)size;
        Labels = labels;
        Count = count;
        Classes = classes;
        _classNames = Array.AsReadOnly(names);
    }

    /// <summary>All features, Count · ExampleSize values, row-major (the dataset's own array, not a copy).</summary>
    public float[] Features { get; }

    /// <summary>The shape of one example, e.g. [1, 28, 28] (channels, height, width) or [F].</summary>
    public int[] ExampleShape { get; }

    /// <summary>The number of values in one example: the product of <see cref="ExampleShape"/>.</summary>
    public int ExampleSize { get; }

    /// <summary>One class index in [0, <see cref="Classes"/>) per example (the dataset's own array).</summary>
    public int[] Labels { get; }

    /// <summary>The number of examples (may be 0, e.g. an empty validation split).</summary>
    public int Count { get; }

    /// <summary>The number of classes K (the width of the model's output).</summary>
    public int Classes { get; }

    /// <summary>K names, index = class (e.g. "T-shirt/top", "Trouser", … for Fashion-MNIST).</summary>
    public IReadOnlyList<string> ClassNames => _classNames;

    /// <summary>The features of example <paramref name="index"/> (a view into <see cref="Features"/>).</summary>
    public Span<float> Example(int index)
    {
        if ((uint)index >= (uint)Count) throw new ArgumentOutOfRangeException(nameof(index), index, $"the dataset has {Count} examples");
        return Features.AsSpan(index * ExampleSize, ExampleSize);
    }

    /// <summary>How many examples each class has: K counts.</summary>
    public int[] ClassCounts()
    {
        var counts = new int[Classes];
        foreach (int label in Labels) counts[label]++;
        return counts;
    }

    /// <summary>A new dataset with copies of the examples at <paramref name="indices"/>, in that order (repeats allowed).</summary>
    public Dataset Subset(ReadOnlySpan<int> indices)
    {
        int size = ExampleSize;
        var features = new float[(long)indices.Length * size];
        var labels = new int[indices.Length];
        for (int k = 0; k < indices.Length; k++)
        {
            int i = indices[k];
            if ((uint)i >= (uint)Count) throw new ArgumentOutOfRangeException(nameof(indices), i, $"index {k} of the subset is {i}; the dataset has {Count} examples");
            Features.AsSpan(i * size, size).CopyTo(features.AsSpan(k * size, size));
            labels[k] = Labels[i];
        }
        return new Dataset(features, ExampleShape, labels, Classes, _classNames);
    }

    /// <summary>
    /// Copies the examples <c>order[start .. start+count)</c> into <paramref name="x"/> (row b of the batch at
    /// <c>x[b·ExampleSize ..]</c>, so x is the batch tensor [count, ...ExampleShape]) and their labels, as class indices
    /// converted to <typeparamref name="T"/>, into <paramref name="y"/>. Writes the first count · ExampleSize elements
    /// of x and the first count of y and allocates nothing; the spans may be longer.
    /// </summary>
    public void CopyBatch<T>(ReadOnlySpan<int> order, int start, int count, Span<T> x, Span<T> y) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (start < 0 || count < 0 || start > order.Length - count)
            throw new ArgumentOutOfRangeException(nameof(count), $"examples [{start}, {start}+{count}) are not within the order's {order.Length} entries");
        int size = ExampleSize;
        if (x.Length < (long)count * size)
            throw new ArgumentException($"x has {x.Length} elements; a batch of {count} × {size} needs {(long)count * size}", nameof(x));
        if (y.Length < count)
            throw new ArgumentException($"y has {y.Length} elements; a batch of {count} needs {count}", nameof(y));

        ReadOnlySpan<float> features = Features;
        for (int b = 0; b < count; b++)
        {
            int i = order[start + b];
            if ((uint)i >= (uint)Count)
                throw new ArgumentOutOfRangeException(nameof(order), i, $"order[{start + b}] is {i}; the dataset has {Count} examples");
            var source = features.Slice(i * size, size);
            var target = x.Slice(b * size, size);
            if (typeof(T) == typeof(float))
                source.CopyTo(MemoryMarshal.Cast<T, float>(target));
            else if (typeof(T) == typeof(double))
                TensorPrimitives.ConvertTruncating<float, double>(source, MemoryMarshal.Cast<T, double>(target));
            else
                for (int k = 0; k < size; k++) target[k] = T.CreateTruncating(source[k]);
            y[b] = T.CreateChecked(Labels[i]);
        }
    }
}
