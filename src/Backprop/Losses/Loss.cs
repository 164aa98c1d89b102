using System.Numerics;
using Backprop.Tensors;

namespace Backprop.Losses;

/// <summary>
/// A loss ℓ(ŷ, y) reduced to one number over the batch. <see cref="Forward"/> computes it and caches ŷ and y;
/// <see cref="Backward"/> returns dℓ/dŷ (a buffer the loss owns and reuses).
/// </summary>
public abstract class Loss<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private Tensor<T>? _prediction, _target, _grad;

    /// <summary>The loss's name on the command line and in files ("cross_entropy").</summary>
    public abstract string Name { get; }

    public abstract TargetKind Target { get; }

    public T Forward(Tensor<T> prediction, Tensor<T> target)
    {
        _prediction = prediction;
        _target = target;
        return Value(prediction.Span, target.Span, prediction.Shape[0], prediction.ExampleSize);
    }

    public Tensor<T> Backward()
    {
        if (_prediction is null || _target is null) throw new InvalidOperationException($"{Name}: Backward called before Forward");
        var grad = Tensor.Reuse(ref _grad, _prediction.Shape);
        Gradient(_prediction.Span, _target.Span, _prediction.Shape[0], _prediction.ExampleSize, grad.Span);
        return grad;
    }

    /// <summary>ℓ for predictions p [batch, features] and targets y (laid out as <see cref="Target"/> says).</summary>
    protected abstract T Value(ReadOnlySpan<T> p, ReadOnlySpan<T> y, int batch, int features);

    /// <summary>Writes dℓ/dp into <paramref name="dp"/>.</summary>
    protected abstract void Gradient(ReadOnlySpan<T> p, ReadOnlySpan<T> y, int batch, int features, Span<T> dp);

    protected static T C(double value) => T.CreateChecked(value);

    /// <summary>
    /// Checks that <paramref name="target"/> fits this loss and a network whose output for one example has
    /// <paramref name="outputShape"/>. Throws <see cref="BackpropException"/> naming <paramref name="where"/>.
    /// </summary>
    public void CheckTarget(int[] outputShape, Tensor<T> target, int batch, string where)
    {
        string expected;
        bool shapeOk;
        switch (Target)
        {
            case TargetKind.Values or TargetKind.Probabilities:
                var full = Tensor.Batched(batch, outputShape);
                shapeOk = target.HasShape(full);
                expected = Tensor.Format(full);
                break;
            case TargetKind.ClassIndices:
                if (outputShape.Length != 1)
                    throw new BackpropException($"{where}: loss '{Name}' needs a network output of shape [N, classes], but the model gives [N, {string.Join(", ", outputShape)}]");
                shapeOk = target.HasShape([batch]);
                expected = $"[{batch}] (one class index per example)";
                break;
            default:
                if (outputShape.Length != 1 || outputShape[0] != 1)
                    throw new BackpropException($"{where}: loss '{Name}' needs a network output of shape [N, 1], but the model gives [N, {string.Join(", ", outputShape)}]");
                shapeOk = target.HasShape([batch]);
                expected = $"[{batch}] (one label, -1 or +1, per example)";
                break;
        }
        if (!shapeOk)
            throw new BackpropException($"{where}: loss '{Name}' expects y of shape {expected}, got {Tensor.Format(target.Shape)}");

        ReadOnlySpan<T> y = target.Span;
        for (int i = 0; i < y.Length; i++)
        {
            T v = y[i];
            string? problem = Target switch
            {
                _ when !T.IsFinite(v) => "is not a finite number",
                TargetKind.Probabilities when v < T.Zero || v > T.One => "must be in [0, 1]",
                TargetKind.ClassIndices when !T.IsInteger(v) || v < T.Zero || v >= T.CreateChecked(outputShape[0]) =>
                    $"must be an integer class index in [0, {outputShape[0]})",
                TargetKind.Signs when v != T.One && v != -T.One => "must be -1 or +1",
                _ => null,
            };
            if (problem is not null)
                throw new BackpropException($"{where}: y{Index(target.Shape, i)} = {NumberFormat.RoundTrip(double.CreateChecked(v))} {problem} for loss '{Name}'");
        }
    }

    private static string Index(int[] shape, int flat)
    {
        var idx = new int[shape.Length];
        for (int d = shape.Length - 1; d >= 0; d--) { idx[d] = flat % shape[d]; flat /= shape[d]; }
        return "[" + string.Join("][", idx) + "]";
    }
}
