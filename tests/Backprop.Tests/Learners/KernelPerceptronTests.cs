using Backprop.Data;
using Backprop.Learners;

namespace Backprop.Tests.Learners;

/// <summary>Seed 000, 1.3: the kernel multiclass perceptron is the primal one in coefficients, and kernels buy separability.</summary>
public class KernelPerceptronTests
{
    /// <summary>
    /// Small-integer features (|x| ≤ 5) and random labels: every score is an exact integer in float64 whichever way it
    /// is summed, so "the same predictions" can be asked bit for bit, ties included; random labels keep the perceptron
    /// erring in every epoch.
    /// </summary>
    private static LearnerData IntegerData(ulong seed, int count = 60, int dimension = 3, int classes = 3)
    {
        var rng = new Rng(seed);
        double[] x = [.. Enumerable.Range(0, count * dimension).Select(_ => (double)(rng.NextInt(11) - 5))];
        int[] labels = [.. Enumerable.Range(0, count).Select(_ => rng.NextInt(classes))];
        return new LearnerData(x, dimension, labels, classes);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void With_the_linear_kernel_it_makes_exactly_the_primal_predictions_and_mistakes(bool bias)
    {
        var data = IntegerData(7);
        var primal = new MulticlassPerceptron(data.Classes, data.Dimension, bias);
        var kernel = new KernelPerceptron(data.Classes, data.Dimension, Kernel.Linear(), bias);
        var primalScores = new double[data.Classes];
        var kernelScores = new double[data.Classes];
        int mistakes = 0, steps = 0;
        for (int epoch = 0; epoch < 8; epoch++)
        {
            foreach (int i in Shuffle.Permutation(data.Count, seed: 5, epoch))
            {
                var x = data.Row(i);
                primal.Scores(x, primalScores);
                kernel.Scores(x, kernelScores);
                Assert.Equal(primalScores, kernelScores);
                Assert.Equal(primal.Predict(x), kernel.Predict(x));
                bool mistake = primal.Step(data, i, 1);
                Assert.Equal(mistake, kernel.Step(data, i, 1));
                if (mistake) mistakes++;
                steps++;
            }
            AssertPrimalIsSumOfAlphaX(primal, kernel, data);
        }
        Assert.True(mistakes > steps / 4, $"{mistakes} mistakes in {steps} steps: the test should exercise many updates");
    }

    /// <summary>w_c = Σ_i α_{c,i} x_i and b_c = Σ_i α_{c,i}, exactly.</summary>
    private static void AssertPrimalIsSumOfAlphaX(MulticlassPerceptron primal, KernelPerceptron kernel, LearnerData data)
    {
        for (int c = 0; c < data.Classes; c++)
        {
            var w = new double[data.Dimension];
            double b = 0;
            for (int i = 0; i < data.Count; i++)
            {
                double alpha = kernel.Alpha(c, i);
                for (int j = 0; j < data.Dimension; j++) w[j] += alpha * data.Row(i)[j];
                b += alpha;
            }
            Assert.Equal(w, primal.Weight(c).ToArray());
            if (primal.HasBias) Assert.Equal(b, primal.Biases[c]);
        }
    }

    [Fact]
    public void The_training_loop_gives_both_the_same_epochs()
    {
        var data = IntegerData(3, count: 90, dimension: 4, classes: 4);
        var options = new OnlineTrainingOptions { Epochs = 6, Seed = 9 };
        var primal = new MulticlassPerceptron(4, 4);
        var kernel = new KernelPerceptron(4, 4, Kernel.Linear());
        var a = OnlineTraining.Train(primal, data, options);
        var b = OnlineTraining.Train(kernel, data, options);
        Assert.Equal(a, b);
        AssertPrimalIsSumOfAlphaX(primal, kernel, data);
    }

    [Fact]
    public void The_support_set_holds_exactly_the_examples_it_erred_on()
    {
        var data = IntegerData(11);
        var kernel = new KernelPerceptron(data.Classes, data.Dimension, Kernel.Rbf(0.1));
        var erred = new HashSet<int>();
        foreach (int i in Shuffle.Permutation(data.Count, 1, 0).Concat(Shuffle.Permutation(data.Count, 1, 1)))
            if (kernel.Step(data, i, 1)) erred.Add(i);
        Assert.Equal(erred.Order(), kernel.SupportIndices.Order());
        for (int slot = 0; slot < kernel.SupportCount; slot++)
        {
            int i = kernel.SupportIndices[slot];
            Assert.Equal(data.Row(i).ToArray(), kernel.SupportVector(slot).ToArray());
            Assert.Equal(0, kernel.Alphas(slot).ToArray().Sum());
            Assert.True(kernel.Alpha(data.Label(i), i) >= 1);
        }
        for (int i = 0; i < data.Count; i++)
            if (!erred.Contains(i)) Assert.All(Enumerable.Range(0, data.Classes), c => Assert.Equal(0, kernel.Alpha(c, i)));
    }

    private sealed class CountingKernel(Kernel inner) : Kernel
    {
        public int Calls;
        public override string Name => inner.Name;

        public override double Evaluate(ReadOnlySpan<double> a, ReadOnlySpan<double> b)
        {
            Calls++;
            return inner.Evaluate(a, b);
        }
    }

    [Fact]
    public void A_prediction_costs_one_kernel_evaluation_per_support_example()
    {
        var data = SyntheticData.Circles(400, new Rng(2));
        var counting = new CountingKernel(Kernel.Polynomial(2));
        var model = new KernelPerceptron(2, 2, counting);
        OnlineTraining.Train(model, data, new OnlineTrainingOptions { Epochs = 30 });
        Assert.InRange(model.SupportCount, 1, data.Count / 4);
        counting.Calls = 0;
        model.Predict([0.5, 0.5]);
        Assert.Equal(model.SupportCount, counting.Calls);
    }

    public static TheoryData<string, string> NonlinearCases => new()
    {
        { "xor", "poly" }, { "xor", "rbf" }, { "circles", "poly" }, { "circles", "rbf" }, { "spirals", "rbf" },
    };

    private static Kernel Build(string kernel, string data, LearnerData train) => kernel switch
    {
        "poly" => Kernel.Polynomial(2),
        _ => Kernel.Rbf(data == "spirals" ? 5 : Kernel.DefaultGamma(train)),
    };

    [Theory]
    [MemberData(nameof(NonlinearCases))]
    public void A_nonlinear_kernel_separates_what_the_linear_one_cannot(string dataName, string kernelName)
    {
        var rng = new Rng(4);
        var train = SyntheticData.Generate(dataName, 200, rng);
        var test = SyntheticData.Generate(dataName, 200, rng);
        var options = new OnlineTrainingOptions { Epochs = 100, Seed = 1 };

        var model = new KernelPerceptron(2, 2, Build(kernelName, dataName, train));
        var epochs = OnlineTraining.Train(model, train, options);
        Assert.Equal(0, epochs[^1].Mistakes);
        Assert.Equal(train.Count, OnlineTraining.Correct(model, train));
        Assert.True(OnlineTraining.Correct(model, test) >= 0.9 * test.Count);

        var linear = new KernelPerceptron(2, 2, Kernel.Linear());
        var linearEpochs = OnlineTraining.Train(linear, train, options);
        Assert.Equal(100, linearEpochs.Count);
        Assert.True(linearEpochs[^1].Mistakes > 0);
        Assert.True(OnlineTraining.Correct(linear, train) < 0.9 * train.Count);
    }

    [Fact]
    public void The_kernels_are_their_formulas()
    {
        double[] a = [1, -2, 0.5], b = [0.25, 3, -1];
        double dot = 0.25 - 6 - 0.5, squaredDistance = 0.75 * 0.75 + 25 + 1.5 * 1.5;
        Assert.Equal(dot, Kernel.Linear().Evaluate(a, b), 1e-15);
        Assert.Equal(Math.Pow(0.5 * dot + 2, 3), Kernel.Polynomial(3, scale: 0.5, offset: 2).Evaluate(a, b), 1e-12);
        Assert.Equal(Math.Exp(-0.3 * squaredDistance), Kernel.Rbf(0.3).Evaluate(a, b), 1e-15);
        Assert.Throws<BackpropException>(() => Kernel.Rbf(0));
        Assert.Throws<BackpropException>(() => Kernel.Polynomial(0));
    }
}
