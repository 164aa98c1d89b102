using System.Numerics;
using Backprop.Tensors;

namespace Backprop.Layers;

/// <summary>
/// A tensor a layer keeps that is not trained (PyTorch's <c>register_buffer</c>): BatchNorm's running_mean,
/// running_var and num_batches_tracked. Buffers have no gradient, so optimisers never touch them and gradient checks
/// skip them; they are saved and loaded with the parameters, under their state_dict names ("1.running_mean").
/// </summary>
public sealed class Buffer<T>(string name, Tensor<T> value, bool isCount = false) where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>"running_mean", "running_var", "num_batches_tracked"; the model prefixes the layer index.</summary>
    public string Name { get; } = name;

    public Tensor<T> Value { get; } = value;

    /// <summary>A count (num_batches_tracked: an int64 scalar in PyTorch), held as a whole number in T.</summary>
    public bool IsCount { get; } = isCount;
}
