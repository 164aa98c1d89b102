namespace Backprop.IO;

/// <summary>One tensor's entry in a safetensors header.</summary>
/// <param name="Name">The tensor's name ("0.weight").</param>
/// <param name="Dtype">The element type as the file spells it ("F32", "F64", "F16", "BF16", "I64", ...).</param>
/// <param name="Shape">The dimensions, row-major; [] is a scalar.</param>
/// <param name="Begin">Start of the data, in bytes from the end of the header.</param>
/// <param name="End">End of the data (exclusive), in bytes from the end of the header.</param>
public sealed record SafetensorsEntry(string Name, string Dtype, int[] Shape, long Begin, long End)
{
    /// <summary>Number of elements (the product of the dimensions).</summary>
    public long ElementCount => Shape.Aggregate(1L, (n, d) => n * d);
}
