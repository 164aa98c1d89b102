using Backprop.Layers;

namespace Backprop.Models;

/// <summary>What a model file says, before any layer is built: the input shape, the seed and the layers in order.</summary>
public sealed class ModelSpec
{
    public required int[] Input { get; init; }

    /// <summary>Seed for parameters that the file gives no values for (PyTorch's default initialisation).</summary>
    public ulong Seed { get; init; }

    /// <summary>Each layer's description, with the values or initialisers the file gives its parameters.</summary>
    public required IReadOnlyList<LayerSpec> Layers { get; init; }
}
