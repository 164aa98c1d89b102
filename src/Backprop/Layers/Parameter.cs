using System.Numerics;
using Backprop.Tensors;

namespace Backprop.Layers;

/// <summary>A trainable tensor and the gradient accumulated for it.</summary>
public sealed class Parameter<T>(string name, Tensor<T> value) where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>"weight" or "bias"; the model prefixes the layer index ("0.weight").</summary>
    public string Name { get; } = name;

    public Tensor<T> Value { get; } = value;

    public Tensor<T> Grad { get; } = new Tensor<T>((int[])value.Shape.Clone());
}
