using Backprop.Layers;

namespace Backprop.Experiments;

/// <summary>How the 2-unit hidden layers of the 152-layer network connect.</summary>
public enum Wiring
{
    /// <summary>The sheet's network: two separate chains (a <see cref="DiagonalLinear{T}"/> per layer), joined only at the output node.</summary>
    TwoChains,

    /// <summary>The variant of (d): every hidden layer fully connected (Linear 2 → 2 without bias).</summary>
    FullyConnected,
}
