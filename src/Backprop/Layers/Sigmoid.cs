using System.Numerics;

namespace Backprop.Layers;

/// <summary>y = 1 / (1 + e^(−x)); dy/dx = y(1 − y).</summary>
public sealed class Sigmoid<T>(int[] shape) : Activation<T>(shape) where T : unmanaged, IFloatingPointIeee754<T>
{
    public override string Type => "sigmoid";

    protected override void Forward(ReadOnlySpan<T> x, Span<T> y)
    {
        for (int i = 0; i < x.Length; i++) y[i] = SpecialFunctions.Logistic(x[i]);
    }

    protected override void Backward(ReadOnlySpan<T> x, ReadOnlySpan<T> y, ReadOnlySpan<T> dy, Span<T> dx)
    {
        for (int i = 0; i < x.Length; i++) dx[i] = dy[i] * y[i] * (T.One - y[i]);
    }
}
