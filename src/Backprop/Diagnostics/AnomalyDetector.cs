using System.Numerics;
using Backprop.Layers;
using Backprop.Models;
using Backprop.Tensors;

namespace Backprop.Diagnostics;

/// <summary>
/// The first NaN or infinity of a forward or backward pass, reported where it appears (as torch.autograd's
/// detect_anomaly): the layer (index and type), the tensor (its output, the gradient it receives or passes back, a
/// parameter's gradient, a parameter after the optimizer step, or the loss), the element and the step.
/// <code>
/// using var detector = AnomalyDetector&lt;float&gt;.Attach(model);   // checks every output and gradient of model's passes
/// trainer.AnomalyDetector = detector;                               // and the loss and the updated parameters
/// </code>
/// <see cref="Attach"/> observes the model through its hooks; disposing the detector removes them. A model without a
/// detector checks nothing; with one, every element of every tensor is looked at once per pass.
/// <see cref="Training.Trainer{T}"/> given the detector also checks the loss and the parameters after each optimizer
/// step, so a run stops on the step that went wrong, before a checkpoint can be written from it.
/// </summary>
public sealed class AnomalyDetector<T> : IDisposable where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly List<IDisposable> _hooks = [];

    /// <summary>
    /// A detector that checks every pass of <paramref name="model"/> until it is disposed: the input batch, each layer's
    /// output, the loss gradient, each parameter's gradient and each dL/d(input), in the order the passes compute them.
    /// </summary>
    public static AnomalyDetector<T> Attach(Sequential<T> model)
    {
        ArgumentNullException.ThrowIfNull(model);
        var detector = new AnomalyDetector<T>();
        detector._hooks.Add(model.RegisterForwardPreHook(detector.CheckInput));
        detector._hooks.Add(model.RegisterForwardHook((i, layer, _, output) => detector.CheckOutput(i, layer, output)));
        detector._hooks.Add(model.RegisterBackwardPreHook((i, layer, grad) =>
        {
            if (i == model.Layers.Count - 1) detector.CheckOutputGradient(i, layer, grad);
            else detector.Check(grad, i, layer, $"dL/d(output) of {Name(i, layer)}"); // a pass from a layer inside the model
        }));
        detector._hooks.Add(model.RegisterBackwardHook((i, layer, _, inputGrad) =>
        {
            detector.CheckParameterGradients(i, layer);
            detector.CheckInputGradient(i, layer, inputGrad);
        }));
        return detector;
    }

    /// <summary>Stops checking the model it was attached to (a detector made with <c>new</c> has nothing to remove).</summary>
    public void Dispose()
    {
        foreach (var hook in _hooks) hook.Dispose();
        _hooks.Clear();
    }

    /// <summary>Where in a run the current pass is ("epoch 3, batch 17"); empty for a single pass.</summary>
    public string Step { get; set; } = "";

    /// <summary>x [N, ...]: the batch going into the first layer.</summary>
    public void CheckInput(Tensor<T> input) => Check(input, null, null, "the input batch");

    /// <summary>The output of layer <paramref name="index"/>.</summary>
    public void CheckOutput(int index, Layer<T> layer, Tensor<T> output) => Check(output, index, layer, $"the output of {Name(index, layer)}");

    /// <summary>dL/d(output) of the last layer: the loss gradient, before it goes back through the model.</summary>
    public void CheckOutputGradient(int index, Layer<T> layer, Tensor<T> grad) =>
        Check(grad, index, layer, $"dL/d(output) of {Name(index, layer)} (the loss gradient)");

    /// <summary>dL/d(input) that layer <paramref name="index"/> passes back (dL/d(output) of the layer before it).</summary>
    public void CheckInputGradient(int index, Layer<T> layer, Tensor<T> grad) =>
        Check(grad, index, layer, $"dL/d(input) of {Name(index, layer)}");

    /// <summary>The gradient of each of layer <paramref name="index"/>'s parameters ("the gradient of 2.weight").</summary>
    public void CheckParameterGradients(int index, Layer<T> layer)
    {
        foreach (var p in layer.Parameters)
            Check(p.Grad, index, layer, $"the gradient of {index}.{p.Name} in {Name(index, layer)}");
    }

    /// <summary>Every parameter's value, e.g. after an optimizer step (<paramref name="when"/>: "after the optimizer step").</summary>
    public void CheckParameters(Sequential<T> model, string when)
    {
        for (int i = 0; i < model.Layers.Count; i++)
            foreach (var p in model.Layers[i].Parameters)
                Check(p.Value, i, model.Layers[i], $"{i}.{p.Name} of {Name(i, model.Layers[i])} {when}");
    }

    /// <summary>The loss of the batch.</summary>
    public void CheckLoss(string lossName, T value)
    {
        if (!T.IsFinite(value))
            throw new AnomalyException($"anomaly{At}: the loss ({lossName}) is {Show(value)}", null, null, $"loss {lossName}", Step, 0, double.CreateTruncating(value));
    }

    private string At => Step.Length == 0 ? "" : $" at {Step}";

    private static string Name(int index, Layer<T> layer) => $"layers[{index}] ({layer.Type})";

    private void Check(Tensor<T> tensor, int? index, Layer<T>? layer, string what)
    {
        // The fast path: no allocation, one pass; only a failure works out the details.
        ReadOnlySpan<T> values = tensor.Span;
        for (int i = 0; i < values.Length; i++)
        {
            if (T.IsFinite(values[i])) continue;
            throw new AnomalyException($"anomaly{At}: {what} is {Show(values[i])} at {Position(tensor.Shape, i)} (the first NaN or infinity of the pass)",
                index, layer?.Type, what, Step, i, double.CreateTruncating(values[i]));
        }
    }

    private static string Show(T value) => T.IsNaN(value) ? "NaN" : value > T.Zero ? "Infinity" : "-Infinity";

    /// <summary>The index [n, i, j] of a flat position in a row-major tensor.</summary>
    private static string Position(int[] shape, int flat)
    {
        var index = new int[shape.Length];
        for (int d = shape.Length - 1; d >= 0; d--)
        {
            index[d] = flat % Math.Max(1, shape[d]);
            flat /= Math.Max(1, shape[d]);
        }
        return Tensor.Format(index);
    }
}

/// <summary>The NaN or infinity an <see cref="AnomalyDetector{T}"/> found: a <see cref="BackpropException"/> (exit code 2 in the CLI).</summary>
public sealed class AnomalyException(string message, int? layerIndex, string? layerType, string tensor, string step, int element, double value)
    : BackpropException(message)
{
    /// <summary>The layer's index in the model; null for the loss and the input batch.</summary>
    public int? LayerIndex { get; } = layerIndex;

    /// <summary>The layer's type ("linear"); null for the loss and the input batch.</summary>
    public string? LayerType { get; } = layerType;

    /// <summary>Which tensor: "the output of layers[3] (linear)", "the gradient of 0.weight in layers[0] (linear)", ...</summary>
    public string Tensor { get; } = tensor;

    /// <summary>Where in a run ("epoch 2, batch 5"); empty for a single pass.</summary>
    public string Step { get; } = step;

    /// <summary>The element's flat (row-major) index in the tensor.</summary>
    public int Element { get; } = element;

    /// <summary>NaN, +∞ or −∞.</summary>
    public double Value { get; } = value;
}
