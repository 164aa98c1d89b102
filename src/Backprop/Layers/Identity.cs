using System.Numerics;
using Backprop.Tensors;

namespace Backprop.Layers;

/// <summary>y = x; dL/dx = dL/dy. Useful as an explicit "linear output" (seed 001's g).</summary>
public sealed class Identity<T>(int[] shape) : Layer<T>(shape, shape) where T : unmanaged, IFloatingPointIeee754<T>
{
    public override string Type => "identity";

    public override Tensor<T> Forward(Tensor<T> input) => input;

    public override Tensor<T> Backward(Tensor<T> outputGrad) => outputGrad;
}
