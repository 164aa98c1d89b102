using Backprop.Experiments;

namespace Backprop.Tests.Experiments;

public class LossDerivationTests
{
    [Fact]
    public void Each_update_rule_is_minus_kappa_eta_times_the_gradient_of_its_loss()
    {
        var result = LossDerivationExperiment.Run(new LossDerivationOptions { Seed = 3 });
        Assert.Equal(3, result.Rows.Count);
        foreach (var row in result.Rows)
        {
            Assert.True(row.Compared > 150, $"{row.Learner}: only {row.Compared} points compared");
            Assert.True(row.MaxUpdate > 1e-3, $"{row.Learner}: the updates are too small to mean anything");
            Assert.True(row.MaxDifference < 1e-8, $"{row.Learner}: update differs from −κη∇ℓ by {row.MaxDifference}");
        }
        Assert.Equal(2, result.Rows.Single(r => r.Learner.Contains("erceptron")).StepScale);
    }

    [Fact]
    public void Cli_prints_the_table()
    {
        var stdout = new StringWriter();
        int code = Backprop.Cli.Program.Run(["experiment", "loss-derivation", "--seed", "1"], stdout, new StringWriter());
        Assert.Equal(0, code);
        Assert.Contains("max |update + κη∇ℓ|", stdout.ToString());
    }
}
