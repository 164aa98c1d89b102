using System.Numerics;
using Backprop.Layers;

namespace Backprop.Initializers;

/// <summary>
/// PyTorch's default for Linear and Conv layers: weight ~ U(−1/√fan_in, 1/√fan_in) (kaiming_uniform with a = √5
/// works out to exactly this bound) and bias ~ U(−1/√fan_in, 1/√fan_in), where fan_in = in_features or
/// in_channels · kernel area. The distribution is PyTorch's; the random stream is ours (<see cref="Rng"/>), so the
/// values differ from torch.manual_seed's but are the same for the same seed on every machine.
/// </summary>
public static class DefaultInitialization
{
    public static void Fill<T>(Layer<T> layer, Parameter<T> parameter, Rng rng) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var weight = layer.Parameters[0].Value;
        int fanIn = weight.Length / weight.Shape[0];
        double bound = 1.0 / Math.Sqrt(fanIn);
        Span<T> values = parameter.Value.Span;
        for (int i = 0; i < values.Length; i++) values[i] = T.CreateChecked(rng.Uniform(-bound, bound));
    }
}
