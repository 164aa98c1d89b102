using System.Numerics;

namespace Backprop.Losses;

/// <summary>
/// Logistic loss ln(1 + e^(−yŷ)) (seed 000, problem 2), computed as softplus(−m) without overflow;
/// φ'(m) = −σ(−m), so dℓ/dŷ = −y·σ(−yŷ)/N.
/// </summary>
public sealed class LogisticLoss<T> : MarginLoss<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public override string Name => "logistic";

    protected override T Phi(T m) => T.Max(-m, T.Zero) + T.LogP1(T.Exp(-T.Abs(m)));

    protected override T PhiDerivative(T m) => -SpecialFunctions.Logistic(-m);
}
