using Backprop.Experiments;

namespace Backprop.Tests.Experiments;

/// <summary>Seed 000, practice 1b: small random against all-zero (and constant) initialisation.</summary>
public class ZeroInitTests
{
    private static readonly ZeroInitResult Result = ZeroInitExperiment.Run(new ZeroInitOptions { Epochs = 150 });

    private static ZeroInitRun Scheme(string name) => Result.Runs.Single(r => r.Scheme == name);

    [Fact]
    public void Under_zeros_every_hidden_unit_is_dead_and_every_gradient_is_exactly_zero_throughout()
    {
        var run = Scheme("zeros");
        Assert.All(run.Epochs, e => Assert.All(e.Units, u =>
        {
            Assert.Equal(0, u.MaxOutput);
            Assert.Equal(0, u.GradNormW1);
            Assert.Equal(0, u.GradAbsW2);
            Assert.Equal(0, u.MeanW1);
            Assert.Equal(0, u.StdW1);
            Assert.Equal(0, u.W2);
        }));
        Assert.Equal(0, run.MaxAbsGradient);
        Assert.Equal(0, run.MaxAbsHiddenOutput);
    }

    [Fact]
    public void Under_zeros_nothing_is_learned_the_loss_stays_mean_y_squared()
    {
        var data = UpdateOrderExperiment.Data(new UpdateOrderOptions { Seed = Result.Options.Seed, Examples = Result.Options.Examples });
        double meanSquare = data.Y.Average(y => y * y);
        var run = Scheme("zeros");
        Assert.All(run.Epochs, e => Assert.Equal(meanSquare, e.Loss, 1e-15));
        Assert.Equal(meanSquare, run.FinalLoss, 1e-15);
    }

    [Fact]
    public void A_constant_init_keeps_the_hidden_units_identical_copies_while_they_learn()
    {
        var run = Scheme("constant");
        Assert.Equal(0, run.MaxUnitSpread);
        Assert.All(run.Epochs, e => Assert.All(e.Units, u => Assert.Equal(e.Units[0], u)));
        Assert.True(run.MaxAbsGradient > 0);
        Assert.True(run.FinalLoss < run.Epochs[0].Loss);
    }

    [Fact]
    public void Small_random_weights_break_the_symmetry_and_fit_far_better_than_one_repeated_unit()
    {
        var random = Scheme("small random");
        Assert.True(random.MaxUnitSpread > 0.1, random.MaxUnitSpread.ToString());
        var last = random.Epochs[^1].Units;
        Assert.Equal(last.Count, last.Select(u => u.W2).Distinct().Count());
        Assert.True(random.FinalLoss < 0.05 * random.Epochs[0].Loss, $"{random.Epochs[0].Loss} → {random.FinalLoss}");
        Assert.True(random.FinalLoss < 0.1 * Scheme("constant").FinalLoss);
    }

    [Fact]
    public void Unit_statistics_are_those_of_the_weights()
    {
        var options = new ZeroInitOptions();
        var net = ZeroInitExperiment.InitialNet("small random", options);
        var first = Scheme("small random").Epochs[0].Units;
        for (int j = 0; j < options.Hidden; j++)
        {
            double[] column = Enumerable.Range(0, 3).Select(i => net.W1[i * options.Hidden + j]).ToArray();
            double mean = column.Average();
            Assert.Equal(mean, first[j].MeanW1, 1e-15);
            Assert.Equal(Math.Sqrt(column.Average(w => (w - mean) * (w - mean))), first[j].StdW1, 1e-15);
            Assert.Equal(net.W2[j], first[j].W2);
        }
    }
}
