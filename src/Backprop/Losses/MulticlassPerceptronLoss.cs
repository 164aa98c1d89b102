using System.Numerics;

namespace Backprop.Losses;

/// <summary>
/// Multiclass perceptron loss (seed 000, problem 1) on scores s [N, C] and class indices y [N]:
/// F_n = max(0, max_{c≠y_n} (s_nc − s_n,y_n)), mean over the batch.
/// Where F_n &gt; 0 with c* the first highest-scoring wrong class: ∂F_n/∂s_c* = +1, ∂F_n/∂s_y = −1, all others 0
/// (so for a linear model ∂F_n/∂w_c* = x_n and ∂F_n/∂w_y = −x_n); where F_n = 0 the gradient is 0. Each scaled by 1/N.
/// </summary>
public sealed class MulticlassPerceptronLoss<T> : Loss<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public override string Name => "multiclass_perceptron";
    public override TargetKind Target => TargetKind.ClassIndices;

    protected override T Value(ReadOnlySpan<T> p, ReadOnlySpan<T> y, int batch, int features)
    {
        T sum = T.Zero;
        for (int n = 0; n < batch; n++)
        {
            ReadOnlySpan<T> s = p.Slice(n * features, features);
            int label = int.CreateTruncating(y[n]);
            int rival = BestRival(s, label);
            if (rival >= 0) sum += T.Max(s[rival] - s[label], T.Zero);
        }
        return sum / C(batch);
    }

    protected override void Gradient(ReadOnlySpan<T> p, ReadOnlySpan<T> y, int batch, int features, Span<T> dp)
    {
        dp.Clear();
        T invN = T.One / C(batch);
        for (int n = 0; n < batch; n++)
        {
            ReadOnlySpan<T> s = p.Slice(n * features, features);
            int label = int.CreateTruncating(y[n]);
            int rival = BestRival(s, label);
            if (rival < 0 || s[rival] - s[label] <= T.Zero) continue;
            dp[n * features + rival] += invN;
            dp[n * features + label] -= invN;
        }
    }

    /// <summary>The first class c ≠ label with the highest score, or −1 when there is only one class.</summary>
    public static int BestRival(ReadOnlySpan<T> scores, int label)
    {
        int best = -1;
        for (int c = 0; c < scores.Length; c++)
            if (c != label && (best < 0 || scores[c] > scores[best])) best = c;
        return best;
    }
}
