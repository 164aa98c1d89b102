using Backprop.Data;
using Backprop.Diagnostics;
using Backprop.Experiments;
using Backprop.Layers;
using Backprop.Losses;
using Backprop.Tensors;

namespace Backprop.Tests.Experiments;

/// <summary>Seed 000, practice 2: the 152-layer network, checked against the sheet's equations.</summary>
public class GradientFlowExperimentTests
{
    private const int Depth = GradientFlowExperiment.Depth;
    private static readonly GradientFlowExperimentResult Result = GradientFlowExperiment.Run(0);

    private static DeepNetworkRun Run(Wiring wiring, string activation, int deadUnits) =>
        Result.Runs.Single(r => r.Network.Wiring == wiring && r.Network.Activation == activation && r.Network.DeadUnits.Count == deadUnits);

    private static double Sigmoid(double a) => 1 / (1 + Math.Exp(-a));
    private static double H(string activation, double a) => activation == "sigmoid" ? Sigmoid(a) : Math.Max(0, a);
    private static double HPrime(string activation, double a) => activation == "sigmoid" ? Sigmoid(a) * (1 - Sigmoid(a)) : a > 0 ? 1 : 0;

    private static void Close(double expected, double actual, string what, double tolerance = 1e-12) =>
        Assert.True(Math.Abs(expected - actual) <= tolerance * Math.Abs(expected) || expected == actual,
            $"{what}: expected {expected:R}, got {actual:R}");

    [Theory]
    [InlineData("sigmoid", 0)]
    [InlineData("relu", 1)]
    public void The_two_chain_forward_pass_follows_the_sheets_equations(string activation, int dead)
    {
        // a_k⁽ˡ⁾ = w_k⁽ˡ⁾·o_k⁽ˡ⁻¹⁾, o = h(a); a⁽¹⁵²⁾ = w₁⁽¹⁵²⁾·o₁⁽¹⁵¹⁾ + w₂⁽¹⁵²⁾·o₂⁽¹⁵¹⁾; L = ½(o⁽¹⁵²⁾ − y)².
        var run = Run(Wiring.TwoChains, activation, dead);
        double o1 = GradientFlowExperiment.Input[0], o2 = GradientFlowExperiment.Input[1];
        for (int l = 1; l < Depth; l++)
        {
            var layer = run.Layers[l - 1];
            Assert.Equal(layer.W1 * o1, layer.A1);
            Assert.Equal(layer.W2 * o2, layer.A2);
            (o1, o2) = (H(activation, layer.A1), H(activation, layer.A2));
            Close(o1, layer.O1, $"o₁⁽{l}⁾");
            Close(o2, layer.O2, $"o₂⁽{l}⁾");
        }
        var top = run.Layers[^1];
        Close(top.W1 * o1 + top.W2 * o2, top.A1, "a⁽¹⁵²⁾");
        Close(0.5 * Math.Pow(H(activation, top.A1) - GradientFlowExperiment.Target, 2), run.Loss, "L");
    }

    [Fact]
    public void The_engines_dL_dw_equals_the_sheets_product_formula()
    {
        // (b): dL/dw₁⁽ˡ⁾ = (o⁽¹⁵²⁾ − y)·h′(a⁽¹⁵²⁾)·w₁⁽¹⁵²⁾ · Π_{m=l+1}^{151} w₁⁽ᵐ⁾h′(a₁⁽ᵐ⁾) · h′(a₁⁽ˡ⁾)·o₁⁽ˡ⁻¹⁾.
        var run = Run(Wiring.TwoChains, "sigmoid", 0);
        var top = run.Layers[^1];
        double upstream = (run.Output - GradientFlowExperiment.Target) * HPrime("sigmoid", top.A1) * top.W1; // dL/do₁⁽¹⁵¹⁾
        for (int l = Depth - 1; l >= 1; l--)
        {
            var layer = run.Layers[l - 1];
            Close(upstream, layer.DLdO1, $"dL/do₁⁽{l}⁾");
            double input = l == 1 ? GradientFlowExperiment.Input[0] : run.Layers[l - 2].O1;
            Close(upstream * HPrime("sigmoid", layer.A1) * input, layer.DLdW1, $"dL/dw₁⁽{l}⁾");
            upstream *= layer.W1 * HPrime("sigmoid", layer.A1);
        }
    }

    [Fact]
    public void Sigmoid_gradients_shrink_by_w_times_h_prime_at_most_a_quarter_per_layer()
    {
        var run = Run(Wiring.TwoChains, "sigmoid", 0);
        foreach (int unit in new[] { 1, 2 })
            for (int l = 1; l < Depth; l++)
            {
                var here = run.Layers[l - 1];
                var next = run.Layers[l];
                bool last = l + 1 == Depth;
                double ratio = Math.Abs(unit == 1 ? here.DLdO1 : here.DLdO2) / Math.Abs(last || unit == 1 ? next.DLdO1 : next.DLdO2);
                double w = unit == 1 ? next.W1 : next.W2;
                double hPrime = HPrime("sigmoid", last || unit == 1 ? next.A1 : next.A2);
                Close(Math.Abs(w * hPrime), ratio, $"chain {unit}, layer {l}");
                Assert.True(hPrime <= 0.25);
                Assert.True(ratio <= Math.Abs(w) / 4);
            }
        // Toward the input the gradient has all but vanished: 100 orders of magnitude over 150 layers.
        Assert.True(Math.Abs(run.Layers[0].DLdW1) < 1e-90 * Math.Abs(run.Layers[Depth - 2].DLdW1));
        Assert.True(Math.Abs(run.Layers[0].DLdW1) > 0);
    }

    [Fact]
    public void Two_chains_ReLU_one_dead_unit_zeroes_every_gradient_of_its_chain()
    {
        var run = Run(Wiring.TwoChains, "relu", 1);
        Assert.True(run.Layers[GradientFlowExperiment.DeadLayer - 1].A1 < 0);
        Assert.All(run.Layers, l => Assert.Equal(0, l.DLdW1));
        Assert.All(run.Layers, l => Assert.NotEqual(0, l.DLdW2));
        // Along the live chain ReLU′ = 1: the gradient passes back multiplied by w alone.
        for (int l = 1; l < Depth - 1; l++) Close(Math.Abs(run.Layers[l].W2), Math.Abs(run.Layers[l - 1].DLdO2 / run.Layers[l].DLdO2), $"layer {l}");
    }

    [Fact]
    public void Fully_connected_gradients_follow_the_matrix_chain_rule()
    {
        // dL/do⁽ˡ⁾_i = Σ_j W⁽ˡ⁺¹⁾[j, i]·h′(a_j⁽ˡ⁺¹⁾)·dL/do_j⁽ˡ⁺¹⁾, written out here; and ‖dL/do⁽ˡ⁾‖ ≤ ‖W‖_F·max h′·‖dL/do⁽ˡ⁺¹⁾‖.
        foreach (var (activation, dead) in new[] { ("sigmoid", 0), ("relu", 1) })
        {
            var run = Run(Wiring.FullyConnected, activation, dead);
            for (int l = 1; l < Depth; l++)
            {
                var here = run.Layers[l - 1];
                var next = run.Layers[l];
                int outs = l + 1 == Depth ? 1 : 2;
                double[] a = [next.A1, next.A2], d = [next.DLdO1, next.DLdO2], mine = [here.DLdO1, here.DLdO2];
                double maxH = 0;
                for (int i = 0; i < 2; i++)
                {
                    double expected = 0;
                    for (int j = 0; j < outs; j++)
                    {
                        expected += next.Weight[j * 2 + i] * HPrime(activation, a[j]) * d[j];
                        maxH = Math.Max(maxH, HPrime(activation, a[j]));
                    }
                    Close(expected, mine[i], $"{activation}: dL/do_{i + 1}⁽{l}⁾");
                }
                if (activation == "sigmoid")
                {
                    Assert.True(maxH <= 0.25);
                    Assert.True(GradientFlow.Norm(mine) <= GradientFlow.Norm(next.Weight.Values) * maxH * GradientFlow.Norm(d.AsSpan(0, outs)) * (1 + 1e-12));
                }
            }
        }
        var sigmoid = Run(Wiring.FullyConnected, "sigmoid", 0);
        Assert.True(sigmoid.Layers[0].WeightGradNorm < 1e-90 * sigmoid.Layers[Depth - 2].WeightGradNorm);
    }

    [Fact]
    public void Fully_connected_ReLU_one_dead_unit_zeroes_only_the_weights_into_and_out_of_it()
    {
        var run = Run(Wiring.FullyConnected, "relu", 1);
        int dead = GradientFlowExperiment.DeadLayer;
        Assert.True(run.Layers[dead - 1].A1 < 0);
        Assert.True(run.Layers[dead - 1].A2 > 0);
        for (int l = 1; l <= Depth; l++)
        {
            var g = run.Layers[l - 1].WeightGrad.Values;
            for (int k = 0; k < g.Length; k++)
            {
                // Into the dead unit: row 1 of W⁽⁷⁶⁾; out of it: column 1 of W⁽⁷⁷⁾ (its output o₁⁽⁷⁶⁾ = 0 is their input).
                bool zero = (l == dead && k / 2 == 0) || (l == dead + 1 && k % 2 == 0);
                if (zero) Assert.Equal(0, g[k]);
                else Assert.True(g[k] != 0, $"layer {l}, weight {k}: the gradient goes around the dead unit through unit 2");
            }
        }
        Assert.Equal([dead, dead + 1], GradientFlowExperiment.ZeroGradientLayers(run, 1));
    }

    [Fact]
    public void Fully_connected_ReLU_a_whole_dead_layer_zeroes_every_gradient()
    {
        var run = Run(Wiring.FullyConnected, "relu", 2);
        Assert.All(run.Layers, l => Assert.All(l.WeightGrad.Values, g => Assert.Equal(0, g)));
        Assert.Equal(0, run.Output);
        Assert.Equal(0.5, run.Loss); // the loss is not at a minimum: nothing can be learned from here
    }

    [Fact]
    public void The_network_passes_the_gradient_check()
    {
        var network = GradientFlowExperiment.Networks.Single(n => n.Wiring == Wiring.TwoChains && n.Activation == "sigmoid");
        var model = GradientFlowExperiment.Build(network, 0);
        var batch = new Batch<double>(new Tensor<double>([1.0, 1], 1, 2), new Tensor<double>([1.0], 1, 1));
        Assert.All(GradientCheck.Run(model, new HalfSSELoss<double>(), batch), e => Assert.True(e.Passed, e.ToString()));
        Assert.IsType<DiagonalLinear<double>>(model.Layers[0]);
        Assert.Equal(2 * Depth, model.Layers.Count);
    }

    [Fact]
    public void The_library_checks_agree_with_the_tests()
    {
        foreach (var run in Result.Runs)
            Assert.True(GradientFlowExperiment.CheckChainRule(run).MaxRelativeDifference < 1e-12, run.Network.Name);
        var (ratio, factor) = GradientFlowExperiment.ChainRatios(Run(Wiring.TwoChains, "sigmoid", 0), 1);
        for (int i = 0; i < ratio.Length; i++) Close(factor[i], ratio[i], $"layer {i + 1}");
    }
}
