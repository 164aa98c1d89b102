using System.Numerics;
using Backprop.Data;
using Backprop.Layers;
using Backprop.Losses;
using Backprop.Models;
using Backprop.Tensors;

namespace Backprop.Diagnostics;

/// <summary>
/// Every value of one forward and backward pass, layer by layer (copies, as doubles): layer i maps
/// <c>Inputs[i]</c> to <c>Outputs[i]</c>, and the backward pass maps <c>OutputGrads[i]</c> = dL/d(output of i) to
/// <c>InputGrads[i]</c> = dL/d(input of i). <c>ParameterGrads</c> holds each parameter's gradient, in
/// <see cref="Sequential{T}.NamedParameters"/> order.
/// </summary>
public sealed record PassRecord(
    double Loss, TensorValue Input, IReadOnlyList<TensorValue> Outputs, IReadOnlyList<TensorValue> OutputGrads,
    IReadOnlyList<TensorValue> InputGrads, IReadOnlyList<(string Name, TensorValue Value, TensorValue Grad)> Parameters)
{
    /// <summary>What went into layer <paramref name="i"/>: the batch for the first layer, else the output before it.</summary>
    public TensorValue InputOf(int i) => i == 0 ? Input : Outputs[i - 1];
}

/// <summary>One parameter of a layer: the L2 norms of its value and of its gradient.</summary>
public sealed record ParameterFlow(string Name, int[] Shape, double ValueNorm, double GradNorm);

/// <summary>
/// One layer's part of a <see cref="GradientFlowReport"/>. Norms are L2 norms over the whole batch tensor.
/// <see cref="DeadFraction"/> is set for ReLU layers and <see cref="SaturatedFraction"/> for sigmoid and tanh layers;
/// both are null for other layers.
/// </summary>
public sealed record LayerFlow(
    int Index, string Layer, int[] OutputShape, IReadOnlyList<ParameterFlow> Parameters,
    double InputGradNorm, double OutputGradNorm, double? DeadFraction, double? SaturatedFraction);

/// <summary>The loss and every layer's <see cref="LayerFlow"/> for one batch.</summary>
public sealed record GradientFlowReport(double Loss, int BatchSize, IReadOnlyList<LayerFlow> Layers);

/// <summary>
/// How gradients flow through a model on one batch: per layer the L2 norm of each parameter and of its gradient, the
/// norm of dL/d(input) (what the layer passes back), and two signs of trouble:
/// <list type="bullet">
/// <item><b>dead ReLU</b>: the fraction of a ReLU layer's units whose pre-activation (the layer's input) is ≤ 0 for
/// every example of the batch, so that ReLU′ = 0 and no gradient passes through them for this batch. A unit is one
/// element of one example's tensor (a feature, or a channel at one position after a convolution).</item>
/// <item><b>saturated</b>: the fraction of a sigmoid layer's outputs y (over every example and unit) with
/// |y − ½| &gt; <see cref="SigmoidSaturation"/> (y &lt; 0.01 or y &gt; 0.99, where σ′ = y(1 − y) &lt; 0.0099, under
/// 4% of its peak ¼), and of a tanh layer's outputs with |y| &gt; <see cref="TanhSaturation"/> (tanh′ = 1 − y² &lt; 0.0199,
/// under 2% of its peak 1).</item>
/// </list>
/// </summary>
public static class GradientFlow
{
    /// <summary>A sigmoid output counts as saturated when |y − ½| exceeds this.</summary>
    public const double SigmoidSaturation = 0.49;

    /// <summary>A tanh output counts as saturated when |y| exceeds this.</summary>
    public const double TanhSaturation = 0.99;

    /// <summary>Runs one pass (zero the gradients, forward, loss, backward) and summarises every layer.</summary>
    public static GradientFlowReport Compute<T>(Sequential<T> model, Loss<T> loss, Batch<T> batch) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var pass = Record(model, loss, batch);
        var layers = new List<LayerFlow>();
        int p = 0;
        for (int i = 0; i < model.Layers.Count; i++)
        {
            var layer = model.Layers[i];
            var parameters = new List<ParameterFlow>();
            foreach (var _ in layer.Parameters)
            {
                var (name, value, grad) = pass.Parameters[p++];
                parameters.Add(new ParameterFlow(name, value.Shape, Norm(value.Values), Norm(grad.Values)));
            }
            double? dead = layer is ReLU<T> ? DeadFraction(pass.InputOf(i)) : null;
            double? saturated = layer switch
            {
                Sigmoid<T> => Fraction(pass.Outputs[i].Values, y => Math.Abs(y - 0.5) > SigmoidSaturation),
                Tanh<T> => Fraction(pass.Outputs[i].Values, y => Math.Abs(y) > TanhSaturation),
                _ => null,
            };
            layers.Add(new LayerFlow(i, layer.ToString(), layer.OutputShape, parameters,
                Norm(pass.InputGrads[i].Values), Norm(pass.OutputGrads[i].Values), dead, saturated));
        }
        return new GradientFlowReport(pass.Loss, batch.X.Shape[0], layers);
    }

    /// <summary>
    /// One forward and backward pass, layer by layer, keeping a copy of every intermediate value and gradient.
    /// Parameter gradients are zeroed first and hold this batch's gradients afterwards.
    /// </summary>
    public static PassRecord Record<T>(Sequential<T> model, Loss<T> loss, Batch<T> batch) where T : unmanaged, IFloatingPointIeee754<T>
    {
        model.ZeroGrad();
        var outputs = new TensorValue[model.Layers.Count];
        Tensor<T> x;
        using (model.RegisterForwardHook((i, _, _, output) => outputs[i] = TensorValue.Of(output)))
            x = model.Forward(batch.X);
        T value = loss.Forward(x, batch.Y);
        if (!T.IsFinite(value)) throw new BackpropException($"the loss '{loss.Name}' is {value} for this model and data");
        var outputGrads = new TensorValue[model.Layers.Count];
        var inputGrads = new TensorValue[model.Layers.Count];
        using (model.RegisterBackwardHook((i, _, outputGrad, inputGrad) =>
               {
                   outputGrads[i] = TensorValue.Of(outputGrad);
                   inputGrads[i] = TensorValue.Of(inputGrad);
               }))
            model.Backward(loss.Backward());
        var parameters = model.NamedParameters.Select(p => (p.Name, TensorValue.Of(p.Parameter.Value), TensorValue.Of(p.Parameter.Grad))).ToList();
        return new PassRecord(double.CreateChecked(value), TensorValue.Of(batch.X), outputs, outputGrads, inputGrads, parameters);
    }

    /// <summary>The fraction of units whose pre-activation is ≤ 0 in every example of the batch [N, ...].</summary>
    public static double DeadFraction(TensorValue preActivation)
    {
        int n = preActivation.Shape[0], units = preActivation.Values.Length / Math.Max(1, n);
        if (units == 0) return 0;
        int dead = 0;
        for (int u = 0; u < units; u++)
        {
            bool alive = false;
            for (int e = 0; e < n && !alive; e++) alive = preActivation.Values[e * units + u] > 0;
            if (!alive) dead++;
        }
        return (double)dead / units;
    }

    /// <summary>√(Σ v²), scaled so that it neither overflows nor underflows for any finite values; NaN if any value is NaN.</summary>
    public static double Norm(ReadOnlySpan<double> values)
    {
        double max = 0;
        foreach (double v in values)
        {
            if (double.IsNaN(v)) return double.NaN;
            max = Math.Max(max, Math.Abs(v));
        }
        if (max == 0 || double.IsInfinity(max)) return max;
        double sum = 0;
        foreach (double v in values) { double s = v / max; sum += s * s; }
        return max * Math.Sqrt(sum);
    }

    private static double Fraction(double[] values, Func<double, bool> predicate) =>
        values.Length == 0 ? 0 : (double)values.Count(predicate) / values.Length;
}
