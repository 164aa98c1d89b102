using System.Numerics;
using System.Text;

namespace Backprop.Layers;

/// <summary>The description of a <see cref="ReLU{T}"/>: <c>{"type": "relu"}</c>, or <c>{"type": "relu", "scale": 5}</c> for 5·ReLU.</summary>
public sealed record ReLU(double Scale = 1.0) : Activation
{
    public static LayerKind Definition { get; } = new("relu", ["type", "scale"], f => new ReLU(f.Number("scale", 1.0)));

    public override LayerKind Kind => Definition;

    public override Layer<T> Create<T>(int[] inputShape) => new ReLU<T>(inputShape, Scale);

    protected override void WriteArguments(StringBuilder sb)
    {
        if (Scale != 1.0) Field(sb, "scale", Number(Scale));
    }
}

/// <summary>
/// Scaled rectifier y = scale · max(0, x) (scale 1 is PyTorch's ReLU; seed 001 uses 5·ReLU).
/// Derivative: scale where x &gt; 0, else 0 (so ReLU'(0) = 0, as in PyTorch).
/// NaN is kept, as torch.relu keeps it: relu(NaN) = NaN, and the gradient passes through a NaN input (PyTorch's
/// backward zeroes only where the output is ≤ 0, which NaN is not).
/// </summary>
public sealed class ReLU<T>(int[] shape, double scale = 1.0) : Activation<T>(shape) where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly T _scale = T.CreateChecked(scale);

    public override LayerSpec Spec => new ReLU(Scale);

    public double Scale { get; } = scale;

    protected override void Forward(ReadOnlySpan<T> x, Span<T> y) => Rectify(x, x, y);

    protected override void Backward(ReadOnlySpan<T> x, ReadOnlySpan<T> y, ReadOnlySpan<T> dy, Span<T> dx) => Rectify(x, dy, dx);

    /// <summary>
    /// result[i] = x[i] ≤ 0 ? 0 : scale · v[i], a vector at a time. Written as "not ≤ 0" rather than "&gt; 0" so that a
    /// NaN x selects scale · v (NaN forward, the upstream gradient backward), as PyTorch does; for every other x the
    /// two are the same comparison, so finite results are unchanged bit for bit.
    /// </summary>
    private void Rectify(ReadOnlySpan<T> x, ReadOnlySpan<T> v, Span<T> result)
    {
        int i = 0, n = x.Length;
        if (Vector.IsHardwareAccelerated)
        {
            var scale = new Vector<T>(_scale);
            for (; i + Vector<T>.Count <= n; i += Vector<T>.Count)
            {
                var xi = new Vector<T>(x[i..]);
                Vector.ConditionalSelect(Vector.LessThanOrEqual(xi, Vector<T>.Zero), Vector<T>.Zero, scale * new Vector<T>(v[i..])).CopyTo(result[i..]);
            }
        }
        for (; i < n; i++) result[i] = x[i] <= T.Zero ? T.Zero : _scale * v[i];
    }
}
