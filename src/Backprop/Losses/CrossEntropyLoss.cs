using System.Numerics;

namespace Backprop.Losses;

/// <summary>
/// Cross-entropy from logits z [N, C] and class indices y [N], mean over the batch (torch.nn.CrossEntropyLoss):
/// ℓ = mean_n [log Σ_c e^(z_nc − m_n) − (z_n,y_n − m_n)] with m_n the row maximum, as PyTorch's log_softmax computes it.
/// dℓ/dz_nc = (softmax(z_n)_c − [c = y_n]) / N, with softmax(z_n)_c = e^(z_nc − m_n) / Σ_c' e^(z_nc' − m_n).
/// The maximum is subtracted before anything is rounded at the size of the logits: log Σ e^z − z_y would round the
/// log-sum-exp to the logits' magnitude and lose log10(|z| / ℓ) digits when a confident prediction makes ℓ small.
/// The exponentials e^(z_nc − m_n) and their sums are computed once, in Forward, and kept for Backward.
/// With label smoothing ε (PyTorch's label_smoothing) the target is q_c = (1 − ε)[c = y_n] + ε/C instead of the one-hot
/// vector: ℓ = mean_n Σ_c −q_c log softmax(z_n)_c = mean_n [lse_n − (1 − ε)(z_n,y_n − m_n) − (ε/C) Σ_c (z_nc − m_n)]
/// with lse_n = log Σ_c e^(z_nc − m_n), and dℓ/dz_nc = (softmax(z_n)_c − q_c) / N.
/// </summary>
public sealed class CrossEntropyLoss<T> : Loss<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    // Forward's e^(z − m) [N, C] and Σ_c e^(z_c − m) [N], for Backward (which differentiates the last Forward).
    private T[] _exp = [], _sumExp = [];

    /// <param name="labelSmoothing">ε in [0, 1]: the share of the target spread evenly over all classes.</param>
    public CrossEntropyLoss(double labelSmoothing = 0)
    {
        if (!(labelSmoothing >= 0 && labelSmoothing <= 1))
            throw new BackpropException($"cross_entropy: label smoothing must be in [0, 1], got {labelSmoothing}");
        LabelSmoothing = labelSmoothing;
    }

    public double LabelSmoothing { get; }

    public override string Name => "cross_entropy";
    public override TargetKind Target => TargetKind.ClassIndices;

    protected override T Value(ReadOnlySpan<T> p, ReadOnlySpan<T> y, int batch, int features)
    {
        if (_exp.Length != batch * features) _exp = new T[batch * features];
        if (_sumExp.Length != batch) _sumExp = new T[batch];
        T sum = T.Zero, epsilon = T.CreateChecked(LabelSmoothing), spread = epsilon / C(features);
        for (int n = 0; n < batch; n++)
        {
            ReadOnlySpan<T> z = p.Slice(n * features, features);
            Span<T> e = _exp.AsSpan(n * features, features);
            T max = VectorFunctions.Max(z), sumExp = VectorFunctions.ExpSum(z, max, e);
            _sumExp[n] = sumExp;
            T label = z[int.CreateTruncating(y[n])] - max;
            if (LabelSmoothing == 0)
            {
                sum += T.Log(sumExp) - label;
                continue;
            }
            T sumShifted = T.Zero; // Σ_c (z_c − m): only the smoothed target needs it
            for (int c = 0; c < features; c++) sumShifted += z[c] - max;
            sum += T.Log(sumExp) - (T.One - epsilon) * label - spread * sumShifted;
        }
        return sum / C(batch);
    }

    protected override void Gradient(ReadOnlySpan<T> p, ReadOnlySpan<T> y, int batch, int features, Span<T> dp)
    {
        T invN = T.One / C(batch), epsilon = T.CreateChecked(LabelSmoothing), spread = epsilon / C(features) * invN;
        for (int n = 0; n < batch; n++)
        {
            ReadOnlySpan<T> e = _exp.AsSpan(n * features, features);
            Span<T> dz = dp.Slice(n * features, features);
            T scale = invN / _sumExp[n];
            for (int c = 0; c < features; c++) dz[c] = e[c] * scale;
            if (LabelSmoothing == 0) dz[int.CreateTruncating(y[n])] -= invN;
            else
            {
                for (int c = 0; c < features; c++) dz[c] -= spread;
                dz[int.CreateTruncating(y[n])] -= (T.One - epsilon) * invN;
            }
        }
    }
}
