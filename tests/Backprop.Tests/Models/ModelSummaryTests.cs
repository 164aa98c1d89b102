using Backprop.Architectures;
using Backprop.Models;
using Backprop.Tests.Support;

namespace Backprop.Tests.Models;

/// <summary>ModelSummary on models whose numbers are worked out by hand, and on random models against the layout.</summary>
public class ModelSummaryTests
{
    private static ModelSummary Summary(string modelJson, int batch = 1) => ModelSummary.Of(ModelFile.Parse(modelJson, "test"), "test", batch);

    [Fact]
    public void Mlp_has_235146_parameters_and_its_multiply_adds_are_the_weights()
    {
        var s = ModelSummary.Of(ModelFile.Parse(Architecture.ModelText("mlp"), "mlp"), "mlp", 64);
        Assert.Equal(235_146, s.Parameters); // 784·256 + 256 + 256·128 + 128 + 128·10 + 10
        Assert.Equal(0, s.Buffers);
        Assert.Equal(784L * 256 + 256 * 128 + 128 * 10, s.MultiplyAdds);
        Assert.Equal(s.MultiplyAdds * 64, s.BatchMultiplyAdds);
        Assert.Equal([10], s.OutputShape);
        Assert.Equal(["flatten", "linear", "relu", "linear", "relu", "linear"], s.Layers.Select(l => l.Type));
        Assert.Equal([200_960L, 0, 32_896, 0, 1_290], s.Layers.Skip(1).Select(l => l.Parameters));
    }

    [Fact]
    public void Convolution_pooling_and_linear_multiply_adds_by_hand()
    {
        var s = Summary("""
            {"input": [3, 8, 8], "layers": [
              {"type": "conv2d", "out_channels": 4, "kernel_size": 3, "padding": 1},
              {"type": "batchnorm2d"},
              {"type": "relu"},
              {"type": "avgpool2d", "kernel_size": 2},
              {"type": "maxpool2d", "kernel_size": [2, 1], "stride": 1},
              {"type": "flatten"},
              {"type": "linear", "out": 5, "bias": false},
              {"type": "dropout"}]}
            """, batch: 10);
        var r = s.Layers;
        // conv: output [4, 8, 8], each element a dot product over 3·3·3 inputs
        Assert.Equal([4, 8, 8], r[0].OutputShape);
        Assert.Equal(4L * 8 * 8 * 3 * 3 * 3, r[0].MultiplyAdds);
        Assert.Equal(4 * 3 * 3 * 3 + 4, r[0].Parameters);
        // batchnorm2d: weight and bias per channel; running_mean, running_var per channel and num_batches_tracked
        Assert.Equal(8, r[1].Parameters);
        Assert.Equal(9, r[1].Buffers);
        Assert.Equal(4 * 8 * 8, r[1].MultiplyAdds);
        Assert.Equal(0, r[2].MultiplyAdds);
        // avgpool 2x2: output [4, 4, 4], 4 multiply-adds each
        Assert.Equal([4, 4, 4], r[3].OutputShape);
        Assert.Equal(4L * 4 * 4 * 4, r[3].MultiplyAdds);
        // maxpool [2, 1] stride 1: output [4, 3, 4], comparisons only
        Assert.Equal([4, 3, 4], r[4].OutputShape);
        Assert.Equal(0, r[4].MultiplyAdds);
        Assert.Equal([48], r[5].OutputShape);
        Assert.Equal(48 * 5, r[6].MultiplyAdds);
        Assert.Equal(48 * 5, r[6].Parameters);
        Assert.Equal(0, r[7].MultiplyAdds);
        Assert.Equal(r.Sum(l => l.MultiplyAdds), s.MultiplyAdds);
        Assert.Equal(9, s.Buffers);
        // Activations: output and input gradient per example, for the batch of 10, float32; flatten keeps none.
        Assert.Equal((4 * 8 * 8 + 3 * 8 * 8) * 10 * 4, r[0].ActivationBytes);
        Assert.Equal(0, r[5].ActivationBytes);
    }

    [Fact]
    public void Conv1d_multiply_adds_by_hand()
    {
        // [2, 10] → kernel 3, stride 2, padding 1: width (10 + 2 − 3) / 2 + 1 = 5; 6 multiply-adds per output element
        var s = Summary("""{"input": [2, 10], "layers": [{"type": "conv1d", "out_channels": 3, "kernel_size": 3, "stride": 2, "padding": 1}]}""");
        Assert.Equal([3, 5], s.Layers[0].OutputShape);
        Assert.Equal(3L * 5 * 2 * 3, s.MultiplyAdds);
        Assert.Equal(3 * 2 * 3 + 3, s.Parameters);
    }

    [Fact]
    public void Vgg_numbers()
    {
        var s = ModelSummary.Of(ModelFile.Parse(Architecture.ModelText("vgg"), "vgg"), "vgg", 128);
        Assert.Equal(468_010, s.Parameters);
        Assert.Equal(388, s.Buffers); // four batchnorm2d: 2·32 + 1, 2·32 + 1, 2·64 + 1, 2·64 + 1
        long convs = 32L * 28 * 28 * 9 + 32L * 28 * 28 * 32 * 9 + 64L * 14 * 14 * 32 * 9 + 64L * 14 * 14 * 64 * 9;
        long norms = 2L * 32 * 28 * 28 + 2L * 64 * 14 * 14;
        Assert.Equal(convs + norms + 3136 * 128 + 128 * 10, s.MultiplyAdds);
    }

    [Fact]
    public void Random_models_agree_with_their_layout_and_the_built_model()
    {
        for (ulong seed = 0; seed < 200; seed++)
        {
            var spec = ModelGens.Model(seed);
            var s = ModelSummary.Of(spec, "random", 3);
            var model = ModelFile.Build<float>(spec, "random");
            Assert.Equal(model.NamedParameters.Sum(p => (long)p.Parameter.Value.Length), s.Parameters);
            Assert.Equal(model.NamedBuffers.Sum(b => (long)b.Buffer.Value.Length), s.Buffers);
            Assert.Equal(model.OutputShape, s.OutputShape);
            var layout = ModelFile.Layout(spec, "random");
            Assert.Equal(MemoryEstimate.Training(layout, 4, 3, 0), s.Memory);
            Assert.Equal(spec.Layers.Count, s.Layers.Count);
            Assert.All(s.Layers, l => Assert.True(l.MultiplyAdds >= 0 && l.ActivationBytes >= 0));
        }
    }

    [Fact]
    public void Every_format_writes_every_layer()
    {
        var s = ModelSummary.Of(ModelGens.Model(7), "random 7", 2);
        foreach (string format in ModelSummaryWriter.Formats)
        {
            string text = ModelSummaryWriter.Write(s, format);
            foreach (var l in s.Layers) Assert.Contains(l.Type, text);
        }
        using var doc = System.Text.Json.JsonDocument.Parse(ModelSummaryWriter.Json(s));
        Assert.Equal(s.Layers.Count, doc.RootElement.GetProperty("layers").GetArrayLength());
        Assert.Equal(s.Parameters, doc.RootElement.GetProperty("totals").GetProperty("parameters").GetInt64());
    }

    [Fact]
    public void Batch_size_below_one_is_refused()
    {
        var e = Assert.Throws<BackpropException>(() => Summary("""{"input": [2], "layers": []}""", batch: 0));
        Assert.Contains("batch size", e.Message);
    }
}
