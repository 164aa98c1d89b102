using Backprop.Losses;
using Backprop.Tensors;

namespace Backprop.Tests.Losses;

/// <summary>Loss.CheckTarget: each kind of target accepts what it should and rejects the rest.</summary>
public class LossTargetTests
{
    private static void Check(string loss, int[] outputShape, double[] y, int[] yShape, int batch) =>
        LossFunctions.Create<double>(loss).CheckTarget(outputShape, Tensor<double>.FromDoubles(y, yShape), batch, "test");

    [Fact]
    public void Valid_targets_pass()
    {
        Check("mse", [2], [1, -5, 3, 1e9], [2, 2], 2);
        Check("bce", [1], [0, 0.5, 1], [3, 1], 3);
        Check("cross_entropy", [3], [0, 2, 1], [3], 3);
        Check("logistic", [1], [-1, 1], [2], 2);
    }

    [Theory]
    [InlineData("mse", new[] { 2 }, new[] { 1.0, 2, 3 }, new[] { 3 }, 1)]            // wrong shape
    [InlineData("mse", new[] { 1 }, new[] { double.NaN }, new[] { 1, 1 }, 1)]       // not finite
    [InlineData("bce", new[] { 1 }, new[] { 1.5 }, new[] { 1, 1 }, 1)]              // probability above 1
    [InlineData("bce", new[] { 1 }, new[] { -0.01 }, new[] { 1, 1 }, 1)]            // probability below 0
    [InlineData("cross_entropy", new[] { 3 }, new[] { 3.0 }, new[] { 1 }, 1)]       // class index out of range
    [InlineData("cross_entropy", new[] { 3 }, new[] { 0.5 }, new[] { 1 }, 1)]       // not an integer
    [InlineData("cross_entropy", new[] { 3 }, new[] { -1.0 }, new[] { 1 }, 1)]      // negative index
    [InlineData("cross_entropy", new[] { 3, 1 }, new[] { 0.0 }, new[] { 1 }, 1)]    // output not [N, classes]
    [InlineData("multiclass_perceptron", new[] { 2 }, new[] { 0.0, 1 }, new[] { 1, 2 }, 1)] // one-hot instead of indices
    [InlineData("hinge", new[] { 1 }, new[] { 0.0 }, new[] { 1 }, 1)]               // label not ±1
    [InlineData("perceptron", new[] { 2 }, new[] { 1.0 }, new[] { 1 }, 1)]          // output not [N, 1]
    public void Invalid_targets_are_rejected(string loss, int[] outputShape, double[] y, int[] yShape, int batch) =>
        Assert.Throws<BackpropException>(() => Check(loss, outputShape, y, yShape, batch));
}
