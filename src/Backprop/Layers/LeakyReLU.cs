using System.Numerics;

namespace Backprop.Layers;

/// <summary>y = x for x &gt; 0, else negative_slope · x (default 0.01). Derivative 1 or negative_slope (at 0: negative_slope, as PyTorch).</summary>
public sealed class LeakyReLU<T>(int[] shape, double negativeSlope = 0.01) : Activation<T>(shape) where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly T _slope = T.CreateChecked(negativeSlope);

    public override string Type => "leaky_relu";

    public double NegativeSlope { get; } = negativeSlope;

    protected override void Forward(ReadOnlySpan<T> x, Span<T> y)
    {
        for (int i = 0; i < x.Length; i++) y[i] = x[i] > T.Zero ? x[i] : x[i] * _slope;
    }

    protected override void Backward(ReadOnlySpan<T> x, ReadOnlySpan<T> y, ReadOnlySpan<T> dy, Span<T> dx)
    {
        for (int i = 0; i < x.Length; i++) dx[i] = x[i] > T.Zero ? dy[i] : dy[i] * _slope;
    }
}
