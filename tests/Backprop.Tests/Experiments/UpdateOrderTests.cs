using Backprop.Data;
using Backprop.Diagnostics;
using Backprop.Experiments;
using Backprop.Layers;
using Backprop.Losses;
using Backprop.Models;
using Backprop.Tensors;

namespace Backprop.Tests.Experiments;

/// <summary>Seed 000, practice 1a: the loop that updates W2 before back-propagating through it.</summary>
public class UpdateOrderTests
{
    private static readonly UpdateOrderOptions Options = new() { Epochs = 100 };

    private static ReluRegressionNet RandomNet(Rng rng, int hidden) => ReluRegressionNet.Create(3, hidden, () => rng.Normal());

    [Fact]
    public void The_correct_loop_computes_the_engines_gradients()
    {
        // The same network in the engine: Linear(3, h, no bias) with weight W1ᵀ, ReLU, Linear(h, 1, no bias) with weight W2ᵀ, mse.
        var rng = new Rng(1);
        for (int trial = 0; trial < 20; trial++)
        {
            int hidden = 1 + rng.NextInt(6);
            var net = RandomNet(rng, hidden);
            var data = RegressionData.Create(1 + rng.NextInt(10), rng);
            var first = new Linear<double>(3, hidden, bias: false);
            var second = new Linear<double>(hidden, 1, bias: false);
            for (int i = 0; i < 3; i++)
                for (int j = 0; j < hidden; j++) first.Weight.Value[j, i] = net.W1[i * hidden + j];
            for (int j = 0; j < hidden; j++) second.Weight.Value[0, j] = net.W2[j];
            var model = new Sequential<double>([3], [first, new ReLU<double>([hidden]), second]);
            var batch = new Batch<double>(new Tensor<double>((double[])data.X.Clone(), data.Count, 3), new Tensor<double>((double[])data.Y.Clone(), data.Count, 1));
            var report = GradientReport.Compute(model, new MSELoss<double>(), batch);

            var step = net.Gradients(data);
            Assert.Equal(report.Loss, step.Loss, 1e-12);
            for (int i = 0; i < 3; i++)
                for (int j = 0; j < hidden; j++)
                    Assert.Equal(report.Grads[0].Grad.Values[j * 3 + i], step.DW1[i * hidden + j], 1e-12);
            for (int j = 0; j < hidden; j++) Assert.Equal(report.Grads[1].Grad.Values[j], step.DW2[j], 1e-12);
        }
    }

    [Fact]
    public void Only_the_buggy_loops_W1_gradient_fails_the_gradient_check()
    {
        var r = UpdateOrderExperiment.Run(Options);
        foreach (var run in r.Runs)
        {
            Assert.All(run.CorrectCheck, e => Assert.True(e.Passed, $"correct loop, η = {run.LearningRate}: {e}"));
            Assert.Equal(["W1", "W2"], run.BuggyCheck.Select(e => e.Name));
            Assert.False(run.BuggyCheck[0].Passed, $"η = {run.LearningRate}: {run.BuggyCheck[0]}");
            Assert.True(run.BuggyCheck[0].MaxRelativeError > 0.1, run.BuggyCheck[0].ToString());
            Assert.True(run.BuggyCheck[1].Passed, "dW2 is computed before the update, so it is right");
        }
    }

    [Fact]
    public void The_buggy_dW1_is_the_true_one_plus_minus_eta_X_transpose_dA2_dW2_transpose_masked()
    {
        // dW1_bug = Xᵀ[(dA2·(W2 − η·dW2)ᵀ) ⊙ H(A1)] = dW1 − η·Xᵀ[(dA2·dW2ᵀ) ⊙ H(A1)]: written out here from the sheet's code.
        var rng = new Rng(9);
        var net = RandomNet(rng, 5);
        var data = RegressionData.Create(12, rng);
        const double eta = 0.3;
        var truth = net.Gradients(data);
        var bug = net.Clone().Step(data, eta, UpdateOrder.W2First);
        int n = data.Count, h = 5;
        var expected = (double[])truth.DW1.Clone();
        for (int e = 0; e < n; e++)
        {
            double a2 = 0;
            for (int j = 0; j < h; j++) a2 += truth.O1[e * h + j] * net.W2[j];
            double dA2 = 2 * (a2 - data.Y[e]) / n;
            for (int j = 0; j < h; j++)
                if (truth.A1[e * h + j] > 0)
                    for (int i = 0; i < 3; i++) expected[i * h + j] -= eta * data.X[e * 3 + i] * dA2 * truth.DW2[j];
        }
        for (int k = 0; k < expected.Length; k++) Assert.Equal(expected[k], bug.DW1[k], 1e-12);
        Assert.Equal(truth.DW2, bug.DW2);
        Assert.NotEqual(truth.DW1, bug.DW1);
    }

    [Fact]
    public void The_error_grows_with_the_learning_rate_and_at_0_6_the_buggy_loop_diverges()
    {
        var r = UpdateOrderExperiment.Run(Options);
        var (small, large) = (r.Runs[0], r.Runs[1]);
        Assert.Equal([0.1, 0.6], r.Runs.Select(run => run.LearningRate));
        Assert.True(large.Epochs[0].BuggyW1Deviation > 3 * small.Epochs[0].BuggyW1Deviation);

        // η = 0.1: both loops train, to nearly the same loss.
        Assert.Null(small.BuggyDivergedAt);
        Assert.True(small.FinalBuggyLoss < 0.1 * small.Epochs[0].BuggyLoss);
        // η = 0.6: the correct loop trains, the sheet's loop blows up (seed 0: not finite at iteration 51).
        Assert.True(large.FinalCorrectLoss < 0.1 * large.Epochs[0].CorrectLoss);
        Assert.Equal(51, large.BuggyDivergedAt);
        Assert.True(double.IsNaN(large.FinalBuggyLoss));
    }

    [Fact]
    public void Both_loops_start_from_the_same_weights_and_take_the_same_first_loss()
    {
        var r = UpdateOrderExperiment.Run(Options with { Epochs = 2 });
        Assert.All(r.Runs, run => Assert.Equal(run.Epochs[0].CorrectLoss, run.Epochs[0].BuggyLoss));
        Assert.All(r.Runs, run => Assert.Equal(2, run.Epochs.Count));
    }
}
