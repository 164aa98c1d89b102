using System.Text.RegularExpressions;
using Backprop.Onnx;
using Backprop.Layers;
using Backprop.Models;
using Backprop.Runs;
using Backprop.Tests.Support;
using CsCheck;

namespace Backprop.Tests.Layers;

/// <summary>
/// A layer type is its own file, its ONNX mapping, its PyTorch export module and its PyTorch reference entry
/// (docs/adding-a-layer.md): these tests fail when a kind in <see cref="LayerKinds"/> lacks one of them, or when its
/// description does not read back.
/// </summary>
public class LayerKindsTests
{
    public static TheoryData<string> Names => new(LayerKinds.Names);

    [Fact]
    public void Names_are_unique_and_found()
    {
        Assert.Equal(LayerKinds.Names.Count, LayerKinds.Names.Distinct().Count());
        foreach (var kind in LayerKinds.All) Assert.Same(kind, LayerKinds.Find(kind.Name));
        Assert.Null(LayerKinds.Find("no_such_layer"));
    }

    [Theory, MemberData(nameof(Names))]
    public void A_description_reads_back_as_itself_and_builds_the_layer_it_describes(string name) =>
        LayerGens.ByType[name].Sample(c =>
        {
            var spec = c.Recipe.Spec;
            string json = $"{{\"input\": [{string.Join(", ", c.Recipe.InputShape)}], \"layers\": [{spec}]}}";
            var reread = ModelFile.Parse(json, "model.json").Layers.Single();
            Assert.Equal(spec.ToString(), reread.ToString());
            var layer = reread.Create<double>(c.Recipe.InputShape);
            Assert.Equal(spec.ToString(), layer.ToString());
            Assert.Equal(name, layer.Type);
            var layout = reread.Layout(c.Recipe.InputShape, "model.json: layers[0]");
            Assert.Equal(layer.OutputShape, layout.OutputShape);
            Assert.Equal(layer.Parameters.Select(p => (p.Name, p.Value.Shape)), layout.Parameters);
        }, iter: 20);

    [Theory, MemberData(nameof(Names))]
    public void Every_kind_has_an_onnx_mapping(string name)
    {
        var c = LayerGens.ByType[name].Single();
        var model = new Sequential<float>(c.Recipe.InputShape, [c.Build<float>()]);
        Assert.NotEmpty(OnnxExport.ToBytes(model));
    }

    /// <summary>The PyTorch export has a module for the kind (PyTorchExportTests checks that it computes the layer's outputs).</summary>
    [Theory, MemberData(nameof(Names))]
    public void Every_kind_has_a_pytorch_export_module(string name)
    {
        var c = LayerGens.ByType[name].Single();
        var model = new Sequential<float>(c.Recipe.InputShape, [c.Build<float>()]);
        Assert.Contains($"  # 0: {name}\n", PyTorchExport.ModelPy(model));
    }

    [Fact]
    public void Every_kind_has_a_pytorch_reference_entry()
    {
        string script = File.ReadAllText(Repository.Path("tests", "torch", "reference.py"));
        string table = script[script.IndexOf("LAYERS = {", StringComparison.Ordinal)..];
        table = table[..table.IndexOf("\n}", StringComparison.Ordinal)];
        var entries = Regex.Matches(table, "^    \"([a-z0-9_]+)\":", RegexOptions.Multiline).Select(m => m.Groups[1].Value);
        Assert.Equal(LayerKinds.Names.Order(), entries.Order());
    }
}
