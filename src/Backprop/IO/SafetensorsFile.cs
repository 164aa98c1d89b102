using System.Buffers.Binary;
using System.Numerics;
using System.Runtime.InteropServices;
using System.Text.Json;
using System.Text.Unicode;
using Backprop.IO;
using Backprop.Models;
using Backprop.Tensors;

namespace Backprop.IO;

/// <summary>
/// A safetensors file read into memory and fully validated (https://github.com/huggingface/safetensors): an
/// 8-byte little-endian header length N, N bytes of UTF-8 JSON naming each tensor's dtype, shape and data offsets
/// (plus an optional "__metadata__" map of strings), then the tensors' little-endian bytes back to back.
/// <para>
/// Reading is hardened against hostile files: the header is at most 100 MB and must fit in the file; every entry
/// needs a known dtype, a shape of non-negative dimensions and offsets whose length matches shape × dtype size; the
/// tensors must cover the data exactly, without gaps or overlaps. Every problem is a <see cref="BackpropException"/>
/// naming the file and the tensor or field; nothing is allocated beyond what the file's size accounts for.
/// NaN and infinities are legal values: <see cref="Get{T}"/> returns them as stored and
/// <see cref="AllFinite(string)"/> lets the caller decide.
/// </para>
/// </summary>
public sealed class SafetensorsFile
{
    /// <summary>The largest header accepted (the limit of the reference implementation).</summary>
    public const long MaxHeaderLength = 100_000_000;

    /// <summary>Bytes per element of every dtype the format defines in whole bytes.</summary>
    public static readonly IReadOnlyDictionary<string, int> DtypeSizes = new Dictionary<string, int>(StringComparer.Ordinal)
    {
        ["BOOL"] = 1, ["U8"] = 1, ["I8"] = 1, ["F8_E5M2"] = 1, ["F8_E4M3"] = 1, ["F8_E8M0"] = 1,
        ["I16"] = 2, ["U16"] = 2, ["F16"] = 2, ["BF16"] = 2,
        ["I32"] = 4, ["U32"] = 4, ["F32"] = 4,
        ["I64"] = 8, ["U64"] = 8, ["F64"] = 8, ["C64"] = 8,
    };

    private static readonly JsonDocumentOptions JsonOptions = new() { MaxDepth = 8, AllowDuplicateProperties = false };

    private readonly Dictionary<string, (SafetensorsEntry Entry, byte[] Data)> _tensors;

    private SafetensorsFile(string source, IReadOnlyDictionary<string, string> metadata, List<SafetensorsEntry> entries, List<byte[]> data)
    {
        Source = source;
        Metadata = metadata;
        Entries = entries;
        Names = entries.Select(e => e.Name).ToArray();
        _tensors = new Dictionary<string, (SafetensorsEntry, byte[])>(StringComparer.Ordinal);
        for (int i = 0; i < entries.Count; i++) _tensors.Add(entries[i].Name, (entries[i], data[i]));
    }

    /// <summary>The file name (or the name given to <see cref="Parse"/>), which starts every error message.</summary>
    public string Source { get; }

    /// <summary>The "__metadata__" map; empty when the file has none.</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>Tensor names in the order of their data in the file.</summary>
    public IReadOnlyList<string> Names { get; }

    /// <summary>Every tensor's header entry, in the order of their data in the file.</summary>
    public IReadOnlyList<SafetensorsEntry> Entries { get; }

    /// <summary>Reads and validates a whole file.</summary>
    public static SafetensorsFile Read(string path)
    {
        FileKinds.CheckInput(path);
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
            return Read(stream, stream.Length, path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new BackpropException($"{path}: cannot read the file: {e.Message}");
        }
    }

    /// <summary>Validates a file held in memory; <paramref name="source"/> names it in error messages.</summary>
    public static SafetensorsFile Parse(byte[] bytes, string source)
    {
        using var stream = new MemoryStream(bytes, writable: false);
        return Read(stream, bytes.Length, source);
    }

    private static SafetensorsFile Read(Stream stream, long length, string source)
    {
        if (length < 8)
            throw new BackpropException($"{source}: not a safetensors file: {length} bytes, too short for the 8-byte header length");
        Span<byte> prefix = stackalloc byte[8];
        ReadExactly(stream, prefix, source);
        ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(prefix);
        if (headerLength > MaxHeaderLength)
            throw new BackpropException($"{source}: header length {headerLength} is over the limit of {MaxHeaderLength} bytes (100 MB); not a safetensors file or a hostile one");
        if (headerLength > (ulong)(length - 8))
            throw new BackpropException($"{source}: header length {headerLength} runs past the end of the file ({length} bytes)");
        var header = new byte[headerLength];
        ReadExactly(stream, header, source);
        long dataLength = length - 8 - (long)headerLength;

        var (metadata, entries) = ParseHeader(header, dataLength, source);
        CheckLayout(entries, dataLength, source);

        var data = new List<byte[]>(entries.Count);
        foreach (var e in entries)
        {
            long size = e.End - e.Begin;
            if (size > Array.MaxLength)
                throw new BackpropException($"{source}: tensor '{JsonInput.Shown(e.Name)}': {size} bytes, larger than the {Array.MaxLength} bytes supported");
            var bytes = new byte[size];
            ReadExactly(stream, bytes, source);
            data.Add(bytes);
        }
        return new SafetensorsFile(source, metadata, entries, data);
    }

    private static void ReadExactly(Stream stream, Span<byte> buffer, string source)
    {
        try
        {
            stream.ReadExactly(buffer);
        }
        catch (EndOfStreamException)
        {
            throw new BackpropException($"{source}: the file ended early (was it changed while being read?)");
        }
    }

    private static (IReadOnlyDictionary<string, string>, List<SafetensorsEntry>) ParseHeader(byte[] header, long dataLength, string source)
    {
        if (!Utf8.IsValid(header))
            throw new BackpropException($"{source}: header: not valid UTF-8");
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(header, JsonOptions);
        }
        catch (JsonException e)
        {
            if (JsonInput.DuplicateKey(() => JsonDocument.Parse(header, JsonOptions with { AllowDuplicateProperties = true }), $"{source}: header") is string duplicate)
                throw new BackpropException(duplicate);
            string where = e.LineNumber is long line ? $" at line {line + 1}, byte {(e.BytePositionInLine ?? 0) + 1}" : "";
            throw new BackpropException($"{source}: header: invalid JSON{where}: {JsonInput.FirstSentence(e.Message.Split(". ")[0])}");
        }
        using (doc)
        {
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
                throw new BackpropException($"{source}: header: expected a JSON object, got {Describe(root)}");
            var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
            var entries = new List<SafetensorsEntry>();
            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (var property in root.EnumerateObject())
            {
                if (!seen.Add(property.Name))
                    throw new BackpropException($"{source}: header: '{JsonInput.Shown(property.Name)}' appears twice");
                if (property.Name == "__metadata__")
                    ParseMetadata(property.Value, metadata, source);
                else
                    entries.Add(ParseEntry(property.Name, property.Value, dataLength, source));
            }
            return (metadata, entries);
        }
    }

    private static void ParseMetadata(JsonElement e, Dictionary<string, string> metadata, string source)
    {
        if (e.ValueKind != JsonValueKind.Object)
            throw new BackpropException($"{source}: __metadata__: expected an object of strings, got {Describe(e)}");
        foreach (var p in e.EnumerateObject())
        {
            if (p.Value.ValueKind != JsonValueKind.String)
                throw new BackpropException($"{source}: __metadata__.{JsonInput.Shown(p.Name)}: expected a string, got {Describe(p.Value)}");
            if (!metadata.TryAdd(p.Name, p.Value.GetString()!))
                throw new BackpropException($"{source}: __metadata__: '{JsonInput.Shown(p.Name)}' appears twice");
        }
    }

    private static SafetensorsEntry ParseEntry(string name, JsonElement e, long dataLength, string source)
    {
        string at = $"{source}: tensor '{JsonInput.Shown(name)}'";
        if (e.ValueKind != JsonValueKind.Object)
            throw new BackpropException($"{at}: expected an object with dtype, shape and data_offsets, got {Describe(e)}");
        JsonElement Field(string field) =>
            e.TryGetProperty(field, out var v) ? v : throw new BackpropException($"{at}: missing field '{field}'");

        var dtypeElement = Field("dtype");
        if (dtypeElement.ValueKind != JsonValueKind.String)
            throw new BackpropException($"{at}: dtype: expected a string, got {Describe(dtypeElement)}");
        string dtype = dtypeElement.GetString()!;
        if (!DtypeSizes.TryGetValue(dtype, out int elementSize))
            throw new BackpropException($"{at}: dtype: unknown or unsupported dtype '{JsonInput.Shown(dtype)}'; expected one of: {string.Join(", ", DtypeSizes.Keys)}");

        var shapeElement = Field("shape");
        if (shapeElement.ValueKind != JsonValueKind.Array)
            throw new BackpropException($"{at}: shape: expected a list of dimensions, got {Describe(shapeElement)}");
        var shape = new int[shapeElement.GetArrayLength()];
        int i = 0;
        foreach (var d in shapeElement.EnumerateArray())
        {
            if (d.ValueKind != JsonValueKind.Number || !d.TryGetInt64(out long dim) || dim < 0)
                throw new BackpropException($"{at}: shape[{i}]: expected a non-negative integer, got {Describe(d)}");
            if (dim > int.MaxValue)
                throw new BackpropException($"{at}: shape[{i}]: dimension {dim} is too large (at most {int.MaxValue})");
            shape[i++] = (int)dim;
        }

        var offsetsElement = Field("data_offsets");
        if (offsetsElement.ValueKind != JsonValueKind.Array || offsetsElement.GetArrayLength() != 2)
            throw new BackpropException($"{at}: data_offsets: expected [begin, end], got {Describe(offsetsElement)}");
        long Offset(int index)
        {
            var o = offsetsElement[index];
            if (o.ValueKind != JsonValueKind.Number || !o.TryGetUInt64(out ulong v))
                throw new BackpropException($"{at}: data_offsets[{index}]: expected a non-negative integer, got {Describe(o)}");
            if (v > (ulong)dataLength)
                throw new BackpropException($"{at}: data_offsets {JsonInput.Excerpt(offsetsElement)} out of range: the data after the header is {dataLength} bytes");
            return (long)v;
        }
        long begin = Offset(0), end = Offset(1);
        if (begin > end)
            throw new BackpropException($"{at}: data_offsets {JsonInput.Excerpt(offsetsElement)}: begin is after end");

        // shape × dtype size must be the byte count; stop multiplying as soon as it exceeds what the file holds.
        long available = end - begin;
        Int128 bytes = shape.Contains(0) ? 0 : elementSize;
        bool partial = false;
        for (int k = 0; k < shape.Length && bytes != 0; k++)
        {
            bytes *= shape[k];
            if (bytes > available && k < shape.Length - 1)
            {
                partial = true;
                break;
            }
        }
        if (bytes != available)
            throw new BackpropException($"{at}: shape {Tensor.Format(shape)} of {JsonInput.Shown(dtype)} needs {(partial ? "more than " + available : bytes)} bytes, " +
                $"but data_offsets {JsonInput.Excerpt(offsetsElement)} hold {available}");
        return new SafetensorsEntry(name, dtype, shape, begin, end);
    }

    /// <summary>Sorts the entries by offset and checks that they tile the data exactly: no overlap, no gap, nothing after.</summary>
    private static void CheckLayout(List<SafetensorsEntry> entries, long dataLength, string source)
    {
        // A stable sort keeps header order among empty tensors at the same offset.
        var sorted = entries.OrderBy(e => e.Begin).ThenBy(e => e.End).ToList();
        long expected = 0;
        SafetensorsEntry? previous = null;
        foreach (var e in sorted)
        {
            if (e.Begin < expected)
                throw new BackpropException($"{source}: tensor '{JsonInput.Shown(e.Name)}': data_offsets [{e.Begin}, {e.End}] overlap tensor '{JsonInput.Shown(previous!.Name)}' [{previous.Begin}, {previous.End}]");
            if (e.Begin > expected)
                throw new BackpropException($"{source}: tensor '{JsonInput.Shown(e.Name)}': data_offsets [{e.Begin}, {e.End}] leave bytes [{expected}, {e.Begin}) of the data unused; tensors must be contiguous");
            expected = e.End;
            previous = e;
        }
        if (expected != dataLength)
            throw new BackpropException($"{source}: bytes [{expected}, {dataLength}) of the data belong to no tensor; tensors must cover the data exactly");
        entries.Clear();
        entries.AddRange(sorted);
    }

    private static string Describe(JsonElement e) => e.ValueKind switch
    {
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "a list",
        JsonValueKind.String => $"the string {JsonInput.Excerpt(e)}",
        _ => JsonInput.Excerpt(e),
    };

    /// <summary>Whether the file has a tensor of that name.</summary>
    public bool Contains(string name) => _tensors.ContainsKey(name);

    /// <summary>The header entry of one tensor.</summary>
    public SafetensorsEntry Entry(string name) => Lookup(name).Entry;

    /// <summary>The raw little-endian bytes of one tensor, as stored.</summary>
    public ReadOnlySpan<byte> Bytes(string name) => Lookup(name).Data;

    private (SafetensorsEntry Entry, byte[] Data) Lookup(string name) =>
        _tensors.TryGetValue(name, out var t) ? t : throw new BackpropException($"{Source}: no tensor '{JsonInput.Shown(name)}'; the file has: {string.Join(", ", Names.Take(20).Select(n => JsonInput.Shown(n)))}{(Names.Count > 20 ? ", ..." : "")}");

    /// <summary>
    /// An I64 tensor (PyTorch's num_batches_tracked) as <typeparamref name="T"/>: each value must be a whole number
    /// that <typeparamref name="T"/> holds exactly (up to 2^24 in float, 2^53 in double).
    /// </summary>
    public Tensor<T> GetInt64<T>(string name) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var (entry, bytes) = Lookup(name);
        if (entry.Dtype != "I64") throw new BackpropException($"{Source}: tensor '{JsonInput.Shown(name)}': expected dtype I64, got {entry.Dtype}");
        long limit = typeof(T) == typeof(float) ? 1L << 24 : 1L << 53;
        var values = new T[entry.ElementCount];
        for (int i = 0; i < values.Length; i++)
        {
            long v = BinaryPrimitives.ReadInt64LittleEndian(bytes.AsSpan(8 * i));
            if (v > limit || v < -limit)
                throw new BackpropException($"{Source}: tensor '{JsonInput.Shown(name)}': element {i} = {v} is not exact in {typeof(T).Name}");
            values[i] = T.CreateChecked(v);
        }
        return new Tensor<T>(values, (int[])entry.Shape.Clone());
    }

    /// <summary>
    /// The tensor converted to <typeparamref name="T"/>: F32 and F64 (exact when the precision matches, bit for bit),
    /// F16 and BF16 (exact). Values are returned as stored, NaN and infinities included (see <see cref="AllFinite(string)"/>);
    /// a finite F64 value too large for float is an error rather than a silent infinity.
    /// </summary>
    public Tensor<T> Get<T>(string name) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var (entry, bytes) = Lookup(name);
        var shape = (int[])entry.Shape.Clone();
        var values = new T[entry.ElementCount];
        switch (entry.Dtype)
        {
            case "F32" when typeof(T) == typeof(float) && BitConverter.IsLittleEndian:
            case "F64" when typeof(T) == typeof(double) && BitConverter.IsLittleEndian:
                bytes.CopyTo(MemoryMarshal.AsBytes(values.AsSpan()));
                break;
            case "F32":
                for (int i = 0; i < values.Length; i++) values[i] = Convert<float, T>(BinaryPrimitives.ReadSingleLittleEndian(bytes.AsSpan(4 * i)), entry, i);
                break;
            case "F64":
                for (int i = 0; i < values.Length; i++) values[i] = Convert<double, T>(BinaryPrimitives.ReadDoubleLittleEndian(bytes.AsSpan(8 * i)), entry, i);
                break;
            case "F16":
                for (int i = 0; i < values.Length; i++) values[i] = Convert<Half, T>(BinaryPrimitives.ReadHalfLittleEndian(bytes.AsSpan(2 * i)), entry, i);
                break;
            case "BF16":
                for (int i = 0; i < values.Length; i++) values[i] = Convert<float, T>(BFloat16(bytes, i), entry, i);
                break;
            default:
                throw new BackpropException($"{Source}: tensor '{JsonInput.Shown(name)}': dtype {entry.Dtype} cannot be read as {typeof(T).Name}; supported: F32, F64, F16, BF16");
        }
        try
        {
            return new Tensor<T>(values, shape);
        }
        catch (ArgumentException)
        {
            // Only an empty tensor whose other dimensions multiply past Array.MaxLength gets here.
            throw new BackpropException($"{Source}: tensor '{JsonInput.Shown(name)}': shape {Tensor.Format(shape)} is too large for a Tensor");
        }
    }

    private static float BFloat16(byte[] bytes, int i) =>
        BitConverter.Int32BitsToSingle(BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(2 * i)) << 16);

    private TOut Convert<TIn, TOut>(TIn value, SafetensorsEntry entry, int index)
        where TIn : IFloatingPointIeee754<TIn> where TOut : IFloatingPointIeee754<TOut>
    {
        var result = TOut.CreateTruncating(value);
        if (TIn.IsFinite(value) && !TOut.IsFinite(result))
            throw new BackpropException($"{Source}: tensor '{entry.Name}': element {index} = {value} overflows {typeof(TOut).Name}");
        return result;
    }

    /// <summary>
    /// Whether the tensor holds no NaN and no infinity. Integer and boolean dtypes are always finite; other
    /// floating-point dtypes than F16, BF16, F32 and F64 are an error.
    /// </summary>
    public bool AllFinite(string name)
    {
        var (entry, bytes) = Lookup(name);
        switch (entry.Dtype)
        {
            case "F32":
                for (int i = 0; i < bytes.Length; i += 4)
                    if (!float.IsFinite(BinaryPrimitives.ReadSingleLittleEndian(bytes.AsSpan(i)))) return false;
                return true;
            case "F64":
                for (int i = 0; i < bytes.Length; i += 8)
                    if (!double.IsFinite(BinaryPrimitives.ReadDoubleLittleEndian(bytes.AsSpan(i)))) return false;
                return true;
            case "F16":
                for (int i = 0; i < bytes.Length; i += 2)
                    if (!Half.IsFinite(BinaryPrimitives.ReadHalfLittleEndian(bytes.AsSpan(i)))) return false;
                return true;
            case "BF16":
                for (int i = 0; i < bytes.Length / 2; i++)
                    if (!float.IsFinite(BFloat16(bytes, i))) return false;
                return true;
            case "BOOL" or "U8" or "I8" or "I16" or "U16" or "I32" or "U32" or "I64" or "U64":
                return true;
            default:
                throw new BackpropException($"{Source}: tensor '{JsonInput.Shown(name)}': cannot check {entry.Dtype} values; supported: F32, F64, F16, BF16 and integer dtypes");
        }
    }

    /// <summary>Whether every tensor holds no NaN and no infinity (see <see cref="AllFinite(string)"/>).</summary>
    public bool AllFinite() => Names.All(AllFinite);
}
