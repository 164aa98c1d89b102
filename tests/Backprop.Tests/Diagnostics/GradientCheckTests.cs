using Backprop.Data;
using Backprop.Diagnostics;
using Backprop.Layers;
using Backprop.Losses;
using Backprop.Models;
using Backprop.Tensors;

using Backprop.Tests.Support;

namespace Backprop.Tests.Diagnostics;

public class GradientCheckTests
{
    /// <summary>tanh with a backward pass off by a constant factor: the kind of slip the check exists to catch.</summary>
    private sealed class MisscaledTanh(int[] shape, double factor) : Activation<double>(shape)
    {
        public override LayerSpec Spec => new TestLayerSpec("misscaled_tanh");

        protected override void Forward(ReadOnlySpan<double> x, Span<double> y)
        {
            for (int i = 0; i < x.Length; i++) y[i] = Math.Tanh(x[i]);
        }

        protected override void Backward(ReadOnlySpan<double> x, ReadOnlySpan<double> y, ReadOnlySpan<double> dy, Span<double> dx)
        {
            for (int i = 0; i < x.Length; i++) dx[i] = factor * dy[i] * (1 - y[i] * y[i]);
        }
    }

    /// <summary>y = w ⊙ x per feature, whose weight gradient forgets every example but the last (dx is right).</summary>
    private sealed class ScaleWithBatchBug : Layer<double>
    {
        private Tensor<double>? _input, _output, _inputGrad;

        public ScaleWithBatchBug(int features) : base([features], [features])
        {
            Weight = new Parameter<double>("weight", new Tensor<double>(features));
            Weight.Value.Fill(1.5);
        }

        public Parameter<double> Weight { get; }
        public override LayerSpec Spec => new TestLayerSpec("scale");
        public override IReadOnlyList<Parameter<double>> Parameters => [Weight];

        public override Tensor<double> Forward(Tensor<double> input)
        {
            _input = input;
            var output = Tensor.Reuse(ref _output, input.Shape);
            int f = InputShape[0];
            for (int i = 0; i < input.Length; i++) output[i] = Weight.Value[i % f] * input[i];
            return output;
        }

        public override Tensor<double> Backward(Tensor<double> outputGrad)
        {
            var input = _input!;
            var inputGrad = Tensor.Reuse(ref _inputGrad, input.Shape);
            int f = InputShape[0], last = (input.Shape[0] - 1) * f;
            for (int i = 0; i < input.Length; i++) inputGrad[i] = Weight.Value[i % f] * outputGrad[i];
            for (int j = 0; j < f; j++) Weight.Grad[j] += outputGrad[last + j] * input[last + j]; // bug: only the last example
            return inputGrad;
        }
    }

    private static Linear<double> FixedLinear()
    {
        var linear = new Linear<double>(3, 2);
        new double[] { 0.3, -0.8, 0.5, 1.1, 0.2, -0.4 }.CopyTo(linear.Weight.Value.Data, 0);
        new double[] { 0.1, -0.2 }.CopyTo(linear.Bias!.Value.Data, 0);
        return linear;
    }

    private static readonly Batch<double> TwoExamples = new(
        new Tensor<double>([0.5, -1.0, 2.0, 1.5, 0.25, -0.75], 2, 3),
        new Tensor<double>([0.2, -0.1, 0.7, 0.4], 2, 2));

    [Fact]
    public void A_correct_model_passes()
    {
        var model = new Sequential<double>([3], [FixedLinear(), new Tanh<double>([2])]);
        var entries = GradientCheck.Run(model, new MSELoss<double>(), TwoExamples);
        Assert.Equal(["0.weight", "0.bias", "input"], entries.Select(e => e.Name));
        Assert.Equal([2, 3], entries[0].Shape);
        Assert.All(entries, e => Assert.True(e.Passed, $"{e.Name}: max abs {e.MaxAbsoluteError}, max rel {e.MaxRelativeError}"));
        Assert.All(entries, e => Assert.True(e.MaxRelativeError < 1e-6, $"{e.Name}: {e.MaxRelativeError}"));
    }

    [Theory]
    [InlineData(2.0)]
    [InlineData(1.001)]
    [InlineData(-1.0)]
    public void A_backward_pass_off_by_a_factor_fails_everywhere_upstream(double factor)
    {
        var model = new Sequential<double>([3], [FixedLinear(), new MisscaledTanh([2], factor)]);
        var entries = GradientCheck.Run(model, new MSELoss<double>(), TwoExamples);
        Assert.Equal(["0.weight", "0.bias", "input"], entries.Select(e => e.Name));
        Assert.All(entries, e => Assert.False(e.Passed, $"{e.Name} passed with a factor {factor} error"));
        // Every analytic gradient is factor × the true one, so the worst relative error is |factor − 1| / max(|factor|, 1).
        double expected = Math.Abs(factor - 1) / Math.Max(Math.Abs(factor), 1);
        Assert.All(entries, e => Assert.Equal(expected, e.MaxRelativeError, 1e-6));
    }

    [Fact]
    public void A_wrong_parameter_gradient_fails_only_that_parameter()
    {
        var model = new Sequential<double>([3], [new ScaleWithBatchBug(3)]);
        var entries = GradientCheck.Run(model, new HalfSSELoss<double>(), new Batch<double>(
            new Tensor<double>([0.5, -1.0, 2.0, 1.5, 0.25, -0.75], 2, 3),
            new Tensor<double>([0.2, -0.1, 0.7, 0.4, 0.3, -0.9], 2, 3)));
        Assert.Equal(["0.weight", "input"], entries.Select(e => e.Name));
        Assert.False(entries[0].Passed);
        Assert.True(entries[1].Passed);
    }

    [Fact]
    public void A_small_cnn_from_a_model_file_passes()
    {
        var spec = ModelFile.Parse("""
            {"input": [2, 6, 5], "seed": 7, "layers": [
              {"type": "conv2d", "out_channels": 3, "kernel_size": [3, 2], "stride": [1, 2], "padding": 1},
              {"type": "tanh"},
              {"type": "avgpool2d", "kernel_size": 2, "stride": 1},
              {"type": "conv2d", "out_channels": 2, "kernel_size": 2, "bias": false},
              {"type": "gelu"},
              {"type": "flatten"},
              {"type": "linear", "out": 4},
              {"type": "softplus", "beta": 2}
            ]}
            """, "test");
        var model = ModelFile.Build<double>(spec, "test");
        var x = new Tensor<double>(2, 2, 6, 5);
        for (int i = 0; i < x.Length; i++) x[i] = Math.Sin(1.7 * i + 0.3);
        var batch = new Batch<double>(x, new Tensor<double>([3.0, 1], 2));
        var entries = GradientCheck.Run(model, new CrossEntropyLoss<double>(), batch);
        Assert.Equal(["0.weight", "0.bias", "3.weight", "6.weight", "6.bias", "input"], entries.Select(e => e.Name));
        Assert.All(entries, e => Assert.True(e.Passed, $"{e.Name}: max abs {e.MaxAbsoluteError}, max rel {e.MaxRelativeError}"));
    }
}
