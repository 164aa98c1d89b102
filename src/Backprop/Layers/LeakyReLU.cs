using System.Numerics;
using System.Text;

namespace Backprop.Layers;

/// <summary>The description of a <see cref="LeakyReLU{T}"/>: <c>{"type": "leaky_relu", "negative_slope": 0.01}</c>.</summary>
public sealed record LeakyReLU(double NegativeSlope = 0.01) : Activation
{
    public static LayerKind Definition { get; } = new("leaky_relu", ["type", "negative_slope"], f => new LeakyReLU(f.Number("negative_slope", 0.01)));

    public override LayerKind Kind => Definition;

    public override Layer<T> Create<T>(int[] inputShape) => new LeakyReLU<T>(inputShape, NegativeSlope);

    protected override void WriteArguments(StringBuilder sb) => Field(sb, "negative_slope", Number(NegativeSlope));
}

/// <summary>y = x for x &gt; 0, else negative_slope · x (default 0.01). Derivative 1 or negative_slope (at 0: negative_slope, as PyTorch).</summary>
public sealed class LeakyReLU<T>(int[] shape, double negativeSlope = 0.01) : Activation<T>(shape) where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly T _slope = T.CreateChecked(negativeSlope);

    public override LayerSpec Spec => new LeakyReLU(NegativeSlope);

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
