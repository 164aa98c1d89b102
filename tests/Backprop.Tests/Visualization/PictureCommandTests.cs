using System.Xml.Linq;
using Backprop.Autodiff;
using Backprop.Cli;
using Backprop.Visualization;
using SkiaSharp;

using Backprop.Tests.Support;

namespace Backprop.Tests.Visualization;

/// <summary>
/// A test that needs Graphviz's dot. Skipped (with the reason) where Graphviz is not installed, except on CI
/// (CI=true), where scripts/setup.sh installs it and its absence is a failure.
/// </summary>
public sealed class GraphvizFactAttribute : FactAttribute
{
    public static bool Required => Environment.GetEnvironmentVariable("CI") == "true";

    public GraphvizFactAttribute()
    {
        if (Graphviz.FindDot() is null && !Required)
            Skip = $"Graphviz 'dot' is not installed, so rendering is not checked ({Graphviz.InstallHint}); with CI=true this fails instead";
    }
}

/// <summary>The picture commands write files that decode: PNGs of the right size, SVGs that are XML.</summary>
public sealed class PictureCommandTests : IDisposable
{
    private const string Seed001 = "a = x*y + z; b = (x + x)*a; w = a*b";

    private readonly string _dir = Directory.CreateTempSubdirectory("backprop-pictures-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static (int Code, string Stdout, string Stderr) Run(params string[] args) => CliRun.Run(args);

    private static string Ok(params string[] args) => CliRun.Ok(args);

    private static void AssertPng(string path, int? width = null, int? height = null)
    {
        using var bitmap = SKBitmap.Decode(path);
        Assert.NotNull(bitmap);
        if (width is int w) Assert.Equal(w, bitmap.Width);
        if (height is int h) Assert.Equal(h, bitmap.Height);
        Assert.True(bitmap.Width >= 100 && bitmap.Height >= 100, $"{path} is only {bitmap.Width}×{bitmap.Height}");
        // Not a blank canvas: lines, text and fills give many colours.
        var colours = new HashSet<SKColor>();
        for (int y = 0; y < bitmap.Height; y += 3)
            for (int x = 0; x < bitmap.Width; x += 3) colours.Add(bitmap.GetPixel(x, y));
        Assert.True(colours.Count > 10, $"{path} has only {colours.Count} colours");
    }

    private static XDocument AssertSvg(string path)
    {
        var svg = XDocument.Load(path);
        Assert.Equal("svg", svg.Root!.Name.LocalName);
        Assert.Equal("http://www.w3.org/2000/svg", svg.Root.Name.NamespaceName);
        return svg;
    }

    [Fact]
    public void Plot_activations_writes_a_png_of_the_documented_size()
    {
        string path = Path.Combine(_dir, "activations.png");
        Assert.Equal($"wrote {path}\n", Ok("plot", "activations", "--out", path).ReplaceLineEndings("\n"));
        AssertPng(path, ActivationCurves.Width, ActivationCurves.Height);
    }

    [Fact]
    public void Plot_activations_writes_an_svg()
    {
        string path = Path.Combine(_dir, "activations.svg");
        Ok("plot", "activations", "--out", path);
        var svg = AssertSvg(path);
        Assert.Equal(ActivationCurves.Width.ToString(), svg.Root!.Attribute("width")?.Value);
        Assert.True(svg.Descendants().Count(e => e.Name.LocalName == "path") > 12);
    }

    [Fact]
    public void Plot_rejects_other_formats()
    {
        var (code, _, stderr) = Run("plot", "activations", "--out", Path.Combine(_dir, "a.gif"));
        Assert.Equal(ExitCodes.BadInput, code);
        Assert.StartsWith("error: --out: expected FILE.png or FILE.svg", stderr);
    }

    [Fact]
    public void Graph_without_out_prints_dot_with_the_gradients_as_comments()
    {
        string stdout = Ok("graph", "--expr", Seed001, "--at", "x=1,y=2,z=3");
        Assert.StartsWith($"// {Seed001}\n// at x=1,y=2,z=3\n// a = 5\n", stdout.ReplaceLineEndings("\n"));
        Assert.Contains("// dw/dx = 90\n// dw/dy = 20\n// dw/dz = 20\n", stdout.ReplaceLineEndings("\n"));
        Assert.Contains("digraph computation {", stdout);
    }

    [Fact]
    public void Graph_writes_dot_text()
    {
        string path = Path.Combine(_dir, "seed001.dot");
        string stdout = Ok("graph", "--expr", Seed001, "--at", "x=1,y=2,z=3", "--out", path);
        Assert.Contains("dw/dx = 90", stdout);
        Assert.Contains("digraph computation {", File.ReadAllText(path));
    }

    [GraphvizFact]
    public void Graph_renders_svg_and_png_with_graphviz()
    {
        Assert.True(Graphviz.FindDot() is not null, $"CI=true but Graphviz 'dot' is not on the PATH: scripts/setup.sh should have installed it ({Graphviz.InstallHint})");
        string svgPath = Path.Combine(_dir, "seed001.svg"), pngPath = Path.Combine(_dir, "seed001.png");

        string stdout = Ok("graph", "--expr", Seed001, "--at", "x=1,y=2,z=3", "--out", svgPath);
        Assert.Equal("a = 5\nb = 10\nw = 50\ndw/dx = 90\ndw/dy = 20\ndw/dz = 20\ndw/da = 20\ndw/db = 5\nwrote " + svgPath + "\n", stdout.ReplaceLineEndings("\n"));
        var svg = AssertSvg(svgPath);
        XNamespace ns = "http://www.w3.org/2000/svg";
        // Graphviz writes one <g class="node"> per node and one <g class="edge"> per edge: 6 ovals + 5 boxes, and
        // 13 edges (x twice into x + x).
        Assert.Equal(11, svg.Descendants(ns + "g").Count(g => (string?)g.Attribute("class") == "node"));
        Assert.Equal(13, svg.Descendants(ns + "g").Count(g => (string?)g.Attribute("class") == "edge"));
        Assert.Contains(svg.Descendants(ns + "text"), t => t.Value == "grad 90");

        Ok("graph", "--expr", Seed001, "--at", "x=1,y=2,z=3", "--out", pngPath);
        AssertPng(pngPath);
    }

    [Fact]
    public void Without_graphviz_the_dot_file_is_written_beside_the_requested_picture()
    {
        var e = ExpressionParser.Parse(Seed001, ExpressionParser.ParseInputs("x=1,y=2,z=3"));
        e.Output.Backward();
        string dot = ComputationGraph.ToDot(e);
        var result = Graphviz.Write(dot, Path.Combine(_dir, "seed001.svg"), dotExecutable: null);
        Assert.False(result.Rendered);
        Assert.Equal(Path.Combine(_dir, "seed001.dot"), result.Path);
        Assert.Equal(dot, File.ReadAllText(result.Path));
        Assert.False(File.Exists(Path.Combine(_dir, "seed001.svg")));
    }

    [Fact]
    public void Graph_errors_exit_2_with_one_line()
    {
        var (code, stdout, stderr) = Run("graph", "--expr", "a = x * )", "--at", "x=1");
        Assert.Equal(ExitCodes.BadInput, code);
        Assert.Equal("", stdout);
        Assert.Equal("error: --expr: column 9: expected an operand, found ')'\n", stderr.ReplaceLineEndings("\n"));

        (code, _, stderr) = Run("graph", "--expr", "w = x + q", "--at", "x=1");
        Assert.Equal(ExitCodes.BadInput, code);
        Assert.Equal("error: --expr: column 9: unknown variable 'q': it is not given with --at and not assigned before\n", stderr.ReplaceLineEndings("\n"));

        (code, _, stderr) = Run("graph", "--expr", "w = x", "--at", "x=1", "--out", Path.Combine(_dir, "g.jpg"));
        Assert.Equal(ExitCodes.BadInput, code);
        Assert.StartsWith("error: --out: expected FILE.svg, FILE.png or FILE.dot", stderr);
    }
}
