using System.Numerics;

namespace Backprop.Losses;

/// <summary>
/// Cross-entropy from logits z [N, C] and class indices y [N], mean over the batch (torch.nn.CrossEntropyLoss):
/// ℓ = mean_n [log Σ_c e^(z_nc) − z_n,y_n], with the log-sum-exp taken after subtracting the row maximum.
/// dℓ/dz_nc = (softmax(z_n)_c − [c = y_n]) / N.
/// </summary>
public sealed class CrossEntropyLoss<T> : Loss<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public override string Name => "cross_entropy";
    public override TargetKind Target => TargetKind.ClassIndices;

    protected override T Value(ReadOnlySpan<T> p, ReadOnlySpan<T> y, int batch, int features)
    {
        T sum = T.Zero;
        for (int n = 0; n < batch; n++)
        {
            ReadOnlySpan<T> z = p.Slice(n * features, features);
            sum += LogSumExp(z) - z[int.CreateTruncating(y[n])];
        }
        return sum / C(batch);
    }

    protected override void Gradient(ReadOnlySpan<T> p, ReadOnlySpan<T> y, int batch, int features, Span<T> dp)
    {
        T invN = T.One / C(batch);
        for (int n = 0; n < batch; n++)
        {
            ReadOnlySpan<T> z = p.Slice(n * features, features);
            Span<T> dz = dp.Slice(n * features, features);
            T lse = LogSumExp(z);
            for (int c = 0; c < features; c++) dz[c] = T.Exp(z[c] - lse) * invN;
            dz[int.CreateTruncating(y[n])] -= invN;
        }
    }

    /// <summary>log Σ e^(z_c), shifted by the maximum so that no exponential overflows.</summary>
    public static T LogSumExp(ReadOnlySpan<T> z)
    {
        T max = z[0];
        for (int c = 1; c < z.Length; c++) if (z[c] > max) max = z[c];
        T sum = T.Zero;
        for (int c = 0; c < z.Length; c++) sum += T.Exp(z[c] - max);
        return max + T.Log(sum);
    }
}
