using Backprop.Losses;

namespace Backprop.Tests.Losses;

public class MulticlassPerceptronLossTests
{
    [Fact]
    public void Is_the_mean_of_max_0_best_rival_minus_true_score() =>
        LossReference.AssertForwardMatches("multiclass_perceptron", c => Enumerable.Range(0, c.Batch).Average(n =>
        {
            double[] s = LossReference.Row(c, n);
            int label = (int)c.TargetValues[n];
            double rival = s.Where((_, k) => k != label).DefaultIfEmpty(double.NegativeInfinity).Max();
            return Math.Max(0, rival - s[label]);
        }));

    [Fact]
    public void Gradient_is_plus_one_on_the_first_highest_rival_and_minus_one_on_the_true_class()
    {
        // Example 0: label 0, rivals 1 and 2 tie at 3 → the first (class 1) takes the +1; F = 3 − 1 = 2.
        // Example 1: label 0 scores highest → F = 0 and no gradient at all.
        // Example 2: label 1, rivals 0 and 2 tie at 4 → class 0 takes the +1; F = 4 − 1 = 3.
        double[] s =
        [
            1, 3, 3, 0,
            5, 1, 2, 4,
            4, 1, 4, -1,
        ];
        var (value, grad) = LossReference.Run<double>("multiclass_perceptron", s, [3, 4], [0, 0, 1], [3]);
        Assert.Equal((2 + 0 + 3) / 3.0, value);
        double third = 1 / 3.0;
        Assert.Equal(
        [
            -third, third, 0, 0,
            0, 0, 0, 0,
            third, -third, 0, 0,
        ], grad);
    }

    [Fact]
    public void A_tie_between_the_true_class_and_its_rival_gives_no_gradient()
    {
        // Margin exactly 0: the loss is 0 and so is the (sub)gradient chosen.
        var (value, grad) = LossReference.Run<double>("multiclass_perceptron", [2.0, 2, -1], [1, 3], [1.0], [1]);
        Assert.Equal(0.0, value);
        Assert.Equal([0.0, 0, 0], grad);
    }

    [Fact]
    public void A_single_class_has_no_rival()
    {
        Assert.Equal(-1, MulticlassPerceptronLoss<double>.BestRival([7.0], 0));
        var (value, grad) = LossReference.Run<double>("multiclass_perceptron", [7.0, -7], [2, 1], [0.0, 0], [2]);
        Assert.Equal(0.0, value);
        Assert.Equal([0.0, 0], grad);
    }
}
