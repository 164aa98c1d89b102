using Backprop.Data;
using Backprop.Losses;
using Backprop.Models;
using Backprop.Tensors;

namespace Backprop.Diagnostics;

/// <summary>
/// Compares back-propagated gradients with central differences (L(θ + h) − L(θ − h)) / 2h, in float64, for every
/// parameter and for the input. An element passes when |analytic − numeric| ≤ AbsoluteTolerance + RelativeTolerance·max(|analytic|, |numeric|).
/// </summary>
public static class GradientCheck
{
    public const double DefaultStep = 1e-6, AbsoluteTolerance = 1e-7, RelativeTolerance = 1e-5;

    public static IReadOnlyList<GradientCheckEntry> Run(Sequential<double> model, Loss<double> loss, Batch<double> batch, double step = DefaultStep)
    {
        // Every pass draws the same dropout masks: the generator restarts where the analytic pass started it.
        ulong[] generator = model.Context.Generator.State;
        var report = GradientReport.Compute(model, loss, batch);
        var entries = new List<GradientCheckEntry>();
        for (int i = 0; i < model.NamedParameters.Count; i++)
        {
            var (name, p) = model.NamedParameters[i];
            entries.Add(Compare(name, p.Value, report.Grads[i].Grad.Values, model, loss, batch, step, generator));
        }
        entries.Add(Compare("input", batch.X, report.InputGrad.Values, model, loss, batch, step, generator));
        return entries;
    }

    private static GradientCheckEntry Compare(string name, Tensor<double> perturbed, double[] analytic,
        Sequential<double> model, Loss<double> loss, Batch<double> batch, double step, ulong[] generator)
    {
        double maxAbs = 0, maxRel = 0;
        bool passed = true;
        for (int i = 0; i < perturbed.Length; i++)
        {
            double numeric = CentralDifference(model, loss, batch, perturbed, i, step, generator);
            double error = Math.Abs(analytic[i] - numeric), scale = Math.Max(Math.Abs(analytic[i]), Math.Abs(numeric));
            maxAbs = Math.Max(maxAbs, error);
            if (scale > 0) maxRel = Math.Max(maxRel, error / scale);
            if (!Passes(analytic[i], numeric)) passed = false;
        }
        return new GradientCheckEntry(name, (int[])perturbed.Shape.Clone(), maxAbs, maxRel, passed);
    }

    /// <summary>Whether an analytic and a numeric derivative agree: |a − n| ≤ AbsoluteTolerance + RelativeTolerance·max(|a|, |n|).</summary>
    public static bool Passes(double analytic, double numeric) =>
        Math.Abs(analytic - numeric) <= AbsoluteTolerance + RelativeTolerance * Math.Max(Math.Abs(analytic), Math.Abs(numeric));

    /// <summary>
    /// (L(θᵢ + h) − L(θᵢ − h)) / 2h for entry <paramref name="i"/> of <paramref name="perturbed"/> (a parameter of the
    /// model or the batch's input), each pass starting the model's generator at <paramref name="generator"/> so that
    /// dropout draws the same masks; the entry is restored afterwards.
    /// </summary>
    public static double CentralDifference(Sequential<double> model, Loss<double> loss, Batch<double> batch, Tensor<double> perturbed, int i, double step, ulong[] generator)
    {
        double original = perturbed[i];
        perturbed[i] = original + step;
        double plus = LossAt(model, loss, batch, generator);
        perturbed[i] = original - step;
        double minus = LossAt(model, loss, batch, generator);
        perturbed[i] = original;
        return (plus - minus) / (2 * step);
    }

    /// <summary>The loss of one forward pass with the model's generator restarted at <paramref name="generator"/>.</summary>
    public static double LossAt(Sequential<double> model, Loss<double> loss, Batch<double> batch, ulong[] generator)
    {
        model.Context.Generator.State = generator;
        return loss.Forward(model.Forward(batch.X), batch.Y);
    }
}
