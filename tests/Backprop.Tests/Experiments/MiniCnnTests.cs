using System.Text.Json;
using Backprop.Experiments;
using Backprop.Layers;
using Backprop.Losses;
using Backprop.Tensors;

namespace Backprop.Tests.Experiments;

/// <summary>Seed 000, problem 2: the engine's gradients against the sheet's closed forms, and training by SGD.</summary>
public class MiniCnnTests
{
    /// <summary>The answers of 2.1 and 2.2, written here from the sheet (not from the library): (∂w1, ∂w2, ∂v1, ∂v2).</summary>
    private static double[] ClosedForm(double[] x, double y, double w1, double w2, double v1, double v2)
    {
        double a1 = x[0] * w1 + x[1] * w2, a2 = x[1] * w1 + x[2] * w2;
        double o1 = Math.Max(0, a1), o2 = Math.Max(0, a2);
        double yHat = o1 * v1 + o2 * v2;
        double s = 1 / (1 + Math.Exp(y * yHat));        // σ(−y·ŷ)
        double h1 = a1 > 0 ? 1 : 0, h2 = a2 > 0 ? 1 : 0; // H(a) = 𝕀[a > 0]
        return
        [
            -y * s * (v1 * h1 * x[0] + v2 * h2 * x[1]),
            -y * s * (v1 * h1 * x[1] + v2 * h2 * x[2]),
            -y * s * o1,
            -y * s * o2,
        ];
    }

    private static void AssertClose(double[] expected, double[] actual, string context)
    {
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) <= 1e-14 * (1 + Math.Abs(expected[i])),
                $"gradient {i}: closed form {expected[i]:R}, engine {actual[i]:R}\n{context}");
    }

    [Fact]
    public void Engine_gradients_equal_the_closed_forms_on_random_values()
    {
        var rng = new Rng(2026);
        var loss = new LogisticLoss<double>();
        int inactive = 0;
        var model = MiniCnn.Build(0);
        for (int trial = 0; trial < 500; trial++)
        {
            double[] x = [rng.Normal(), rng.Normal(), rng.Normal()];
            double y = rng.NextInt(2) == 0 ? -1 : 1;
            var conv = (Conv1d<double>)model.Layers[0];
            var linear = (Linear<double>)model.Layers[3];
            for (int k = 0; k < 2; k++)
            {
                conv.Weight.Value[k] = 2 * rng.Normal();
                linear.Weight.Value[k] = 2 * rng.Normal();
            }
            model.ZeroGrad();
            loss.Forward(model.Forward(new Tensor<double>((double[])x.Clone(), 1, 1, 3)), new Tensor<double>([y], 1));
            model.Backward(loss.Backward());
            double w1 = conv.Weight.Value[0], w2 = conv.Weight.Value[1], v1 = linear.Weight.Value[0], v2 = linear.Weight.Value[1];
            if (x[0] * w1 + x[1] * w2 <= 0 || x[1] * w1 + x[2] * w2 <= 0) inactive++;
            double[] engine = [conv.Weight.Grad[0], conv.Weight.Grad[1], linear.Weight.Grad[0], linear.Weight.Grad[1]];
            string context = $"x = [{string.Join(", ", x)}], y = {y}, w = ({w1}, {w2}), v = ({v1}, {v2})";
            AssertClose(ClosedForm(x, y, w1, w2, v1, v2), engine, context);

            var library = MiniCnn.ClosedFormGradient(new MiniCnnParameters(w1, w2, v1, v2), x, y);
            AssertClose(ClosedForm(x, y, w1, w2, v1, v2), [library.W1, library.W2, library.V1, library.V2], context);
        }
        Assert.InRange(inactive, 100, 450); // both kinds of cases, ReLUs on and off, were covered
    }

    [Fact]
    public void Trace_of_the_seed000_cnn_example_gives_the_closed_forms()
    {
        using var doc = JsonDocument.Parse(ExperimentCli.Ok("trace", "--example", "seed000-cnn", "--format", "json"));
        var root = doc.RootElement;
        double[] x = root.GetProperty("x")[0][0].EnumerateArray().Select(e => e.GetDouble()).ToArray();
        double y = root.GetProperty("y")[0].GetDouble();
        var grads = root.GetProperty("backward").EnumerateArray().SelectMany(step => step.GetProperty("grads").EnumerateObject())
            .ToDictionary(g => g.Name, g => g.Value);
        double[] dw = grads["0.weight"][0][0].EnumerateArray().Select(e => e.GetDouble()).ToArray();
        double[] dv = grads["3.weight"][0].EnumerateArray().Select(e => e.GetDouble()).ToArray();

        // The example's weights: w = (0.5, −0.25), v = (1, −0.5); x = (2, −1, 3), y = 1 (a2 < 0: the second ReLU is off).
        Assert.Equal([2.0, -1, 3], x);
        Assert.Equal(1, y);
        AssertClose(ClosedForm(x, y, 0.5, -0.25, 1, -0.5), [dw[0], dw[1], dv[0], dv[1]], "seed000-cnn");
        Assert.Equal(0, dv[1]); // o2 = ReLU(a2) = 0
    }

    private static readonly MiniCnnOptions Small = new() { Epochs = 3, TrainExamples = 60, TestExamples = 60 };

    [Fact]
    public void The_runs_first_step_shows_engine_and_closed_form_agreeing()
    {
        var r = MiniCnn.Run(Small);
        var s = r.FirstStep;
        AssertClose(ClosedForm(s.X, s.Y, s.Weights.W1, s.Weights.W2, s.Weights.V1, s.Weights.V2),
            [s.EngineGradient.W1, s.EngineGradient.W2, s.EngineGradient.V1, s.EngineGradient.V2], "first step");
        Assert.Equal(r.Initial, s.Weights);
    }

    [Fact]
    public void Labels_follow_the_teacher_rule_with_a_margin()
    {
        var batch = MiniCnn.Data(300, new Rng(5));
        for (int i = 0; i < 300; i++)
        {
            double x1 = batch.X[3 * i], x2 = batch.X[3 * i + 1], x3 = batch.X[3 * i + 2];
            double teacher = Math.Max(0, x1 - x2) - Math.Max(0, x2 - x3);
            Assert.True(Math.Abs(teacher) >= MiniCnn.TeacherMargin);
            Assert.Equal(Math.Sign(teacher), batch.Y[i]);
        }
        int positive = Enumerable.Range(0, 300).Count(i => batch.Y[i] > 0);
        Assert.InRange(positive, 90, 210);
    }

    [Fact]
    public void Sgd_lowers_the_loss_and_the_same_seed_gives_the_same_run()
    {
        var a = MiniCnn.Run(Small with { Seed = 4 });
        var b = MiniCnn.Run(Small with { Seed = 4 });
        Assert.Equal(a.Epochs, b.Epochs);
        Assert.Equal(a.Final, b.Final);
        Assert.True(a.Epochs[^1].TrainLoss < 0.5 * a.Epochs[0].TrainLoss, $"loss {a.Epochs[0].TrainLoss} → {a.Epochs[^1].TrainLoss}");
        Assert.Equal(Small.Epochs + 1, a.Epochs.Count);
    }

    [Fact]
    public void The_rule_is_learnable_seed_1_fits_it_exactly()
    {
        // The teacher is the same network, so a perfect fit exists; from seed 1's start SGD finds it (from seed 0's it
        // settles in a local minimum near 83%, see docs/experiments.md).
        var r = MiniCnn.Run(new MiniCnnOptions { Seed = 1, Epochs = 10 });
        Assert.Equal(1.0, r.Epochs[^1].TrainAccuracy);
        Assert.Equal(1.0, r.Epochs[^1].TestAccuracy);
        // Up to scale the teacher's weights, w ∝ (1, −1) and v ∝ (1, −1).
        Assert.True(r.Final.W1 > 0 && r.Final.W2 < 0 && r.Final.V1 > 0 && r.Final.V2 < 0, r.Final.ToString());
    }
}
