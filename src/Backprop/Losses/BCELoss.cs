using System.Numerics;

namespace Backprop.Losses;

/// <summary>
/// Binary cross-entropy on probabilities, mean over all elements (torch.nn.BCELoss, seed 001's ℓ_BCE):
/// ℓ = −mean[y·log ŷ + (1 − y)·log(1 − ŷ)], each log clamped at −100 as PyTorch does so that ŷ ∈ {0, 1} stays finite.
/// dℓ/dŷ = (ŷ − y) / max(ŷ(1 − ŷ), 1e-12) / count (PyTorch's form of −y/ŷ + (1 − y)/(1 − ŷ)).
/// </summary>
public sealed class BCELoss<T> : Loss<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private static readonly T LogFloor = C(-100), Epsilon = C(1e-12);

    public override string Name => "bce";
    public override TargetKind Target => TargetKind.Probabilities;

    protected override T Value(ReadOnlySpan<T> p, ReadOnlySpan<T> y, int batch, int features)
    {
        T sum = T.Zero;
        for (int i = 0; i < p.Length; i++)
        {
            if (!(p[i] >= T.Zero && p[i] <= T.One))
                throw new BackpropException($"loss 'bce': prediction {NumberFormat.RoundTrip(double.CreateChecked(p[i]))} at element {i} is not in [0, 1]; end the model with a sigmoid, or use bce_with_logits");
            T logP = T.Max(T.Log(p[i]), LogFloor), log1mP = T.Max(T.Log(T.One - p[i]), LogFloor);
            sum -= y[i] * logP + (T.One - y[i]) * log1mP;
        }
        return sum / C(p.Length);
    }

    protected override void Gradient(ReadOnlySpan<T> p, ReadOnlySpan<T> y, int batch, int features, Span<T> dp)
    {
        T count = C(p.Length);
        for (int i = 0; i < p.Length; i++)
            dp[i] = (p[i] - y[i]) / T.Max((T.One - p[i]) * p[i], Epsilon) / count;
    }
}
