using Backprop.Data;
using Backprop.Learners;
using Backprop.Losses;
using Backprop.Tensors;
using Backprop.Tests.Support;
using Xunit.Abstractions;

namespace Backprop.Tests.Learners;

/// <summary>Seed 000, problem 1: the loss F_i, its gradient per class, the algorithm, and a run on Fashion-MNIST.</summary>
public class MulticlassPerceptronTests(ITestOutputHelper output)
{
    private static MulticlassPerceptron Random(Rng rng, int classes, int dimension, bool bias)
    {
        var model = new MulticlassPerceptron(classes, dimension, bias);
        for (int k = 0; k < model.Weights.Length; k++) model.Weights[k] = rng.Uniform(-1, 1);
        if (bias) for (int c = 0; c < classes; c++) model.Biases[c] = rng.Uniform(-1, 1);
        return model;
    }

    /// <summary>The scores are at least <paramref name="gap"/> apart and F_i is not within it of 0: no tie, no kink.</summary>
    private static bool Smooth(MulticlassPerceptron model, double[] x, double gap)
    {
        var s = new double[model.Classes];
        model.Scores(x, s);
        var sorted = s.Order().ToArray();
        for (int c = 1; c < sorted.Length; c++)
            if (sorted[c] - sorted[c - 1] < gap) return false;
        return true;
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void The_loss_gradient_per_class_matches_central_differences(bool bias)
    {
        var rng = new Rng(21);
        const int classes = 4, d = 3;
        int positive = 0, zero = 0;
        for (int trial = 0; trial < 200; trial++)
        {
            var model = Random(rng, classes, d, bias);
            double[] x = [.. Enumerable.Range(0, d).Select(_ => rng.Uniform(-2, 2))];
            int y = rng.NextInt(classes);
            if (!Smooth(model, x, 1e-3)) continue;
            var dW = new double[classes * d];
            var db = new double[classes];
            model.LossGradient(x, y, dW, db);

            double[] theta = [.. model.Weights, .. model.Biases];
            double F()
            {
                theta.AsSpan(0, classes * d).CopyTo(model.Weights);
                theta.AsSpan(classes * d).CopyTo(model.Biases);
                return model.Loss(x, y);
            }
            double[] numeric = Numeric.CentralDifferences(theta, [1.0], () => [F()]);
            F();
            Numeric.AssertGradientsClose("∂F/∂w", dW, numeric[..(classes * d)], $"trial {trial}");
            if (bias) Numeric.AssertGradientsClose("∂F/∂b", db, numeric[(classes * d)..], $"trial {trial}");
            else Assert.All(db, v => Assert.Equal(0, v));

            // The closed form: x for c*, −x for y, 0 for the others, where F > 0.
            double loss = model.Loss(x, y);
            var scores = new double[classes];
            model.Scores(x, scores);
            int rival = MulticlassPerceptronLoss<double>.BestRival(scores, y);
            for (int c = 0; c < classes; c++)
            {
                double sign = loss > 0 ? (c == rival ? 1 : c == y ? -1 : 0) : 0;
                Assert.Equal(x.Select(v => sign * v), dW.AsSpan(c * d, d).ToArray());
            }
            if (loss > 0) positive++; else zero++;
        }
        Assert.True(positive > 30 && zero > 30, $"{positive} points with F > 0, {zero} with F = 0");
    }

    [Fact]
    public void A_mistake_step_is_minus_eta_times_the_gradient()
    {
        var rng = new Rng(4);
        int steps = 0;
        for (int trial = 0; trial < 100; trial++)
        {
            var model = Random(rng, 3, 2, bias: true);
            double[] x = [rng.Uniform(-2, 2), rng.Uniform(-2, 2)];
            int y = rng.NextInt(3);
            if (!Smooth(model, x, 1e-3)) continue;
            var dW = new double[6];
            var db = new double[3];
            model.LossGradient(x, y, dW, db);
            double[] before = [.. model.Weights, .. model.Biases];
            double lossBefore = model.Loss(x, y);
            const double eta = 0.7;
            bool mistake = model.Step(new LearnerData([.. x], 2, [y], 3), 0, eta);
            Assert.Equal(lossBefore > 0, mistake); // without ties, a mistake is exactly F_i > 0
            double[] after = [.. model.Weights, .. model.Biases];
            double[] expected = [.. dW.Concat(db).Select((g, k) => before[k] - eta * g)];
            for (int k = 0; k < after.Length; k++) Assert.Equal(expected[k], after[k], 1e-15);
            Assert.Equal(mistake, dW.Any(v => v != 0));
            steps++;
        }
        Assert.True(steps > 50);
    }

    [Fact]
    public void The_loss_is_the_librarys_multiclass_perceptron_loss()
    {
        var rng = new Rng(6);
        var data = SyntheticData.Blobs(40, 4, rng);
        var model = Random(rng, 4, 2, bias: false);
        var scores = new double[data.Count * 4];
        for (int i = 0; i < data.Count; i++) model.Scores(data.Row(i), scores.AsSpan(4 * i, 4));
        var loss = new MulticlassPerceptronLoss<double>();
        double expected = loss.Forward(Tensor<double>.FromDoubles(scores, data.Count, 4), Tensor<double>.FromDoubles([.. data.Labels!.Select(l => (double)l)], data.Count));
        Assert.Equal(expected, model.MeanLoss(data), 1e-14);
    }

    [Theory]
    [InlineData(3, true)]
    [InlineData(5, true)]
    [InlineData(3, false)]
    [InlineData(7, false)]
    public void Reaches_zero_training_mistakes_on_separable_blobs(int classes, bool bias)
    {
        var data = SyntheticData.Blobs(70 * classes, classes, new Rng((ulong)classes));
        var model = new MulticlassPerceptron(classes, 2, bias);
        var epochs = OnlineTraining.Train(model, data, new OnlineTrainingOptions { Epochs = 100, Seed = 2 });
        Assert.Equal(0, epochs[^1].Mistakes);
        Assert.Equal(0, epochs[^1].Loss);
        Assert.Equal(data.Count, OnlineTraining.Correct(model, data));
        Assert.True(epochs.Count < 100);
    }

    [Fact]
    public void On_a_slice_of_fashion_mnist_it_beats_chance_by_far()
    {
        if (!Directory.Exists(DatasetSource.FashionMnistDirectory))
        {
            Assert.False(Environment.GetEnvironmentVariable("CI") == "true", "Fashion-MNIST is missing: apt-get install dataset-fashion-mnist");
            output.WriteLine("SKIPPED: Fashion-MNIST is not installed here");
            return;
        }
        var plan = Fit.Prepare(new FitOptions { Learner = "multiclass-perceptron", Data = "fashion-mnist", Limit = 5000, Epochs = 3, Seed = 1 });
        var result = Fit.Run(plan, e => output.WriteLine($"epoch {e.Epoch}: {e.Mistakes} mistakes, loss {e.Loss}"));
        double accuracy = (double)result.TestCorrect!.Value / plan.Test!.Count;
        output.WriteLine($"test accuracy {accuracy:F4} on {plan.Test.Count} examples");
        Assert.Equal(5000, plan.Train.Count);
        Assert.True(accuracy > 0.6, $"test accuracy {accuracy}; chance is 0.1"); // 0.735 with these settings
    }
}
