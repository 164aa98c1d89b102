using System.Numerics;

namespace Backprop.Layers;

/// <summary>The description of a <see cref="Tanh{T}"/>: <c>{"type": "tanh"}</c>.</summary>
public sealed record Tanh() : Activation
{
    public static LayerKind Definition { get; } = new("tanh", ["type"], _ => new Tanh());

    public override LayerKind Kind => Definition;

    public override Layer<T> Create<T>(int[] inputShape) => new Tanh<T>(inputShape);
}

/// <summary>y = tanh(x); dy/dx = 1 − y².</summary>
public sealed class Tanh<T>(int[] shape) : Activation<T>(shape) where T : unmanaged, IFloatingPointIeee754<T>
{
    public override LayerSpec Spec => new Tanh();

    protected override void Forward(ReadOnlySpan<T> x, Span<T> y)
    {
        for (int i = 0; i < x.Length; i++) y[i] = T.Tanh(x[i]);
    }

    protected override void Backward(ReadOnlySpan<T> x, ReadOnlySpan<T> y, ReadOnlySpan<T> dy, Span<T> dx)
    {
        for (int i = 0; i < x.Length; i++) dx[i] = dy[i] * (T.One - y[i] * y[i]);
    }
}
