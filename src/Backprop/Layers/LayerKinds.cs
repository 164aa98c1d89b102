namespace Backprop.Layers;

/// <summary>
/// Every layer type a model file may name, in the order error messages list them. A new layer adds its
/// <see cref="LayerKind"/> here (see docs/adding-a-layer.md); the model file reader, the memory estimate, the exports
/// and the tests' random layers all work from this list and from each layer's <see cref="LayerSpec"/>.
/// </summary>
public static class LayerKinds
{
    public static IReadOnlyList<LayerKind> All { get; } =
    [
        Linear.Definition, Conv1d.Definition, Conv2d.Definition, MaxPool2d.Definition, AvgPool2d.Definition, Flatten.Definition,
        ReLU.Definition, LeakyReLU.Definition, Sigmoid.Definition, Tanh.Definition, Softplus.Definition, GELU.Definition,
        Identity.Definition, Softmax.Definition, BatchNorm1d.Definition, BatchNorm2d.Definition, Dropout.Definition,
    ];

    /// <summary>The names, as model files write them.</summary>
    public static IReadOnlyList<string> Names { get; } = All.Select(k => k.Name).ToArray();

    /// <summary>The kind named <paramref name="name"/>, or null.</summary>
    public static LayerKind? Find(string name)
    {
        foreach (var kind in All)
            if (kind.Name == name) return kind;
        return null;
    }
}
