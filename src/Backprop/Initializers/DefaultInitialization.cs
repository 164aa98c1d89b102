using System.Numerics;
using Backprop.Tensors;

namespace Backprop.Initializers;

/// <summary>
/// PyTorch's default for Linear and Conv layers: weight ~ U(−1/√fan_in, 1/√fan_in) (kaiming_uniform with a = √5
/// works out to exactly this bound) and bias ~ U(−1/√fan_in, 1/√fan_in), where fan_in = in_features or
/// in_channels · kernel area (the weight's elements over its first dimension). The distribution is PyTorch's; the random stream is ours (<see cref="Rng"/>), so the
/// values differ from torch.manual_seed's but are the same for the same seed on every machine.
/// </summary>
public static class DefaultInitialization
{
    /// <summary>Fills <paramref name="tensor"/> (a weight or a bias) for a layer whose weight has <paramref name="fanIn"/>.</summary>
    public static void Fill<T>(Tensor<T> tensor, int fanIn, Rng rng) where T : unmanaged, IFloatingPointIeee754<T>
    {
        double bound = 1.0 / Math.Sqrt(fanIn);
        Span<T> values = tensor.Span;
        for (int i = 0; i < values.Length; i++) values[i] = T.CreateChecked(rng.Uniform(-bound, bound));
    }
}
