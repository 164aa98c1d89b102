using Backprop.Autodiff;
using Backprop.Layers;
using Backprop.Tensors;

namespace Backprop.Tests.Autodiff;

/// <summary>
/// A second opinion on the engine: a small network Linear(3→4) → Tanh → Linear(4→2) → Sigmoid with half squared
/// error, written out in scalars with <see cref="Value"/>, against the layers' hand-written Backward.
/// </summary>
public class LayerCrossCheckTests
{
    private const int In = 3, Hidden = 4, Out = 2, Batch = 2;

    [Fact]
    public void Scalar_autodiff_agrees_with_the_layers_backward()
    {
        var rng = new Rng(7);
        double[,] w1 = Random(rng, Hidden, In), w2 = Random(rng, Out, Hidden);
        double[] b1 = Random(rng, 1, Hidden).Cast<double>().ToArray(), b2 = Random(rng, 1, Out).Cast<double>().ToArray();
        double[,] x = Random(rng, Batch, In), y = { { 0, 1 }, { 1, 0 } };

        // The engine: L = Σ_n ½‖σ(W2·tanh(W1·xₙ + b1) + b2) − yₙ‖², so dL/dŷ = ŷ − y.
        var linear1 = new Linear<double>(In, Hidden);
        var tanh = new Tanh<double>([Hidden]);
        var linear2 = new Linear<double>(Hidden, Out);
        var sigmoid = new Sigmoid<double>([Out]);
        Set(linear1, w1, b1);
        Set(linear2, w2, b2);
        var input = new Tensor<double>(Flatten(x), Batch, In);
        var yhat = sigmoid.Forward(linear2.Forward(tanh.Forward(linear1.Forward(input))));
        var dyhat = new Tensor<double>(Batch, Out);
        for (int n = 0; n < Batch; n++)
            for (int k = 0; k < Out; k++) dyhat[n, k] = yhat[n, k] - y[n, k];
        var dx = linear1.Backward(tanh.Backward(linear2.Backward(sigmoid.Backward(dyhat))));

        // The same network in scalars.
        var W1 = Values(w1, "W1");
        var W2 = Values(w2, "W2");
        var B1 = b1.Select((v, j) => new Value(v, $"b1[{j}]")).ToArray();
        var B2 = b2.Select((v, j) => new Value(v, $"b2[{j}]")).ToArray();
        var X = Values(x, "x");
        Value loss = 0.0;
        for (int n = 0; n < Batch; n++)
        {
            var h = new Value[Hidden];
            for (int j = 0; j < Hidden; j++)
            {
                Value s = B1[j];
                for (int i = 0; i < In; i++) s += W1[j, i] * X[n, i];
                h[j] = s.Tanh();
            }
            for (int k = 0; k < Out; k++)
            {
                Value s = B2[k];
                for (int j = 0; j < Hidden; j++) s += W2[k, j] * h[j];
                var prediction = s.Sigmoid();
                Assert.Equal(yhat[n, k], prediction.Data, 15);
                loss += 0.5 * (prediction - y[n, k]).Pow(2);
            }
        }
        loss.Backward();

        Same(W1, linear1.Weight.Grad, "0.weight");
        Same(B1, linear1.Bias!.Grad, "0.bias");
        Same(W2, linear2.Weight.Grad, "2.weight");
        Same(B2, linear2.Bias!.Grad, "2.bias");
        Same(X, dx, "input");
    }

    private static double[,] Random(Rng rng, int rows, int columns)
    {
        var m = new double[rows, columns];
        for (int i = 0; i < rows; i++)
            for (int j = 0; j < columns; j++) m[i, j] = rng.Uniform(-1.5, 1.5);
        return m;
    }

    private static double[] Flatten(double[,] m) => m.Cast<double>().ToArray();

    private static Value[,] Values(double[,] m, string name)
    {
        var v = new Value[m.GetLength(0), m.GetLength(1)];
        for (int i = 0; i < m.GetLength(0); i++)
            for (int j = 0; j < m.GetLength(1); j++) v[i, j] = new Value(m[i, j], $"{name}[{i},{j}]");
        return v;
    }

    private static void Set(Linear<double> layer, double[,] weight, double[] bias)
    {
        Flatten(weight).CopyTo(layer.Weight.Value.Span);
        bias.CopyTo(layer.Bias!.Value.Span);
    }

    private static void Same(Value[,] expected, Tensor<double> actual, string name) => Same(expected.Cast<Value>().ToArray(), actual, name);

    private static void Same(Value[] expected, Tensor<double> actual, string name)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i].Grad - actual[i]) <= 1e-14 * Math.Max(1, Math.Abs(expected[i].Grad)),
                $"{name}[{i}]: autodiff {expected[i].Grad:R}, layers {actual[i]:R}");
    }
}
