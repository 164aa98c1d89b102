using System.Numerics.Tensors;

namespace Backprop.Data;

/// <summary>
/// Feature scaling and the train/validation split. Every transform works in place on <see cref="Dataset.Features"/>.
/// Statistics come from the training set only and are then applied unchanged to validation and test data.
/// </summary>
public static class Preprocessing
{
    /// <summary>
    /// x ← x / <paramref name="max"/> for every feature (IEEE division, so 255/255 is exactly 1): pixel bytes 0..255
    /// become [0, 1]. Values are not clamped.
    /// </summary>
    public static void ScaleToUnit(Dataset d, float max = 255f)
    {
        ArgumentNullException.ThrowIfNull(d);
        if (!(max > 0) || !float.IsFinite(max)) throw new ArgumentOutOfRangeException(nameof(max), max, "expected a finite value > 0");
        TensorPrimitives.Divide(d.Features, max, d.Features);
    }

    /// <summary>
    /// Per feature j over the N examples: μ_j = (1/N) Σ_i x_ij and σ_j = √((1/N) Σ_i (x_ij − μ_j)²) (population standard
    /// deviation, two passes in float64), then x_ij ← (x_ij − μ_j) / σ_j in place, or x_ij − μ_j where σ_j = 0.
    /// Returns μ and σ (ExampleSize values each) for <see cref="Standardize(Dataset, float[], float[])"/>.
    /// </summary>
    public static (float[] Mean, float[] Std) Standardize(Dataset train)
    {
        ArgumentNullException.ThrowIfNull(train);
        if (train.Count == 0) throw new ArgumentException("cannot compute statistics of an empty dataset", nameof(train));
        int n = train.Count, size = train.ExampleSize;
        var features = train.Features;

        var sum = new double[size];
        for (int i = 0; i < n; i++)
        {
            var row = features.AsSpan(i * size, size);
            for (int j = 0; j < size; j++) sum[j] += row[j];
        }
        var meanD = new double[size];
        var mean = new float[size];
        for (int j = 0; j < size; j++)
        {
            meanD[j] = sum[j] / n;
            mean[j] = (float)meanD[j];
        }

        var squares = sum; // reuse
        Array.Clear(squares);
        for (int i = 0; i < n; i++)
        {
            var row = features.AsSpan(i * size, size);
            for (int j = 0; j < size; j++)
            {
                double c = row[j] - meanD[j];
                squares[j] += c * c;
            }
        }
        var std = new float[size];
        for (int j = 0; j < size; j++) std[j] = (float)Math.Sqrt(squares[j] / n);

        Standardize(train, mean, std);
        return (mean, std);
    }

    /// <summary>
    /// x_ij ← (x_ij − mean_j) / std_j in place with given (training) statistics; where std_j = 0 the feature is only
    /// centred, x_ij − mean_j.
    /// </summary>
    public static void Standardize(Dataset d, float[] mean, float[] std)
    {
        ArgumentNullException.ThrowIfNull(d);
        ArgumentNullException.ThrowIfNull(mean);
        ArgumentNullException.ThrowIfNull(std);
        int size = d.ExampleSize;
        if (mean.Length != size || std.Length != size)
            throw new BackpropException($"standardize: statistics for {mean.Length} (mean) and {std.Length} (std) features, but an example has {size}");
        var divisor = new float[size];
        for (int j = 0; j < size; j++)
        {
            if (!float.IsFinite(mean[j]) || !float.IsFinite(std[j]) || std[j] < 0)
                throw new BackpropException($"standardize: feature {j} has mean {mean[j]} and std {std[j]}; expected finite values and std ≥ 0");
            divisor[j] = std[j] == 0 ? 1f : std[j];
        }
        for (int i = 0; i < d.Count; i++)
        {
            var row = d.Features.AsSpan(i * size, size);
            TensorPrimitives.Subtract(row, mean, row);
            TensorPrimitives.Divide(row, divisor, row);
        }
    }

    /// <summary>
    /// A seeded random split into (Train, Validation) copies: V = round(fraction · Count) examples (halves away from
    /// zero) go to validation, chosen by Fisher–Yates with <see cref="Rng"/>(Mix(seed ⊕ 0x5B117)), the rest to
    /// training; both keep the original relative order. Not stratified. Requires 0 ≤ fraction &lt; 1 and leaves at
    /// least one training example; V may be 0 (an empty validation set).
    /// </summary>
    public static (Dataset Train, Dataset Validation) Split(Dataset d, double validationFraction, ulong seed)
    {
        ArgumentNullException.ThrowIfNull(d);
        if (!(validationFraction >= 0 && validationFraction < 1))
            throw new BackpropException($"validation fraction {validationFraction} is not in [0, 1)");
        int validation = (int)Math.Round(validationFraction * d.Count, MidpointRounding.AwayFromZero);
        int train = d.Count - validation;
        if (train < 1)
            throw new BackpropException($"a validation fraction of {validationFraction} leaves no training examples out of {d.Count}");

        var order = new int[d.Count];
        Shuffle.Permute(order, new Rng(Shuffle.Mix(seed ^ 0x5B117UL)));
        var validationIndices = order.AsSpan(0, validation);
        var trainIndices = order.AsSpan(validation);
        validationIndices.Sort();
        trainIndices.Sort();
        return (d.Subset(trainIndices), d.Subset(validationIndices));
    }
}
