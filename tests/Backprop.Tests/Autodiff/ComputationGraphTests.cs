using System.Text.RegularExpressions;
using Backprop.Autodiff;

namespace Backprop.Tests.Autodiff;

/// <summary>The DOT text of a computational graph: which nodes, which edges, which labels.</summary>
public partial class ComputationGraphTests
{
    private sealed record Node(string Id, string Shape, string Label);

    private sealed record Graph(IReadOnlyList<Node> Nodes, IReadOnlyList<(string From, string To)> Edges)
    {
        public Node Named(string firstLine) => Assert.Single(Nodes, n => n.Label.Split("\\n")[0] == firstLine && n.Shape == "ellipse");
        public Node ById(string id) => Nodes.Single(n => n.Id == id);
    }

    [GeneratedRegex(@"^\s*(\w+) \[shape=(\w+),.*label=""([^""]*)""\];$")]
    private static partial Regex NodeLine();

    [GeneratedRegex(@"^\s*(\w+) -> (\w+)( \[.*\])?;$")]
    private static partial Regex EdgeLine();

    private static Graph Read(string dot)
    {
        var lines = dot.Split('\n');
        var nodes = lines.Select(l => NodeLine().Match(l)).Where(m => m.Success).Select(m => new Node(m.Groups[1].Value, m.Groups[2].Value, m.Groups[3].Value)).ToList();
        var edges = lines.Select(l => EdgeLine().Match(l)).Where(m => m.Success).Select(m => (m.Groups[1].Value, m.Groups[2].Value)).ToList();
        foreach (var (from, to) in edges)
        {
            Assert.Contains(nodes, n => n.Id == from);
            Assert.Contains(nodes, n => n.Id == to);
        }
        return new Graph(nodes, edges);
    }

    private static ParsedExpression Seed001()
    {
        var e = ExpressionParser.Parse("a = x*y + z; b = (x + x)*a; w = a*b", ExpressionParser.ParseInputs("x=1,y=2,z=3"));
        e.Output.Backward();
        return e;
    }

    [Fact]
    public void Seed001_has_variables_as_ovals_and_operators_as_boxes()
    {
        var g = Read(ComputationGraph.ToDot(Seed001()));
        Assert.Equal(6, g.Nodes.Count(n => n.Shape == "ellipse")); // x, y, z, a, b, w
        Assert.Equal(5, g.Nodes.Count(n => n.Shape == "box"));     // x*y, (x*y) + z, x + x, (x + x)*a, a*b
        Assert.Equal("x\\nvalue 1\\ngrad 90", g.Named("x").Label);
        Assert.Equal("y\\nvalue 2\\ngrad 20", g.Named("y").Label);
        Assert.Equal("z\\nvalue 3\\ngrad 20", g.Named("z").Label);
        Assert.Equal("a\\nvalue 5\\ngrad 20", g.Named("a").Label);
        Assert.Equal("b\\nvalue 10\\ngrad 5", g.Named("b").Label);
        Assert.Equal("w\\nvalue 50\\ngrad 1", g.Named("w").Label);
        Assert.All(g.Nodes.Where(n => n.Shape == "box"), n => Assert.Matches(@"^[*+]\\nvalue [\d.]+\\ngrad [\d.]+$", n.Label));
    }

    [Fact]
    public void X_plus_x_has_two_edges_from_x_into_its_plus()
    {
        var g = Read(ComputationGraph.ToDot(Seed001()));
        var x = g.Named("x");
        var fromX = g.Edges.Where(e => e.From == x.Id).ToList();
        Assert.Equal(3, fromX.Count); // once into x*y, twice into x + x
        var twice = Assert.Single(fromX.GroupBy(e => e.To), group => group.Count() == 2);
        Assert.Equal("+\\nvalue 2\\ngrad 25", g.ById(twice.Key).Label);
        Assert.Equal(2, g.Edges.Count(e => e.To == twice.Key));
    }

    [Fact]
    public void Edges_run_in_the_direction_of_computation()
    {
        var g = Read(ComputationGraph.ToDot(Seed001()));
        // Inputs only have edges out, the output only edges in, and each box has exactly one edge out.
        foreach (string input in new[] { "x", "y", "z" }) Assert.DoesNotContain(g.Edges, e => e.To == g.Named(input).Id);
        Assert.DoesNotContain(g.Edges, e => e.From == g.Named("w").Id);
        Assert.All(g.Nodes.Where(n => n.Shape == "box"), n => Assert.Single(g.Edges, e => e.From == n.Id));
        // a is computed by a box and used by two boxes (b = (x + x)*a and w = a*b).
        var a = g.Named("a");
        Assert.Equal("box", g.ById(Assert.Single(g.Edges, e => e.To == a.Id).From).Shape);
        Assert.Equal(2, g.Edges.Count(e => e.From == a.Id));
        // The graph has no cycle: every edge goes from an earlier line to a later node.
        var order = g.Nodes.Select(n => n.Id).ToList();
        Assert.All(g.Edges, e => Assert.True(order.IndexOf(e.From) < order.IndexOf(e.To), $"{e.From} -> {e.To}"));
    }

    [Fact]
    public void Comments_carry_the_values_and_gradients()
    {
        string dot = ComputationGraph.ToDot(Seed001(), ["a = x*y + z; b = (x + x)*a; w = a*b"]);
        Assert.StartsWith("// a = x*y + z; b = (x + x)*a; w = a*b\n// a = 5\n// b = 10\n// w = 50\n// dw/dx = 90\n// dw/dy = 20\n// dw/dz = 20\n// dw/da = 20\n// dw/db = 5\ndigraph computation {", dot.ReplaceLineEndings("\n"));
        Assert.EndsWith("}", dot.TrimEnd());
    }

    [Fact]
    public void Constants_are_dashed_and_subtraction_and_division_mark_their_second_operand()
    {
        var e = ExpressionParser.Parse("w = (x - 2) / y", ExpressionParser.ParseInputs("x=1,y=4"));
        e.Output.Backward();
        string dot = ComputationGraph.ToDot(e);
        Assert.Contains("style=dashed, label=\"2\\ngrad -0.25\"", dot);
        Assert.Contains("[label=\"subtract\"]", dot);
        Assert.Contains("[label=\"divide by\"]", dot);
        Assert.Equal(["w = -0.25", "dw/dx = 0.25", "dw/dy = 0.0625"], ComputationGraph.Summary(e));
    }
}
