using Backprop.Layers;
using Backprop.Tensors;

namespace Backprop.Models;

/// <summary>A model's layers as <see cref="LayerLayout"/>s: sizes for memory estimates and for checking weights files.</summary>
public sealed record ModelLayout(int[] InputShape, IReadOnlyList<LayerLayout> Layers)
{
    public long ParameterCount => Layers.Sum(l => l.ParameterCount);

    public long ScratchElements => Layers.Sum(l => l.ScratchElements);

    /// <summary>
    /// Elements per example of everything a training step keeps for a batch: each layer's output and input gradient,
    /// the input batch and the loss gradient.
    /// </summary>
    public long ActivationElementsPerExample =>
        Layers.Sum(l => l.ActivationElements) + Tensor.SizeOf(InputShape) + Tensor.SizeOf(Layers.Count == 0 ? InputShape : Layers[^1].OutputShape);

    /// <summary>Every parameter's state_dict name ("0.weight") and shape, in state_dict order.</summary>
    public IReadOnlyList<(string Name, int[] Shape)> NamedParameters =>
        Layers.SelectMany((l, i) => l.Parameters.Select(p => ($"{i}.{p.Name}", p.Shape))).ToList();

    /// <summary>Every parameter and buffer's state_dict name and shape, in state_dict order (each layer's parameters, then its buffers).</summary>
    public IReadOnlyList<(string Name, int[] Shape)> NamedTensors =>
        Layers.SelectMany((l, i) => l.Parameters.Concat(l.Buffers).Select(p => ($"{i}.{p.Name}", p.Shape))).ToList();
}
