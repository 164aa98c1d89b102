using Backprop.Layers;
using Backprop.Optimizers;
using Backprop.Tensors;
using Factory = Backprop.Optimizers.OptimizerFactory;

namespace Backprop.Tests.Optimizers;

public class OptimizerFactoryTests
{
    private static readonly Parameter<double>[] Params = [new("weight", new Tensor<double>(2, 2)), new("bias", new Tensor<double>(2))];

    [Fact]
    public void Creates_each_optimizer_with_pytorchs_defaults()
    {
        var sgd = Assert.IsType<SGD<double>>(Factory.Create("sgd", Params, 0.1, momentum: 0.9, nesterov: true));
        Assert.Equal((0.1, 0.9, 0.0, true), (sgd.LearningRate, sgd.Momentum, sgd.WeightDecay, sgd.Nesterov));
        var adam = Assert.IsType<Adam<double>>(Factory.Create("adam", Params, 0.01));
        Assert.Equal((0.01, 0.0, 0.9, 0.999, 1e-8), (adam.LearningRate, adam.WeightDecay, adam.Beta1, adam.Beta2, adam.Eps));
        var adamw = Assert.IsType<AdamW<double>>(Factory.Create("adamw", Params, 0.01));
        Assert.Equal(0.01, adamw.WeightDecay);
        Assert.Equal(0.5, Assert.IsType<AdamW<double>>(Factory.Create("adamw", Params, 0.01, weightDecay: 0.5)).WeightDecay);
        Assert.Equal(["0.momentum_buffer", "1.momentum_buffer"], Factory.Create("sgd", Params, 0.1, momentum: 0.5).State().Select(s => s.Name));
    }

    [Theory]
    [InlineData("rmsprop", 0.1, 0, null, false, "unknown optimizer 'rmsprop'; expected one of: sgd, adam, adamw")]
    [InlineData("SGD", 0.1, 0, null, false, "unknown optimizer 'SGD'")]
    [InlineData("adam", 0.1, 0.9, null, false, "optimizer adam: momentum and nesterov apply only to sgd")]
    [InlineData("adamw", 0.1, 0, null, true, "optimizer adamw: momentum and nesterov apply only to sgd")]
    [InlineData("sgd", -0.1, 0, null, false, "optimizer sgd: the learning rate must be a finite number ≥ 0, got -0.1")]
    [InlineData("sgd", 0.1, -1, null, false, "optimizer sgd: momentum must be a finite number ≥ 0, got -1")]
    [InlineData("adam", 0.1, 0, -0.5, false, "optimizer adam: weight decay must be a finite number ≥ 0, got -0.5")]
    [InlineData("sgd", 0.1, 0, null, true, "optimizer sgd: Nesterov momentum needs momentum > 0 and dampening 0")]
    public void Bad_names_and_values_are_input_errors(string name, double lr, double momentum, double? weightDecay, bool nesterov, string message)
    {
        var e = Assert.Throws<BackpropException>(() => Factory.Create(name, Params, lr, momentum, weightDecay, nesterov));
        Assert.StartsWith(message, e.Message);
    }
}
