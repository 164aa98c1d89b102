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

/// <summary>
/// Logistic loss ln(1 + e^(−yŷ)) (seed 000, problem 2), computed as softplus(−m) without overflow;
/// φ'(m) = −σ(−m), so dℓ/dŷ = −y·σ(−yŷ)/N.
/// </summary>
public sealed class LogisticLoss<T> : MarginLoss<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public override string Name => "logistic";

    protected override T Phi(T m) => T.Max(-m, T.Zero) + T.LogP1(T.Exp(-T.Abs(m)));

    protected override T PhiDerivative(T m) => -Layers.Sigmoid<T>.Logistic(-m);
}

/// <summary>
/// Perceptron criterion max(0, −yŷ); φ'(m) = −1 where m &lt; 0, else 0 (0 at the kink, like ReLU). As torch's
/// relu(−m), a NaN margin gives NaN and slope −1 (only m ≥ 0 has slope 0).
/// </summary>
public sealed class PerceptronLoss<T> : MarginLoss<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public override string Name => "perceptron";

    protected override T Phi(T m) => T.Max(-m, T.Zero);

    protected override T PhiDerivative(T m) => m >= T.Zero ? T.Zero : -T.One;
}

/// <summary>Hinge loss max(0, 1 − yŷ); φ'(m) = −1 where m &lt; 1, else 0 (a NaN margin: NaN and slope −1, as torch's relu(1 − m)).</summary>
public sealed class HingeLoss<T> : MarginLoss<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public override string Name => "hinge";

    protected override T Phi(T m) => T.Max(T.One - m, T.Zero);

    protected override T PhiDerivative(T m) => m >= T.One ? T.Zero : -T.One;
}
