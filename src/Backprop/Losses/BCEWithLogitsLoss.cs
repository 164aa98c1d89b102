using System.Numerics;

namespace Backprop.Losses;

/// <summary>
/// Binary cross-entropy on logits z, mean over all elements (torch.nn.BCEWithLogitsLoss):
/// ℓ = mean[max(z, 0) − z·y + log(1 + e^(−|z|))], stable for any z; dℓ/dz = (σ(z) − y) / count.
/// </summary>
public sealed class BCEWithLogitsLoss<T> : Loss<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public override string Name => "bce_with_logits";
    public override TargetKind Target => TargetKind.Probabilities;

    protected override T Value(ReadOnlySpan<T> p, ReadOnlySpan<T> y, int batch, int features)
    {
        T sum = T.Zero;
        for (int i = 0; i < p.Length; i++)
            sum += T.Max(p[i], T.Zero) - p[i] * y[i] + T.LogP1(T.Exp(-T.Abs(p[i])));
        return sum / C(p.Length);
    }

    protected override void Gradient(ReadOnlySpan<T> p, ReadOnlySpan<T> y, int batch, int features, Span<T> dp)
    {
        T count = C(p.Length);
        for (int i = 0; i < p.Length; i++) dp[i] = (SpecialFunctions.Logistic(p[i]) - y[i]) / count;
    }
}
