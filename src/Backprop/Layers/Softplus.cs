using System.Numerics;

namespace Backprop.Layers;

/// <summary>
/// y = log(1 + e^(βx)) / β, and y = x where βx &gt; threshold (PyTorch's rule, which also keeps e^(βx) finite).
/// dy/dx = e^(βx) / (1 + e^(βx)) = σ(βx), and 1 above the threshold. Defaults β = 1, threshold = 20.
/// </summary>
public sealed class Softplus<T>(int[] shape, double beta = 1.0, double threshold = 20.0) : Activation<T>(shape)
    where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly T _beta = T.CreateChecked(beta), _threshold = T.CreateChecked(threshold);

    public override string Type => "softplus";

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
