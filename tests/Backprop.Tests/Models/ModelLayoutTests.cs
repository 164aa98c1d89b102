using Backprop.Architectures;
using Backprop.Cli;
using Backprop.Tests.Cli;
using Backprop.Models;

namespace Backprop.Tests.Models;

/// <summary>ModelFile.Layout: every shape and size known and checked before a layer is allocated.</summary>
public sealed class ModelLayoutTests
{
    private static ModelLayout Layout(string json) => ModelFile.Layout(ModelFile.Parse(json, "model.json"), "model.json");

    [Fact]
    public void The_layout_gives_the_shapes_and_parameters_the_built_model_has()
    {
        foreach (string arch in Architecture.Names)
        {
            var spec = ModelFile.Parse(Architecture.ModelText(arch), arch);
            var layout = ModelFile.Layout(spec, arch);
            var model = ModelFile.Build<float>(spec, arch);
            Assert.Equal(model.Layers.Select(l => l.OutputShape), layout.Layers.Select(l => l.OutputShape));
            Assert.Equal(model.NamedParameters.Select(p => (p.Name, p.Parameter.Value.Shape)), layout.NamedParameters);
            Assert.Equal(model.NamedParameters.Sum(p => (long)p.Parameter.Value.Length), layout.ParameterCount);
        }
    }

    [Fact]
    public void A_convolution_counts_its_im2col_buffers_per_example()
    {
        // 2 channels, kernel 3x3, output 4x4: columns of 2·3·3 values for 16 positions, and their gradient.
        var layout = Layout("""{"input": [2, 6, 6], "layers": [{"type": "conv2d", "out_channels": 5, "kernel_size": 3}, {"type": "flatten"}]}""");
        Assert.Equal(2 * 2 * 3 * 3 * 16, layout.ScratchElements);
        Assert.Equal(5 * 2 * 3 * 3 + 5, layout.ParameterCount);
        // conv: output 80 + input gradient 72; flatten keeps nothing; plus the input batch 72 and the loss gradient 80.
        Assert.Equal(80 + 72 + 72 + 80, layout.ActivationElementsPerExample);
    }

    /// <summary>
    /// Bug: a convolution's im2col buffer (channels·kh·kw × output pixels for one example) was allocated by the
    /// constructor with an int product, which overflowed for large inputs: 'grad' ended in an OverflowException
    /// (exit 3, "internal error"), and below the overflow it allocated gigabytes before the data file was even read.
    /// </summary>
    [Fact]
    public void An_im2col_buffer_too_large_for_an_array_is_refused_with_its_shape()
    {
        const string model = """{"input": [128, 1024, 1024], "layers": [{"type": "conv2d", "out_channels": 1, "kernel_size": 5, "padding": 2}]}""";
        var e = Assert.Throws<BackpropException>(() => Layout(model));
        Assert.Equal("model.json: layers[0] (conv2d): its im2col buffer would have shape [128, 5, 5, 1024, 1024], more elements than an array can hold", e.Message);

        using var dir = new Data.TempFiles();
        string modelPath = dir.WriteText("model.json", model), dataPath = dir.WriteText("data.json", """{"x": [1], "y": [1]}""");
        var (code, stdout, stderr) = BadInputTests.Run(["grad", "--model", modelPath, "--data", dataPath, "--loss", "mse"]);
        Assert.Equal(ExitCodes.BadInput, code);
        Assert.Equal("", stdout);
        Assert.Contains("im2col buffer would have shape [128, 5, 5, 1024, 1024]", stderr);
    }

    [Fact]
    public void Building_a_convolution_allocates_its_parameters_only()
    {
        // A 1x1 kernel over a padded 1x6x6 input: 2 parameters, but 1006x1006 output positions (im2col of 8 MB each way).
        var spec = ModelFile.Parse("""{"input": [1, 6, 6], "layers": [{"type": "conv2d", "out_channels": 1, "kernel_size": 1, "padding": 500}]}""", "m");
        ModelFile.Build<double>(spec, "m"); // warm up the code paths
        long before = GC.GetAllocatedBytesForCurrentThread();
        var model = ModelFile.Build<double>(spec, "m");
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.True(allocated < 100_000, $"building allocated {allocated:N0} bytes");
        var y = model.Forward(new Backprop.Tensors.Tensor<double>(1, 1, 6, 6));
        Assert.Equal([1, 1, 1006, 1006], y.Shape);
    }
}
