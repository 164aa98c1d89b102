using System.Text;

namespace Backprop.Autodiff;

/// <summary>
/// A computational graph as text: Graphviz DOT for pictures, and the values and gradients d(output)/d(name)
/// as lines such as <c>dw/dx = 90</c>.
/// <para>
/// In the picture, variables (inputs and assigned names) are ovals and operators are boxes of their own; edges
/// run in the direction of computation, one edge per use (x + x has two edges from x into its "+"), and every node
/// shows its value and its gradient d(output)/d(node). An unnamed intermediate result (x*y in a = x*y + z) is only
/// its operator's box. Constants are dashed ovals, inputs blue, the output green with a double border.
/// </para>
/// </summary>
public static class ComputationGraph
{
    /// <summary>
    /// The DOT text of the graph that computes <paramref name="output"/>, after <see cref="Value.Backward"/>
    /// (before it, every gradient shows as 0). <paramref name="comments"/> become // lines at the top.
    /// Numbers are shown with <paramref name="digits"/> significant digits.
    /// </summary>
    public static string ToDot(Value output, IEnumerable<string>? comments = null, int digits = 6)
    {
        var format = NumberFormat.Significant(digits);
        var order = output.Topological();
        var index = new Dictionary<Value, int>(ReferenceEqualityComparer.Instance);
        for (int i = 0; i < order.Count; i++) index[order[i]] = i;
        // Where an edge out of v starts: its oval when it is a variable or a constant, else its operator's box.
        string Source(Value v) => v.Operands.Count == 0 || v.Label is not null ? $"v{index[v]}" : $"op{index[v]}";
        string Numbers(Value v) => $"value {format(v.Data)}\\ngrad {format(v.Grad)}";

        var sb = new StringBuilder();
        foreach (string line in (comments ?? []).SelectMany(c => c.Split('\n'))) sb.Append("// ").AppendLine(line.TrimEnd('\r'));
        sb.AppendLine("digraph computation {");
        sb.AppendLine("  rankdir=LR;");
        sb.AppendLine("  nodesep=0.25; ranksep=0.35;");
        sb.AppendLine("  node [fontname=\"Helvetica\", fontsize=11, margin=\"0.08,0.04\"];");
        sb.AppendLine("  edge [fontname=\"Helvetica\", fontsize=9, arrowsize=0.7, color=\"#475569\"];");
        for (int i = 0; i < order.Count; i++)
        {
            var v = order[i];
            if (v.Operands.Count > 0)
            {
                sb.AppendLine($"  op{i} [shape=box, style=filled, fillcolor=\"#fef3c7\", label=\"{Symbol(v.Op)}\\n{Numbers(v)}\"];");
                for (int k = 0; k < v.Operands.Count; k++)
                {
                    string label = (v.Op, k) switch { ("-", 1) => " [label=\"subtract\"]", ("/", 1) => " [label=\"divide by\"]", _ => "" };
                    sb.AppendLine($"  {Source(v.Operands[k])} -> op{i}{label};");
                }
            }
            if (v.IsConstant)
            {
                sb.AppendLine($"  v{i} [shape=ellipse, style=dashed, label=\"{format(v.Data)}\\ngrad {format(v.Grad)}\"];");
            }
            else if (v.Label is not null)
            {
                string style = ReferenceEquals(v, output) ? "style=filled, fillcolor=\"#dcfce7\", peripheries=2"
                    : v.Operands.Count == 0 ? "style=filled, fillcolor=\"#dbeafe\""
                    : "style=filled, fillcolor=\"#f1f5f9\"";
                sb.AppendLine($"  v{i} [shape=ellipse, {style}, label=\"{v.Label}\\n{Numbers(v)}\"];");
                if (v.Operands.Count > 0) sb.AppendLine($"  op{i} -> v{i};");
            }
        }
        sb.AppendLine("}");
        return sb.ToString();
    }

    /// <summary>The DOT text of a parsed expression, with <see cref="Summary"/> as comments at the top.</summary>
    public static string ToDot(ParsedExpression expression, IEnumerable<string>? comments = null, int digits = 6) =>
        ToDot(expression.Output, (comments ?? []).Concat(Summary(expression)), digits);

    /// <summary>
    /// One line per value of an assigned variable (<c>a = 5</c>, ..., the output last), then one line per gradient
    /// of the output with respect to each input and each earlier variable (<c>dw/dx = 90</c>), numbers in shortest
    /// round-trip form. Call <see cref="Value.Backward"/> on the output first.
    /// </summary>
    public static IReadOnlyList<string> Summary(ParsedExpression expression)
    {
        string w = expression.Output.Label!;
        var lines = expression.Variables.Select(v => $"{v.Label} = {NumberFormat.RoundTrip(v.Data)}").ToList();
        lines.AddRange(expression.Named.Select(v => $"d{w}/d{v.Label} = {NumberFormat.RoundTrip(v.Grad)}"));
        return lines;
    }

    /// <summary>
    /// Every node of the graph that computes <paramref name="output"/>, after <see cref="Value.Backward"/>, with its
    /// local derivatives and the chain that reaches it (<see cref="GraphNode"/>); depth is the longest path from a leaf.
    /// </summary>
    public static IReadOnlyList<GraphNode> Nodes(Value output)
    {
        var order = output.Topological();
        var index = new Dictionary<Value, int>(ReferenceEqualityComparer.Instance);
        for (int i = 0; i < order.Count; i++) index[order[i]] = i;
        var depth = new int[order.Count];
        var locals = order.Select(v => v.LocalDerivatives()).ToList();
        var chains = order.Select(_ => new List<(string, double, double, double)>()).ToList();
        for (int i = 0; i < order.Count; i++)
        {
            foreach (var operand in order[i].Operands) depth[i] = Math.Max(depth[i], depth[index[operand]] + 1);
            foreach (var (operand, d) in locals[i])
                chains[index[operand]].Add(($"n{i}", order[i].Grad, d, order[i].Grad * d));
        }
        return order.Select((v, i) => new GraphNode($"n{i}", v.Label, v.Operands.Count == 0 ? (v.IsConstant ? "const" : "input") : Symbol(v.Op),
            v.Data, v.Grad, depth[i], locals[i].Select(l => ($"n{index[l.Operand]}", l.Derivative)).ToList(), chains[i])).ToList();
    }

    /// <summary>How an operator is written in a picture.</summary>
    public static string Symbol(string op) => op switch
    {
        "neg" => "−",
        "=" => "copy",
        _ => op,
    };
}
