using System.Numerics;
using Backprop.Tensors;

namespace Backprop.Diagnostics;

/// <summary>A copy of a tensor's values (as doubles) and shape, taken at one moment for a report.</summary>
public sealed record TensorValue(double[] Values, int[] Shape)
{
    public static TensorValue Of<T>(Tensor<T> t) where T : unmanaged, IFloatingPointIeee754<T> => new(t.ToDoubleArray(), (int[])t.Shape.Clone());

    public static TensorValue Scalar(double v) => new([v], []);

    public double this[int i] => Values[i];
}
