namespace Backprop.Data;

/// <summary>
/// The contents of an IDX file: <see cref="Shape"/> as declared in the header (e.g. [60000, 28, 28] for MNIST images,
/// [60000] for labels) and the values in row-major order, converted to float32 exactly as stored (bytes stay 0..255,
/// nothing is scaled). Int32 values above 2²⁴ and float64 values are rounded to the nearest float32.
/// </summary>
public sealed record IdxArray(int[] Shape, float[] Values)
{
    /// <summary>The element type the file declared.</summary>
    public IdxDataType DataType { get; init; } = IdxDataType.UnsignedByte;
}
