using System.Diagnostics;
using System.Numerics;
using Backprop.Data;
using Backprop.Losses;
using Backprop.Models;
using Backprop.Optimizers;
using Backprop.Tensors;

namespace Backprop.Training;

/// <summary>
/// Mini-batch training and evaluation of a classifier. One step is: copy a batch, zero the gradients, forward,
/// loss, backward (parameter gradients only: nothing needs the data's), optimiser step. After the first steps a step
/// allocates nothing. Batches come in the order <see cref="Shuffle.Permutation(Span{int}, ulong, int)"/> gives for the epoch,
/// a pure function of (seed, epoch), so a resumed run sees the same data in the same order.
/// </summary>
public sealed class Trainer<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly Dictionary<int, (Tensor<T> X, Tensor<T> Y)> _batches = [];
    private int[] _order = [];

    public Trainer(Sequential<T> model, Loss<T> loss, Optimizer<T> optimizer)
    {
        if (loss.Target != TargetKind.ClassIndices)
            throw new BackpropException($"training on labelled data needs a loss with class-index targets (cross_entropy or multiclass_perceptron), not '{loss.Name}'");
        Model = model;
        Loss = loss;
        Optimizer = optimizer;
        // Label smoothing is a training objective; evaluation reports the plain cross-entropy, as `eval` does.
        EvaluationLoss = loss is CrossEntropyLoss<T> { LabelSmoothing: > 0 } ? new CrossEntropyLoss<T>() : loss;
    }

    public Sequential<T> Model { get; }
    /// <summary>The loss trained on.</summary>
    public Loss<T> Loss { get; }
    /// <summary>The loss <see cref="Evaluate"/> reports: <see cref="Loss"/>, or plain cross-entropy when that is label-smoothed.</summary>
    public Loss<T> EvaluationLoss { get; }
    public Optimizer<T> Optimizer { get; }

    /// <summary>Checks that the data fits the model: example shape and number of classes.</summary>
    public void CheckData(Dataset data, string name)
    {
        if (!data.ExampleShape.AsSpan().SequenceEqual(Model.InputShape))
            throw new BackpropException($"{name}: examples have shape {Tensor.Format(data.ExampleShape)}, but the model's input is {Tensor.Format(Model.InputShape)}");
        if (Model.OutputShape.Length != 1 || Model.OutputShape[0] < data.Classes)
            throw new BackpropException($"{name}: {data.Classes} classes, but the model's output is [N, {string.Join(", ", Model.OutputShape)}]");
    }

    /// <summary>
    /// One pass over <paramref name="data"/> in the epoch's shuffled order; returns mean loss and accuracy. With an
    /// <paramref name="augmentation"/>, each batch is changed by it (flips, shifts) with draws from a stream of its own
    /// that is a pure function of (seed, epoch) like the order.
    /// </summary>
    public (double Loss, double Accuracy) TrainEpoch(Dataset data, int epoch, int batchSize, ulong seed, Action<BatchProgress>? progress = null,
        ImageAugmentation<T>? augmentation = null)
    {
        if (_order.Length != data.Count) _order = new int[data.Count];
        Shuffle.Permutation(_order, seed, epoch);
        var augmentationRng = augmentation is null ? null : new Rng(Shuffle.EpochSeed(seed ^ AugmentationStream, epoch));
        var clock = Stopwatch.StartNew();
        var detector = Model.AnomalyDetector;
        double lossSum = 0;
        int correct = 0;
        for (int start = 0; start < data.Count; start += batchSize)
        {
            int count = Math.Min(batchSize, data.Count - start);
            var (x, y) = BatchBuffers(count, data.ExampleSize);
            data.CopyBatch<T>(_order, start, count, x.Span, y.Span);
            augmentation?.Apply(x, augmentationRng!);
            if (detector is not null) detector.Step = $"epoch {epoch + 1}, batch {start / batchSize + 1}";
            Model.ZeroGrad();
            var output = Model.Forward(x);
            T value = Loss.Forward(output, y);
            detector?.CheckLoss(Loss.Name, value);
            double loss = double.CreateChecked(value);
            if (!double.IsFinite(loss))
                throw new BackpropException($"training diverged: the loss is {loss} at epoch {epoch + 1}, examples {start}..{start + count - 1}; lower --lr");
            lossSum += loss * count;
            correct += CountCorrect(output, y);
            Model.BackwardParameters(Loss.Backward());
            Optimizer.Step();
            // A step can overflow the weights; caught here, the run stops before a checkpoint holds them.
            detector?.CheckParameters(Model, "after the optimizer step");
            progress?.Invoke(new BatchProgress(epoch, start + count, data.Count, lossSum / (start + count), clock.Elapsed.TotalSeconds));
        }
        return (lossSum / data.Count, (double)correct / data.Count);
    }

    /// <summary>Mean loss and accuracy over <paramref name="data"/> without changing the model; optionally fills a confusion matrix [true, predicted].</summary>
    public (double Loss, double Accuracy) Evaluate(Dataset data, int batchSize, int[,]? confusion = null)
    {
        if (data.Count == 0) return (double.NaN, double.NaN);
        var order = new int[data.Count];
        for (int i = 0; i < order.Length; i++) order[i] = i;
        var detector = Model.AnomalyDetector;
        double lossSum = 0;
        int correct = 0;
        bool training = Model.Training;
        Model.Eval(); // running statistics, no dropout; the mode is put back afterwards
        try
        {
            for (int start = 0; start < data.Count; start += batchSize)
            {
                int count = Math.Min(batchSize, data.Count - start);
                var (x, y) = BatchBuffers(count, data.ExampleSize);
                data.CopyBatch<T>(order, start, count, x.Span, y.Span);
                if (detector is not null) detector.Step = $"evaluation, examples {start}..{start + count - 1}";
                var output = Model.Forward(x);
                lossSum += double.CreateChecked(EvaluationLoss.Forward(output, y)) * count;
                correct += CountCorrect(output, y, confusion);
            }
        }
        finally
        {
            if (training) Model.Train();
        }
        return (lossSum / data.Count, (double)correct / data.Count);
    }

    private const ulong AugmentationStream = 0xF1F1_F1F1_0000_0000UL;

    /// <summary>Index of the largest output of each example (the first one on ties).</summary>
    public static int ArgMax(ReadOnlySpan<T> scores)
    {
        int best = 0;
        for (int c = 1; c < scores.Length; c++) if (scores[c] > scores[best]) best = c;
        return best;
    }

    private static int CountCorrect(Tensor<T> output, Tensor<T> y, int[,]? confusion = null)
    {
        int classes = output.ExampleSize, correct = 0;
        for (int n = 0; n < output.Shape[0]; n++)
        {
            int predicted = ArgMax(output.Span.Slice(n * classes, classes)), label = int.CreateTruncating(y[n]);
            if (predicted == label) correct++;
            if (confusion is not null) confusion[label, predicted]++;
        }
        return correct;
    }

    // One pair of buffers per batch size (at most two: full batches and the last one), so steps reuse memory.
    private (Tensor<T> X, Tensor<T> Y) BatchBuffers(int count, int exampleSize)
    {
        if (!_batches.TryGetValue(count, out var buffers))
        {
            buffers = (new Tensor<T>(Tensor.Batched(count, Model.InputShape)), new Tensor<T>(count));
            _batches[count] = buffers;
        }
        return buffers;
    }
}
