using System.Numerics;

namespace Backprop.Layers;

/// <summary>y = tanh(x); dy/dx = 1 − y².</summary>
public sealed class Tanh<T>(int[] shape) : Activation<T>(shape) where T : unmanaged, IFloatingPointIeee754<T>
{
    public override string Type => "tanh";

    protected override void Forward(ReadOnlySpan<T> x, Span<T> y)
    {
        for (int i = 0; i < x.Length; i++) y[i] = T.Tanh(x[i]);
    }

    protected override void Backward(ReadOnlySpan<T> x, ReadOnlySpan<T> y, ReadOnlySpan<T> dy, Span<T> dx)
    {
        for (int i = 0; i < x.Length; i++) dx[i] = dy[i] * (T.One - y[i] * y[i]);
    }
}
