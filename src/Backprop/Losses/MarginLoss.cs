using System.Numerics;

namespace Backprop.Losses;

/// <summary>
/// A loss on the margin m = y·ŷ of one output per example and a label y ∈ {−1, +1}: ℓ = mean_n φ(m_n),
/// dℓ/dŷ_n = y_n · φ'(m_n) / N. Logistic, perceptron and hinge differ only in φ.
/// </summary>
public abstract class MarginLoss<T> : Loss<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public override TargetKind Target => TargetKind.Signs;

    protected abstract T Phi(T margin);

    protected abstract T PhiDerivative(T margin);

    protected override T Value(ReadOnlySpan<T> p, ReadOnlySpan<T> y, int batch, int features)
    {
        T sum = T.Zero;
        for (int n = 0; n < batch; n++) sum += Phi(y[n] * p[n]);
        return sum / C(batch);
    }

    protected override void Gradient(ReadOnlySpan<T> p, ReadOnlySpan<T> y, int batch, int features, Span<T> dp)
    {
        T invN = T.One / C(batch);
        for (int n = 0; n < batch; n++) dp[n] = y[n] * PhiDerivative(y[n] * p[n]) * invN;
    }
}
