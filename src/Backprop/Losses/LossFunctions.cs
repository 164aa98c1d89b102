using System.Numerics;

namespace Backprop.Losses;

/// <summary>Creates losses by the names used on the command line and in files.</summary>
public static class LossFunctions
{
    public static readonly IReadOnlyList<string> Names =
        ["mse", "sse", "half_sse", "bce", "bce_with_logits", "cross_entropy", "logistic", "perceptron", "hinge", "multiclass_perceptron"];

    public static Loss<T> Create<T>(string name) where T : unmanaged, IFloatingPointIeee754<T> => name switch
    {
        "mse" => new MSELoss<T>(),
        "sse" => new SSELoss<T>(),
        "half_sse" => new HalfSSELoss<T>(),
        "bce" => new BCELoss<T>(),
        "bce_with_logits" => new BCEWithLogitsLoss<T>(),
        "cross_entropy" => new CrossEntropyLoss<T>(),
        "logistic" => new LogisticLoss<T>(),
        "perceptron" => new PerceptronLoss<T>(),
        "hinge" => new HingeLoss<T>(),
        "multiclass_perceptron" => new MulticlassPerceptronLoss<T>(),
        _ => throw new BackpropException($"unknown loss '{name}'; expected one of: {string.Join(", ", Names)}"),
    };
}
