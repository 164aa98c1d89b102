using System.Numerics;

namespace Backprop.Layers;

/// <summary>
/// Scaled rectifier y = scale · max(0, x) (scale 1 is PyTorch's ReLU; seed 001 uses 5·ReLU).
/// Derivative: scale where x &gt; 0, else 0 (so ReLU'(0) = 0, as in PyTorch).
/// </summary>
public sealed class ReLU<T>(int[] shape, double scale = 1.0) : Activation<T>(shape) where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly T _scale = T.CreateChecked(scale);

    public override string Type => "relu";

    public double Scale { get; } = scale;

    protected override void Forward(ReadOnlySpan<T> x, Span<T> y)
    {
        for (int i = 0; i < x.Length; i++) y[i] = x[i] > T.Zero ? _scale * x[i] : T.Zero;
    }

    protected override void Backward(ReadOnlySpan<T> x, ReadOnlySpan<T> y, ReadOnlySpan<T> dy, Span<T> dx)
    {
        for (int i = 0; i < x.Length; i++) dx[i] = x[i] > T.Zero ? _scale * dy[i] : T.Zero;
    }
}
