using Backprop.Data;
using Backprop.Diagnostics;
using Backprop.Examples;
using Backprop.Losses;
using Backprop.Models;
using Backprop.Tensors;
using Backprop.Tests.CrossCheck;

namespace Backprop.Tests.Diagnostics;

public class JacobianTests
{
    private static Sequential<double> Model(string json) => ModelFile.Build<double>(ModelFile.Parse(json, "test"), "test");

    private static Batch<double> Batch(int n, int features, Rng rng, int outputs = 1)
    {
        var x = new Tensor<double>(n, features);
        for (int i = 0; i < x.Length; i++) x[i] = rng.Uniform(-2, 2);
        return new Batch<double>(x, new Tensor<double>(n, outputs));
    }

    /// <summary>
    /// A weight with no entry near 0 (|w| in [0.5, 2], random signs): an all-zero or degenerate draw would make "the
    /// Jacobian equals W" pass for the wrong reason, or fail the structure notes.
    /// </summary>
    private static string Weight(int rows, int columns, Rng rng) =>
        "[" + string.Join(", ", Enumerable.Range(0, rows).Select(_ => "[" + string.Join(", ", Enumerable.Range(0, columns)
            .Select(_ => NumberFormat.RoundTrip((rng.NextInt(2) == 0 ? -1 : 1) * rng.Uniform(0.5, 2)))) + "]")) + "]";

    [Fact]
    public void A_linear_layer_s_jacobian_is_its_weight_exactly()
    {
        var rng = new Rng(1);
        for (int trial = 0; trial < 10; trial++)
        {
            int inF = 1 + rng.NextInt(5), outF = 1 + rng.NextInt(5);
            var model = Model($$"""{"input": [{{inF}}], "layers": [{"type": "linear", "out": {{outF}}, "weight": {{Weight(outF, inF, rng)}}}, {"type": "tanh"}]}""");
            var batch = Batch(3, inF, rng);
            var w = model.Layers[0].Parameters[0].Value.ToDoubleArray();
            var local = Jacobian.Compute(model, batch, new JacobianRequest { Example = 2, Layer = 0 });
            Assert.Equal(w, local.Values);
            Assert.Equal((outF, inF), (local.Rows, local.Columns));
            Assert.Contains(local.Structure, n => n.StartsWith("equal to 0.weight:", StringComparison.Ordinal));

            // The sheet layout is the transpose, and says so.
            var sheet = Jacobian.Compute(model, batch, new JacobianRequest { Layer = 0, Layout = JacobianLayout.Sheet });
            for (int r = 0; r < outF; r++)
                for (int c = 0; c < inF; c++)
                    Assert.Equal(w[r * inF + c], sheet[c, r]);
            Assert.Equal(local.ColumnLabels, sheet.RowLabels);
            Assert.Contains(sheet.Structure, n => n.StartsWith("equal to 0.weightᵀ:", StringComparison.Ordinal));
        }
    }

    [Fact]
    public void A_model_of_one_linear_layer_has_its_weight_as_jacobian()
    {
        var rng = new Rng(2);
        var model = Model($$"""{"input": [3], "layers": [{"type": "linear", "out": 2, "weight": {{Weight(2, 3, rng)}}}]}""");
        var j = Jacobian.Compute(model, Batch(2, 3, rng), new JacobianRequest { Example = 1 });
        Assert.Equal(model.Layers[0].Parameters[0].Value.ToDoubleArray(), j.Values);
        Assert.Equal(["ŷ₁", "ŷ₂"], j.RowLabels);
        Assert.Equal(["x₁", "x₂", "x₃"], j.ColumnLabels);
        Assert.Equal("∂ŷ/∂x", j.Title);
    }

    [Fact]
    public void Softmax_s_jacobian_is_diag_s_minus_s_s_transposed_and_its_rows_sum_to_zero()
    {
        var rng = new Rng(3);
        var model = Model($$"""{"input": [3], "layers": [{"type": "linear", "out": 4, "weight": {{Weight(4, 3, rng)}}}, {"type": "softmax"}]}""");
        var batch = Batch(2, 3, rng);
        var j = Jacobian.Compute(model, batch, new JacobianRequest { Example = 1, Layer = 1 });
        var s = model.Clone().Forward(batch.X).ToDoubleArray().Skip(4).ToArray();
        for (int r = 0; r < 4; r++)
        {
            for (int c = 0; c < 4; c++)
                Assert.Equal((r == c ? s[r] : 0) - s[r] * s[c], j[r, c], 1e-15);
            Assert.True(Math.Abs(Enumerable.Range(0, 4).Sum(c => j[r, c])) < 1e-15);
        }
        Assert.Equal(["ŷ₁", "ŷ₂", "ŷ₃", "ŷ₄"], j.RowLabels);
        Assert.Equal(["h⁽¹⁾₁", "h⁽¹⁾₂", "h⁽¹⁾₃", "h⁽¹⁾₄"], j.ColumnLabels);
        Assert.Contains(j.Structure, n => n.StartsWith("symmetric", StringComparison.Ordinal));
        Assert.Contains(j.Structure, n => n.StartsWith("every row sums to 0", StringComparison.Ordinal));
        Assert.Contains(j.Structure, n => n.StartsWith("every column sums to 0", StringComparison.Ordinal));
        Assert.Contains(j.Structure, n => n.StartsWith("equal to diag(s) − s sᵀ", StringComparison.Ordinal));
        Assert.Contains("rank 3 of a possible 4", j.Structure);

        // The whole model ends in softmax: its outputs sum to 1 whatever x is, so every column of ∂ŷ/∂x sums to 0.
        var whole = Jacobian.Compute(model, batch, new JacobianRequest());
        Assert.Contains(whole.Structure, n => n.StartsWith("every column sums to 0", StringComparison.Ordinal));
        Assert.DoesNotContain(whole.Structure, n => n.StartsWith("every row sums to 0", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("relu")]
    [InlineData("leaky_relu")]
    [InlineData("sigmoid")]
    [InlineData("tanh")]
    [InlineData("softplus")]
    [InlineData("gelu")]
    public void An_elementwise_layer_s_jacobian_is_diagonal_with_its_derivative(string activation)
    {
        var rng = new Rng(4);
        var model = Model($$"""{"input": [4], "layers": [{"type": "linear", "out": 5, "weight": {{Weight(5, 4, rng)}}}, {"type": "{{activation}}"}]}""");
        var batch = Batch(2, 4, rng);
        var j = Jacobian.Compute(model, batch, new JacobianRequest { Example = 1, Layer = 1 });
        var ones = new Tensor<double>(2, 5);
        ones.Fill(1);
        var m = model.Clone();
        m.Forward(batch.X);
        var derivative = m.Layers[1].Backward(ones).ToDoubleArray().Skip(5).ToArray();
        for (int r = 0; r < 5; r++)
            for (int c = 0; c < 5; c++)
                Assert.Equal(r == c ? derivative[r] : 0, j[r, c]);
        if (derivative.All(d => Math.Abs(d) > 1e-3))
            Assert.Contains(j.Structure, n => n.StartsWith("diagonal", StringComparison.Ordinal));
        Assert.True(Jacobian.Check(model, batch, new JacobianRequest { Example = 1, Layer = 1 }).Passed);
    }

    [Fact]
    public void The_identity_layer_s_jacobian_is_the_identity()
    {
        var model = Model("""{"input": [3], "layers": [{"type": "identity"}]}""");
        var j = Jacobian.Compute(model, Batch(1, 3, new Rng(5)), new JacobianRequest { Layer = 0 });
        Assert.Equal([1.0, 0, 0, 0, 1, 0, 0, 0, 1], j.Values);
        Assert.Contains(j.Structure, n => n.StartsWith("the identity", StringComparison.Ordinal));
    }

    /// <summary>Seed 002, 1.2(d) and (e): the Jacobians of g∘f and f + g for linear maps are W₂W₁ and W₁ + W₂, exactly.</summary>
    [Fact]
    public void Seed002_examples_give_w2_w1_and_w1_plus_w2_exactly()
    {
        var compose = Problem.FromExample<double>("seed002-compose");
        var w1 = compose.Model.Layers[0].Parameters[0].Value;
        var w2 = compose.Model.Layers[1].Parameters[0].Value;
        int a = w1.Shape[1], b = w1.Shape[0], c = w2.Shape[0];
        var product = new double[c * a];
        for (int r = 0; r < c; r++)
            for (int k = 0; k < a; k++)
                for (int i = 0; i < b; i++)
                    product[r * a + k] += w2[r, i] * w1[i, k];
        var j = Jacobian.Compute(compose.Model, compose.Batch, new JacobianRequest());
        Assert.Equal(product, j.Values);
        Assert.Equal([3.0, 1, -1, -3, 14, 4], j.Values);
        Assert.Contains(j.Structure, n => n.StartsWith("equal to 1.weight · 0.weight:", StringComparison.Ordinal));

        var sum = Problem.FromExample<double>("seed002-sum");
        var stacked = sum.Model.Layers[0].Parameters[0].Value; // [W₁; W₂]
        int rows = stacked.Shape[0] / 2, columns = stacked.Shape[1];
        var expected = new double[rows * columns];
        for (int r = 0; r < rows; r++)
            for (int k = 0; k < columns; k++)
                expected[r * columns + k] = stacked[r, k] + stacked[rows + r, k];
        var h = Jacobian.Compute(sum.Model, sum.Batch, new JacobianRequest());
        Assert.Equal(expected, h.Values);
        Assert.Equal([3.0, 2, -1, 0, 1, 5], h.Values);
        // The structure names the sum, W₁ + W₂, as the blocks of the stacked weight (and the product it also is).
        Assert.StartsWith("equal to W₁ + W₂ = 0.weight[0:2] + 0.weight[2:4]: ", h.Structure[0]);
        Assert.Contains(h.Structure, n => n.StartsWith("equal to 1.weight · 0.weight:", StringComparison.Ordinal));
        Assert.DoesNotContain(j.Structure, n => n.Contains('+'));
        var sheet = Jacobian.Compute(sum.Model, sum.Batch, new JacobianRequest { Layout = JacobianLayout.Sheet });
        Assert.StartsWith("equal to (W₁ + W₂ = 0.weight[0:2] + 0.weight[2:4])ᵀ: ", sheet.Structure[0]);

        // f32 too: small integers are exact in float32.
        var single = Problem.FromExample<float>("seed002-compose");
        Assert.Equal(product, Jacobian.Compute(single.Model, single.Batch, new JacobianRequest()).Values);
    }

    [Fact]
    public void Parameters_are_flattened_in_state_dict_order_row_major()
    {
        var rng = new Rng(6);
        var model = Model($$"""{"input": [3], "layers": [{"type": "linear", "out": 2, "weight": {{Weight(2, 3, rng)}}}]}""");
        var batch = Batch(2, 3, rng);
        var j = Jacobian.Compute(model, batch, new JacobianRequest { Example = 1, Wrt = "params" });
        Assert.Equal(["0.weight[0,0]", "0.weight[0,1]", "0.weight[0,2]", "0.weight[1,0]", "0.weight[1,1]", "0.weight[1,2]", "0.bias[0]", "0.bias[1]"], j.ColumnLabels);
        // ∂ŷⱼ/∂W[r,c] = δⱼᵣ·x_c, ∂ŷⱼ/∂b[r] = δⱼᵣ
        double[] x = [batch.X[1, 0], batch.X[1, 1], batch.X[1, 2]];
        Assert.Equal([x[0], x[1], x[2], 0, 0, 0, 1, 0], Enumerable.Range(0, 8).Select(col => j[0, col]));
        Assert.Equal([0, 0, 0, x[0], x[1], x[2], 0, 1], Enumerable.Range(0, 8).Select(col => j[1, col]));
        var bias = Jacobian.Compute(model, batch, new JacobianRequest { Wrt = "0.bias" });
        Assert.Equal([1.0, 0, 0, 1], bias.Values);
        Assert.Equal("∂ŷ/∂(0.bias)", bias.Title);
    }

    [Fact]
    public void The_loss_row_of_one_example_is_that_example_s_gradient()
    {
        var rng = new Rng(7);
        var model = Model($$"""{"input": [3], "layers": [{"type": "linear", "out": 4, "weight": {{Weight(4, 3, rng)}}}, {"type": "sigmoid"}, {"type": "linear", "out": 2, "weight": {{Weight(2, 4, rng)}}}]}""");
        var loss = LossFunctions.Create<double>("mse");
        var batch = Batch(3, 3, rng, outputs: 2);
        for (int k = 0; k < 3; k++)
        {
            // The example alone as a batch of one: `backprop grad` on it.
            var one = new Batch<double>(new Tensor<double>(batch.X.Data.AsSpan(3 * k, 3).ToArray(), 1, 3), new Tensor<double>(batch.Y.Data.AsSpan(2 * k, 2).ToArray(), 1, 2));
            var report = GradientReport.Compute(model.Clone(), loss, one);
            var wrtParams = Jacobian.Compute(model, batch, new JacobianRequest { Example = k, Of = JacobianOf.Loss, Wrt = "params" }, loss);
            Assert.Equal(["L"], wrtParams.RowLabels);
            Assert.Equal(report.Grads.SelectMany(g => g.Grad.Values), wrtParams.Values);
            var wrtInput = Jacobian.Compute(model, batch, new JacobianRequest { Example = k, Of = JacobianOf.Loss }, loss);
            Assert.Equal(report.InputGrad.Values, wrtInput.Values);
        }
    }

    [Fact]
    public void In_training_mode_batchnorm_couples_the_batch_and_each_example_is_taken_with_the_rest_held_fixed()
    {
        var rng = new Rng(8);
        var model = Model($$"""{"input": [3], "layers": [{"type": "linear", "out": 4, "weight": {{Weight(4, 3, rng)}}}, {"type": "batchnorm1d"}, {"type": "tanh"}, {"type": "linear", "out": 2, "weight": {{Weight(2, 4, rng)}}}]}""");
        var batch = Batch(4, 3, rng, outputs: 2);
        var before = ModelFile.Write(model);
        foreach (string wrt in new[] { "input", "params", "1.weight" })
            for (int k = 0; k < 4; k++)
            {
                var check = Jacobian.Check(model, batch, new JacobianRequest { Example = k, Wrt = wrt });
                Assert.True(check.Passed, $"{wrt}, example {k}: {check.MaxAbsoluteError}");
            }
        var layer = Jacobian.Check(model, batch, new JacobianRequest { Example = 2, Layer = 1 });
        Assert.True(layer.Passed);
        // Not diagonal: each output of the example depends on its own feature only, but through the batch's mean and
        // variance its Jacobian is no longer the eval-mode diagonal γ/√(σ² + ε).
        var train = Jacobian.Compute(model, batch, new JacobianRequest { Example = 2, Layer = 1 });
        var eval = Jacobian.Compute(model.Clone().Eval(), batch, new JacobianRequest { Example = 2, Layer = 1 });
        Assert.NotEqual(train.Values, eval.Values);
        Assert.Equal(before, ModelFile.Write(model)); // the running statistics were not moved
    }

    [Fact]
    public void In_training_mode_dropout_keeps_one_mask_for_every_row_and_for_the_check()
    {
        var rng = new Rng(9);
        var model = Model($$"""{"input": [6], "seed": 3, "layers": [{"type": "linear", "out": 6, "weight": {{Weight(6, 6, rng)}}}, {"type": "dropout", "p": 0.5}, {"type": "linear", "out": 3, "weight": {{Weight(3, 6, rng)}}}]}""");
        var batch = Batch(2, 6, rng, outputs: 3);
        ulong[] generator = model.Context.Generator.State;
        foreach (int? layer in new int?[] { null, 1 })
            foreach (string wrt in layer is null ? new[] { "input", "params" } : ["input"])
                Assert.True(Jacobian.Check(model, batch, new JacobianRequest { Example = 1, Layer = layer, Wrt = wrt }).Passed, $"layer {layer}, {wrt}");
        var local = Jacobian.Compute(model, batch, new JacobianRequest { Example = 1, Layer = 1 });
        var diagonal = Enumerable.Range(0, 6).Select(i => local[i, i]).ToList();
        Assert.All(diagonal, d => Assert.True(d is 0 or 2, $"{d}"));
        Assert.Contains(0.0, diagonal);
        Assert.Contains(2.0, diagonal);
        Assert.Equal(generator, model.Context.Generator.State); // the caller's generator did not move
    }

    [Fact]
    public void Compute_all_gives_each_example_s_jacobian()
    {
        var rng = new Rng(10);
        var model = Model($$"""{"input": [2], "layers": [{"type": "linear", "out": 3, "weight": {{Weight(3, 2, rng)}}}, {"type": "relu"}]}""");
        var batch = Batch(3, 2, rng);
        var all = Jacobian.ComputeAll(model, batch, new JacobianRequest { Example = 2 });
        Assert.Equal([0, 1, 2], all.Select(j => j.Request.Example));
        for (int k = 0; k < 3; k++)
            Assert.Equal(Jacobian.Compute(model, batch, new JacobianRequest { Example = k }).Values, all[k].Values);
    }

    [Fact]
    public void Bad_requests_are_refused_with_one_clear_line()
    {
        var model = Model("""{"input": [2], "layers": [{"type": "linear", "out": 2}, {"type": "relu"}]}""");
        var batch = Batch(2, 2, new Rng(11));
        string Message(JacobianRequest r, Loss<double>? loss = null) =>
            Assert.Throws<BackpropException>(() => Jacobian.Compute(model, batch, r, loss)).Message;
        Assert.Equal("example index 2 is out of range: the data has 2 examples (0 to 1)", Message(new() { Example = 2 }));
        Assert.Equal("example index -1 is out of range: the data has 2 examples (0 to 1)", Message(new() { Example = -1 }));
        Assert.Equal("layer 2 is out of range: the model has 2 layers (0 to 1)", Message(new() { Layer = 2 }));
        Assert.Equal("wrt '2.weight' is neither input, params nor a parameter of the model; its parameters: 0.weight, 0.bias", Message(new() { Wrt = "2.weight" }));
        Assert.Equal("wrt params: layer 1 (relu) has no parameters", Message(new() { Layer = 1, Wrt = "params" }));
        Assert.Equal("the Jacobian of the loss needs a loss", Message(new() { Of = JacobianOf.Loss }));
        Assert.StartsWith("a layer's local Jacobian is of its output", Message(new() { Of = JacobianOf.Loss, Layer = 0 }, LossFunctions.Create<double>("mse")));
        Assert.Throws<BackpropException>(() => Jacobian.Check(model, batch, new JacobianRequest(), step: 0));
    }

    /// <summary>Every family of the cross-check's random networks (every layer type, both modes): the Jacobian against central differences.</summary>
    [Fact]
    public void Check_passes_on_random_networks_of_every_layer_type()
    {
        var failures = new List<string>();
        int count = 0;
        foreach (var c in JacobianTorchTests.Cases())
        {
            var model = ModelFile.Build<double>(ModelFile.Parse(c.Case.ModelJson, c.Case.Name), c.Case.Name);
            if (c.Case.Mode == "eval") model.Eval();
            var batch = DataFile.Parse<double>(c.Case.DataJson, c.Case.Name, model.InputShape);
            var loss = LossFunctions.Create<double>(c.Case.Loss);
            var check = Jacobian.Check(model, batch, c.Request, loss);
            count++;
            if (!check.Passed) failures.Add($"{c.Name}: max abs error {check.MaxAbsoluteError:E2}, max rel error {check.MaxRelativeError:E2}");
        }
        Assert.True(count >= 50, $"only {count} requests");
        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }
}
