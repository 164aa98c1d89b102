using System.Numerics;

namespace Backprop.Losses;

/// <summary>Mean over all elements of (ŷ − y)², as torch.nn.MSELoss.</summary>
public sealed class MSELoss<T> : SquaredErrorLoss<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public override string Name => "mse";
    protected override T Scale(int batch, int features) => T.One / C((double)batch * features);
}
