using System.Numerics;
using Backprop.Data;
using Backprop.Layers;
using Backprop.Losses;
using Backprop.Models;
using Backprop.Tensors;

namespace Backprop.Diagnostics;

/// <summary>One layer on the forward pass: what went in, the layer's parameters, and what came out.</summary>
public sealed record ForwardStep(int Index, string Layer, TensorValue Input, IReadOnlyList<(string Name, TensorValue Value)> Parameters, TensorValue Output)
{
    /// <summary>
    /// Intermediate values of the layer, shown between its parameters and its output: for batch normalisation the
    /// mean and variance it normalised with and the normalised x̂, and the running statistics after the pass; for
    /// dropout in training mode its mask. Empty for other layers.
    /// </summary>
    public IReadOnlyList<(string Label, string Latex, TensorValue Value)> Details { get; init; } = [];
}

/// <summary>
/// The layer's local derivative: for an element-wise activation its derivative f'(x) at each input ("elementwise");
/// for a small non-element-wise layer without parameters the full Jacobian ∂output/∂input of the single example ("jacobian").
/// </summary>
public sealed record LocalDerivative(string Kind, TensorValue Value);

/// <summary>One layer on the backward pass: the upstream gradient, its local derivative, dL/dθ and dL/d(input).</summary>
public sealed record BackwardStep(int Index, string Layer, TensorValue Upstream, LocalDerivative? Local,
    IReadOnlyList<(string Name, TensorValue Grad)> ParameterGrads, TensorValue InputGrad);

/// <summary>θ ← θ − η·∇θ for one parameter.</summary>
public sealed record ParameterUpdate(string Name, TensorValue Before, TensorValue Grad, TensorValue After);

/// <summary>A result recomputed after an update: the output and the loss.</summary>
public sealed record Recomputed(TensorValue Output, double Loss);

/// <summary>
/// Every intermediate value of one gradient-descent step, laid out as a solution sheet does (seed 003 is the model):
/// the forward pass layer by layer, the loss and dL/dŷ, the backward pass layer by layer, and with a learning rate the
/// SGD update, the loss recomputed after it, and the loss when only the last layer with parameters is updated.
/// </summary>
public sealed record WorkedSolution(
    string Model, string LossName, TensorValue X, TensorValue Y,
    IReadOnlyList<ForwardStep> Forward, double Loss, TensorValue LossGrad, IReadOnlyList<BackwardStep> Backward,
    double? LearningRate, IReadOnlyList<ParameterUpdate> Updates, Recomputed? After,
    int? LastLayerOnly, Recomputed? AfterLastLayerOnly, bool SinglePrecision)
{
    /// <summary>
    /// How weight matrices are laid out: "torch" (PyTorch's [out][in], the default) or "sheet" (the solution sheets'
    /// [in][out], so that a layer computes x·W + b); see <see cref="WorkedSolutionLayout"/>.
    /// </summary>
    public string Layout { get; init; } = "torch";

    /// <summary>The largest Jacobian (output size × input size) shown in full.</summary>
    public const int MaxJacobianEntries = 64;

    /// <summary>Works one step on a copy of <paramref name="model"/>; the model passed in is left as it was.</summary>
    public static WorkedSolution Solve<T>(Sequential<T> model, Loss<T> loss, Batch<T> batch, double? learningRate)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var m = model.Clone();
        // The loss after the update is recomputed with the same dropout masks, so that it differs from the loss before
        // only by what the update changed (in training mode, a new draw would change it by itself).
        var masks = m.Context.Generator.State;
        int n = batch.X.Shape[0];
        var forward = new List<ForwardStep>();
        Tensor<T> x;
        using (m.RegisterForwardHook((i, layer, input, output) =>
               {
                   var parameters = layer.Parameters.Select(p => ($"{i}.{p.Name}", TensorValue.Of(p.Value))).ToList();
                   var inputValue = TensorValue.Of(input);
                   forward.Add(new ForwardStep(i, Title(layer, n), inputValue, parameters, TensorValue.Of(output)) { Details = DetailsOf(layer, inputValue) });
               }))
            x = m.Forward(batch.X);
        T lossValue = loss.Forward(x, batch.Y);
        if (!T.IsFinite(lossValue)) throw new BackpropException($"the loss '{loss.Name}' is {lossValue} for this model and data");
        var lossGrad = loss.Backward();
        var lossGradValue = TensorValue.Of(lossGrad);

        // Local derivatives come from each layer's own Backward (ones upstream, or unit vectors for a Jacobian),
        // so they show what the engine computes. Those calls add into parameter gradients: zero them afterwards.
        var locals = m.Layers.Select(l => LocalOf(l, n)).ToList();
        m.ZeroGrad();

        var backward = new List<BackwardStep>();
        using (m.RegisterBackwardHook((i, layer, upstream, inputGrad) =>
               {
                   var grads = layer.Parameters.Select(p => ($"{i}.{p.Name}", TensorValue.Of(p.Grad))).ToList();
                   backward.Add(new BackwardStep(i, forward[i].Layer, TensorValue.Of(upstream), locals[i], grads, TensorValue.Of(inputGrad)));
               }))
            m.Backward(lossGrad);

        var updates = new List<ParameterUpdate>();
        Recomputed? after = null, afterLastOnly = null;
        int? lastOnly = null;
        if (learningRate is double lr)
        {
            var original = model.Clone();
            T eta = T.CreateChecked(lr);
            foreach (var (name, p) in m.NamedParameters)
            {
                var before = TensorValue.Of(p.Value);
                Span<T> v = p.Value.Span, d = p.Grad.Span;
                for (int k = 0; k < v.Length; k++) v[k] -= eta * d[k];
                updates.Add(new ParameterUpdate(name, before, TensorValue.Of(p.Grad), TensorValue.Of(p.Value)));
            }
            m.Context.Generator.State = masks;
            after = Recompute(m, loss, batch);

            var withParameters = Enumerable.Range(0, m.Layers.Count).Where(i => m.Layers[i].Parameters.Count > 0).ToList();
            if (withParameters.Count > 1)
            {
                int last = withParameters[^1];
                for (int k = 0; k < m.Layers[last].Parameters.Count; k++)
                    original.Layers[last].Parameters[k].Value.CopyFrom(m.Layers[last].Parameters[k].Value);
                lastOnly = last;
                afterLastOnly = Recompute(original, loss, batch);
            }
        }

        return new WorkedSolution(ModelFile.Describe(model), loss.Name, TensorValue.Of(batch.X), TensorValue.Of(batch.Y),
            forward, double.CreateChecked(lossValue), lossGradValue, backward, learningRate, updates, after, lastOnly, afterLastOnly,
            typeof(T) == typeof(float));
    }

    private static Recomputed Recompute<T>(Sequential<T> m, Loss<T> loss, Batch<T> batch) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var output = m.Forward(batch.X);
        return new Recomputed(TensorValue.Of(output), double.CreateChecked(loss.Forward(output, batch.Y)));
    }

    private static IReadOnlyList<(string Label, string Latex, TensorValue Value)> DetailsOf<T>(Layer<T> layer, TensorValue input) where T : unmanaged, IFloatingPointIeee754<T>
    {
        switch (layer)
        {
            case BatchNorm<T> bn:
            {
                int c = bn.NumFeatures, n = input.Shape[0], s = input.Values.Length / (n * c);
                var mean = new double[c];
                var variance = new double[c];
                for (int ch = 0; ch < c; ch++) (mean[ch], variance[ch]) = (double.CreateChecked(bn.LastMean[ch]), double.CreateChecked(bn.LastVariance[ch]));
                // x̂ = (x − μ)/√(σ² + eps), channel by channel: what the layer's y = γ·x̂ + β scales and shifts
                var normalised = new double[input.Values.Length];
                for (int k = 0; k < normalised.Length; k++)
                {
                    int ch = k / s % c;
                    normalised[k] = (input.Values[k] - mean[ch]) / Math.Sqrt(variance[ch] + bn.Eps);
                }
                string which = bn.UsedBatchStatistics ? "batch" : "running";
                var details = new List<(string, string, TensorValue)>
                {
                    ($"{which} mean μ", "\\mu", new TensorValue(mean, [c])),
                    (bn.UsedBatchStatistics ? "batch variance σ² (biased)" : "running variance σ²", "\\sigma^2", new TensorValue(variance, [c])),
                    ("normalised x̂ = (input − μ)/√(σ² + eps)", "\\hat{x}", new TensorValue(normalised, input.Shape)),
                };
                if (bn.Training && bn.RunningMean is not null)
                {
                    details.Add(("running_mean after the pass", "\\mathrm{running\\_mean}", TensorValue.Of(bn.RunningMean.Value)));
                    details.Add(("running_var after the pass (unbiased batch variance)", "\\mathrm{running\\_var}", TensorValue.Of(bn.RunningVar!.Value)));
                }
                return details;
            }
            case Dropout<T> { Mask: { } mask }:
                return [("mask (0 or 1/(1 − p))", "m", TensorValue.Of(mask))];
            default:
                return [];
        }
    }

    private static LocalDerivative? LocalOf<T>(Layer<T> layer, int batch) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (layer is Activation<T>)
        {
            var ones = new Tensor<T>(Tensor.Batched(batch, layer.OutputShape));
            ones.Fill(T.One);
            return new LocalDerivative("elementwise", TensorValue.Of(layer.Backward(ones)));
        }
        int inSize = Tensor.SizeOf(layer.InputShape), outSize = Tensor.SizeOf(layer.OutputShape);
        if (layer.Parameters.Count > 0 || layer is Identity<T> or Flatten<T> || batch != 1 || inSize * outSize > MaxJacobianEntries) return null;
        // Row j of the Jacobian is the input gradient for the upstream gradient e_j.
        var jacobian = new double[outSize * inSize];
        var unit = new Tensor<T>(Tensor.Batched(1, layer.OutputShape));
        for (int j = 0; j < outSize; j++)
        {
            unit.Clear();
            unit[j] = T.One;
            var row = layer.Backward(unit);
            for (int i = 0; i < inSize; i++) jacobian[j * inSize + i] = double.CreateChecked(row[i]);
        }
        return new LocalDerivative("jacobian", new TensorValue(jacobian, [outSize, inSize]));
    }

    private static string Title<T>(Layer<T> layer, int batch) where T : unmanaged, IFloatingPointIeee754<T> =>
        $"{layer.ToString()}: {Tensor.Format(Tensor.Batched(batch, layer.InputShape))} → {Tensor.Format(Tensor.Batched(batch, layer.OutputShape))}";
}
