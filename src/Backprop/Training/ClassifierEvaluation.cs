namespace Backprop.Training;

/// <summary>
/// A classifier's results over a data set: <paramref name="Examples"/>, the mean <paramref name="Loss"/>, the
/// <paramref name="Accuracy"/> and the <paramref name="Confusion"/> matrix [true class, predicted class].
/// </summary>
public sealed record ClassifierEvaluation(int Examples, double Loss, double Accuracy, int[,] Confusion)
{
    /// <summary>The number of classes: rows (and columns) of <see cref="Confusion"/>.</summary>
    public int Classes => Confusion.GetLength(0);

    /// <summary>How many examples have true class <paramref name="c"/>.</summary>
    public int ExamplesOf(int c)
    {
        int total = 0;
        for (int p = 0; p < Classes; p++) total += Confusion[c, p];
        return total;
    }

    /// <summary>The share of the examples of class <paramref name="c"/> predicted right; NaN when the data has none.</summary>
    public double ClassAccuracy(int c)
    {
        int total = ExamplesOf(c);
        return total == 0 ? double.NaN : (double)Confusion[c, c] / total;
    }
}
