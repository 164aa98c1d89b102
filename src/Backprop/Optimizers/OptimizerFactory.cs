using System.Numerics;
using Backprop.Layers;

namespace Backprop.Optimizers;

/// <summary>Optimisers by name, for command lines and configuration files.</summary>
public static class OptimizerFactory
{
    /// <summary>The names <see cref="Create{T}(string, IReadOnlyList{ValueTuple{string, Parameter{T}}}, double, double, double?, bool)"/> accepts.</summary>
    public static readonly IReadOnlyList<string> Names = ["sgd", "adam", "adamw"];

    /// <summary>
    /// "sgd" → <see cref="SGD{T}"/>(lr, momentum, weight_decay = <paramref name="weightDecay"/> ?? 0, nesterov);
    /// "adam" → <see cref="Adam{T}"/>(lr, weight_decay ?? 0); "adamw" → <see cref="AdamW{T}"/>(lr, weight_decay ?? 0.01).
    /// Betas and ε keep PyTorch's defaults. Momentum and Nesterov apply only to sgd. Bad names and values are
    /// reported as <see cref="BackpropException"/>.
    /// </summary>
    public static Optimizer<T> Create<T>(string name, IReadOnlyList<(string Name, Parameter<T> Parameter)> parameters,
        double learningRate, double momentum = 0, double? weightDecay = null, bool nesterov = false)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(name);
        if (name is "adam" or "adamw" && (momentum != 0 || nesterov))
            throw new BackpropException($"optimizer {name}: momentum and nesterov apply only to sgd (Adam's β₁ plays that part)");
        try
        {
            return name switch
            {
                "sgd" => new SGD<T>(parameters, learningRate, momentum, dampening: 0, weightDecay ?? 0, nesterov),
                "adam" => new Adam<T>(parameters, learningRate, weightDecay: weightDecay ?? 0),
                "adamw" => new AdamW<T>(parameters, learningRate, weightDecay: weightDecay ?? 0.01),
                _ => throw new BackpropException($"unknown optimizer '{name}'; expected one of: {string.Join(", ", Names)}"),
            };
        }
        catch (ArgumentException e) when (e.ParamName is not (null or nameof(parameters)))
        {
            throw new BackpropException($"optimizer {name}: {Detail(e)}");
        }
    }

    /// <summary>The same over parameters named by position.</summary>
    public static Optimizer<T> Create<T>(string name, IReadOnlyList<Parameter<T>> parameters,
        double learningRate, double momentum = 0, double? weightDecay = null, bool nesterov = false)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(parameters);
        var named = new (string, Parameter<T>)[parameters.Count];
        for (int i = 0; i < named.Length; i++) named[i] = (i.ToString(System.Globalization.CultureInfo.InvariantCulture), parameters[i]);
        return Create(name, named, learningRate, momentum, weightDecay, nesterov);
    }

    // ArgumentException.Message appends " (Parameter 'x')" and, for out-of-range values, "Actual value was v.".
    private static string Detail(ArgumentException e)
    {
        string message = e.Message;
        int cut = message.IndexOf(" (Parameter '", StringComparison.Ordinal);
        if (cut >= 0) message = message[..cut];
        return e is ArgumentOutOfRangeException { ActualValue: { } v } ? $"{message}, got {v}" : message;
    }
}
