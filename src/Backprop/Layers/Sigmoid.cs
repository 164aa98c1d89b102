using System.Numerics;

namespace Backprop.Layers;

/// <summary>The description of a <see cref="Sigmoid{T}"/>: <c>{"type": "sigmoid"}</c>.</summary>
public sealed record Sigmoid() : Activation
{
    public static LayerKind Definition { get; } = new("sigmoid", ["type"], _ => new Sigmoid());

    public override LayerKind Kind => Definition;

    public override Layer<T> Create<T>(int[] inputShape) => new Sigmoid<T>(inputShape);
}

/// <summary>y = 1 / (1 + e^(−x)); dy/dx = y(1 − y).</summary>
public sealed class Sigmoid<T>(int[] shape) : Activation<T>(shape) where T : unmanaged, IFloatingPointIeee754<T>
{
    public override LayerSpec Spec => new Sigmoid();

    protected override void Forward(ReadOnlySpan<T> x, Span<T> y)
    {
        for (int i = 0; i < x.Length; i++) y[i] = SpecialFunctions.Logistic(x[i]);
    }

    protected override void Backward(ReadOnlySpan<T> x, ReadOnlySpan<T> y, ReadOnlySpan<T> dy, Span<T> dx)
    {
        for (int i = 0; i < x.Length; i++) dx[i] = dy[i] * y[i] * (T.One - y[i]);
    }
}
