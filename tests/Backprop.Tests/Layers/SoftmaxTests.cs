using Backprop.Layers;
using Backprop.Tensors;
using Backprop.Tests.Support;
using CsCheck;

namespace Backprop.Tests.Layers;

public class SoftmaxTests
{
    [Fact]
    public void Forward_is_exp_over_sum_of_exp_per_example() =>
        LayerGens.ByType["softmax"].Sample(c =>
        {
            int f = c.Recipe.InputShape[0];
            var y = new double[c.Input.Length];
            for (int n = 0; n < c.Batch; n++)
            {
                double sum = 0;
                for (int i = 0; i < f; i++) sum += Math.Exp(c.Input[n * f + i]);
                for (int i = 0; i < f; i++) y[n * f + i] = Math.Exp(c.Input[n * f + i]) / sum;
            }
            Numeric.AssertForwardMatches(c, [f], y);
        }, iter: 100);

    [Fact]
    public void Huge_logits_stay_finite()
    {
        var softmax = new Softmax<double>(3);
        var y = softmax.Forward(new Tensor<double>([1000.0, -1000, 999], 1, 3)).ToDoubleArray();
        double e = Math.Exp(-1);
        Assert.Equal(1 / (1 + e), y[0], 1e-15);
        Assert.Equal(0.0, y[1]);
        Assert.Equal(e / (1 + e), y[2], 1e-15);
        var dx = softmax.Backward(new Tensor<double>([1.0, 0, 0], 1, 3)).ToDoubleArray();
        Assert.All(dx, v => Assert.True(double.IsFinite(v)));

        var y32 = new Softmax<float>(2).Forward(new Tensor<float>([1000f, 1000f], 1, 2)).ToDoubleArray();
        Assert.Equal([0.5, 0.5], y32);
    }

    [Fact]
    public void Gradient_of_a_constant_shift_is_zero()
    {
        // Softmax is invariant to adding a constant to every logit, so dL/dx sums to zero over each example.
        LayerGens.ByType["softmax"].Sample(c =>
        {
            var (_, dx, _) = Numeric.Pass(c.Build<double>(), c.X<double>(), c.R<double>());
            int f = c.Recipe.InputShape[0];
            for (int n = 0; n < c.Batch; n++)
                Assert.Equal(0.0, dx.AsSpan(n * f, f).ToArray().Sum(), 1e-14);
        }, iter: 50);
    }
}
