using Backprop.Learners;

namespace Backprop.Tests.Learners;

public class SyntheticDataTests
{
    public static TheoryData<string> Names => [.. SyntheticData.Names];

    [Theory]
    [MemberData(nameof(Names))]
    public void The_same_seed_gives_the_same_bits_and_another_seed_other_data(string name)
    {
        var a = SyntheticData.Generate(name, 50, new Rng(1));
        var b = SyntheticData.Generate(name, 50, new Rng(1));
        var c = SyntheticData.Generate(name, 50, new Rng(2));
        Assert.Equal(a.Features, b.Features);
        Assert.Equal(a.Labels, b.Labels);
        Assert.Equal(a.Targets, b.Targets);
        Assert.NotEqual(a.Features, c.Features);
    }

    [Theory]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(10)]
    public void Blobs_are_balanced_and_separated_by_their_centres(int classes)
    {
        var data = SyntheticData.Blobs(50 * classes, classes, new Rng(3));
        Assert.All(Enumerable.Range(0, classes), c => Assert.Equal(50, data.Labels!.Count(l => l == c)));
        // w_c = centre_c (no bias: the centres have equal norms) classifies every point, with a margin.
        double radius = Math.Max(2, 1.5 / Math.Sin(Math.PI / classes));
        for (int i = 0; i < data.Count; i++)
        {
            double[] x = data.Row(i).ToArray();
            double[] scores = [.. Enumerable.Range(0, classes).Select(c => radius * (Math.Cos(2 * Math.PI * c / classes) * x[0] + Math.Sin(2 * Math.PI * c / classes) * x[1]))];
            int label = data.Label(i);
            Assert.All(Enumerable.Range(0, classes).Where(c => c != label), c => Assert.True(scores[label] - scores[c] > 0.5));
        }
    }

    [Fact]
    public void Xor_and_circles_have_the_labels_their_formulas_say()
    {
        var xor = SyntheticData.Xor(200, new Rng(0));
        for (int i = 0; i < xor.Count; i++)
        {
            var x = xor.Row(i);
            Assert.Equal(x[0] * x[1] < 0 ? 1 : 0, xor.Label(i));
            Assert.True(Math.Abs(x[0]) >= 0.1 && Math.Abs(x[1]) >= 0.1);
        }
        var circles = SyntheticData.Circles(200, new Rng(0));
        for (int i = 0; i < circles.Count; i++)
        {
            var x = circles.Row(i);
            double r = Math.Sqrt(x[0] * x[0] + x[1] * x[1]);
            Assert.InRange(r, circles.Label(i) == 0 ? 0.8 : 1.8, circles.Label(i) == 0 ? 1.2 : 2.2);
        }
    }

    [Fact]
    public void Line_is_a_regression_set_around_its_line()
    {
        var line = SyntheticData.Line(1000, new Rng(0));
        Assert.True(line.IsRegression);
        Assert.Equal(1, line.Dimension);
        double meanResidual = Enumerable.Range(0, line.Count).Average(i => line.Targets![i] - (2 * line.Row(i)[0] - 1));
        Assert.InRange(meanResidual, -0.1, 0.1);
    }

    [Fact]
    public void Take_keeps_a_prefix_and_AsRegression_reads_class_names_as_numbers()
    {
        var data = new LearnerData([1, 2, 3, 4, 5, 6], 2, [0, 2, 1], 3, ["-1.5", "0", "2.25"]);
        var first = data.Take(2);
        Assert.Equal([1.0, 2, 3, 4], first.Features);
        Assert.Equal([0, 2], first.Labels!);
        Assert.Same(data, data.Take(10));
        Assert.Equal([-1.5, 2.25, 0], data.AsRegression("csv:f.csv").Targets!);
        var words = new LearnerData([1, 2], 1, [0, 1], 2, ["cat", "dog"]);
        Assert.Contains("'cat' is not a number", Assert.Throws<BackpropException>(() => words.AsRegression("csv:f.csv")).Message);
    }
}

public class OnlineTrainingTests
{
    [Fact]
    public void The_order_is_seeded()
    {
        var data = SyntheticData.Xor(100, new Rng(0));
        IReadOnlyList<EpochReport> Run(ulong seed) => OnlineTraining.Train(new Perceptron(2), data, new OnlineTrainingOptions { Epochs = 5, Seed = seed });
        Assert.Equal(Run(3), Run(3));
        Assert.NotEqual(Run(3), Run(4));
    }

    [Fact]
    public void Reports_every_epoch_and_stops_a_perceptron_after_an_epoch_without_mistakes()
    {
        var data = SyntheticData.Blobs(100, 2, new Rng(0));
        var seen = new List<EpochReport>();
        var epochs = OnlineTraining.Train(new Perceptron(2), data, new OnlineTrainingOptions { Epochs = 50 }, seen.Add);
        Assert.Equal(epochs, seen);
        Assert.True(epochs.Count < 50);
        Assert.Equal(0, epochs[^1].Mistakes);
        Assert.All(epochs.SkipLast(1), e => Assert.True(e.Mistakes > 0));
        Assert.Equal(Enumerable.Range(1, epochs.Count), epochs.Select(e => e.Epoch));

        // Logistic regression keeps improving after it stops erring, so it runs every epoch.
        Assert.Equal(10, OnlineTraining.Train(new LogisticRegression(2), data, new OnlineTrainingOptions { Epochs = 10, LearningRate = 0.1 }).Count);
    }

    [Fact]
    public void Bad_settings_are_reported()
    {
        var data = SyntheticData.Blobs(10, 3, new Rng(0));
        var model = new MulticlassPerceptron(3, 2);
        Assert.Throws<BackpropException>(() => OnlineTraining.Train(model, data, new OnlineTrainingOptions { Epochs = 0 }));
        Assert.Throws<BackpropException>(() => OnlineTraining.Train(model, data, new OnlineTrainingOptions { LearningRate = double.NaN }));
        Assert.Contains("full-batch", Assert.Throws<BackpropException>(() => OnlineTraining.Train(model, data, new OnlineTrainingOptions { FullBatch = true })).Message);
        Assert.Contains("4 classes", Assert.Throws<BackpropException>(() => OnlineTraining.Train(new MulticlassPerceptron(3, 2), SyntheticData.Blobs(10, 4, new Rng(0)), new OnlineTrainingOptions())).Message);
    }
}
