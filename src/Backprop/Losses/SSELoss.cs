using System.Numerics;

namespace Backprop.Losses;

/// <summary>Per example ‖ŷ − y‖², averaged over the batch (seed 001's ℓ_MSE).</summary>
public sealed class SSELoss<T> : SquaredErrorLoss<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public override string Name => "sse";
    protected override T Scale(int batch, int features) => T.One / C(batch);
}
