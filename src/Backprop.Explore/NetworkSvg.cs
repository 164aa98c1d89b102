using System.Globalization;
using System.Text;
using Backprop.Diagnostics;
using Backprop.Layers;
using Backprop.Models;

namespace Backprop.Explore;

/// <summary>
/// The network as an SVG for the page: the input and each layer's output as a column, each unit a node showing its
/// value for the first example; a linear layer's weights as edges (colour by sign, width by size), an element-wise layer
/// as one edge per unit. A column of more than <see cref="MaxUnits"/> units, or of more than one dimension (a
/// convolution's channels × positions), is drawn as a summary: its shape and a heat-map of its values, never unit by
/// unit, so a large model stays a small picture. After the output stand the targets y of the first example (a class
/// index is one unit). Ids are stable: <c>unit-c-j</c>, <c>summary-c</c>, <c>layer-i</c>, <c>edge-i-in-out</c> (layer i,
/// input unit, output unit), <c>edge-i</c> for a summary link, <c>target-j</c> (or <c>summary-y</c>) for the targets.
/// The edges of a linear layer, the input units and the targets carry <c>data-target</c> and <c>data-index</c>, the
/// value they show, for the page's editor. Colours are attributes, not style, so the page's content security policy holds.
/// </summary>
public static class NetworkSvg
{
    public const int MaxUnits = 24;
    private const int ColumnWidth = 150, Row = 44, Top = 50, Radius = 15, HeatCells = 12;

    public static string Write(Sequential<double> model, WorkedSolution s)
    {
        int columns = model.Layers.Count + 1;
        var shapes = new List<int[]> { model.InputShape };
        shapes.AddRange(model.Layers.Select(l => l.OutputShape));
        var values = new List<double[]> { Example(s.X) };
        values.AddRange(s.Forward.Select(f => Example(f.Output)));
        // The targets y stand after the output ŷ, one more column: a class index per example is one unit.
        int[] yShape = s.Y.Shape.Length <= 1 ? [1] : s.Y.Shape[1..];
        double[] y = Example(s.Y);
        bool Big(int[] shape) => shape.Length != 1 || shape[0] > MaxUnits;
        bool Summary(int c) => Big(shapes[c]);
        int Units(int c) => c == columns ? (Big(yShape) ? 4 : yShape[0]) : Summary(c) ? 4 : shapes[c][0];
        int tallest = Enumerable.Range(0, columns + 1).Max(Units);
        int height = Top + tallest * Row + 30, width = (columns + 1) * ColumnWidth;
        double Y(int c, int j) => Top + (tallest - Units(c)) * Row / 2.0 + j * Row + Row / 2.0;
        double X(int c) => c * ColumnWidth + ColumnWidth / 2.0;

        var sb = new StringBuilder();
        sb.Append(Invariant($"<svg xmlns=\"http://www.w3.org/2000/svg\" id=\"network\" viewBox=\"0 0 {width} {height}\" width=\"{width}\" height=\"{height}\" font-family=\"sans-serif\" font-size=\"11\">\n"));
        // Edges first, so that nodes are drawn over them.
        for (int i = 0; i < model.Layers.Count; i++)
        {
            var layer = model.Layers[i];
            sb.Append(Invariant($"<g id=\"layer-{i}\" class=\"layer\" data-layer=\"{i}\">\n"));
            if (Summary(i) || Summary(i + 1))
            {
                sb.Append(Invariant($"<line id=\"edge-{i}\" class=\"edge\" x1=\"{X(i) + 30}\" y1=\"{height / 2.0}\" x2=\"{X(i + 1) - 30}\" y2=\"{height / 2.0}\" stroke=\"#64748b\" stroke-width=\"6\"/>\n"));
            }
            else if (layer is Linear<double> linear)
            {
                var w = linear.Weight.Value;
                double max = Math.Max(1e-12, w.Data.Max(Math.Abs));
                for (int o = 0; o < linear.OutFeatures; o++)
                    for (int k = 0; k < linear.InFeatures; k++)
                    {
                        double v = w[o * linear.InFeatures + k];
                        sb.Append(Invariant($"<line id=\"edge-{i}-{k}-{o}\" class=\"edge weight\" data-target=\"{i}.weight\" data-index=\"{o},{k}\" x1=\"{X(i)}\" y1=\"{Y(i, k)}\" x2=\"{X(i + 1)}\" y2=\"{Y(i + 1, o)}\" stroke=\"{(v >= 0 ? "#2563eb" : "#dc2626")}\" stroke-width=\"{0.5 + 3.5 * Math.Abs(v) / max:0.##}\"><title>{i}.weight[{o}, {k}] = {v:0.####}</title></line>\n"));
                    }
            }
            else if (shapes[i][0] == shapes[i + 1][0] && layer is Activation<double> or Dropout<double> or Identity<double> or BatchNorm<double>)
            {
                for (int j = 0; j < shapes[i][0]; j++)
                    sb.Append(Invariant($"<line id=\"edge-{i}-{j}-{j}\" class=\"edge\" x1=\"{X(i)}\" y1=\"{Y(i, j)}\" x2=\"{X(i + 1)}\" y2=\"{Y(i + 1, j)}\" stroke=\"#94a3b8\" stroke-width=\"1.5\"/>\n"));
            }
            else
            {
                for (int k = 0; k < shapes[i][0]; k++)
                    for (int o = 0; o < shapes[i + 1][0]; o++)
                        sb.Append(Invariant($"<line id=\"edge-{i}-{k}-{o}\" class=\"edge\" x1=\"{X(i)}\" y1=\"{Y(i, k)}\" x2=\"{X(i + 1)}\" y2=\"{Y(i + 1, o)}\" stroke=\"#cbd5e1\" stroke-width=\"1\" stroke-dasharray=\"3 3\"/>\n"));
            }
            sb.Append(Invariant($"<text x=\"{(X(i) + X(i + 1)) / 2}\" y=\"20\" text-anchor=\"middle\" fill=\"#334155\">{i}: {Escape(layer.Type)}</text>\n"));
            sb.Append("</g>\n");
        }
        for (int c = 0; c < columns; c++)
        {
            string name = c == 0 ? "x" : c == columns - 1 ? "ŷ" : $"h⁽{c}⁾";
            sb.Append(Invariant($"<g id=\"column-{c}\" class=\"column\" data-column=\"{c}\">\n"));
            sb.Append(Invariant($"<text x=\"{X(c)}\" y=\"{height - 8}\" text-anchor=\"middle\" fill=\"#334155\">{name} {Escape(Tensor(shapes[c]))}</text>\n"));
            if (Summary(c))
                Heatmap(sb, $"summary-{c}", values[c], X(c) - 48, Y(c, 0) - Row / 2.0 + 8, 96);
            else
                for (int j = 0; j < shapes[c][0]; j++)
                {
                    double v = values[c][j];
                    string target = c == 0 ? " data-target=\"x\"" : "";
                    sb.Append(Invariant($"<g id=\"unit-{c}-{j}\" class=\"unit\"{target} data-index=\"0,{j}\"><circle cx=\"{X(c)}\" cy=\"{Y(c, j)}\" r=\"{Radius}\" fill=\"#f8fafc\" stroke=\"#334155\"/>"));
                    sb.Append(Invariant($"<text x=\"{X(c)}\" y=\"{Y(c, j) + 4}\" text-anchor=\"middle\" fill=\"#0f172a\">{v:0.###}</text></g>\n"));
                }
            sb.Append("</g>\n");
        }
        sb.Append(Invariant($"<g id=\"targets\" class=\"column\" data-column=\"{columns}\">\n"));
        sb.Append(Invariant($"<line class=\"edge\" x1=\"{X(columns - 1) + 30}\" y1=\"{height / 2.0}\" x2=\"{X(columns) - 30}\" y2=\"{height / 2.0}\" stroke=\"#cbd5e1\" stroke-width=\"1\" stroke-dasharray=\"3 3\"/>\n"));
        sb.Append(Invariant($"<text x=\"{(X(columns - 1) + X(columns)) / 2}\" y=\"20\" text-anchor=\"middle\" fill=\"#334155\">loss</text>\n"));
        sb.Append(Invariant($"<text x=\"{X(columns)}\" y=\"{height - 8}\" text-anchor=\"middle\" fill=\"#334155\">y {Escape(Tensor(yShape))}</text>\n"));
        if (Big(yShape))
            Heatmap(sb, "summary-y", y, X(columns) - 48, Y(columns, 0) - Row / 2.0 + 8, 96);
        else
            for (int j = 0; j < yShape[0]; j++)
            {
                string index = s.Y.Shape.Length <= 1 ? "0" : $"0,{j}";
                sb.Append(Invariant($"<g id=\"target-{j}\" class=\"unit target\" data-target=\"y\" data-index=\"{index}\"><rect x=\"{X(columns) - Radius}\" y=\"{Y(columns, j) - Radius}\" width=\"{2 * Radius}\" height=\"{2 * Radius}\" fill=\"#f8fafc\" stroke=\"#334155\"/>"));
                sb.Append(Invariant($"<text x=\"{X(columns)}\" y=\"{Y(columns, j) + 4}\" text-anchor=\"middle\" fill=\"#0f172a\">{y[j]:0.###}</text></g>\n"));
            }
        sb.Append("</g>\n");
        sb.Append("</svg>\n");
        return sb.ToString();
    }

    // A square of at most HeatCells × HeatCells cells, each the mean of its share of the values (blue negative, red positive).
    private static void Heatmap(StringBuilder sb, string id, double[] values, double x, double y, double size)
    {
        int side = (int)Math.Min(HeatCells, Math.Ceiling(Math.Sqrt(values.Length)));
        int cells = side * side;
        double max = Math.Max(1e-12, values.Length == 0 ? 0 : values.Max(Math.Abs));
        sb.Append(Invariant($"<g id=\"{id}\" class=\"summary\"><rect x=\"{x - 2}\" y=\"{y - 2}\" width=\"{size + 4}\" height=\"{size + 4}\" fill=\"none\" stroke=\"#334155\"/>"));
        for (int k = 0; k < cells; k++)
        {
            int from = (int)((long)k * values.Length / cells), to = (int)((long)(k + 1) * values.Length / cells);
            double mean = to > from ? values.AsSpan(from, to - from).ToArray().Average() : 0;
            double t = Math.Abs(mean) / max;
            int shade = (int)(255 - 200 * t);
            string colour = mean >= 0 ? $"#ff{shade:x2}{shade:x2}" : $"#{shade:x2}{shade:x2}ff";
            double cell = size / side;
            sb.Append(Invariant($"<rect x=\"{x + k % side * cell:0.##}\" y=\"{y + k / side * cell:0.##}\" width=\"{cell:0.##}\" height=\"{cell:0.##}\" fill=\"{colour}\"/>"));
        }
        sb.Append("</g>\n");
    }

    private static double[] Example(TensorValue v)
    {
        int n = v.Shape.Length == 0 ? 1 : v.Shape[0];
        int size = v.Values.Length / Math.Max(1, n);
        return v.Values.AsSpan(0, size).ToArray();
    }

    private static string Tensor(int[] shape) => "[" + string.Join("×", shape) + "]";

    private static string Escape(string s) => s.Replace("&", "&amp;").Replace("<", "&lt;").Replace(">", "&gt;");

    private static string Invariant(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
