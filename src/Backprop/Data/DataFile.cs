using System.Numerics;
using System.Text.Json;
using Backprop.IO;
using Backprop.Tensors;

namespace Backprop.Data;

/// <summary>
/// Reads data files <c>{"x": [...], "y": [...]}</c>: x has shape [N, ...input]; y has the output's shape for
/// regression and BCE losses, [N] class indices for cross_entropy and multiclass_perceptron, [N] labels ±1 for
/// logistic, perceptron and hinge. Every check names the file and the place. The targets are read as they are:
/// checking them against a loss is the caller's (<c>Loss.CheckTarget</c>, as <c>Problem</c> does).
/// </summary>
public static class DataFile
{
    /// <summary>Reads the data file at <paramref name="path"/>; x must fit <paramref name="inputShape"/>, a model's input shape.</summary>
    public static Batch<T> Load<T>(string path, int[] inputShape) where T : unmanaged, IFloatingPointIeee754<T> =>
        Parse<T>(JsonInput.ReadFile(path), path, inputShape);

    public static Batch<T> Parse<T>(string json, string source, int[] inputShape) where T : unmanaged, IFloatingPointIeee754<T>
    {
        using var doc = JsonInput.Parse(json, source);
        return Parse<T>(doc.RootElement, source, inputShape);
    }

    public static Batch<T> Parse<T>(JsonElement root, string source, int[] inputShape) where T : unmanaged, IFloatingPointIeee754<T>
    {
        JsonInput.Object(root, source);
        JsonInput.AllowOnly(root, source, ["x", "y"]);
        var (xValues, xShape) = JsonInput.NumberArray(JsonInput.Required(root, "x", source), $"{source}: x");
        var expected = Tensor.Batched(0, inputShape);
        if (xShape.Length != expected.Length || !xShape.AsSpan(1).SequenceEqual(inputShape) || xShape[0] == 0)
            throw new BackpropException($"{source}: x: expected shape [N, {string.Join(", ", inputShape)}] with N ≥ 1 to fit the model's input, got {Tensor.Format(xShape)}");
        var (yValues, yShape) = JsonInput.NumberArray(JsonInput.Required(root, "y", source), $"{source}: y");
        var x = new Tensor<T>(JsonInput.ToPrecision<T>(xValues, xShape, $"{source}: x"), xShape);
        var y = new Tensor<T>(JsonInput.ToPrecision<T>(yValues, yShape, $"{source}: y"), yShape);
        CheckFinite(x, $"{source}: x");
        return new Batch<T>(x, y);
    }

    /// <summary>The data file of <paramref name="batch"/>: <c>{"x": [...], "y": [...]}</c>, numbers in shortest round-trip form (what <see cref="Parse{T}(string, string, int[])"/> reads back).</summary>
    public static string Write<T>(Batch<T> batch) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var f = NumberFormat.RoundTripIn(typeof(T) == typeof(float));
        return $"{{\"x\": {NumberFormat.Nested(batch.X.ToDoubleArray(), batch.X.Shape, f)}, \"y\": {NumberFormat.Nested(batch.Y.ToDoubleArray(), batch.Y.Shape, f)}}}\n";
    }

    /// <summary>Refuses NaN and infinity (also values that overflow when rounded to float32).</summary>
    public static void CheckFinite<T>(Tensor<T> t, string where) where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int i = 0; i < t.Length; i++)
            if (!T.IsFinite(t[i]))
                throw new BackpropException($"{where}: element {i} is {NumberFormat.RoundTrip(double.CreateChecked(t[i]))}, not a finite number");
    }
}
