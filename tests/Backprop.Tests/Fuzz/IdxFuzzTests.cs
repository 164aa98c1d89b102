using System.Buffers.Binary;
using System.IO.Compression;
using Backprop.Data;
using Backprop.Tests.Data;
using Xunit.Abstractions;

namespace Backprop.Tests.Fuzz;

/// <summary>
/// IdxReader on mutated IDX files, raw and gzip: byte edits of valid files of every element type, headers that lie
/// (sizes larger than the file, negative or huge dimensions, wrong type codes or dimension counts), truncation,
/// trailing bytes, corrupt gzip streams. Each read returns or throws a <see cref="BackpropException"/>.
/// </summary>
public sealed class IdxFuzzTests(ITestOutputHelper output) : IDisposable
{
    private readonly TempFiles _files = new();

    public void Dispose() => _files.Dispose();

    private static readonly (byte Type, int Size)[] Types = [(0x08, 1), (0x09, 1), (0x0B, 2), (0x0C, 4), (0x0D, 4), (0x0E, 8)];

    /// <summary>A valid file: random type, 1 to 3 dimensions of 0 to 6, random payload.</summary>
    private static byte[] ValidIdx(Rng rng)
    {
        var (type, size) = Types[rng.NextInt(Types.Length)];
        var shape = new int[1 + rng.NextInt(3)];
        for (int d = 0; d < shape.Length; d++) shape[d] = rng.NextInt(7);
        var payload = new byte[shape.Aggregate(1, (a, b) => a * b) * size];
        for (int i = 0; i < payload.Length; i++) payload[i] = (byte)rng.NextInt(256);
        return TempFiles.Idx(type, shape, payload);
    }

    /// <summary>
    /// A header that lies: dimensions, count or type that do not fit the bytes that follow. Certain: the lie cannot
    /// happen to describe a valid file.
    /// </summary>
    private static (byte[] Bytes, bool Certain) LyingIdx(Rng rng)
    {
        bool certain = false;
        var bytes = ValidIdx(rng);
        int dims = bytes[3];
        switch (rng.NextInt(5))
        {
            case 0: // one dimension replaced by an interesting integer (huge, negative, just past the data)
                int d = rng.NextInt(dims);
                long v = Mutator.InterestingIntegers[rng.NextInt(Mutator.InterestingIntegers.Length)];
                BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(4 + 4 * d), (int)v);
                break;
            case 1: // every dimension large: the product overflows int64 unless guarded
                for (int k = 0; k < dims; k++) BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(4 + 4 * k), int.MaxValue - rng.NextInt(3));
                certain = true;
                break;
            case 2: bytes[3] = (byte)rng.NextInt(256); break; // dimension count
            case 3: bytes[2] = (byte)rng.NextInt(256); break; // type code
            default: // size + 1 on one dimension: declares more than the file holds
                int k2 = rng.NextInt(dims);
                BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(4 + 4 * k2), BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(4 + 4 * k2)) + 1 + rng.NextInt(1000));
                certain = Enumerable.Range(0, dims).All(k => BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(4 + 4 * k)) != 0);
                break;
        }
        return (bytes, certain);
    }

    /// <summary>How many bytes a gzip stream yields before it ends or breaks (at most 256 MB).</summary>
    private static long DecompressedLength(byte[] gz)
    {
        long total = 0;
        try
        {
            using var stream = new GZipStream(new MemoryStream(gz), CompressionMode.Decompress);
            var buffer = new byte[1 << 16];
            int n;
            while ((n = stream.Read(buffer)) > 0 && total < 256 << 20) total += n;
        }
        catch (Exception e) when (e is InvalidDataException or IOException)
        {
        }
        return total;
    }

    [Fact]
    public void Mutated_idx_files_are_read_or_refused()
    {
        var fuzz = new Fuzzer(output, "idx", defaultCases: 1200);
        var tokens = new[] { new byte[] { 0, 0, 8, 3 }, [0, 0, 0x0E, 1], [0x1f, 0x8b], [0x7f, 0xff, 0xff, 0xff], [0x80, 0, 0, 0], [0xff, 0xff, 0xff, 0xff] };
        for (int i = 0; i < fuzz.Count; i++)
        {
            var rng = fuzz.CaseRng(i);
            int kind = rng.NextInt(5);
            bool mustRefuse = false;
            byte[] raw;
            if (kind == 0) raw = ValidIdx(rng);
            else if (kind <= 2) (raw, mustRefuse) = LyingIdx(rng);
            else raw = Mutator.Bytes(ValidIdx(rng), rng, 4, tokens, binaryFields: true);
            bool gzip = rng.NextInt(3) == 0;
            byte[] file = raw;
            string what = kind switch { 0 => "valid", 1 or 2 => "lying header", _ => "byte edits" };
            if (gzip)
            {
                file = TempFiles.Gzip(raw);
                if (rng.NextInt(3) == 0)
                {
                    file = Mutator.Bytes(file, rng, 3); // a corrupt stream
                    if (file.Length < 2 || file[0] != 0x1f || file[1] != 0x8b) file = [0x1f, 0x8b, .. file];
                    what += ", corrupt gzip";
                }
                else what += ", gzip";
            }
            string path = _files.Write("case.idx", file);
            // A raw file becomes at most 4 bytes of float per byte of data, read through a chunk of at most 1 MB
            // and a 64 KB file buffer. A gzip file may hold up to 1032 times its size; the reader starts with room
            // for 2 values per compressed byte (or 64 K values) and grows by doubling only as data arrives, so the
            // decompressed length bounds it. 8 per byte leaves room for one doubling; 2 MB covers the buffers.
            long justified = gzip ? Math.Max(file.Length, DecompressedLength(file)) + 2L * file.Length : file.Length;
            fuzz.Run(i, what, file, 8 * justified + (4 << 20), () =>
            {
                var idx = IdxReader.Read(path);
                return idx.Shape.Aggregate(1L, (a, b) => a * b) == idx.Values.LongLength
                    ? Fuzzer.Outcome.Ok
                    : throw new InvalidOperationException($"shape {string.Join("x", idx.Shape)} but {idx.Values.Length} values");
            }, mustRefuse);
        }
        fuzz.Finish();
    }
}
