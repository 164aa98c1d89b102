using System.Numerics;
using System.Text;

namespace Backprop.Tensors;

/// <summary>
/// A dense, row-major tensor whose first dimension is the batch.
/// Data lives in one contiguous array; <see cref="Span"/> exposes exactly <see cref="Length"/> elements.
/// </summary>
/// <typeparam name="T">float or double.</typeparam>
public sealed class Tensor<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly T[] _data;

    /// <summary>Creates a zero-filled tensor of the given shape.</summary>
    public Tensor(params int[] shape)
    {
        Shape = CheckedShape(shape);
        _data = new T[Tensor.SizeOf(Shape)];
    }

    /// <summary>Wraps <paramref name="data"/> (not copied) with the given shape.</summary>
    public Tensor(T[] data, params int[] shape)
    {
        Shape = CheckedShape(shape);
        if (data.Length != Tensor.SizeOf(Shape))
            throw new ArgumentException($"data has {data.Length} elements but shape {Tensor.Format(Shape)} needs {Tensor.SizeOf(Shape)}", nameof(data));
        _data = data;
    }

    public int[] Shape { get; }
    public int Rank => Shape.Length;
    public int Length => _data.Length;
    public Span<T> Span => _data;
    public T[] Data => _data;

    /// <summary>Number of elements in one example (all dimensions but the first).</summary>
    public int ExampleSize => Shape.Length == 0 ? 1 : Length / Math.Max(1, Shape[0]);

    public T this[int i] { get => _data[i]; set => _data[i] = value; }

    public T this[int i, int j]
    {
        get => _data[i * Shape[1] + j];
        set => _data[i * Shape[1] + j] = value;
    }

    public bool HasShape(ReadOnlySpan<int> shape) => Shape.AsSpan().SequenceEqual(shape);

    public Tensor<T> Clone() => new((T[])_data.Clone(), (int[])Shape.Clone());

    /// <summary>The same data seen with another shape of equal size (no copy).</summary>
    public Tensor<T> Reshape(params int[] shape) => new(_data, shape);

    public void Fill(T value) => _data.AsSpan().Fill(value);

    public void Clear() => _data.AsSpan().Clear();

    public void CopyFrom(Tensor<T> source)
    {
        if (source.Length != Length)
            throw new ArgumentException($"cannot copy {Tensor.Format(source.Shape)} into {Tensor.Format(Shape)}");
        source._data.AsSpan().CopyTo(_data);
    }

    /// <summary>Converts element type (rounding to float32 when <typeparamref name="TOut"/> is float).</summary>
    public Tensor<TOut> Cast<TOut>() where TOut : unmanaged, IFloatingPointIeee754<TOut>
    {
        var result = new TOut[_data.Length];
        for (int i = 0; i < _data.Length; i++) result[i] = TOut.CreateChecked(_data[i]);
        return new Tensor<TOut>(result, (int[])Shape.Clone());
    }

    public double[] ToDoubleArray()
    {
        var result = new double[_data.Length];
        for (int i = 0; i < _data.Length; i++) result[i] = double.CreateChecked(_data[i]);
        return result;
    }

    public static Tensor<T> FromDoubles(double[] values, params int[] shape)
    {
        var data = new T[values.Length];
        for (int i = 0; i < values.Length; i++) data[i] = T.CreateChecked(values[i]);
        return new Tensor<T>(data, shape);
    }

    public override string ToString()
    {
        var sb = new StringBuilder();
        sb.Append("Tensor").Append(Tensor.Format(Shape)).Append(' ');
        NumberFormat.AppendNested(sb, ToDoubleArray(), Shape, NumberFormat.RoundTrip);
        return sb.ToString();
    }

    private static int[] CheckedShape(int[] shape)
    {
        foreach (int d in shape)
            if (d < 0) throw new ArgumentException($"negative dimension in shape {Tensor.Format(shape)}", nameof(shape));
        return shape;
    }
}

/// <summary>Shape helpers shared by every tensor element type.</summary>
public static class Tensor
{
    public static int SizeOf(ReadOnlySpan<int> shape)
    {
        long size = 1;
        foreach (int d in shape)
        {
            size *= d;
            if (size > Array.MaxLength) throw new ArgumentException($"shape {Format(shape.ToArray())} has too many elements");
        }
        return (int)size;
    }

    /// <summary>Formats a shape as [2, 3].</summary>
    /// <summary>The row-major position of <paramref name="index"/> in a tensor of <paramref name="shape"/>; a clear refusal, naming <paramref name="where"/>, when it does not fit.</summary>
    public static int FlatIndex(int[] shape, int[] index, string where)
    {
        if (index.Length != shape.Length)
            throw new BackpropException($"{where}: index {Format(index)} has {index.Length} dimension(s); the tensor has shape {Format(shape)}");
        int flat = 0;
        for (int d = 0; d < shape.Length; d++)
        {
            if (index[d] < 0 || index[d] >= shape[d])
                throw new BackpropException($"{where}: index {Format(index)} is outside shape {Format(shape)}");
            flat = flat * shape[d] + index[d];
        }
        return flat;
    }

    public static string Format(ReadOnlySpan<int> shape) => "[" + string.Join(", ", shape.ToArray()) + "]";

    /// <summary>Prepends a batch dimension to the shape of one example.</summary>
    public static int[] Batched(int batch, ReadOnlySpan<int> exampleShape)
    {
        var shape = new int[exampleShape.Length + 1];
        shape[0] = batch;
        exampleShape.CopyTo(shape.AsSpan(1));
        return shape;
    }

    /// <summary>
    /// Returns <paramref name="buffer"/> when it already has <paramref name="shape"/>, otherwise a new one stored back into it.
    /// Layers use it so that steady-state training allocates nothing.
    /// </summary>
    public static Tensor<T> Reuse<T>(ref Tensor<T>? buffer, ReadOnlySpan<int> shape) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (buffer is null || !buffer.HasShape(shape)) buffer = new Tensor<T>(shape.ToArray());
        return buffer;
    }

    /// <summary>As <see cref="Reuse{T}(ref Tensor{T}?, ReadOnlySpan{int})"/> for the shape [batch, ...exampleShape], without building that shape when the buffer fits.</summary>
    public static Tensor<T> Reuse<T>(ref Tensor<T>? buffer, int batch, ReadOnlySpan<int> exampleShape) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (buffer is null || buffer.Rank != exampleShape.Length + 1 || buffer.Shape[0] != batch || !buffer.Shape.AsSpan(1).SequenceEqual(exampleShape))
            buffer = new Tensor<T>(Batched(batch, exampleShape));
        return buffer;
    }
}
