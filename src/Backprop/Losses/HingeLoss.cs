using System.Numerics;

namespace Backprop.Losses;

/// <summary>Hinge loss max(0, 1 − yŷ); φ'(m) = −1 where m &lt; 1, else 0 (a NaN margin: NaN and slope −1, as torch's relu(1 − m)).</summary>
public sealed class HingeLoss<T> : MarginLoss<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public override string Name => "hinge";

    protected override T Phi(T m) => T.Max(T.One - m, T.Zero);

    protected override T PhiDerivative(T m) => m >= T.One ? T.Zero : -T.One;
}
