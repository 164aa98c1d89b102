using Backprop.IO;
using Backprop.Training;
using ScottPlot;

namespace Backprop.Visualization;

/// <summary>Training pictures drawn with ScottPlot, all with the same look: titles, axis labels, legends.</summary>
public static class Charts
{
    public const int Width = 1200, Height = 500;

    /// <summary>Loss (left) and accuracy (right) per epoch, training against validation, as one PNG.</summary>
    public static void TrainingCurves(IReadOnlyList<EpochMetrics> history, string path)
    {
        double[] epochs = history.Select(m => (double)m.Epoch).ToArray();
        var multiplot = new Multiplot();
        multiplot.AddPlots(2);
        multiplot.Layout = new ScottPlot.MultiplotLayouts.Columns();
        Curves(multiplot.GetPlot(0), "Loss", "loss", epochs, history.Select(m => m.TrainLoss), history.Select(m => m.ValidationLoss));
        Curves(multiplot.GetPlot(1), "Accuracy", "accuracy", epochs, history.Select(m => m.TrainAccuracy), history.Select(m => m.ValidationAccuracy));
        AtomicFile.WriteAllBytes(path, multiplot.Render(Width, Height).GetImageBytes(ImageFormat.Png));
    }

    private static void Curves(Plot plot, string title, string yLabel, double[] epochs, IEnumerable<double> train, IEnumerable<double> validation)
    {
        var t = plot.Add.Scatter(epochs, train.ToArray());
        t.LegendText = "training";
        var validationValues = validation.ToArray();
        if (validationValues.Any(double.IsFinite))
        {
            var v = plot.Add.Scatter(epochs, validationValues);
            v.LegendText = "validation";
        }
        Style(plot, title, "epoch", yLabel);
        plot.ShowLegend();
    }

    // ScottPlot's own choice falls back to a serif face on Linux; prefer a sans face that is installed.
    internal static readonly string SansFont =
        new[] { "DejaVu Sans", "Liberation Sans", "Arial", "Helvetica", "Segoe UI" }.FirstOrDefault(SkiaSharp.SKFontManager.Default.FontFamilies.Contains) ?? Fonts.Default;

    /// <summary>The common look of every Backprop chart: one sans font, a title and both axis labels.</summary>
    public static void Style(Plot plot, string title, string xLabel, string yLabel)
    {
        plot.Font.Set(SansFont);
        plot.Title(title, size: 15);
        plot.XLabel(xLabel, size: 13);
        plot.YLabel(yLabel, size: 13);
    }

    /// <summary>A heatmap of confusion[true, predicted], each cell labelled with its count.</summary>
    public static void ConfusionMatrix(int[,] confusion, IReadOnlyList<string> classNames, string path)
    {
        int k = confusion.GetLength(0);
        var values = new double[k, k];
        for (int t = 0; t < k; t++)
            for (int p = 0; p < k; p++) values[t, p] = confusion[t, p];
        var plot = new Plot();
        var heatmap = plot.Add.Heatmap(values);
        heatmap.Colormap = new ScottPlot.Colormaps.Viridis();
        heatmap.FlipVertically = false;
        plot.Add.ColorBar(heatmap);
        for (int t = 0; t < k; t++)
            for (int p = 0; p < k; p++)
            {
                var label = plot.Add.Text(confusion[t, p].ToString(), p, k - 1 - t);
                label.LabelAlignment = Alignment.MiddleCenter;
                label.LabelFontColor = confusion[t, p] > values.Cast<double>().Max() / 2 ? Colors.Black : Colors.White;
            }
        var ticks = Enumerable.Range(0, k).Select(i => (double)i).ToArray();
        plot.Axes.Bottom.SetTicks(ticks, classNames.ToArray());
        plot.Axes.Left.SetTicks(ticks.Select(i => k - 1 - i).ToArray(), classNames.ToArray());
        plot.Axes.Bottom.TickLabelStyle.Rotation = 45;
        plot.Axes.Bottom.TickLabelStyle.Alignment = Alignment.MiddleLeft;
        Style(plot, "Confusion matrix", "predicted", "true");
        AtomicFile.WriteAllBytes(path, plot.GetImage(900, 800).GetImageBytes(ImageFormat.Png));
    }
}
