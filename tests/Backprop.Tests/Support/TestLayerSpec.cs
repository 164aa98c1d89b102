using Backprop.Layers;

namespace Backprop.Tests.Support;

/// <summary>The description of a layer that a test writes in code (a deliberately wrong one): a name, nothing to read or build.</summary>
public sealed record TestLayerSpec(string Name) : LayerSpec
{
    public override LayerKind Kind => new(Name, ["type"], _ => this);

    public override LayerLayout Layout(int[] inputShape, string where) => SameShape(inputShape);

    public override Layer<T> Create<T>(int[] inputShape) => throw new InvalidOperationException($"{Name} is a test layer, built in code");
}
