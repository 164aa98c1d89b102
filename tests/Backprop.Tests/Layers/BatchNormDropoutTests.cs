using System.Text.Json;
using Backprop.Diagnostics;
using Backprop.Layers;
using Backprop.Losses;
using Backprop.Models;
using Backprop.Tensors;
using Backprop.Tests.Cli;

namespace Backprop.Tests.Layers;

/// <summary>
/// Batch normalisation and dropout beyond the per-layer properties (LayerPropertiesTests, both modes) and the PyTorch
/// cross-check (TorchCrossCheckTests, both modes, running statistics included): whole-model gradient checks, the
/// running-statistics rule, modes, dropout's statistics and repeatability, and `grad --mode`.
/// </summary>
public class BatchNormDropoutTests
{
    private static Sequential<double> Model(string layers, int[] input, ulong seed = 3) =>
        ModelFile.Build<double>(ModelFile.Parse($$"""{"input": [{{string.Join(", ", input)}}], "seed": {{seed}}, "layers": [{{layers}}]}""", "model.json"), "model.json");

    private static Tensor<double> Random(Rng rng, params int[] shape) =>
        Tensor<double>.FromDoubles(Enumerable.Range(0, Tensor.SizeOf(shape)).Select(_ => rng.Uniform(-2, 2)).ToArray(), shape);

    public static TheoryData<string, bool> Networks => new()
    {
        { "mlp", true }, { "mlp", false }, { "cnn", true }, { "cnn", false },
    };

    /// <summary>Every parameter and the input against central differences, over random shapes and batches.</summary>
    [Theory, MemberData(nameof(Networks))]
    public void Gradient_check_passes_in_both_modes_over_random_shapes(string family, bool training)
    {
        var rng = new Rng(training ? 11UL : 12UL);
        for (int trial = 0; trial < 6; trial++)
        {
            int n = 2 + rng.NextInt(3);
            Sequential<double> model;
            if (family == "mlp")
            {
                int f = 1 + rng.NextInt(5), h = 1 + rng.NextInt(5);
                model = Model($$"""{"type": "linear", "out": {{h}}}, {"type": "batchnorm1d", "momentum": null}, {"type": "tanh"}, {"type": "dropout", "p": 0.4}, {"type": "linear", "out": 2}""", [f], (ulong)trial);
            }
            else
            {
                int c = 1 + rng.NextInt(2), hw = 3 + rng.NextInt(3);
                model = Model("""{"type": "conv2d", "out_channels": 2, "kernel_size": 2}, {"type": "batchnorm2d", "eps": 0.001}, {"type": "sigmoid"}, {"type": "flatten"}, {"type": "linear", "out": 2}""", [c, hw, hw], (ulong)trial);
            }
            if (!training)
            {
                model.Forward(Random(rng, Tensor.Batched(n, model.InputShape))); // running statistics away from 0 and 1
                model.Eval();
            }
            var x = Random(rng, Tensor.Batched(n, model.InputShape));
            var y = Random(rng, n, 2);
            var entries = GradientCheck.Run(model, new MSELoss<double>(), new Backprop.Data.Batch<double>(x, y));
            Assert.All(entries, e => Assert.True(e.Passed, $"{family} {(training ? "train" : "eval")} trial {trial}: {e}"));
        }
    }

    [Fact]
    public void A_step_allocates_nothing_once_warm_in_either_mode()
    {
        var model = Model("""{"type": "conv2d", "out_channels": 3, "kernel_size": 3}, {"type": "batchnorm2d"}, {"type": "relu"}, {"type": "dropout", "p": 0.3}, {"type": "flatten"}, {"type": "linear", "out": 4}, {"type": "batchnorm1d", "momentum": null}""", [2, 6, 6]);
        var rng = new Rng(4);
        var x = Random(rng, 8, 2, 6, 6);
        var g = Random(rng, 8, 4);
        void Step()
        {
            model.ZeroGrad();
            model.Forward(x);
            model.Backward(g);
        }
        Assert.Equal(0, Support.Allocations.Fewest(Step));
        model.Eval();
        Assert.Equal(0, Support.Allocations.Fewest(Step));
    }

    [Fact]
    public void Training_mode_updates_the_running_statistics_as_PyTorch_evaluation_mode_leaves_them()
    {
        var model = Model("""{"type": "batchnorm1d", "momentum": 0.25}""", [2]);
        Assert.True(model.Training); // PyTorch's default
        var x = Tensor<double>.FromDoubles([1, 10, 2, 20, 6, 60], 3, 2);
        var y = model.Forward(x);
        var bn = (BatchNorm1d<double>)model.Layers[0];
        // feature 0: mean 3, biased variance 14/3, unbiased 7
        Assert.Equal(0.25 * 3, bn.RunningMean!.Value[0], 14);
        Assert.Equal(0.75 * 1 + 0.25 * 7, bn.RunningVar!.Value[0], 14);
        Assert.Equal(1.0, bn.NumBatchesTracked!.Value[0]);
        Assert.Equal((1 - 3) / Math.Sqrt(14.0 / 3 + 1e-5), y[0], 12);
        Assert.Equal(["0.running_mean", "0.running_var", "0.num_batches_tracked"], model.NamedBuffers.Select(b => b.Name));
        Assert.Equal(["0.weight", "0.bias"], model.NamedParameters.Select(p => p.Name)); // optimisers see these only

        double[] before = bn.RunningMean.Value.ToDoubleArray();
        model.Eval();
        var z = model.Forward(x);
        Assert.Equal(before, bn.RunningMean.Value.ToDoubleArray());
        Assert.Equal(1.0, bn.NumBatchesTracked.Value[0]);
        Assert.Equal((1 - 0.75) / Math.Sqrt(0.75 + 1.75 + 1e-5), z[0], 12);
    }

    [Fact]
    public void Model_files_write_and_read_the_running_statistics()
    {
        var model = Model("""{"type": "linear", "out": 3}, {"type": "batchnorm1d", "momentum": null, "eps": 0.01}""", [2]);
        model.Forward(Random(new Rng(5), 4, 2));
        string json = ModelFile.Write(model);
        var back = ModelFile.Build<double>(ModelFile.Parse(json, "back.json"), "back.json");
        Assert.Equal(model.NamedBuffers.Select(b => b.Buffer.Value.ToDoubleArray()), back.NamedBuffers.Select(b => b.Buffer.Value.ToDoubleArray()));
        Assert.Contains("\"num_batches_tracked\": 1", json);
        Assert.Contains("\"momentum\": null", json);
        Assert.Equal(json, ModelFile.Write(back));
    }

    [Fact]
    public void Dropout_keeps_1_minus_p_of_the_elements_scaled_so_that_the_mean_is_kept()
    {
        foreach (double p in new[] { 0.1, 0.5, 0.8 })
        {
            var model = Model($$"""{"type": "dropout", "p": {{p}}}""", [1000]);
            var ones = new Tensor<double>(100, 1000);
            ones.Fill(1);
            double kept = 0, sum = 0;
            const int draws = 5;
            for (int d = 0; d < draws; d++)
            {
                var y = model.Forward(ones);
                foreach (double v in y.Data)
                {
                    if (v != 0) { kept++; Assert.Equal(1 / (1 - p), v, 12); }
                    sum += v;
                }
            }
            double count = draws * ones.Length, fraction = kept / count, sigma = Math.Sqrt(p * (1 - p) / count);
            Assert.True(Math.Abs(fraction - (1 - p)) < 5 * sigma, $"p {p}: kept {fraction}");
            Assert.True(Math.Abs(sum / count - 1) < 5 * sigma / (1 - p), $"p {p}: mean {sum / count}");
        }
    }

    [Fact]
    public void Dropout_masks_repeat_with_the_seed_backward_uses_the_mask_and_eval_p0_p1_are_as_PyTorch()
    {
        var x = Random(new Rng(1), 4, 6);
        var a = Model("""{"type": "dropout", "p": 0.5}""", [6], seed: 9);
        var b = Model("""{"type": "dropout", "p": 0.5}""", [6], seed: 9);
        double[] ya = a.Forward(x).ToDoubleArray();
        Assert.Equal(ya, b.Forward(x).ToDoubleArray());
        Assert.NotEqual(ya, a.Forward(x).ToDoubleArray()); // a new mask each pass
        var ones = new Tensor<double>(4, 6);
        ones.Fill(1);
        var mask = ((Dropout<double>)a.Layers[0]).Mask!.ToDoubleArray();
        Assert.Equal(mask, a.Backward(ones).ToDoubleArray());

        a.Eval();
        Assert.Same(x, a.Forward(x));
        var zero = Model("""{"type": "dropout", "p": 0}""", [6]);
        Assert.Same(x, zero.Forward(x)); // p = 0 passes x on and draws nothing
        var one = Model("""{"type": "dropout", "p": 1}""", [6]);
        Assert.All(one.Forward(x).Data, v => Assert.Equal(0.0, v));
        Assert.All(one.Backward(ones).Data, v => Assert.Equal(0.0, v));
    }

    [Fact]
    public void Grad_prints_the_buffers_after_the_forward_pass_in_training_mode_only()
    {
        string dir = Directory.CreateTempSubdirectory("backprop-bn-").FullName;
        try
        {
            string model = Path.Combine(dir, "m.json"), data = Path.Combine(dir, "d.json");
            File.WriteAllText(model, """{"input": [2], "layers": [{"type": "linear", "out": 2, "weight": [[1, 2], [3, -1]], "bias": [0, 1]}, {"type": "batchnorm1d"}]}""");
            File.WriteAllText(data, """{"x": [[1, 0], [0, 1], [2, 2]], "y": [[0, 1], [1, 0], [1, 1]]}""");
            var (code, stdout, stderr) = BadInputTests.Run(["grad", "--model", model, "--data", data, "--loss", "mse"]);
            Assert.True(code == 0, stderr);
            using var doc = JsonDocument.Parse(stdout);
            var buffers = doc.RootElement.GetProperty("buffers");
            Assert.Equal(["1.running_mean", "1.running_var", "1.num_batches_tracked"], buffers.EnumerateObject().Select(p => p.Name));
            Assert.Equal(1, buffers.GetProperty("1.num_batches_tracked").GetInt32());
            Assert.Equal(0.1 * (1 + 2 + 6) / 3.0, buffers.GetProperty("1.running_mean")[0].GetDouble(), 14); // feature 0 of x·Wᵀ: 1, 2, 6

            (code, stdout, stderr) = BadInputTests.Run(["grad", "--model", model, "--data", data, "--loss", "mse", "--mode", "eval"]);
            Assert.True(code == 0, stderr);
            using var eval = JsonDocument.Parse(stdout);
            Assert.False(eval.RootElement.TryGetProperty("buffers", out _));

            (code, stdout, _) = BadInputTests.Run(["gradcheck", "--model", model, "--data", data, "--loss", "mse", "--mode", "train"]);
            Assert.Equal(0, code);
            Assert.Contains("gradient check passed", stdout);

            (code, stdout, stderr) = BadInputTests.Run(["trace", "--model", model, "--data", data, "--loss", "mse"]);
            Assert.True(code == 0, stderr);
            Assert.Contains("batch mean μ = [3.0000, ", stdout);
            Assert.Contains("batch variance σ² (biased) = [4.6667, ", stdout);
            Assert.Contains("normalised x̂ = (input − μ)/√(σ² + eps) = [[-0.9258, ", stdout);
            Assert.Contains("running_mean after the pass = [0.3000, ", stdout);
            (code, stdout, stderr) = BadInputTests.Run(["trace", "--model", model, "--data", data, "--loss", "mse", "--mode", "eval"]);
            Assert.True(code == 0, stderr);
            Assert.Contains("running mean μ = [0.0000, 0.0000]", stdout);
            Assert.DoesNotContain("after the pass", stdout);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    /// <summary>
    /// In training mode the worked solution's "loss after the update" uses the dropout masks of the pass before it, so
    /// with a learning rate of 0 it is the loss itself, bit for bit (new masks would change it with no update at all).
    /// </summary>
    [Fact]
    public void The_loss_after_the_update_keeps_the_dropout_masks()
    {
        var model = ModelFile.Build<double>(ModelFile.Parse("""
            {"input": [4], "seed": 7, "layers": [{"type": "linear", "out": 6}, {"type": "batchnorm1d"}, {"type": "relu"},
              {"type": "dropout", "p": 0.5}, {"type": "linear", "out": 2}, {"type": "dropout", "p": 0.5}]}
            """, "model"), "model");
        var batch = Backprop.Data.DataFile.Parse<double>("""{"x": [[1, -2, 0.5, 3], [0.1, 0.2, -0.3, 0.4], [2, 1, 0, -1]], "y": [[1, 0], [0, 1], [1, 1]]}""", "data", [4]);
        var loss = LossFunctions.Create<double>("mse");
        var still = WorkedSolution.Solve(model, loss, batch, learningRate: 0);
        Assert.Equal(still.Loss, still.After!.Loss);
        Assert.Equal(still.Forward[^1].Output.Values, still.After.Output.Values);
        var moved = WorkedSolution.Solve(model, loss, batch, learningRate: 0.1);
        Assert.True(moved.After!.Loss < moved.Loss, $"one SGD step on the same masks lowers the loss: {moved.Loss} then {moved.After.Loss}");
    }
}
