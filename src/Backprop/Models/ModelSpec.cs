using Backprop.Initializers;

namespace Backprop.Models;

/// <summary>What a model file says, before any layer is built: the input shape, the seed and the layers in order.</summary>
public sealed class ModelSpec
{
    public required int[] Input { get; init; }

    /// <summary>Seed for parameters that the file gives no values for (PyTorch's default initialisation).</summary>
    public ulong Seed { get; init; }

    public required IReadOnlyList<LayerSpec> Layers { get; init; }
}

/// <summary>One entry of a model file's "layers" list. Fields that a type does not use keep their defaults.</summary>
public sealed class LayerSpec
{
    public required string Type { get; init; }

    /// <summary>linear: out; conv1d/conv2d: out_channels.</summary>
    public int Out { get; init; }

    /// <summary>Convolutions and pools: [k] for 1-D, [kh, kw] for 2-D.</summary>
    public int[] KernelSize { get; init; } = [];

    public int[] Stride { get; init; } = [];

    public int[] Padding { get; init; } = [];

    public bool HasBias { get; init; } = true;

    public double Scale { get; init; } = 1.0;

    public double NegativeSlope { get; init; } = 0.01;

    public double Beta { get; init; } = 1.0;

    public double Threshold { get; init; } = 20.0;

    /// <summary>Weight values and the shape they were written in, when the file gives them.</summary>
    public (double[] Values, int[] Shape)? Weight { get; init; }

    public (double[] Values, int[] Shape)? Bias { get; init; }

    /// <summary>
    /// linear/conv: how to initialise the weight when no values are given (null: PyTorch's default). Like "seed",
    /// it applies only to a parameter without values.
    /// </summary>
    public Initializer? Init { get; init; }

    /// <summary>linear/conv: how to initialise the bias when no values are given (null: PyTorch's default).</summary>
    public Initializer? BiasInit { get; init; }
}
