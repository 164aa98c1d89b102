using System.Numerics;
using Backprop.Tensors;

namespace Backprop.Diagnostics;

/// <summary>A copy of a tensor's values (as doubles) and shape, taken at one moment for a report.</summary>
public sealed record TensorValue(double[] Values, int[] Shape)
{
    public static TensorValue Of<T>(Tensor<T> t) where T : unmanaged, IFloatingPointIeee754<T> => new(t.ToDoubleArray(), (int[])t.Shape.Clone());

    public static TensorValue Scalar(double v) => new([v], []);

    public double this[int i] => Values[i];

    /// <summary>The smallest, mean and largest value (NaN when any value is NaN; NaN for an empty tensor).</summary>
    public (double Min, double Mean, double Max) Statistics()
    {
        if (Values.Length == 0) return (double.NaN, double.NaN, double.NaN);
        double min = double.PositiveInfinity, max = double.NegativeInfinity, sum = 0;
        foreach (double v in Values)
        {
            min = Math.Min(min, v);
            max = Math.Max(max, v);
            sum += v;
        }
        return (min, sum / Values.Length, max);
    }

    /// <summary>"Infinity at [0, 1]": the first NaN or infinity in row-major order, with its index; null if every value is finite.</summary>
    public string? FirstNonFinite()
    {
        int flat = Array.FindIndex(Values, v => !double.IsFinite(v));
        if (flat < 0) return null;
        var index = new int[Shape.Length];
        for (int d = Shape.Length - 1, rest = flat; d >= 0; d--) { index[d] = rest % Math.Max(1, Shape[d]); rest /= Math.Max(1, Shape[d]); }
        return $"{NumberFormat.RoundTrip(Values[flat])} at {Tensor.Format(index)}";
    }
}
