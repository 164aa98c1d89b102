using System.Numerics;

namespace Backprop.Numerics;

/// <summary>
/// The functions of a score vector that layers, losses, trainers, learners and the CLI share: the maximum, the
/// shifted exponentials, softmax, log-sum-exp and argmax. Each is written once; the operation order (the maximum
/// first, exponentials summed from the first element to the last, one division per element) is part of the contract,
/// because traces and seeded training runs are compared bit for bit.
/// </summary>
public static class VectorFunctions
{
    /// <summary>The largest element (the first one wins comparisons; NaN is never larger); <paramref name="x"/> is not empty.</summary>
    public static T Max<T>(ReadOnlySpan<T> x) where T : IFloatingPointIeee754<T>
    {
        T max = x[0];
        for (int i = 1; i < x.Length; i++) if (x[i] > max) max = x[i];
        return max;
    }

    /// <summary>e_i = e^(x_i − shift) for every i, and returns Σ_i e_i summed in index order. <paramref name="e"/> may be <paramref name="x"/>.</summary>
    public static T ExpSum<T>(ReadOnlySpan<T> x, T shift, Span<T> e) where T : IFloatingPointIeee754<T>
    {
        T sum = T.Zero;
        for (int i = 0; i < x.Length; i++) sum += e[i] = T.Exp(x[i] - shift);
        return sum;
    }

    /// <summary>
    /// y_k = e^(x_k − max x) / Σ_j e^(x_j − max x) (PyTorch's softmax over one row): the maximum is subtracted so that
    /// no exponential overflows. <paramref name="y"/> has the length of <paramref name="x"/> and may be <paramref name="x"/>.
    /// </summary>
    public static void Softmax<T>(ReadOnlySpan<T> x, Span<T> y) where T : IFloatingPointIeee754<T>
    {
        T max = Max(x);
        T sum = ExpSum(x, max, y);
        for (int i = 0; i < y.Length; i++) y[i] /= sum;
    }

    /// <summary>log Σ e^(x_i), shifted by the maximum so that no exponential overflows.</summary>
    public static T LogSumExp<T>(ReadOnlySpan<T> x) where T : IFloatingPointIeee754<T>
    {
        T max = Max(x);
        T sum = T.Zero; // Σ e^(x_i − max): at least 1, as the maximum's own term is 1
        for (int i = 0; i < x.Length; i++) sum += T.Exp(x[i] - max);
        return max + T.Log(sum);
    }

    /// <summary>Index of the largest score (the first one on ties; NaN is never the largest unless it is first).</summary>
    public static int ArgMax<T>(ReadOnlySpan<T> scores) where T : INumber<T>
    {
        int best = 0;
        for (int c = 1; c < scores.Length; c++) if (scores[c] > scores[best]) best = c;
        return best;
    }
}
