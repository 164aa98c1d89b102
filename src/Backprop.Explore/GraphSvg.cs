using System.Globalization;
using System.Text;
using Backprop.Autodiff;

namespace Backprop.Explore;

/// <summary>
/// A computational graph (<see cref="GraphNode"/>s) as an SVG: nodes in columns by depth, edges from operand to result,
/// each node a clickable group with id <c>graph-n3</c> showing its name or operator, value and gradient.
/// </summary>
public static class GraphSvg
{
    public static string Write(IReadOnlyList<GraphNode> nodes)
    {
        const int columnWidth = 130, row = 70, top = 20, width = 104, height = 46;
        var byDepth = nodes.GroupBy(n => n.Depth).ToDictionary(g => g.Key, g => g.ToList());
        int depths = byDepth.Keys.Max() + 1, tallest = byDepth.Values.Max(g => g.Count);
        var at = new Dictionary<string, (double X, double Y)>();
        foreach (var (depth, group) in byDepth)
            for (int k = 0; k < group.Count; k++)
                at[group[k].Id] = (20 + depth * columnWidth, top + (tallest - group.Count) * row / 2.0 + k * row);
        var sb = new StringBuilder();
        sb.Append(F($"<svg xmlns=\"http://www.w3.org/2000/svg\" id=\"graph\" viewBox=\"0 0 {depths * columnWidth + 20} {tallest * row + top}\" width=\"{depths * columnWidth + 20}\" height=\"{tallest * row + top}\" font-family=\"sans-serif\" font-size=\"11\">\n"));
        foreach (var n in nodes)
            foreach (var (operand, _) in n.Local)
            {
                var (x1, y1) = at[operand];
                var (x2, y2) = at[n.Id];
                sb.Append(F($"<line id=\"graph-edge-{operand}-{n.Id}\" x1=\"{x1 + width}\" y1=\"{y1 + height / 2.0}\" x2=\"{x2}\" y2=\"{y2 + height / 2.0}\" stroke=\"#64748b\" stroke-width=\"1.2\"/>\n"));
            }
        foreach (var n in nodes)
        {
            var (x, y) = at[n.Id];
            string fill = n.Op == "input" ? "#dbeafe" : n.Label is not null ? "#f1f5f9" : n.Op == "const" ? "#ffffff" : "#fef3c7";
            string name = n.Label is not null && n.Op is not ("input" or "const") ? $"{n.Label} ({n.Op})" : n.Label ?? n.Op;
            sb.Append(F($"<g id=\"graph-{n.Id}\" class=\"graph-node\" data-node=\"{n.Id}\"><rect x=\"{x}\" y=\"{y}\" width=\"{width}\" height=\"{height}\" rx=\"8\" fill=\"{fill}\" stroke=\"#334155\"/>"));
            sb.Append(F($"<text x=\"{x + width / 2.0}\" y=\"{y + 14}\" text-anchor=\"middle\" font-weight=\"bold\">{Escape(name)}</text>"));
            sb.Append(F($"<text x=\"{x + width / 2.0}\" y=\"{y + 28}\" text-anchor=\"middle\">value {n.Value:G6}</text>"));
            sb.Append(F($"<text x=\"{x + width / 2.0}\" y=\"{y + 41}\" text-anchor=\"middle\">grad {n.Grad:G6}</text></g>\n"));
        }
        sb.Append("</svg>\n");
        return sb.ToString();
    }

    private static string Escape(string s) => s.Replace("&", "&amp;").Replace("<", "&lt;").Replace(">", "&gt;");

    private static string F(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
