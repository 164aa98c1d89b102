using System.Numerics;
using Backprop.Tensors;

namespace Backprop.Data;

/// <summary>A batch of examples: inputs x [N, ...input] and targets y (shape set by the loss).</summary>
public sealed record Batch<T>(Tensor<T> X, Tensor<T> Y) where T : unmanaged, IFloatingPointIeee754<T>;
