using System.Numerics;
using System.Text.Json;
using Backprop.IO;
using Backprop.Losses;
using Backprop.Models;
using Backprop.Tensors;

namespace Backprop.Data;

/// <summary>A batch of examples: inputs x [N, ...input] and targets y (shape set by the loss).</summary>
public sealed record Batch<T>(Tensor<T> X, Tensor<T> Y) where T : unmanaged, IFloatingPointIeee754<T>;

/// <summary>
/// Reads data files <c>{"x": [...], "y": [...]}</c>: x has shape [N, ...input]; y has the output's shape for
/// regression and BCE losses, [N] class indices for cross_entropy and multiclass_perceptron, [N] labels ±1 for
/// logistic, perceptron and hinge. Every check names the file and the place.
/// </summary>
public static class DataFile
{
    public static Batch<T> Load<T>(string path, Sequential<T> model, Loss<T> loss) where T : unmanaged, IFloatingPointIeee754<T> =>
        Parse(JsonInput.ReadFile(path), path, model, loss);

    public static Batch<T> Parse<T>(string json, string source, Sequential<T> model, Loss<T> loss) where T : unmanaged, IFloatingPointIeee754<T>
    {
        using var doc = JsonInput.Parse(json, source);
        return Parse(doc.RootElement, source, model, loss);
    }

    public static Batch<T> Parse<T>(JsonElement root, string source, Sequential<T> model, Loss<T> loss) where T : unmanaged, IFloatingPointIeee754<T>
    {
        JsonInput.Object(root, source);
        JsonInput.AllowOnly(root, source, ["x", "y"]);
        var (xValues, xShape) = JsonInput.NumberArray(JsonInput.Required(root, "x", source), $"{source}: x");
        var expected = Tensor.Batched(0, model.InputShape);
        if (xShape.Length != expected.Length || !xShape.AsSpan(1).SequenceEqual(model.InputShape) || xShape[0] == 0)
            throw new BackpropException($"{source}: x: expected shape [N, {string.Join(", ", model.InputShape)}] with N ≥ 1 to fit the model's input, got {Tensor.Format(xShape)}");
        var (yValues, yShape) = JsonInput.NumberArray(JsonInput.Required(root, "y", source), $"{source}: y");
        var x = new Tensor<T>(JsonInput.ToPrecision<T>(xValues, xShape, $"{source}: x"), xShape);
        var y = new Tensor<T>(JsonInput.ToPrecision<T>(yValues, yShape, $"{source}: y"), yShape);
        CheckFinite(x, $"{source}: x");
        loss.CheckTarget(model.OutputShape, y, xShape[0], source);
        return new Batch<T>(x, y);
    }

    /// <summary>Refuses NaN and infinity (also values that overflow when rounded to float32).</summary>
    public static void CheckFinite<T>(Tensor<T> t, string where) where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int i = 0; i < t.Length; i++)
            if (!T.IsFinite(t[i]))
                throw new BackpropException($"{where}: element {i} is {NumberFormat.RoundTrip(double.CreateChecked(t[i]))}, not a finite number");
    }
}
