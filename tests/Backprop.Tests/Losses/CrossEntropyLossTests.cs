namespace Backprop.Tests.Losses;

public class CrossEntropyLossTests
{
    [Fact]
    public void Is_the_mean_negative_log_softmax_of_the_true_class() =>
        LossReference.AssertForwardMatches("cross_entropy", c => Enumerable.Range(0, c.Batch).Average(n =>
        {
            double[] z = LossReference.Row(c, n);
            return -Math.Log(Math.Exp(z[(int)c.TargetValues[n]]) / z.Sum(Math.Exp));
        }));

    [Fact]
    public void Huge_logits_stay_finite()
    {
        // Logits (1000, −1000): the right class costs 0, the wrong one 2000; mean over the two examples is 1000.
        double[] z = [1000, -1000, 1000, -1000];
        var (value, grad) = LossReference.Run<double>("cross_entropy", z, [2, 2], [0, 1], [2]);
        Assert.Equal(1000.0, value);
        Assert.Equal([0, 0, 0.5, -0.5], grad);

        var (value32, grad32) = LossReference.Run<float>("cross_entropy", z, [2, 2], [0, 1], [2]);
        Assert.Equal(1000.0, value32);
        Assert.Equal([0, 0, 0.5, -0.5], grad32);
    }

    [Fact]
    public void Uniform_logits()
    {
        // Three equal logits: ℓ = log 3; dℓ/dz = (1/3 − [c = y]).
        var (value, grad) = LossReference.Run<double>("cross_entropy", [7.0, 7, 7], [1, 3], [2.0], [1]);
        Assert.Equal(Math.Log(3), value, 1e-15);
        Assert.Equal(1 / 3.0, grad[0], 1e-15);
        Assert.Equal(1 / 3.0, grad[1], 1e-15);
        Assert.Equal(-2 / 3.0, grad[2], 1e-15);
    }
}
