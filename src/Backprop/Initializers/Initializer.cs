using System.Numerics;
using Backprop.Layers;

namespace Backprop.Initializers;

/// <summary>
/// A named initialiser with its arguments, as a model file gives it:
/// <c>"init": {"name": "kaiming_normal", "mode": "fan_in", "nonlinearity": "relu"}</c>. Arguments left null take
/// torch's defaults when applied, and are not written back. <see cref="Fields"/> says which arguments a name takes.
/// </summary>
public sealed record Initializer(string Name)
{
    /// <summary>Every initialiser name, "default" being PyTorch's default for the layer (<see cref="DefaultInitialization"/>).</summary>
    public static readonly IReadOnlyList<string> Names =
        ["default", "zeros", "constant", "normal", "uniform", "xavier_uniform", "xavier_normal", "kaiming_uniform", "kaiming_normal"];

    /// <summary>The names that suit a bias (the others need a weight's fan-in and fan-out).</summary>
    public static readonly IReadOnlyList<string> BiasNames = ["default", "zeros", "constant", "normal", "uniform"];

    /// <summary>constant: the value (required).</summary>
    public double? Value { get; init; }

    /// <summary>normal: mean (0) and std (1).</summary>
    public double? Mean { get; init; }

    public double? Std { get; init; }

    /// <summary>uniform: the lower bound (0); kaiming: the leaky_relu negative slope (0).</summary>
    public double? A { get; init; }

    /// <summary>uniform: the upper bound (1).</summary>
    public double? B { get; init; }

    /// <summary>xavier: the gain (1).</summary>
    public double? Gain { get; init; }

    /// <summary>kaiming: "fan_in" (default) or "fan_out".</summary>
    public string? Mode { get; init; }

    /// <summary>kaiming: relu, leaky_relu (default), linear, sigmoid or tanh.</summary>
    public string? Nonlinearity { get; init; }

    /// <summary>The arguments (model-file field names) that <paramref name="name"/> takes.</summary>
    public static IReadOnlyList<string> Fields(string name) => name switch
    {
        "constant" => ["value"],
        "normal" => ["mean", "std"],
        "uniform" => ["a", "b"],
        "xavier_uniform" or "xavier_normal" => ["gain"],
        "kaiming_uniform" or "kaiming_normal" => ["a", "mode", "nonlinearity"],
        _ => [],
    };

    /// <summary>
    /// Fills <paramref name="parameter"/> of <paramref name="layer"/> (fans come from the parameter's own shape;
    /// "default" takes fan_in from the layer's weight). Throws <see cref="ArgumentException"/> for bad arguments.
    /// </summary>
    public void Fill<T>(Layer<T> layer, Parameter<T> parameter, Rng rng) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var t = parameter.Value;
        switch (Name)
        {
            case "default": DefaultInitialization.Fill(layer, parameter, rng); break;
            case "zeros": Init.Zeros(t); break;
            case "constant": Init.Constant(t, Value ?? throw new ArgumentException("constant needs a value")); break;
            case "normal": Init.Normal(t, rng, Mean ?? 0, Std ?? 1); break;
            case "uniform": Init.Uniform(t, rng, A ?? 0, B ?? 1); break;
            case "xavier_uniform": Init.XavierUniform(t, rng, Gain ?? 1); break;
            case "xavier_normal": Init.XavierNormal(t, rng, Gain ?? 1); break;
            case "kaiming_uniform": Init.KaimingUniform(t, rng, A ?? 0, Mode ?? "fan_in", Nonlinearity ?? "leaky_relu"); break;
            case "kaiming_normal": Init.KaimingNormal(t, rng, A ?? 0, Mode ?? "fan_in", Nonlinearity ?? "leaky_relu"); break;
            default: throw new ArgumentException($"unknown initializer '{Name}'; expected one of: {string.Join(", ", Names)}");
        }
    }
}
