using Backprop.Data;
using Backprop.Layers;
using Backprop.Losses;
using Backprop.Models;
using Backprop.Training;

namespace Backprop.Tests.Training;

public class ClassifierTests
{
    // logits = (x0, x1, 0.5): the scores are the inputs, so each case below is worked by hand.
    private static Sequential<float> Model()
    {
        var linear = new Linear<float>(2, 3);
        linear.Weight.Value[0, 0] = 1;
        linear.Weight.Value[1, 1] = 1;
        linear.Bias!.Value[2] = 0.5f;
        return new Sequential<float>([2], [linear]);
    }

    // Rows: scores (2, 1, .5) → 0, (0, 3, .5) → 1, (0, 0, .5) → 2, (1, 1, .5) → 0 (the first of equal scores), (-1, 0, .5) → 2.
    private static readonly float[] Features = [2, 1, 0, 3, 0, 0, 1, 1, -1, 0];
    private static readonly int[] Labels = [0, 1, 1, 1, 2];
    private static readonly int[] Predicted = [0, 1, 2, 0, 2];

    private static Dataset Data() => new(Features, [2], Labels, 3);

    private static double CrossEntropy(int row)
    {
        double[] z = [Features[2 * row], Features[2 * row + 1], 0.5];
        return Math.Log(z.Sum(Math.Exp)) - z[Labels[row]];
    }

    [Theory]
    [InlineData(256)]
    [InlineData(2)]
    public void Evaluate_reports_the_mean_cross_entropy_accuracy_and_confusion_matrix(int batchSize)
    {
        var evaluation = new Classifier<float>(Model()).Evaluate(Data(), batchSize);
        Assert.Equal(5, evaluation.Examples);
        Assert.Equal(Enumerable.Range(0, 5).Average(CrossEntropy), evaluation.Loss, 1e-6);
        Assert.Equal(3 / 5.0, evaluation.Accuracy);
        var expected = new int[3, 3];
        for (int n = 0; n < 5; n++) expected[Labels[n], Predicted[n]]++;
        Assert.Equal(expected, evaluation.Confusion);
        Assert.Equal(3, evaluation.Classes);
        Assert.Equal([1, 3, 1], Enumerable.Range(0, 3).Select(evaluation.ExamplesOf));
        Assert.Equal([1, 1 / 3.0, 1], Enumerable.Range(0, 3).Select(evaluation.ClassAccuracy));
    }

    [Fact]
    public void Evaluate_is_what_the_trainer_reports()
    {
        var model = Model();
        var trainer = new Trainer<float>(model, new CrossEntropyLoss<float>(), new Backprop.Optimizers.SGD<float>(model.NamedParameters, 0.1));
        var confusion = new int[3, 3];
        var (loss, accuracy) = trainer.Evaluate(Data(), 2, confusion);
        var evaluation = new Classifier<float>(model).Evaluate(Data(), 2);
        Assert.Equal((loss, accuracy), (evaluation.Loss, evaluation.Accuracy));
        Assert.Equal(confusion, evaluation.Confusion);
    }

    [Fact]
    public void A_class_without_examples_has_no_accuracy_and_empty_data_no_loss()
    {
        var evaluation = new Classifier<float>(Model()).Evaluate(new Dataset(Features[..4], [2], [0, 1], 3));
        Assert.Equal(0, evaluation.ExamplesOf(2));
        Assert.True(double.IsNaN(evaluation.ClassAccuracy(2)));
        var empty = new Classifier<float>(Model()).Evaluate(new Dataset([], [2], [], 3));
        Assert.True(double.IsNaN(empty.Loss) && double.IsNaN(empty.Accuracy));
    }

    [Fact]
    public void Predict_gives_the_argmax_and_the_softmax_of_the_scores()
    {
        var predictions = new Classifier<float>(Model()).Predict(Data(), [3, 0, 4]);
        Assert.Equal([Predicted[3], Predicted[0], Predicted[4]], predictions.Select(p => p.Class));
        int[] rows = [3, 0, 4];
        for (int n = 0; n < rows.Length; n++)
        {
            float[] z = [Features[2 * rows[n]], Features[2 * rows[n] + 1], 0.5f];
            var expected = new float[3];
            VectorFunctions.Softmax<float>(z, expected);
            Assert.Equal(expected, predictions[n].Probabilities);
            // What `predict` printed before it asked the classifier: e^(z − log Σ e^z), within float rounding.
            float lse = VectorFunctions.LogSumExp<float>(z);
            for (int c = 0; c < 3; c++) Assert.Equal(MathF.Exp(z[c] - lse), predictions[n].Probabilities[c], 1e-6f);
            Assert.Equal(1, predictions[n].Probabilities.Sum(), 1e-6);
        }
    }

    [Fact]
    public void It_needs_class_index_targets_and_data_that_fits()
    {
        Assert.Contains("class-index targets", Assert.Throws<BackpropException>(() => new Classifier<float>(Model(), new MSELoss<float>())).Message);
        var classifier = new Classifier<float>(Model());
        classifier.CheckData(Data(), "data");
        Assert.Contains("examples have shape [3]", Assert.Throws<BackpropException>(() => classifier.CheckData(new Dataset(new float[3], [3], [0], 3), "data")).Message);
        Assert.Contains("4 classes", Assert.Throws<BackpropException>(() => classifier.CheckData(new Dataset(Features, [2], Labels, 4), "data")).Message);
    }
}
