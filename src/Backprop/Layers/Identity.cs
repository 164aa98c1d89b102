using System.Numerics;
using Backprop.Tensors;

namespace Backprop.Layers;

/// <summary>The description of an <see cref="Identity{T}"/>: <c>{"type": "identity"}</c>.</summary>
public sealed record Identity() : LayerSpec
{
    public static LayerKind Definition { get; } = new("identity", ["type"], _ => new Identity());

    public override LayerKind Kind => Definition;

    public override LayerLayout Layout(int[] inputShape, string where) => SameShape(inputShape, keepsBuffers: false);

    public override Layer<T> Create<T>(int[] inputShape) => new Identity<T>(inputShape);
}

/// <summary>y = x; dL/dx = dL/dy. Useful as an explicit "linear output" (seed 001's g).</summary>
public sealed class Identity<T>(int[] shape) : Layer<T>(shape, shape) where T : unmanaged, IFloatingPointIeee754<T>
{
    public override LayerSpec Spec => new Identity();

    public override Tensor<T> Forward(Tensor<T> input) => input;

    public override Tensor<T> Backward(Tensor<T> outputGrad) => outputGrad;
}
