using System.Numerics;
using System.Text;
using Backprop.Data;
using Backprop.Losses;
using Backprop.Models;

namespace Backprop.Diagnostics;

/// <summary>The loss, the output and every gradient of one forward and backward pass over a batch.</summary>
public sealed record GradientReport(
    double Loss, TensorValue Output, IReadOnlyList<(string Name, TensorValue Grad)> Grads, TensorValue InputGrad, bool SinglePrecision)
{
    /// <summary>In training mode, the buffers (running statistics) after the forward pass, by state_dict name; empty otherwise.</summary>
    public IReadOnlyList<(string Name, TensorValue Value)> Buffers { get; init; } = [];

    /// <summary>
    /// Runs one pass: zero the gradients, forward, loss, backward. A NaN or infinite loss, output or gradient is refused
    /// (a <see cref="BackpropException"/>) unless <paramref name="allowNonFinite"/>: the message names the first
    /// non-finite number of the report and, from a second pass with an <see cref="AnomalyDetector{T}"/>, where the
    /// first NaN or infinity of the pass appeared (as <c>--detect-anomaly</c> does). A <paramref name="detector"/> (attached to <paramref name="model"/>) also checks the loss.
    /// </summary>
    public static GradientReport Compute<T>(Sequential<T> model, Loss<T> loss, Batch<T> batch, AnomalyDetector<T>? detector = null, bool allowNonFinite = false)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        model.ZeroGrad();
        var output = model.Forward(batch.X);
        T value = loss.Forward(output, batch.Y);
        detector?.CheckLoss(loss.Name, value);
        // As WorkedSolution does: an overflowed loss is a property of the input, and "Infinity" is not JSON.
        if (!allowNonFinite && !T.IsFinite(value)) throw NonFinite(model, loss, batch, detector is not null, $"the loss '{loss.Name}' is {value} for this model and data");
        var outputSnapshot = TensorValue.Of(output);
        var inputGrad = model.Backward(loss.Backward());
        var report = new GradientReport(
            double.CreateChecked(value),
            outputSnapshot,
            model.NamedParameters.Select(p => (p.Name, TensorValue.Of(p.Parameter.Grad))).ToList(),
            TensorValue.Of(inputGrad),
            typeof(T) == typeof(float))
        {
            Buffers = model.Training ? model.NamedBuffers.Select(b => (b.Name, TensorValue.Of(b.Buffer.Value))).ToList() : [],
        };
        if (!allowNonFinite && report.FirstNonFinite() is string first)
            throw NonFinite(model, loss, batch, detector is not null, $"{first} for this model and data (JSON has no NaN or infinity)");
        return report;
    }

    /// <summary>"output is NaN at [1, 0]": the first NaN or infinity in the order of <see cref="ToJson"/>; null if there is none.</summary>
    public string? FirstNonFinite()
    {
        if (!double.IsFinite(Loss)) return $"the loss is {NumberFormat.RoundTrip(Loss)}";
        if (Output.FirstNonFinite() is string output) return $"output is {output}";
        foreach (var (name, grad) in Grads)
            if (grad.FirstNonFinite() is string g) return $"the gradient of {name} is {g}";
        return InputGrad.FirstNonFinite() is string input ? $"input_grad is {input}" : null;
    }

    /// <summary>The refusal of a non-finite report: <paramref name="what"/>, and where a pass with a detector first meets a NaN or infinity.</summary>
    private static BackpropException NonFinite<T>(Sequential<T> model, Loss<T> loss, Batch<T> batch, bool detecting, string what)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (detecting) return new BackpropException(what);
        using var detector = AnomalyDetector<T>.Attach(model);
        try
        {
            Compute(model, loss, batch, detector, allowNonFinite: true);
        }
        catch (AnomalyException e)
        {
            return new BackpropException($"{what}; {e.Message}");
        }
        return new BackpropException(what);
    }

    /// <summary>
    /// {"loss": ..., "output": [...], "grads": {"0.weight": [...], ...}, "input_grad": [...]}, numbers in shortest
    /// round-trip form. JSON has no NaN or infinity: a report computed with <c>allowNonFinite</c> writes them as the
    /// strings "NaN", "Infinity" and "-Infinity" (what System.Text.Json reads with
    /// <c>JsonNumberHandling.AllowNamedFloatingPointLiterals</c>), so the text is always valid JSON.
    /// </summary>
    public string ToJson()
    {
        var roundTrip = NumberFormat.RoundTripIn(SinglePrecision);
        Func<double, string> f = v => double.IsFinite(v) ? roundTrip(v) : $"\"{NumberFormat.RoundTrip(v)}\"";
        var sb = new StringBuilder();
        sb.Append("{\"loss\": ").Append(f(Loss));
        sb.Append(", \"output\": ").Append(NumberFormat.Nested(Output.Values, Output.Shape, f));
        sb.Append(", \"grads\": {");
        for (int i = 0; i < Grads.Count; i++)
        {
            if (i > 0) sb.Append(", ");
            sb.Append('"').Append(Grads[i].Name).Append("\": ").Append(NumberFormat.Nested(Grads[i].Grad.Values, Grads[i].Grad.Shape, f));
        }
        sb.Append("}, \"input_grad\": ").Append(NumberFormat.Nested(InputGrad.Values, InputGrad.Shape, f));
        if (Buffers.Count > 0)
        {
            sb.Append(", \"buffers\": {");
            for (int i = 0; i < Buffers.Count; i++)
            {
                if (i > 0) sb.Append(", ");
                sb.Append('"').Append(Buffers[i].Name).Append("\": ").Append(NumberFormat.Nested(Buffers[i].Value.Values, Buffers[i].Value.Shape, f));
            }
            sb.Append('}');
        }
        sb.Append('}');
        return sb.ToString();
    }
}
