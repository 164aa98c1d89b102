using System.Numerics;
using Backprop.Data;
using Backprop.Diagnostics;
using Backprop.Losses;
using Backprop.Models;
using Backprop.Tensors;

namespace Backprop.Training;

/// <summary>
/// A model whose outputs are class scores (logits), asked what it predicts without training it: the loss, the
/// accuracy and the confusion matrix over a data set (<see cref="Evaluate(Dataset, int)"/>, what <c>backprop eval</c>
/// prints), and the class probabilities (softmax of the scores) and the predicted class (their argmax, the first on
/// ties) of chosen examples (<see cref="Predict"/>, what <c>backprop predict</c> prints).
/// </summary>
/// <example>
/// <code>
/// var classifier = new Classifier&lt;float&gt;(trained.Model);
/// classifier.CheckData(test, "fashion-mnist");
/// var evaluation = classifier.Evaluate(test);
/// Console.WriteLine($"loss {evaluation.Loss:F4}, accuracy {evaluation.Accuracy:F4}");
/// </code>
/// </example>
public sealed class Classifier<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>The batch size of <see cref="Evaluate(Dataset, int)"/> when none is given.</summary>
    public const int DefaultBatchSize = 256;

    private readonly Dictionary<int, (Tensor<T> X, Tensor<T> Y)> _batches = [];

    /// <param name="model">Its output is [N, C]: one score per class.</param>
    /// <param name="loss">The loss that <see cref="Evaluate(Dataset, int)"/> reports; plain cross-entropy when null.</param>
    public Classifier(Sequential<T> model, Loss<T>? loss = null)
    {
        loss ??= new CrossEntropyLoss<T>();
        if (loss.Target != TargetKind.ClassIndices)
            throw new BackpropException($"a classifier needs a loss with class-index targets (cross_entropy or multiclass_perceptron), not '{loss.Name}'");
        Model = model;
        Loss = loss;
    }

    public Sequential<T> Model { get; }
    /// <summary>The loss <see cref="Evaluate(Dataset, int)"/> reports.</summary>
    public Loss<T> Loss { get; }

    /// <summary>Checks that the data fits the model: example shape and number of classes.</summary>
    public void CheckData(Dataset data, string name)
    {
        if (!data.ExampleShape.AsSpan().SequenceEqual(Model.InputShape))
            throw new BackpropException($"{name}: examples have shape {Tensor.Format(data.ExampleShape)}, but the model's input is {Tensor.Format(Model.InputShape)}");
        if (Model.OutputShape.Length != 1 || Model.OutputShape[0] < data.Classes)
            throw new BackpropException($"{name}: {data.Classes} classes, but the model's output is [N, {string.Join(", ", Model.OutputShape)}]");
    }

    /// <summary>A detector attached to <see cref="Model"/> (see <see cref="AnomalyDetector{T}.Attach"/>): its messages name the evaluated examples.</summary>
    public AnomalyDetector<T>? AnomalyDetector { get; set; }

    /// <summary>Mean loss, accuracy and the confusion matrix [true, predicted] over <paramref name="data"/>, without changing the model.</summary>
    public ClassifierEvaluation Evaluate(Dataset data, int batchSize = DefaultBatchSize)
    {
        var confusion = new int[data.Classes, data.Classes];
        var (loss, accuracy) = Evaluate(data, batchSize, confusion);
        return new ClassifierEvaluation(data.Count, loss, accuracy, confusion);
    }

    /// <summary>Mean loss and accuracy over <paramref name="data"/> in evaluation mode, without changing the model; optionally fills a confusion matrix [true, predicted].</summary>
    public (double Loss, double Accuracy) Evaluate(Dataset data, int batchSize, int[,]? confusion)
    {
        if (data.Count == 0) return (double.NaN, double.NaN);
        var order = new int[data.Count];
        for (int i = 0; i < order.Length; i++) order[i] = i;
        var detector = AnomalyDetector;
        double lossSum = 0;
        int correct = 0;
        bool training = Model.Training;
        Model.Eval(); // running statistics, no dropout; the mode is put back afterwards
        try
        {
            for (int start = 0; start < data.Count; start += batchSize)
            {
                int count = Math.Min(batchSize, data.Count - start);
                var (x, y) = BatchBuffers(count);
                data.CopyBatch<T>(order, start, count, x.Span, y.Span);
                if (detector is not null) detector.Step = $"evaluation, examples {start}..{start + count - 1}";
                var output = Model.Forward(x);
                lossSum += double.CreateChecked(Loss.Forward(output, y)) * count;
                correct += CountCorrect(output, y, confusion);
            }
        }
        finally
        {
            if (training) Model.Train();
        }
        return (lossSum / data.Count, (double)correct / data.Count);
    }

    /// <summary>
    /// The predicted class (argmax of the scores, the first on ties) and the class probabilities (softmax of the
    /// scores) of the examples <paramref name="rows"/> of <paramref name="data"/>, in one forward pass.
    /// </summary>
    public ClassPrediction<T>[] Predict(Dataset data, ReadOnlySpan<int> rows)
    {
        var x = new Tensor<T>(Tensor.Batched(rows.Length, Model.InputShape));
        var y = new Tensor<T>(rows.Length);
        data.CopyBatch<T>(rows, 0, rows.Length, x.Span, y.Span);
        bool training = Model.Training;
        Model.Eval();
        Tensor<T> output;
        try
        {
            output = Model.Forward(x);
        }
        finally
        {
            if (training) Model.Train();
        }
        int classes = output.ExampleSize;
        var predictions = new ClassPrediction<T>[rows.Length];
        for (int n = 0; n < rows.Length; n++)
        {
            ReadOnlySpan<T> scores = output.Span.Slice(n * classes, classes);
            var probabilities = new T[classes];
            VectorFunctions.Softmax(scores, probabilities);
            predictions[n] = new ClassPrediction<T>(VectorFunctions.ArgMax(scores), probabilities);
        }
        return predictions;
    }

    /// <summary>How many examples of the batch are predicted right (argmax of the scores = label); counts them into <paramref name="confusion"/> [true, predicted].</summary>
    internal static int CountCorrect(Tensor<T> output, Tensor<T> y, int[,]? confusion = null)
    {
        int classes = output.ExampleSize, correct = 0;
        for (int n = 0; n < output.Shape[0]; n++)
        {
            int predicted = VectorFunctions.ArgMax<T>(output.Span.Slice(n * classes, classes)), label = int.CreateTruncating(y[n]);
            if (predicted == label) correct++;
            if (confusion is not null) confusion[label, predicted]++;
        }
        return correct;
    }

    // One pair of buffers per batch size (at most two: full batches and the last one), so evaluations reuse memory.
    private (Tensor<T> X, Tensor<T> Y) BatchBuffers(int count)
    {
        if (!_batches.TryGetValue(count, out var buffers))
        {
            buffers = (new Tensor<T>(Tensor.Batched(count, Model.InputShape)), new Tensor<T>(count));
            _batches[count] = buffers;
        }
        return buffers;
    }
}
