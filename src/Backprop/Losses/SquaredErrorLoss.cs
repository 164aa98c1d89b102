using System.Numerics;

namespace Backprop.Losses;

/// <summary>
/// c · Σ (ŷ − y)² over all elements; dℓ/dŷ = 2c(ŷ − y). The three squared-error losses differ only in c.
/// </summary>
public abstract class SquaredErrorLoss<T> : Loss<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public override TargetKind Target => TargetKind.Values;

    /// <summary>The factor c in front of the sum.</summary>
    protected abstract T Scale(int batch, int features);

    protected override T Value(ReadOnlySpan<T> p, ReadOnlySpan<T> y, int batch, int features)
    {
        T sum = T.Zero;
        for (int i = 0; i < p.Length; i++) { T d = p[i] - y[i]; sum += d * d; }
        return Scale(batch, features) * sum;
    }

    protected override void Gradient(ReadOnlySpan<T> p, ReadOnlySpan<T> y, int batch, int features, Span<T> dp)
    {
        T twoC = C(2) * Scale(batch, features);
        for (int i = 0; i < p.Length; i++) dp[i] = twoC * (p[i] - y[i]);
    }
}
