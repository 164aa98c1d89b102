using System.Numerics;

namespace Backprop.Losses;

/// <summary>Per example ½‖ŷ − y‖², averaged over the batch (seeds 003 and 004); dℓ/dŷ = (ŷ − y)/N.</summary>
public sealed class HalfSSELoss<T> : SquaredErrorLoss<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public override string Name => "half_sse";
    protected override T Scale(int batch, int features) => T.One / C(2.0 * batch);
}
