using System.Buffers.Binary;
using System.Numerics.Tensors;
using System.Runtime.InteropServices;

namespace Backprop.Data;

/// <summary>
/// Reads the IDX format of MNIST and Fashion-MNIST (<see href="http://yann.lecun.com/exdb/mnist/"/>), raw or gzip
/// (recognised by the magic bytes 1f 8b, not by the file name).
/// <para>
/// Layout: the magic number, 4 bytes <c>00 00 TT DD</c> (TT the type code, see <see cref="IdxDataType"/>; DD ≥ 1 the
/// number of dimensions), then DD sizes as big-endian int32, then the product of the sizes elements, big-endian,
/// row-major (last index fastest). The data must be exactly as long as the header declares: a truncated file or
/// trailing bytes are errors. The declared size is checked against what the file can hold before anything is allocated
/// (against the exact length for a raw file; for gzip against deflate's maximum ratio of 1032:1, and the result then
/// starts at 2 values per compressed byte and grows only as real data arrives), so a lying header cannot cause a huge allocation.
/// </para>
/// </summary>
public static class IdxReader
{
    /// <summary>Reads the whole file. Throws <see cref="BackpropException"/> naming the file for any bad input.</summary>
    public static IdxArray Read(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        using var stream = DataInput.Open(path, out bool gzip, out long fileLength);

        Span<byte> magic = stackalloc byte[4];
        int got = DataInput.ReadUpTo(stream, magic, path);
        if (got < 4)
            throw new BackpropException($"{path}: not an IDX file: {(got == 0 ? "empty" : $"only {got} bytes")}, but the magic number alone takes 4 bytes");
        if (magic[0] != 0 || magic[1] != 0)
            throw new BackpropException($"{path}: not an IDX file: wrong magic number 0x{BinaryPrimitives.ReadUInt32BigEndian(magic):X8} (expected 00 00 TT DD: two zero bytes, a type code, the number of dimensions)");
        var type = (IdxDataType)magic[2];
        int elementSize = ElementSize(type);
        if (elementSize == 0)
            throw new BackpropException($"{path}: unsupported IDX type code 0x{magic[2]:X2} in magic number 0x{BinaryPrimitives.ReadUInt32BigEndian(magic):X8} (expected 0x08 ubyte, 0x09 sbyte, 0x0B int16, 0x0C int32, 0x0D float32 or 0x0E float64)");
        int dims = magic[3];
        if (dims < 1)
            throw new BackpropException($"{path}: the magic number 0x{BinaryPrimitives.ReadUInt32BigEndian(magic):X8} declares 0 dimensions; at least 1 is needed");

        var sizeBytes = new byte[4 * dims];
        got = DataInput.ReadUpTo(stream, sizeBytes, path);
        if (got < sizeBytes.Length)
            throw new BackpropException($"{path}: truncated header: {dims} dimension sizes need {sizeBytes.Length} bytes after the magic number, the file has {got}");
        var shape = new int[dims];
        long count = 1;
        for (int d = 0; d < dims; d++)
        {
            int size = BinaryPrimitives.ReadInt32BigEndian(sizeBytes.AsSpan(4 * d));
            if (size < 0)
                throw new BackpropException($"{path}: dimension {d} declares size {(uint)size}, more than 2³¹ − 1");
            shape[d] = size;
            if (count > 0 && size > Array.MaxLength / count) count = long.MaxValue; // saturate: reported below
            else count *= size;
        }

        long headerBytes = 4 + 4L * dims;
        string declared = $"{string.Join(" × ", shape)} = {(count == long.MaxValue ? "more than 2³¹" : count.ToString())} values";
        if (count > Array.MaxLength || count * elementSize > Array.MaxLength)
            throw new BackpropException($"{path}: the header declares {declared} of {elementSize} byte(s), too large to load ({Array.MaxLength} bytes at most)");
        long dataBytes = count * elementSize;

        float[] values;
        if (!gzip)
        {
            long available = fileLength - headerBytes;
            if (available != dataBytes)
                throw new BackpropException($"{path}: the header declares {declared} ({dataBytes} bytes after the {headerBytes}-byte header), but the file holds {available} bytes of data{(available < dataBytes ? " (truncated?)" : "")}");
            values = ReadValues(stream, type, elementSize, count, count, path, declared, dataBytes, "the file");
        }
        else
        {
            if (dataBytes + headerBytes > fileLength * DataInput.MaxDeflateRatio)
                throw new BackpropException($"{path}: the header declares {declared} ({dataBytes} bytes), more than a {fileLength}-byte gzip file can hold");
            // Start with room for 2 values per compressed byte (Fashion-MNIST needs 1.8) and grow only as data arrives.
            long initial = Math.Min(count, Math.Max(1 << 16, 2 * fileLength));
            values = ReadValues(stream, type, elementSize, count, initial, path, declared, dataBytes, "the decompressed file");
        }
        long extra = DataInput.CountRemaining(stream, path);
        if (extra > 0)
            throw new BackpropException($"{path}: the header declares {declared} ({dataBytes} bytes after the {headerBytes}-byte header), but {(gzip ? "the decompressed file" : "the file")} holds {dataBytes + extra} bytes of data");

        return new IdxArray(shape, values) { DataType = type };
    }

    private const int ChunkBytes = 1 << 20; // a multiple of every element size

    /// <summary>
    /// Reads <paramref name="count"/> big-endian elements in chunks, converting each chunk into the result, which
    /// starts with room for <paramref name="capacity"/> values and doubles only as data actually arrives.
    /// </summary>
    private static float[] ReadValues(Stream stream, IdxDataType type, int elementSize, long count, long capacity,
        string path, string declared, long dataBytes, string what)
    {
        var chunk = new byte[(int)Math.Min(ChunkBytes, Math.Max(elementSize, dataBytes))];
        var values = new float[capacity];
        long filled = 0;
        while (filled < count)
        {
            int want = (int)Math.Min(count - filled, chunk.Length / elementSize) * elementSize;
            int got = DataInput.ReadUpTo(stream, chunk.AsSpan(0, want), path);
            int elements = got / elementSize;
            if (filled + elements > values.Length)
                Array.Resize(ref values, (int)Math.Min(count, Math.Max(filled + elements, 2L * values.Length)));
            Convert(chunk.AsSpan(0, elements * elementSize), type, values.AsSpan((int)filled, elements));
            filled += elements;
            if (got < want)
                throw new BackpropException($"{path}: the header declares {declared} ({dataBytes} bytes), but {what} holds only {filled * elementSize + got % elementSize} bytes of data (truncated?)");
        }
        return values;
    }

    private static int ElementSize(IdxDataType type) => type switch
    {
        IdxDataType.UnsignedByte or IdxDataType.SignedByte => 1,
        IdxDataType.Int16 => 2,
        IdxDataType.Int32 or IdxDataType.Single => 4,
        IdxDataType.Double => 8,
        _ => 0,
    };

    private static void Convert(ReadOnlySpan<byte> data, IdxDataType type, Span<float> values)
    {
        switch (type)
        {
            case IdxDataType.UnsignedByte:
                TensorPrimitives.ConvertTruncating<byte, float>(data, values); // exact; vectorised
                break;
            case IdxDataType.SignedByte:
                TensorPrimitives.ConvertTruncating<sbyte, float>(MemoryMarshal.Cast<byte, sbyte>(data), values);
                break;
            case IdxDataType.Int16:
                for (int i = 0; i < values.Length; i++) values[i] = BinaryPrimitives.ReadInt16BigEndian(data[(2 * i)..]);
                break;
            case IdxDataType.Int32:
                for (int i = 0; i < values.Length; i++) values[i] = BinaryPrimitives.ReadInt32BigEndian(data[(4 * i)..]);
                break;
            case IdxDataType.Single:
                for (int i = 0; i < values.Length; i++) values[i] = BinaryPrimitives.ReadSingleBigEndian(data[(4 * i)..]);
                break;
            case IdxDataType.Double:
                for (int i = 0; i < values.Length; i++) values[i] = (float)BinaryPrimitives.ReadDoubleBigEndian(data[(8 * i)..]);
                break;
        }
    }
}
