using System.Text.Json;
using Backprop.Losses;
using Backprop.Tensors;
using Backprop.Tests.Optimizers;
using Backprop.Tests.Support;
using CsCheck;
using Xunit.Abstractions;

namespace Backprop.Tests.Losses;

public class CrossEntropyLossTests(ITestOutputHelper output)
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

    // Label smoothing ε: the target q_c = (1 − ε)[c = y] + ε/C, and ℓ = mean_n Σ_c −q_c log softmax(z_n)_c, written out
    // here from the definition (log-softmax directly), not from the rearranged form the loss computes.
    private static double SmoothedReference(LossCase c) => Enumerable.Range(0, c.Batch).Average(n =>
    {
        double[] z = LossReference.Row(c, n);
        double max = z.Max(), logSum = Math.Log(z.Sum(v => Math.Exp(v - max))) + max;
        return Enumerable.Range(0, c.Features).Sum(k =>
            -((1 - c.LabelSmoothing) * (k == (int)c.TargetValues[n] ? 1 : 0) + c.LabelSmoothing / c.Features) * (z[k] - logSum));
    });

    [Fact]
    public void Label_smoothing_is_cross_entropy_against_the_smoothed_target() =>
        LossGens.SmoothedCrossEntropy.Sample(c =>
            Numeric.AssertClose("smoothed cross-entropy", [SmoothedReference(c)],
                [c.Create<double>().Forward(c.Prediction<double>(), c.Target<double>())], 1e-13, c), iter: 200);

    [Fact]
    public void Label_smoothing_Backward_matches_central_differences() =>
        LossGens.SmoothedCrossEntropy.Sample(Numeric.AssertLossGradient, iter: 200);

    [Fact]
    public void Label_smoothing_float32_agrees_with_float64() =>
        LossGens.SmoothedCrossEntropy.Sample(Numeric.AssertLossSingleAgrees, iter: 100);

    [Fact]
    public void Label_smoothing_by_hand()
    {
        // Equal logits over 4 classes: softmax = 1/4 whatever ε, so ℓ = log 4 and dℓ/dz_c = 1/4 − q_c with
        // q = (1 − ε)[c = y] + ε/4; for ε = 0.2, y = 1: q = (0.05, 0.85, 0.05, 0.05).
        var loss = new CrossEntropyLoss<double>(0.2);
        double value = loss.Forward(Tensor<double>.FromDoubles([2.0, 2, 2, 2], 1, 4), Tensor<double>.FromDoubles([1.0], 1));
        Assert.Equal(Math.Log(4), value, 1e-15);
        double[] grad = loss.Backward().ToDoubleArray();
        double[] expected = [0.25 - 0.05, 0.25 - 0.85, 0.25 - 0.05, 0.25 - 0.05];
        for (int k = 0; k < 4; k++) Assert.Equal(expected[k], grad[k], 1e-15);
    }

    [Theory]
    [InlineData(-0.1)]
    [InlineData(1.5)]
    [InlineData(double.NaN)]
    public void Label_smoothing_outside_0_1_is_refused(double epsilon) =>
        Assert.Contains("label smoothing", Assert.Throws<BackpropException>(() => new CrossEntropyLoss<double>(epsilon)).Message);

    [Fact]
    public void Label_smoothing_matches_torch() =>
        // One sample of 20 cases, so that a failure prints the seed that replays it.
        LossGens.SmoothedCrossEntropy.Array[20].Sample(generated =>
        {
            var input = JsonSerializer.Serialize(generated.Select(c => new
            {
                z = c.PredictionValues, shape = new[] { c.Batch, c.Features }, y = c.TargetValues.Select(v => (int)v), epsilon = c.LabelSmoothing,
            }));
            // dtype given: JSON writes 3.0 as 3, and a row of whole numbers would otherwise become an integer tensor.
            using var doc = TorchReference.Run("""
                import torch.nn.functional as F
                out = []
                for c in inp:
                    z = torch.tensor(c["z"], dtype=torch.float64).reshape(c["shape"]).requires_grad_()
                    loss = F.cross_entropy(z, torch.tensor(c["y"], dtype=torch.long), label_smoothing=c["epsilon"])
                    loss.backward()
                    out.append({"value": loss.item(), "grad": z.grad.reshape(-1).tolist()})
                print(json.dumps(out))
                """, input, out string note);
            if (doc is null) { output.WriteLine(note); return; }
            var results = doc.RootElement.EnumerateArray().ToArray();
            Assert.Equal(generated.Length, results.Length);
            for (int i = 0; i < generated.Length; i++)
            {
                var c = generated[i];
                var loss = c.Create<double>();
                double value = loss.Forward(c.Prediction<double>(), c.Target<double>());
                Numeric.AssertClose("value", [results[i].GetProperty("value").GetDouble()], [value], 1e-12, c);
                Numeric.AssertClose("dℓ/dz", TorchReference.Doubles(results[i].GetProperty("grad")), loss.Backward().ToDoubleArray(), 1e-12, c);
            }
        }, iter: 1);
}
