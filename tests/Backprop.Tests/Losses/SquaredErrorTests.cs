namespace Backprop.Tests.Losses;

public class SquaredErrorTests
{
    private static double SumOfSquares(Support.LossCase c) =>
        c.PredictionValues.Zip(c.TargetValues, (p, y) => (p - y) * (p - y)).Sum();

    [Fact]
    public void Mse_is_the_mean_over_all_elements() =>
        LossReference.AssertForwardMatches("mse", c => SumOfSquares(c) / (c.Batch * c.Features));

    [Fact]
    public void Sse_is_the_per_example_sum_averaged_over_the_batch() =>
        LossReference.AssertForwardMatches("sse", c => SumOfSquares(c) / c.Batch);

    [Fact]
    public void Half_sse_is_half_of_sse() =>
        LossReference.AssertForwardMatches("half_sse", c => SumOfSquares(c) / (2 * c.Batch));

    [Theory]
    [InlineData("mse", 7.5, 0.5)]
    [InlineData("sse", 15, 1)]
    [InlineData("half_sse", 7.5, 0.5)]
    public void Two_by_two_example(string name, double expected, double slope)
    {
        // ŷ − y = [[1, 2], [3, 4]]: Σ squares = 30 over N = 2 examples of 2 features; dℓ/dŷ = slope·(ŷ − y).
        var (value, grad) = LossReference.Run<double>(name, [1.5, 2, 3, 4.5], [2, 2], [0.5, 0, 0, 0.5], [2, 2]);
        Assert.Equal(expected, value);
        Assert.Equal(new[] { 1.0, 2, 3, 4 }.Select(d => slope * d), grad);
    }
}
