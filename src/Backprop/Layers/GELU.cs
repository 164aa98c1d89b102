using System.Numerics;

namespace Backprop.Layers;

/// <summary>The description of a <see cref="GELU{T}"/>: <c>{"type": "gelu"}</c>.</summary>
public sealed record GELU() : Activation
{
    public static LayerKind Definition { get; } = new("gelu", ["type"], _ => new GELU());

    public override LayerKind Kind => Definition;

    public override Layer<T> Create<T>(int[] inputShape) => new GELU<T>(inputShape);
}

/// <summary>
/// Exact GELU: y = x · Φ(x) = x · ½(1 + erf(x/√2)).
/// dy/dx = Φ(x) + x · φ(x), with φ(x) = e^(−x²/2) / √(2π) the standard normal density.
/// </summary>
public sealed class GELU<T>(int[] shape) : Activation<T>(shape) where T : unmanaged, IFloatingPointIeee754<T>
{
    private static readonly T Half = C(0.5), InvSqrt2 = C(0.70710678118654752440), InvSqrt2Pi = C(0.39894228040143267794);

    public override LayerSpec Spec => new GELU();

    protected override void Forward(ReadOnlySpan<T> x, Span<T> y)
    {
        for (int i = 0; i < x.Length; i++) y[i] = x[i] * Cdf(x[i]);
    }

    protected override void Backward(ReadOnlySpan<T> x, ReadOnlySpan<T> y, ReadOnlySpan<T> dy, Span<T> dx)
    {
        for (int i = 0; i < x.Length; i++)
        {
            T pdf = T.Exp(-Half * x[i] * x[i]) * InvSqrt2Pi;
            dx[i] = dy[i] * (Cdf(x[i]) + x[i] * pdf);
        }
    }

    // erf is evaluated in double even for float32: there is no single-precision erf in .NET, and rounding once at the end is more exact.
    private static T Cdf(T x) => T.CreateChecked(0.5 * (1.0 + SpecialFunctions.Erf(double.CreateChecked(x * InvSqrt2))));
}
