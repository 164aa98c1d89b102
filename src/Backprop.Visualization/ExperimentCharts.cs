using System.Globalization;
using Backprop.Diagnostics;
using Backprop.Experiments;
using Backprop.IO;
using ScottPlot;

namespace Backprop.Visualization;

/// <summary>
/// The pictures of the experiments and of the gradient-flow report, in <see cref="Charts.Style"/>. Values spanning
/// many orders of magnitude are drawn as log10 with ticks labelled 1e-k; values of exactly 0 have no logarithm and are
/// left out (the legend says so).
/// </summary>
public static class ExperimentCharts
{
    public const int Width = Charts.Width, Height = Charts.Height;

    /// <summary>
    /// update-order: both loops' loss per iteration at each learning rate (left) and the buggy dW1's relative distance
    /// from the true gradient (right).
    /// </summary>
    public static void UpdateOrder(UpdateOrderResult result, string path)
    {
        var multiplot = Columns(2);
        var loss = multiplot.GetPlot(0);
        var deviation = multiplot.GetPlot(1);
        var palette = new ScottPlot.Palettes.Category10();
        for (int i = 0; i < result.Runs.Count; i++)
        {
            var run = result.Runs[i];
            double[] epochs = run.Epochs.Select(e => (double)e.Epoch).ToArray();
            string eta = $"η = {NumberFormat.RoundTrip(run.LearningRate)}";
            var colour = palette.GetColor(i);
            AddLog(loss, epochs, run.Epochs.Select(e => e.CorrectLoss).ToArray(), $"correct loop, {eta}", colour: colour);
            string buggy = run.BuggyDivergedAt is int k ? $"W2 updated first, {eta} (diverges at iteration {k})" : $"W2 updated first, {eta}";
            AddLog(loss, epochs, run.Epochs.Select(e => e.BuggyLoss).ToArray(), buggy, dashed: true, colour: colour);
            AddLog(deviation, epochs, run.Epochs.Select(e => e.BuggyW1Deviation).ToArray(), eta, colour: colour);
        }
        // A diverging run would stretch the axis over hundreds of decades: show from the smallest value to a decade
        // above the starting loss (or above 1 for the distances); what diverges leaves through the top.
        var losses = result.Runs.SelectMany(r => r.Epochs.SelectMany(e => new[] { e.CorrectLoss, e.BuggyLoss })).ToList();
        double startLoss = result.Runs.Max(r => r.Epochs[0].CorrectLoss);
        LogLimits(loss, losses, Math.Log10(startLoss) + 1);
        LogLimits(deviation, result.Runs.SelectMany(r => r.Epochs.Select(e => e.BuggyW1Deviation)), 1);
        Charts.Style(loss, "Training loss: correct loop (solid), the sheet's loop (dashed)", "iteration", "mean squared error (log scale)");
        LogAxis(loss);
        loss.ShowLegend(Alignment.UpperRight);
        Charts.Style(deviation, "The sheet's loop: ‖dW1 used − true dW1‖ / ‖true dW1‖", "iteration", "relative distance (log scale)");
        LogAxis(deviation);
        deviation.ShowLegend(Alignment.UpperRight);
        Save(multiplot, path);
    }

    /// <summary>gradient-flow: |dL/dw₁⁽ˡ⁾| and |dL/dw₂⁽ˡ⁾| per layer, two chains (left) and fully connected (right).</summary>
    public static void GradientFlow(GradientFlowExperimentResult result, string path)
    {
        var multiplot = Columns(2);
        var palette = new ScottPlot.Palettes.Category10();
        foreach (var (wiring, panel, title) in new[] { (Wiring.TwoChains, 0, "Two chains (the sheet's network)"), (Wiring.FullyConnected, 1, "Fully connected hidden layers") })
        {
            var plot = multiplot.GetPlot(panel);
            // The network with a whole dead layer has no nonzero gradient to draw.
            foreach (var run in result.Runs.Where(r => r.Network.Wiring == wiring && r.Layers.Any(l => l.DLdW1 != 0 || l.DLdW2 != 0)))
            {
                double[] layers = run.Layers.Select(l => (double)l.Layer).ToArray();
                bool sigmoid = run.Network.Activation == "sigmoid";
                string name = sigmoid ? "sigmoid" : "ReLU";
                int colour = sigmoid ? 0 : 2;
                AddLog(plot, layers, run.Layers.Select(l => Math.Abs(l.DLdW1)).ToArray(), $"{name}: |dL/dw₁|", colour: palette.GetColor(colour));
                AddLog(plot, layers, run.Layers.Select(l => Math.Abs(l.DLdW2)).ToArray(), $"{name}: |dL/dw₂|", dashed: true, colour: palette.GetColor(colour + 1));
            }
            Charts.Style(plot, title, "layer l", "|dL/dw| (log scale)");
            LogAxis(plot);
            plot.ShowLegend(Alignment.LowerRight);
        }
        Save(multiplot, path);
    }

    /// <summary>gradflow --plot: per layer the norm of dL/d(input) and of each parameter's gradient.</summary>
    public static void GradientFlowReport(GradientFlowReport report, string path)
    {
        var plot = new Plot();
        double[] index = report.Layers.Select(l => (double)l.Index).ToArray();
        AddLog(plot, index, report.Layers.Select(l => l.InputGradNorm).ToArray(), "‖dL/d(input)‖", markers: true);
        foreach (string kind in report.Layers.SelectMany(l => l.Parameters).Select(p => Suffix(p.Name)).Distinct())
        {
            var points = report.Layers.SelectMany(l => l.Parameters.Where(p => Suffix(p.Name) == kind).Select(p => ((double)l.Index, p.GradNorm))).ToArray();
            AddLog(plot, points.Select(p => p.Item1).ToArray(), points.Select(p => p.GradNorm).ToArray(), $"‖dL/d{kind}‖", markers: true, lines: false);
        }
        Charts.Style(plot, $"Gradient flow (loss {NumberFormat.Significant(4)(report.Loss)}, batch of {report.BatchSize})", "layer index", "L2 norm (log scale)");
        LogAxis(plot);
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic { IntegerTicksOnly = true };
        plot.ShowLegend(Edge.Right);
        AtomicFile.WriteAllBytes(path, plot.GetImage(Width, Height).GetImageBytes(ImageFormat.Png));
    }

    private static string Suffix(string name) => name[(name.IndexOf('.') + 1)..];

    private static Multiplot Columns(int count)
    {
        var multiplot = new Multiplot();
        multiplot.AddPlots(count);
        multiplot.Layout = new ScottPlot.MultiplotLayouts.Columns();
        return multiplot;
    }

    private static void Save(Multiplot multiplot, string path) =>
        AtomicFile.WriteAllBytes(path, multiplot.Render(Width, Height).GetImageBytes(ImageFormat.Png));

    /// <summary>
    /// Adds log10(y) against x, leaving out y = 0 and non-finite values: the line breaks where they were, and the legend
    /// says how many zeros were left out.
    /// </summary>
    private static void AddLog(Plot plot, double[] x, double[] y, string label, bool dashed = false, bool markers = false, Color? colour = null, bool lines = true)
    {
        int zeros = y.Count(v => v == 0);
        string legend = zeros == 0 ? label : $"{label} (exactly 0 at {zeros} of {y.Length}: not drawn)";
        bool first = true;
        for (int i = 0; i < y.Length;)
        {
            if (!(y[i] > 0 && double.IsFinite(y[i]))) { i++; continue; }
            int end = i;
            while (end + 1 < y.Length && y[end + 1] > 0 && double.IsFinite(y[end + 1])) end++;
            var scatter = plot.Add.Scatter(x[i..(end + 1)], y[i..(end + 1)].Select(Math.Log10).ToArray());
            if (colour is Color c) scatter.Color = c;
            colour = scatter.Color;
            scatter.LineWidth = lines ? 2 : 0;
            scatter.MarkerSize = markers ? 8 : 0;
            if (dashed) scatter.LinePattern = LinePattern.Dashed;
            if (first) scatter.LegendText = legend;
            first = false;
            i = end + 1;
        }
        if (first)
        {
            // Nothing to draw: still list it in the legend, so the reader learns it was all zeros.
            var empty = plot.Add.Scatter(Array.Empty<double>(), Array.Empty<double>());
            if (colour is Color c) empty.Color = c;
            empty.LineWidth = 2;
            empty.MarkerSize = 0;
            if (dashed) empty.LinePattern = LinePattern.Dashed;
            empty.LegendText = legend;
        }
    }

    /// <summary>y limits (in log10) from just below the smallest positive finite value to <paramref name="top"/>.</summary>
    private static void LogLimits(Plot plot, IEnumerable<double> values, double top)
    {
        var positive = values.Where(v => v > 0 && double.IsFinite(v)).ToList();
        double bottom = positive.Count == 0 ? top - 1 : Math.Log10(positive.Min());
        plot.Axes.SetLimitsY(bottom - 0.1 * (top - bottom), top + 0.1 * (top - bottom));
    }

    /// <summary>
    /// The y axis holds log10 values. Over two decades or more: ticks at whole powers of ten, labelled 1e-k, with
    /// log-spaced minor ticks; over less, ticks wherever they fit, labelled with the value itself (3 significant digits).
    /// </summary>
    private static void LogAxis(Plot plot)
    {
        var limits = plot.GetPlottables().Select(p => p.GetAxisLimits()).Where(l => double.IsFinite(l.Bottom) && double.IsFinite(l.Top)).ToList();
        double span = limits.Count == 0 ? 0 : limits.Max(l => l.Top) - limits.Min(l => l.Bottom);
        var value = NumberFormat.Significant(3);
        var ticks = new ScottPlot.TickGenerators.NumericAutomatic
        {
            LabelFormatter = y => value(Math.Pow(10, y)),
        };
        if (span >= 2)
        {
            ticks.IntegerTicksOnly = true;
            ticks.LabelFormatter = y => "1e" + Math.Round(y).ToString(CultureInfo.InvariantCulture);
            ticks.MinorTickGenerator = new ScottPlot.TickGenerators.LogMinorTickGenerator();
        }
        plot.Axes.Left.TickGenerator = ticks;
    }
}
