using Backprop.Data;
using Backprop.Layers;
using Backprop.Losses;
using Backprop.Models;
using Backprop.Optimizers;
using Backprop.Tensors;

namespace Backprop.Experiments;

/// <summary>
/// Seed 000, problem 2: the mini CNN a1 = x1·w1 + x2·w2, a2 = x2·w1 + x3·w2, o = ReLU(a), ŷ = o1·v1 + o2·v2, trained
/// with the logistic loss ℓ = ln(1 + exp(−y·ŷ)) by the sheet's Algorithm 3: SGD on one example at a time (the
/// examples in a fresh seeded order each epoch). The network is the engine's Conv1d (1 channel, width 2, no bias),
/// ReLU, Flatten and Linear (2 → 1, no bias); the loss is <see cref="LogisticLoss{T}"/>.
/// <para>
/// Data: x ~ N(0, 1)³ and y = sign(ReLU(x1 − x2) − ReLU(x2 − x3)), the label the same network gives with the teacher
/// weights w = (1, −1), v = (1, −1), so a perfect fit exists. Examples where the teacher's output is within 0.1 of 0
/// (including the increasing inputs x1 ≤ x2 ≤ x3, where both of its ReLUs are off) are drawn again.
/// </para>
/// </summary>
public static class MiniCnn
{
    /// <summary>The teacher's margin below which an example is drawn again.</summary>
    public const double TeacherMargin = 0.1;

    // The data's generator is seeded apart from the weights' (the model file's seed) so the two streams differ.
    private const ulong DataSeedSalt = 0xDA7A_5EED_0000_0000UL;

    /// <summary>The network as a model file; its weights come from <paramref name="seed"/> (PyTorch's default, U(−1/√2, 1/√2)).</summary>
    public static string ModelJson(ulong seed) => $$"""
        {"input": [1, 3], "seed": {{seed}}, "layers": [
          {"type": "conv1d", "out_channels": 1, "kernel_size": 2, "bias": false},
          {"type": "relu"},
          {"type": "flatten"},
          {"type": "linear", "out": 1, "bias": false}]}
        """;

    public static Sequential<double> Build(ulong seed) => ModelFile.Build<double>(ModelFile.Parse(ModelJson(seed), "mini-cnn"), "mini-cnn");

    /// <summary>(w1, w2, v1, v2) of a model built by <see cref="Build"/>.</summary>
    public static MiniCnnParameters Weights(Sequential<double> model)
    {
        var w = ((Conv1d<double>)model.Layers[0]).Weight.Value;
        var v = ((Linear<double>)model.Layers[3]).Weight.Value;
        return new MiniCnnParameters(w[0], w[1], v[0], v[1]);
    }

    /// <summary>The same parameters' gradients (as accumulated by the last Backward).</summary>
    public static MiniCnnParameters Gradients(Sequential<double> model)
    {
        var w = ((Conv1d<double>)model.Layers[0]).Weight.Grad;
        var v = ((Linear<double>)model.Layers[3]).Weight.Grad;
        return new MiniCnnParameters(w[0], w[1], v[0], v[1]);
    }

    /// <summary>The sheet's forward equations for one example.</summary>
    public static MiniCnnForward Forward(MiniCnnParameters p, ReadOnlySpan<double> x, double y)
    {
        double a1 = x[0] * p.W1 + x[1] * p.W2, a2 = x[1] * p.W1 + x[2] * p.W2;
        double o1 = Math.Max(0, a1), o2 = Math.Max(0, a2);
        double yHat = o1 * p.V1 + o2 * p.V2;
        double m = -y * yHat;
        return new MiniCnnForward(a1, a2, o1, o2, yHat, Math.Max(m, 0) + Math.Log(1 + Math.Exp(-Math.Abs(m))));
    }

    /// <summary>
    /// The answers to 2.1 and 2.2 for one example, with δ = ∂ℓ/∂ŷ = −y·σ(−y·ŷ) and H(a) = 𝕀[a &gt; 0]:
    /// ∂ℓ/∂v_j = δ·o_j; ∂ℓ/∂w1 = δ·(v1·H(a1)·x1 + v2·H(a2)·x2); ∂ℓ/∂w2 = δ·(v1·H(a1)·x2 + v2·H(a2)·x3).
    /// </summary>
    public static MiniCnnParameters ClosedFormGradient(MiniCnnParameters p, ReadOnlySpan<double> x, double y)
    {
        var f = Forward(p, x, y);
        double delta = -y * SpecialFunctions.Logistic(-y * f.Prediction);
        double h1 = f.A1 > 0 ? 1 : 0, h2 = f.A2 > 0 ? 1 : 0;
        return new MiniCnnParameters(
            W1: delta * (p.V1 * h1 * x[0] + p.V2 * h2 * x[1]),
            W2: delta * (p.V1 * h1 * x[1] + p.V2 * h2 * x[2]),
            V1: delta * f.O1,
            V2: delta * f.O2);
    }

    /// <summary>
    /// <paramref name="count"/> examples x [count, 1, 3] with labels y [count] from the teacher rule, drawn from
    /// <paramref name="rng"/>.
    /// </summary>
    public static Batch<double> Data(int count, Rng rng)
    {
        var x = new Tensor<double>(count, 1, 3);
        var y = new Tensor<double>(count);
        for (int i = 0; i < count; i++)
        {
            double x1, x2, x3, teacher;
            do
            {
                x1 = rng.Normal();
                x2 = rng.Normal();
                x3 = rng.Normal();
                teacher = Math.Max(0, x1 - x2) - Math.Max(0, x2 - x3);
            } while (Math.Abs(teacher) < TeacherMargin);
            x[3 * i] = x1;
            x[3 * i + 1] = x2;
            x[3 * i + 2] = x3;
            y[i] = teacher > 0 ? 1 : -1;
        }
        return new Batch<double>(x, y);
    }

    public static MiniCnnResult Run(MiniCnnOptions options)
    {
        options.Validate();
        var rng = new Rng(options.Seed ^ DataSeedSalt);
        var train = Data(options.TrainExamples, rng);
        var test = Data(options.TestExamples, rng);
        var model = Build(options.Seed);
        var loss = new LogisticLoss<double>();
        var optimizer = new SGD<double>(model.NamedParameters, options.LearningRate);
        var initial = Weights(model);

        var epochs = new List<MiniCnnEpoch> { Evaluate(0, model, loss, train, test) };
        var x = new Tensor<double>(1, 1, 3);
        var y = new Tensor<double>(1);
        MiniCnnStep? first = null;
        for (int epoch = 1; epoch <= options.Epochs; epoch++)
        {
            foreach (int i in Shuffle.Permutation(options.TrainExamples, options.Seed, epoch))
            {
                // Algorithm 3, one example: forward, backward, θ ← θ − η·∂ℓ/∂θ.
                train.X.Span.Slice(3 * i, 3).CopyTo(x.Span);
                y[0] = train.Y[i];
                optimizer.ZeroGrad();
                loss.Forward(model.Forward(x), y);
                model.Backward(loss.Backward());
                if (first is null)
                {
                    var weights = Weights(model);
                    first = new MiniCnnStep(x.ToDoubleArray(), y[0], weights, Forward(weights, x.Span, y[0]),
                        Gradients(model), ClosedFormGradient(weights, x.Span, y[0]));
                }
                optimizer.Step();
            }
            epochs.Add(Evaluate(epoch, model, loss, train, test));
        }
        return new MiniCnnResult(options, ModelFile.Describe(model), initial, Weights(model), first!, epochs);
    }

    private static MiniCnnEpoch Evaluate(int epoch, Sequential<double> model, LogisticLoss<double> loss, Batch<double> train, Batch<double> test)
    {
        var (trainLoss, trainAccuracy) = Evaluate(model, loss, train);
        var (testLoss, testAccuracy) = Evaluate(model, loss, test);
        return new MiniCnnEpoch(epoch, trainLoss, trainAccuracy, testLoss, testAccuracy);
    }

    /// <summary>Mean logistic loss and the fraction of examples with y·ŷ &gt; 0 (ŷ = 0 counts as wrong).</summary>
    public static (double Loss, double Accuracy) Evaluate(Sequential<double> model, Loss<double> loss, Batch<double> batch)
    {
        var output = model.Forward(batch.X);
        double value = loss.Forward(output, batch.Y);
        int correct = 0;
        for (int i = 0; i < batch.Y.Length; i++)
            if (batch.Y[i] * output[i] > 0) correct++;
        return (value, (double)correct / batch.Y.Length);
    }
}
