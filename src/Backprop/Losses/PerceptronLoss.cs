using System.Numerics;

namespace Backprop.Losses;

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
