using Backprop.Tensors;

namespace Backprop.Models;

/// <summary>
/// One layer's shapes as its model file implies them, known before anything is allocated (see
/// <see cref="ModelFile.Layout"/>): what goes in and out per example, the shapes of its parameters, and the scratch
/// buffer it keeps (a convolution's im2col columns for one example, and their gradient).
/// </summary>
public sealed record LayerLayout(string Type, int[] InputShape, int[] OutputShape, IReadOnlyList<(string Name, int[] Shape)> Parameters, long ScratchElements)
{
    /// <summary>Elements of every parameter (weights and biases).</summary>
    public long ParameterCount => Parameters.Sum(p => (long)Tensor.SizeOf(p.Shape));

    /// <summary>
    /// Elements per example of the buffers Forward and Backward keep: the output and the input gradient. Flatten and
    /// identity pass their input on and keep none.
    /// </summary>
    public long ActivationElements => Type is "flatten" or "identity" ? 0 : (long)Tensor.SizeOf(OutputShape) + Tensor.SizeOf(InputShape);
}

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
}
