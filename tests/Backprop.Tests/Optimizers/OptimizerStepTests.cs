using Backprop.Tests.Support;
using Backprop.Layers;
using Backprop.Optimizers;
using Backprop.Tensors;

namespace Backprop.Tests.Optimizers;

/// <summary>
/// A few steps on tiny tensors, worked out by hand below. Values are chosen so that most steps are exact in binary
/// (then the assertion is exact); the others are written as the formula and its decimal value.
/// </summary>
public class OptimizerStepTests
{
    private static Parameter<double> Param(params double[] values) => new("p", new Tensor<double>(values, values.Length));

    private static void Run(Optimizer<double> optimizer, Parameter<double> p, double[][] grads, double[][] expected)
    {
        for (int t = 0; t < grads.Length; t++)
        {
            grads[t].AsSpan().CopyTo(p.Grad.Data);
            optimizer.Step();
            Assert.Equal(t + 1, optimizer.StepCount);
            Assert.Equal(expected[t], p.Value.Data);
        }
    }

    [Fact]
    public void Sgd_plain_is_p_minus_lr_g()
    {
        var p = Param(1, -2);
        // p = [1, −2] − 0.5·[1, 0.5] = [0.5, −2.25]; then − 0.5·[0.5, −1] = [0.25, −1.75].
        Run(new SGD<double>([p], 0.5), p, [[1, 0.5], [0.5, -1]], [[0.5, -2.25], [0.25, -1.75]]);
    }

    [Fact]
    public void Sgd_weight_decay_adds_lambda_p_to_the_gradient()
    {
        var p = Param(1, -2);
        // λ = 0.5. d = [1 + 0.5, 0.5 − 1] = [1.5, −0.5], p = [1 − 0.75, −2 + 0.25] = [0.25, −1.75];
        // d = [0.5 + 0.125, −1 − 0.875] = [0.625, −1.875], p = [0.25 − 0.3125, −1.75 + 0.9375] = [−0.0625, −0.8125].
        Run(new SGD<double>([p], 0.5, weightDecay: 0.5), p, [[1, 0.5], [0.5, -1]], [[0.25, -1.75], [-0.0625, -0.8125]]);
    }

    [Fact]
    public void Sgd_momentum_first_step_copies_the_gradient()
    {
        var p = Param(1, -2);
        // μ = 0.5, η = 0.5. b = g = [1, 0.5] → p = [0.5, −2.25];
        // b = 0.5·[1, 0.5] + [0.5, −1] = [1, −0.75] → p = [0, −1.875];
        // b = 0.5·[1, −0.75] + [0, 0.25] = [0.5, −0.125] → p = [−0.25, −1.8125].
        var sgd = new SGD<double>([p], 0.5, momentum: 0.5);
        Run(sgd, p, [[1, 0.5], [0.5, -1], [0, 0.25]], [[0.5, -2.25], [0, -1.875], [-0.25, -1.8125]]);
        Assert.Equal([0.5, -0.125], sgd.State().Single().Tensor.Data);
    }

    [Fact]
    public void Sgd_nesterov_steps_along_g_plus_mu_b()
    {
        var p = Param(1, -2);
        // b = [1, 0.5], d = g + 0.5·b = [1.5, 0.75] → p = [0.25, −2.375];
        // b = [1, −0.75], d = [0.5, −1] + 0.5·[1, −0.75] = [1, −1.375] → p = [−0.25, −1.6875].
        Run(new SGD<double>([p], 0.5, momentum: 0.5, nesterov: true), p, [[1, 0.5], [0.5, -1]], [[0.25, -2.375], [-0.25, -1.6875]]);
    }

    [Fact]
    public void Sgd_dampening_is_not_applied_on_the_first_step()
    {
        var p = Param(1);
        // μ = 0.5, τ = 0.5, g = 1 each step: b = 1 (not 0.5) → p = 0.5; b = 0.5·1 + 0.5·1 = 1 → p = 0; again → p = −0.5.
        Run(new SGD<double>([p], 0.5, momentum: 0.5, dampening: 0.5), p, [[1], [1], [1]], [[0.5], [0], [-0.5]]);
    }

    [Fact]
    public void Adam_steps_with_bias_correction()
    {
        var p = Param(1);
        var adam = new Adam<double>([p], 0.5, beta1: 0.5, beta2: 0.75, eps: 0);
        // Step 1, g = 1: m = 0.5, v = 0.25, bc1 = 0.5, bc2 = 0.25, step_size = 1, denom = 0.5/0.5 = 1 → p = 0.5.
        Run(adam, p, [[1]], [[0.5]]);
        // Step 2, g = 0.5: m = 0.25 + 0.25 = 0.5, v = 0.1875 + 0.0625 = 0.25, bc1 = 0.75, bc2 = 0.4375,
        // step_size = 2/3, denom = 0.5/√0.4375 → p = 0.5 − (2/3)·0.5·√0.4375/0.5 = 0.5 − (2/3)√0.4375 = 0.05904144815590157...
        var g = new double[] { 0.5 };
        g.AsSpan().CopyTo(p.Grad.Data);
        adam.Step();
        Assert.Equal(0.5 - 2.0 / 3 * Math.Sqrt(0.4375), p.Value[0], 1e-15);
        Assert.Equal(0.0590414481559016, p.Value[0], 1e-15);
        var state = adam.State();
        Assert.Equal(["0.exp_avg", "0.exp_avg_sq"], state.Select(s => s.Name));
        Assert.Equal(0.5, state[0].Tensor[0]);
        Assert.Equal(0.25, state[1].Tensor[0]);
    }

    [Fact]
    public void Adam_first_step_moves_each_weight_by_about_lr()
    {
        // With defaults, step 1 gives m/bc1 = g and √v/√bc2 = |g| (up to rounding): p − η·g/(|g| + ε).
        var p = Param(1, -3);
        var adam = new Adam<double>([p]);
        new double[] { 2, -0.5 }.AsSpan().CopyTo(p.Grad.Data);
        adam.Step();
        Assert.Equal(1 - 1e-3 * 2 / (2 + 1e-8), p.Value[0], 1e-15);
        Assert.Equal(-3 + 1e-3 * 0.5 / (0.5 + 1e-8), p.Value[1], 1e-15);
    }

    [Fact]
    public void Adam_weight_decay_is_l2_added_to_the_gradient()
    {
        var p = Param(1);
        // λ = 0.5: g = 1 + 0.5 = 1.5, m = 0.75, v = 0.5625, step_size = 1, denom = 0.75/0.5 = 1.5 → p = 1 − 0.75/1.5 = 0.5.
        Run(new Adam<double>([p], 0.5, beta1: 0.5, beta2: 0.75, eps: 0, weightDecay: 0.5), p, [[1]], [[0.5]]);
    }

    [Fact]
    public void AdamW_decays_the_weight_before_the_adam_step()
    {
        var p = Param(1);
        var adamw = new AdamW<double>([p], 0.5, beta1: 0.5, beta2: 0.75, eps: 0, weightDecay: 0.5);
        // Step 1: p = 1·(1 − 0.5·0.5) = 0.75, then the Adam step of 0.5 (as above) → 0.25.
        Run(adamw, p, [[1]], [[0.25]]);
        // Step 2, g = 0.5: p = 0.25·0.75 = 0.1875, then − (2/3)√0.4375 → −0.25345855184409843...
        new double[] { 0.5 }.AsSpan().CopyTo(p.Grad.Data);
        adamw.Step();
        Assert.Equal(0.1875 - 2.0 / 3 * Math.Sqrt(0.4375), p.Value[0], 1e-15);
        Assert.Equal(-0.2534585518440984, p.Value[0], 1e-15);
    }

    [Fact]
    public void Defaults_are_pytorchs()
    {
        var p = Param(1);
        var adam = new Adam<double>([p]);
        Assert.Equal((1e-3, 0.9, 0.999, 1e-8, 0.0), (adam.LearningRate, adam.Beta1, adam.Beta2, adam.Eps, adam.WeightDecay));
        var adamw = new AdamW<double>([p]);
        Assert.Equal((1e-3, 0.9, 0.999, 1e-8, 0.01), (adamw.LearningRate, adamw.Beta1, adamw.Beta2, adamw.Eps, adamw.WeightDecay));
        var sgd = new SGD<double>([p], 0.1);
        Assert.Equal((0.0, 0.0, 0.0, false), (sgd.Momentum, sgd.Dampening, sgd.WeightDecay, sgd.Nesterov));
        Assert.Empty(sgd.State());
    }

    [Fact]
    public void Step_reads_the_learning_rate_each_time_and_leaves_gradients_alone()
    {
        var p = Param(1);
        var sgd = new SGD<double>([p], 0.5);
        p.Grad[0] = 1;
        sgd.Step();
        sgd.LearningRate = 0.25;
        sgd.Step();
        Assert.Equal(0.25, p.Value[0]);
        Assert.Equal(1, p.Grad[0]);
        sgd.ZeroGrad();
        Assert.Equal(0, p.Grad[0]);
    }

    [Fact]
    public void Step_allocates_nothing()
    {
        var parameters = Enumerable.Range(0, 3).Select(i => new Parameter<double>("p", new Tensor<double>(4, 5))).ToArray();
        foreach (var p in parameters) p.Grad.Fill(0.5);
        Optimizer<double>[] optimizers =
        [
            new SGD<double>(parameters, 0.1), new SGD<double>(parameters, 0.1, momentum: 0.9, weightDecay: 0.1, nesterov: true),
            new Adam<double>(parameters, weightDecay: 0.1), new AdamW<double>(parameters),
        ];
        Assert.Equal(0, Allocations.Fewest(() =>
        {
            for (int k = 0; k < 100; k++)
                foreach (var o in optimizers) o.Step();
        }));
    }

    [Fact]
    public void Float32_follows_float64_to_single_precision()
    {
        var rng = new Rng(5);
        var values = Enumerable.Range(0, 12).Select(_ => (double)(float)rng.Uniform(-1, 1)).ToArray();
        var pd = new Parameter<double>("p", Tensor<double>.FromDoubles(values, 12));
        var pf = new Parameter<float>("p", Tensor<float>.FromDoubles(values, 12));
        var od = new Adam<double>([pd], 0.01, weightDecay: 0.1);
        var of = new Adam<float>([pf], 0.01, weightDecay: 0.1);
        for (int t = 0; t < 5; t++)
        {
            for (int j = 0; j < 12; j++)
            {
                double g = rng.Normal();
                pd.Grad[j] = (float)g;
                pf.Grad[j] = (float)g;
            }
            od.Step();
            of.Step();
        }
        for (int j = 0; j < 12; j++) Assert.Equal(pd.Value[j], pf.Value[j], 1e-5);
    }

    [Fact]
    public void Bad_hyperparameters_are_refused()
    {
        var p = Param(1);
        Assert.Throws<ArgumentOutOfRangeException>(() => new SGD<double>([p], -0.1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new SGD<double>([p], double.NaN));
        Assert.Throws<ArgumentOutOfRangeException>(() => new SGD<double>([p], 0.1, momentum: -0.5));
        Assert.Throws<ArgumentOutOfRangeException>(() => new SGD<double>([p], 0.1, weightDecay: -1));
        Assert.Throws<ArgumentException>(() => new SGD<double>([p], 0.1, nesterov: true));
        Assert.Throws<ArgumentException>(() => new SGD<double>([p], 0.1, momentum: 0.9, dampening: 0.1, nesterov: true));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Adam<double>([p], beta1: 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Adam<double>([p], beta2: -0.1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new AdamW<double>([p], eps: -1));
        Assert.Throws<ArgumentException>(() => new Adam<double>([p, p]));
        var sgd = new SGD<double>([p], 0.1);
        Assert.Throws<ArgumentOutOfRangeException>(() => sgd.LearningRate = double.PositiveInfinity);
        Assert.Equal(0.1, sgd.LearningRate);
    }
}
