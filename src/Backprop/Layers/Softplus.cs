using System.Numerics;
using System.Text;

namespace Backprop.Layers;

/// <summary>The description of a <see cref="Softplus{T}"/>: <c>{"type": "softplus", "beta": 1, "threshold": 20}</c> (β ≠ 0).</summary>
public sealed record Softplus(double Beta = 1.0, double Threshold = 20.0) : Activation
{
    public static LayerKind Definition { get; } = new("softplus", ["type", "beta", "threshold"], f =>
    {
        double beta = f.Number("beta", 1.0);
        if (beta == 0) throw f.Error("beta", "must not be 0");
        return new Softplus(beta, f.Number("threshold", 20.0));
    });

    public override LayerKind Kind => Definition;

    public override Layer<T> Create<T>(int[] inputShape) => new Softplus<T>(inputShape, Beta, Threshold);

    protected override void WriteArguments(StringBuilder sb)
    {
        Field(sb, "beta", Number(Beta));
        Field(sb, "threshold", Number(Threshold));
    }
}

/// <summary>
/// y = log(1 + e^(βx)) / β, and y = x where βx &gt; threshold (PyTorch's rule, which also keeps e^(βx) finite).
/// dy/dx = e^(βx) / (1 + e^(βx)) = σ(βx), and 1 above the threshold. Defaults β = 1, threshold = 20.
/// </summary>
public sealed class Softplus<T>(int[] shape, double beta = 1.0, double threshold = 20.0) : Activation<T>(shape)
    where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly T _beta = T.CreateChecked(beta), _threshold = T.CreateChecked(threshold);

    public override LayerSpec Spec => new Softplus(Beta, Threshold);

    public double Beta { get; } = beta;

    public double Threshold { get; } = threshold;

    protected override void Forward(ReadOnlySpan<T> x, Span<T> y)
    {
        for (int i = 0; i < x.Length; i++)
        {
            T bx = x[i] * _beta;
            y[i] = bx > _threshold ? x[i] : T.LogP1(T.Exp(bx)) / _beta;
        }
    }

    protected override void Backward(ReadOnlySpan<T> x, ReadOnlySpan<T> y, ReadOnlySpan<T> dy, Span<T> dx)
    {
        for (int i = 0; i < x.Length; i++)
        {
            T bx = x[i] * _beta;
            if (bx > _threshold) { dx[i] = dy[i]; continue; }
            T z = T.Exp(bx);
            dx[i] = dy[i] * z / (z + T.One);
        }
    }
}
