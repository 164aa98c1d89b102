using Backprop.Data;
using Backprop.Losses;
using Backprop.Models;
using Backprop.Tensors;

namespace Backprop.Diagnostics;

/// <summary>
/// One parameter entry (or input entry) probed by finite differences, in float64: the back-propagated gradient g
/// beside the central difference (L(θ + h) − L(θ − h)) / 2h and their relative error, judged as
/// <see cref="GradientCheck"/> judges; and a nudge: move the entry by ε, and compare the first-order prediction
/// ΔL ≈ g·ε with the actual change of the loss. Every pass restarts the model's generator where it stood, so dropout
/// in training mode draws the same mask each time and the differences are not noise.
/// </summary>
public sealed record FiniteDifferenceProbe(
    string Name, int[] Index, double Value, double Analytic, double Numeric, double RelativeError, bool Passed,
    double Step, double Epsilon, double PredictedDelta, double ActualDelta)
{
    /// <summary>
    /// Probes entry <paramref name="index"/> of the parameter <paramref name="name"/> (a state_dict name, or "x" for
    /// the input) on a copy of the model; the model passed in is left as it was.
    /// </summary>
    public static FiniteDifferenceProbe Run(Sequential<double> model, Loss<double> loss, Batch<double> batch, string name, int[] index,
        double step = GradientCheck.DefaultStep, double epsilon = 1e-3)
    {
        if (!(step > 0) || !double.IsFinite(step)) throw new BackpropException($"finite differences: the step h must be a positive number, got {NumberFormat.RoundTrip(step)}");
        if (!double.IsFinite(epsilon) || epsilon == 0) throw new BackpropException($"finite differences: the nudge ε must be a non-zero number, got {NumberFormat.RoundTrip(epsilon)}");
        var m = model.Clone();
        var b = new Batch<double>(batch.X.Clone(), batch.Y.Clone());
        var target = name == "x" ? b.X : m.NamedParameters.FirstOrDefault(p => p.Name == name).Parameter?.Value
            ?? throw new BackpropException($"finite differences: unknown parameter '{name}'; expected x or one of: {string.Join(", ", m.NamedParameters.Select(p => p.Name))}");
        int flat = Tensor.FlatIndex(target.Shape, index, $"finite differences of {name}");

        ulong[] generator = m.Context.Generator.State;
        var report = GradientReport.Compute(m, loss, b);
        double analytic = name == "x" ? report.InputGrad.Values[flat] : report.Grads.First(g => g.Name == name).Grad.Values[flat];
        double numeric = GradientCheck.CentralDifference(m, loss, b, target, flat, step, generator);
        double scale = Math.Max(Math.Abs(analytic), Math.Abs(numeric));
        double relative = scale == 0 ? 0 : Math.Abs(analytic - numeric) / scale;

        double before = GradientCheck.LossAt(m, loss, b, generator), original = target[flat];
        target[flat] = original + epsilon;
        double after = GradientCheck.LossAt(m, loss, b, generator);
        target[flat] = original;
        return new FiniteDifferenceProbe(name, index, original, analytic, numeric, relative, GradientCheck.Passes(analytic, numeric),
            step, epsilon, analytic * epsilon, after - before);
    }
}
