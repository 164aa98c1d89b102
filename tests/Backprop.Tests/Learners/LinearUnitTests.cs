using Backprop.Learners;
using Backprop.Losses;
using Backprop.Tensors;
using Backprop.Tests.Support;

namespace Backprop.Tests.Learners;

/// <summary>
/// The four single-unit learners of seed 001 (1.4): each update w ← w + η(y − ŷ)x is −κη times the gradient of the
/// unit's loss, the losses agree with the library's, and each learner does what it is for.
/// </summary>
public class LinearUnitTests
{
    public static TheoryData<string> Units => ["perceptron", "adaline", "logistic", "logistic-tanh"];

    private static LinearUnit Create(string name, int dimension) => name switch
    {
        "perceptron" => new Perceptron(dimension),
        "adaline" => new Adaline(dimension),
        "logistic" => new LogisticRegression(dimension),
        _ => new TanhLogisticRegression(dimension),
    };

    /// <summary>ℓ(b + wᵀx; y) as a function of θ = [w; b].</summary>
    private static double LossAt(LinearUnit unit, double[] theta, double[] x, double y)
    {
        double a = theta[^1];
        for (int j = 0; j < x.Length; j++) a += theta[j] * x[j];
        return unit.Loss(a, y);
    }

    [Theory]
    [MemberData(nameof(Units))]
    public void Each_update_is_minus_kappa_eta_times_the_loss_gradient(string name)
    {
        var rng = new Rng(11);
        const int d = 4;
        int checkedPoints = 0, mistakes = 0;
        for (int trial = 0; trial < 200; trial++)
        {
            var unit = Create(name, d);
            for (int j = 0; j < d; j++) unit.Weights[j] = rng.Uniform(-1, 1);
            unit.Bias = rng.Uniform(-1, 1);
            double[] x = [.. Enumerable.Range(0, d).Select(_ => rng.Uniform(-2, 2))];
            double y = name == "adaline" ? rng.Uniform(-3, 3) : unit.Target(rng.NextDouble() < 0.5);
            double a = unit.PreActivation(x);
            if (name == "perceptron" && Math.Abs(a) < 1e-3) continue; // the kink y·a = 0: no gradient there
            if (name == "perceptron" && y * a < 0) mistakes++;

            double[] theta = [.. unit.Weights, unit.Bias];
            double[] numeric = Numeric.CentralDifferences(theta, [1.0], () => [LossAt(unit, theta, x, y)]);
            const double eta = 0.3;
            unit.Update(x, y, eta);
            double[] update = [.. unit.Weights.Select((w, j) => w - theta[j]), unit.Bias - theta[^1]];
            double[] expected = [.. numeric.Select(g => -unit.StepScale * eta * g)];
            Numeric.AssertGradientsClose($"{name} update", update, expected, $"trial {trial}, a = {a}, y = {y}");

            // ∂ℓ/∂a, the factor both share.
            double h = 1e-6;
            double dA = (unit.Loss(a + h, y) - unit.Loss(a - h, y)) / (2 * h);
            Assert.Equal(dA, unit.LossDerivative(a, y), 1e-6);
            checkedPoints++;
        }
        Assert.True(checkedPoints > 150);
        if (name == "perceptron") Assert.InRange(mistakes, 40, 160); // both sides of the kink were checked
    }

    [Fact]
    public void The_perceptron_rule_is_twice_the_criterion_step_and_halves_it_at_the_kink()
    {
        var p = new Perceptron(2);
        Assert.Equal(2, p.StepScale);
        // A mistake: y − ŷ = 2y.
        p.Weights[0] = 1;
        Assert.Equal(-2.0, p.Update([1.0, 0], -1, 0.5));
        Assert.Equal([0.0, 0], p.Weights);
        Assert.Equal(-1.0, p.Bias);
        // a = 0 exactly: sign(0) = 0, so y − ŷ = y, half a mistake's step.
        var q = new Perceptron(2);
        Assert.Equal(1.0, q.Update([3.0, 4], 1, 0.5));
        Assert.Equal([1.5, 2], q.Weights);
        Assert.Equal(0, q.LossDerivative(0, 1));
    }

    [Fact]
    public void The_losses_are_the_librarys()
    {
        var rng = new Rng(3);
        for (int trial = 0; trial < 50; trial++)
        {
            double a = rng.Uniform(-5, 5), y = rng.NextDouble() < 0.5 ? -1 : 1, r = rng.Uniform(-3, 3);
            Assert.Equal(Library("perceptron", a, y), new Perceptron(1).Loss(a, y), 1e-15);
            Assert.Equal(Library("logistic", a, y), new LogisticRegression(1).Loss(a, (1 + y) / 2), 1e-14);
            // tanh form: the logistic loss at the doubled margin.
            Assert.Equal(Library("logistic", 2 * a, y), new TanhLogisticRegression(1).Loss(a, y), 1e-14);
            // Adaline: half the squared error.
            var half = LossFunctions.Create<double>("half_sse");
            Assert.Equal(half.Forward(Tensor<double>.FromDoubles([a], 1, 1), Tensor<double>.FromDoubles([r], 1, 1)), new Adaline(1).Loss(a, r), 1e-15);
        }
    }

    private static double Library(string loss, double prediction, double sign) =>
        LossFunctions.Create<double>(loss).Forward(Tensor<double>.FromDoubles([prediction], 1, 1), Tensor<double>.FromDoubles([sign], 1));

    [Fact]
    public void The_tanh_loss_is_the_derived_antiderivative()
    {
        // ℓ = ln cosh(a) − y·a + ln 2 for y = ±1, and the cross-entropy of (1 ± ŷ)/2 against (1 ± y)/2.
        var unit = new TanhLogisticRegression(1);
        foreach (double y in new[] { -1.0, 1.0 })
            for (double a = -4; a <= 4; a += 0.25)
            {
                double yHat = Math.Tanh(a);
                Assert.Equal(Math.Log(Math.Cosh(a)) - y * a + Math.Log(2), unit.Loss(a, y), 1e-12);
                double crossEntropy = -((1 + y) / 2 * Math.Log((1 + yHat) / 2) + (1 - y) / 2 * Math.Log((1 - yHat) / 2));
                Assert.Equal(crossEntropy, unit.Loss(a, y), 1e-9);
            }
    }

    [Fact]
    public void Tanh_with_step_eta_moves_twice_the_weights_as_sigmoid_with_step_4_eta()
    {
        var data = SyntheticData.Blobs(100, 2, new Rng(5));
        var tanh = new TanhLogisticRegression(2);
        var sigmoid = new LogisticRegression(2);
        OnlineTraining.Train(tanh, data, new OnlineTrainingOptions { Epochs = 3, LearningRate = 0.05, Seed = 1 });
        OnlineTraining.Train(sigmoid, data, new OnlineTrainingOptions { Epochs = 3, LearningRate = 0.2, Seed = 1 });
        for (int j = 0; j < 2; j++) Assert.Equal(2 * tanh.Weights[j], sigmoid.Weights[j], 1e-12);
        Assert.Equal(2 * tanh.Bias, sigmoid.Bias, 1e-12);
    }

    [Theory]
    [InlineData(0UL)]
    [InlineData(1UL)]
    [InlineData(2UL)]
    public void Perceptron_separates_separable_blobs(ulong seed)
    {
        var data = SyntheticData.Blobs(300, 2, new Rng(seed));
        var p = new Perceptron(2);
        var epochs = OnlineTraining.Train(p, data, new OnlineTrainingOptions { Epochs = 100, Seed = seed });
        Assert.Equal(0, epochs[^1].Mistakes);
        Assert.Equal(0, epochs[^1].Loss);
        Assert.Equal(data.Count, OnlineTraining.Correct(p, data));
        for (int i = 0; i < data.Count; i++) Assert.True(p.Target(data, i) * p.PreActivation(data.Row(i)) > 0);
    }

    [Fact]
    public void Perceptron_mistakes_do_not_depend_on_eta()
    {
        // From w = 0 every parameter is a sum of ±2ηx terms; a power of two scales them exactly.
        var data = SyntheticData.Blobs(200, 2, new Rng(9));
        var one = OnlineTraining.Train(new Perceptron(2), data, new OnlineTrainingOptions { Epochs = 50, Seed = 4 });
        var quarter = OnlineTraining.Train(new Perceptron(2), data, new OnlineTrainingOptions { Epochs = 50, Seed = 4, LearningRate = 0.25 });
        Assert.Equal(one.Select(e => e.Mistakes), quarter.Select(e => e.Mistakes));
    }

    [Theory]
    [InlineData("logistic")]
    [InlineData("logistic-tanh")]
    [InlineData("adaline")]
    public void The_other_units_classify_separable_blobs(string name)
    {
        var data = SyntheticData.Blobs(200, 2, new Rng(1));
        var unit = Create(name, 2);
        var epochs = OnlineTraining.Train(unit, data, new OnlineTrainingOptions { Epochs = 20, LearningRate = name == "adaline" ? 0.01 : 0.1 });
        Assert.Equal(data.Count, OnlineTraining.Correct(unit, data));
        if (name == "adaline")
        {
            // Online Adaline hovers about the least-squares fit of the ±1 targets, whose loss is the least possible.
            var (w, b) = LeastSquares.Fit(data, i => unit.Target(data, i))!.Value;
            var best = new Adaline(2) { Bias = b };
            w.CopyTo(best.Weights, 0);
            Assert.InRange(epochs[^1].Loss, best.MeanLoss(data), 1.1 * best.MeanLoss(data));
        }
        else
        {
            Assert.True(epochs[^1].Loss < epochs[0].Loss, $"loss {epochs[0].Loss} → {epochs[^1].Loss}");
        }
    }

    /// <summary>The least-squares line through (x_i, y_i) from the 2×2 normal equations, by Cramer's rule.</summary>
    private static (double Slope, double Intercept) NormalEquations(LearnerData data)
    {
        double n = data.Count, sx = 0, sxx = 0, sy = 0, sxy = 0;
        for (int i = 0; i < data.Count; i++)
        {
            double x = data.Row(i)[0], y = data.Targets![i];
            sx += x; sxx += x * x; sy += y; sxy += x * y;
        }
        // [Σx² Σx; Σx n] [w; b] = [Σxy; Σy]
        double det = sxx * n - sx * sx;
        return ((sxy * n - sx * sy) / det, (sxx * sy - sx * sxy) / det);
    }

    [Fact]
    public void Adaline_full_batch_converges_to_the_least_squares_solution()
    {
        var data = SyntheticData.Line(200, new Rng(2));
        var (slope, intercept) = NormalEquations(data);
        var unit = new Adaline(1);
        var epochs = OnlineTraining.Train(unit, data, new OnlineTrainingOptions { Epochs = 300, LearningRate = 0.5, FullBatch = true });
        Assert.Equal(slope, unit.Weights[0], 1e-12);
        Assert.Equal(intercept, unit.Bias, 1e-12);
        Assert.Null(epochs[^1].Mistakes);
    }

    [Fact]
    public void Adaline_online_ends_near_the_least_squares_solution_and_nearer_with_a_smaller_step()
    {
        var data = SyntheticData.Line(200, new Rng(2));
        var (slope, intercept) = NormalEquations(data);
        double Distance(double eta)
        {
            var unit = new Adaline(1);
            OnlineTraining.Train(unit, data, new OnlineTrainingOptions { Epochs = 200, LearningRate = eta, Seed = 3 });
            return Math.Max(Math.Abs(unit.Weights[0] - slope), Math.Abs(unit.Bias - intercept));
        }
        double coarse = Distance(0.01), fine = Distance(0.0005);
        Assert.True(coarse < 0.1, $"η = 0.01: {coarse}");
        Assert.True(fine < 0.01, $"η = 0.0005: {fine}");
        Assert.True(fine < coarse);
    }

    [Fact]
    public void LeastSquares_solves_the_normal_equations()
    {
        var rng = new Rng(8);
        const int n = 50, d = 3;
        double[] x = [.. Enumerable.Range(0, n * d).Select(_ => rng.Uniform(-1, 1))];
        double[] trueW = [1.5, -2, 0.25];
        double[] y = [.. Enumerable.Range(0, n).Select(i => 0.7 + trueW[0] * x[3 * i] + trueW[1] * x[3 * i + 1] + trueW[2] * x[3 * i + 2] + 0.1 * rng.Normal())];
        var data = LearnerData.Regression(x, d, y);
        var (w, b) = LeastSquares.Fit(data, i => y[i])!.Value;
        // The normal equations hold: the residual is orthogonal to every column of [X 1].
        for (int j = 0; j <= d; j++)
        {
            double dot = 0;
            for (int i = 0; i < n; i++)
            {
                double residual = y[i] - b - w[0] * x[3 * i] - w[1] * x[3 * i + 1] - w[2] * x[3 * i + 2];
                dot += residual * (j < d ? x[3 * i + j] : 1);
            }
            Assert.True(Math.Abs(dot) < 1e-12, $"column {j}: {dot}");
        }
        // A repeated column makes XᵀX singular.
        double[] twice = [.. Enumerable.Range(0, n).SelectMany(i => new[] { x[3 * i], x[3 * i] })];
        Assert.Null(LeastSquares.Fit(LearnerData.Regression(twice, 2, y), i => y[i]));
    }

    [Fact]
    public void A_binary_unit_refuses_other_data()
    {
        var p = new Perceptron(2);
        Assert.Contains("3 classes", Assert.Throws<BackpropException>(() => p.CheckData(SyntheticData.Blobs(30, 3, new Rng(0)), "blobs")).Message);
        Assert.Contains("real-valued targets", Assert.Throws<BackpropException>(() => new Perceptron(1).CheckData(SyntheticData.Line(30, new Rng(0)), "line")).Message);
        new Adaline(1).CheckData(SyntheticData.Line(30, new Rng(0)), "line");
    }
}
