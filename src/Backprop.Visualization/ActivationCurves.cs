using Backprop.IO;
using Backprop.Layers;
using Backprop.Tensors;
using ScottPlot;
using SkiaSharp;

namespace Backprop.Visualization;

/// <summary>
/// The activation functions and their derivatives (seed 001, 1.5(c)), each computed by the engine's own layer:
/// f(x) is its Forward on a batch of x values, f′(x) its Backward with upstream gradient 1 (dL/dy = 1 gives
/// dL/dx = f′(x)), so the picture shows exactly what back-propagation uses, kinks included (ReLU′(0) = 0,
/// LeakyReLU′(0) = negative_slope, as in PyTorch). No derivative formula is written here.
/// </summary>
public static class ActivationCurves
{
    public const double DefaultFrom = -4, DefaultTo = 4;
    public const int DefaultPoints = 801;
    public const int Width = 1600, Height = 1050;

    /// <summary>The six activations of the picture, each a factory of its layer for an example shape.</summary>
    public static readonly IReadOnlyList<(string Name, Func<int[], Layer<double>> Create)> Standard =
    [
        ("ReLU", shape => new ReLU<double>(shape)),
        ("LeakyReLU(0.01)", shape => new LeakyReLU<double>(shape, negativeSlope: 0.01)),
        ("Softplus(beta=1)", shape => new Softplus<double>(shape, beta: 1)),
        ("GELU", shape => new GELU<double>(shape)),
        ("Tanh", shape => new Tanh<double>(shape)),
        ("Sigmoid", shape => new Sigmoid<double>(shape)),
    ];

    /// <summary><paramref name="points"/> evenly spaced values from <paramref name="from"/> to <paramref name="to"/>, both included (x = 0 exactly when the grid is symmetric with an odd count).</summary>
    public static double[] Grid(double from = DefaultFrom, double to = DefaultTo, int points = DefaultPoints)
    {
        if (points < 2 || !(from < to)) throw new ArgumentException($"expected from < to and at least 2 points, got [{from}, {to}] with {points}");
        var x = new double[points];
        for (int i = 0; i < points; i++) x[i] = from + (to - from) * i / (points - 1);
        return x;
    }

    /// <summary>
    /// Samples one activation: the layer is built for one example of shape [n] (n = x.Length), f(x) = Forward(x)
    /// and f′(x) = Backward(1), element by element.
    /// </summary>
    public static ActivationCurve Sample(string name, Func<int[], Layer<double>> create, double[] x)
    {
        int n = x.Length;
        var layer = create([n]);
        // Forward and Backward return buffers the layer reuses: copy them out.
        double[] y = layer.Forward(new Tensor<double>((double[])x.Clone(), 1, n)).ToDoubleArray();
        var upstream = new Tensor<double>(1, n);
        upstream.Fill(1);
        double[] derivative = layer.Backward(upstream).ToDoubleArray();
        return new ActivationCurve(name, (double[])x.Clone(), y, derivative);
    }

    /// <summary>The <see cref="Standard"/> activations on the same grid.</summary>
    public static IReadOnlyList<ActivationCurve> Compute(double from = DefaultFrom, double to = DefaultTo, int points = DefaultPoints)
    {
        double[] x = Grid(from, to, points);
        return Standard.Select(a => Sample(a.Name, a.Create, x)).ToList();
    }

    /// <summary>
    /// Draws each curve beside its derivative, two pairs per row, and writes a .png or an .svg
    /// (<paramref name="width"/> × <paramref name="height"/> pixels).
    /// </summary>
    public static void Save(IReadOnlyList<ActivationCurve> curves, string path, int width = Width, int height = Height)
    {
        string extension = Path.GetExtension(path).ToLowerInvariant();
        if (extension is not (".png" or ".svg")) throw new BackpropException($"'{path}': expected a file ending in .png or .svg");
        var multiplot = Draw(curves);
        if (extension == ".png")
        {
            AtomicFile.WriteAllBytes(path, multiplot.Render(width, height).GetImageBytes(ImageFormat.Png));
            return;
        }
        using var stream = new MemoryStream();
        using (var canvas = SKSvgCanvas.Create(new SKRect(0, 0, width, height), stream))
        {
            canvas.Clear(SKColors.White);
            multiplot.Render(canvas, new PixelRect(0, width, height, 0));
        }
        AtomicFile.WriteAllBytes(path, stream.ToArray());
    }

    private static readonly Color FunctionColor = Color.FromHex("#1f77b4"), DerivativeColor = Color.FromHex("#d62728"),
        AxisColor = Color.FromHex("#9ca3af"), NoteColor = Color.FromHex("#374151");

    private static Multiplot Draw(IReadOnlyList<ActivationCurve> curves)
    {
        var multiplot = new Multiplot();
        multiplot.AddPlots(2 * curves.Count);
        multiplot.Layout = new ScottPlot.MultiplotLayouts.Grid(rows: (curves.Count + 1) / 2, columns: 4);
        for (int i = 0; i < curves.Count; i++)
        {
            var c = curves[i];
            Panel(multiplot.GetPlot(2 * i), c.X, c.Y, FunctionColor, c.Name, "f(x)");
            var derivative = multiplot.GetPlot(2 * i + 1);
            Panel(derivative, c.X, c.Derivative, DerivativeColor, $"d/dx {c.Name}", "f'(x) from Backward");
            Notes(derivative, c.X, c.Derivative);
        }
        return multiplot;
    }

    private static void Panel(Plot plot, double[] x, double[] y, Color color, string title, string yLabel)
    {
        plot.Add.HorizontalLine(0, 1, AxisColor);
        plot.Add.VerticalLine(0, 1, AxisColor);
        var line = plot.Add.ScatterLine(x, y, color);
        line.LineWidth = 2.5f;
        Charts.Style(plot, title, "x", yLabel);
        plot.Axes.SetLimitsX(x[0], x[^1]);
        var (low, high) = Range(y);
        double pad = 0.08 * (high - low);
        plot.Axes.SetLimitsY(low - pad, high + pad);
    }

    // Things a curve alone does not show: the value Backward takes at a kink (ReLU'(0) = 0, LeakyReLU'(0) = 0.01),
    // and a slope too small to tell from 0 (LeakyReLU's 0.01 for x < 0). Both read from the computed curve.
    private static void Notes(Plot plot, double[] x, double[] d)
    {
        var (low, high) = Range(d);
        double range = high - low;
        var format = NumberFormat.Significant(4);
        int zero = Array.IndexOf(x, 0.0);
        if (zero > 0 && zero < x.Length - 1 && Math.Abs(d[zero + 1] - d[zero - 1]) > 0.25 * range)
        {
            plot.Add.Marker(0, d[zero], MarkerShape.FilledCircle, 9, DerivativeColor);
            Note(plot, $"f'(0) = {format(d[zero])}", 0.15, d[zero] + 0.12 * range, Alignment.LowerLeft);
        }
        int left = Array.FindIndex(x, v => v >= 0);
        if (d[0] != 0 && Math.Abs(d[0]) < 0.03 * range && left > 0 && d.AsSpan(0, left).ContainsAnyExcept(d[0]) == false)
            Note(plot, $"f'(x) = {format(d[0])} for x < 0", x[0] + 0.1, d[0] + 0.3 * range, Alignment.LowerLeft);
    }

    private static void Note(Plot plot, string text, double x, double y, Alignment alignment)
    {
        var label = plot.Add.Text(text, x, y);
        label.LabelFontSize = 13;
        label.LabelFontColor = NoteColor;
        label.LabelAlignment = alignment;
    }

    private static (double Low, double High) Range(double[] y)
    {
        double low = Math.Min(0, y.Min()), high = Math.Max(0, y.Max());
        return (low, Math.Max(high, low + 1e-9));
    }
}
