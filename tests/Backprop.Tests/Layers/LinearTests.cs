using Backprop.Layers;
using Backprop.Tensors;
using Backprop.Tests.Support;
using CsCheck;

namespace Backprop.Tests.Layers;

public class LinearTests
{
    [Fact]
    public void Forward_matches_x_times_W_transposed_plus_b() =>
        LayerGens.ByType["linear"].Sample(c =>
        {
            int inF = c.Recipe.InputShape[0], outF = ((Linear)c.Recipe.Spec).OutFeatures;
            double[] w = c.ParameterValues[0];
            var y = new double[c.Batch * outF];
            for (int n = 0; n < c.Batch; n++)
                for (int j = 0; j < outF; j++)
                {
                    double sum = ((Linear)c.Recipe.Spec).Bias ? c.ParameterValues[1][j] : 0;
                    for (int i = 0; i < inF; i++) sum += c.Input[n * inF + i] * w[j * inF + i];
                    y[n * outF + j] = sum;
                }
            Numeric.AssertForwardMatches(c, [outF], y);
        }, iter: 100);

    [Fact]
    public void Small_example_by_hand()
    {
        // W = [[3, 4], [6, 5]], b = [1, −6] (PyTorch's [out, in] layout), two examples.
        var linear = new Linear<double>(2, 2);
        new double[] { 3, 4, 6, 5 }.CopyTo(linear.Weight.Value.Data, 0);
        new double[] { 1, -6 }.CopyTo(linear.Bias!.Value.Data, 0);
        var y = linear.Forward(new Tensor<double>([1.0, 2, -1, 0], 2, 2));
        Assert.Equal([3 + 8 + 1, 6 + 10 - 6, -3 + 1, -6 - 6], y.ToDoubleArray());

        var dx = linear.Backward(new Tensor<double>([1.0, 0, 0, 2], 2, 2));
        Assert.Equal([3, 4, 12, 10], dx.ToDoubleArray());                     // dy·W
        Assert.Equal([1, 2, -2, 0], linear.Weight.Grad.ToDoubleArray());       // dyᵀ·x
        Assert.Equal([1, 2], linear.Bias.Grad.ToDoubleArray());                // Σ_n dy
    }
}
