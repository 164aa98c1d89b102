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

    /// <summary>Runs one pass: zero the gradients, forward, loss, backward.</summary>
    public static GradientReport Compute<T>(Sequential<T> model, Loss<T> loss, Batch<T> batch) where T : unmanaged, IFloatingPointIeee754<T>
    {
        model.ZeroGrad();
        var output = model.Forward(batch.X);
        T value = loss.Forward(output, batch.Y);
        model.AnomalyDetector?.CheckLoss(loss.Name, value);
        // As WorkedSolution does: an overflowed loss is a property of the input, and "Infinity" is not JSON.
        if (!T.IsFinite(value)) throw new BackpropException($"the loss '{loss.Name}' is {value} for this model and data");
        var outputSnapshot = TensorValue.Of(output);
        var inputGrad = model.Backward(loss.Backward());
        return new GradientReport(
            double.CreateChecked(value),
            outputSnapshot,
            model.NamedParameters.Select(p => (p.Name, TensorValue.Of(p.Parameter.Grad))).ToList(),
            TensorValue.Of(inputGrad),
            typeof(T) == typeof(float))
        {
            Buffers = model.Training ? model.NamedBuffers.Select(b => (b.Name, TensorValue.Of(b.Buffer.Value))).ToList() : [],
        };
    }

    /// <summary>{"loss": ..., "output": [...], "grads": {"0.weight": [...], ...}, "input_grad": [...]}, numbers in shortest round-trip form.</summary>
    public string ToJson()
    {
        var f = NumberFormat.RoundTripIn(SinglePrecision);
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
