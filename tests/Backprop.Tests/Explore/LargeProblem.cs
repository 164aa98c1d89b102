using Backprop.Data;
using Backprop.Examples;
using Backprop.Losses;
using Backprop.Models;
using Backprop.Tensors;

namespace Backprop.Tests.Explore;

/// <summary>
/// A model too large to show number by number: conv2d (4 channels) → flatten → linear 300 → relu → linear 10 on a
/// 28×28 input, 815,000 parameters; every number of its worked solution is some 90 MB of text.
/// </summary>
internal static class LargeProblem
{
    public const string ModelJson = """{"input": [1, 28, 28], "layers": [{"type": "conv2d", "out_channels": 4, "kernel_size": 3}, {"type": "relu"}, {"type": "flatten"}, {"type": "linear", "out": 300}, {"type": "relu"}, {"type": "linear", "out": 10}, {"type": "softmax"}]}""";

    public static Problem<double> Create()
    {
        var model = ModelFile.Build<double>(ModelFile.Parse(ModelJson, "large"), "large");
        var x = new double[784];
        for (int i = 0; i < x.Length; i++) x[i] = i % 7 / 7.0;
        var batch = new Batch<double>(Tensor<double>.FromDoubles(x, 1, 1, 28, 28), Tensor<double>.FromDoubles([3], 1));
        return new Problem<double>(model, LossFunctions.Create<double>("cross_entropy"), batch, 0.1);
    }
}
