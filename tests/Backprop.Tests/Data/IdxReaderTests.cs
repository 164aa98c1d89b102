using System.Buffers.Binary;
using Backprop.Data;
using static Backprop.Tests.Data.TempFiles;

namespace Backprop.Tests.Data;

public sealed class IdxReaderTests : IDisposable
{
    private readonly TempFiles _files = new();

    public void Dispose() => _files.Dispose();

    private static BackpropException Fails(string path)
    {
        var e = Assert.Throws<BackpropException>(() => IdxReader.Read(path));
        Assert.Contains(path, e.Message);
        return e;
    }

    [Fact]
    public void Reads_unsigned_bytes_raw_without_scaling()
    {
        string path = _files.Write("images", IdxBytes([3, 2, 2], 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 255));
        var a = IdxReader.Read(path);
        Assert.Equal([3, 2, 2], a.Shape);
        Assert.Equal(IdxDataType.UnsignedByte, a.DataType);
        Assert.Equal([0f, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 255], a.Values);
    }

    [Fact]
    public void Gzip_is_recognised_by_its_magic_not_by_the_name()
    {
        byte[] raw = IdxBytes([2, 3], 9, 8, 7, 6, 5, 4);
        var fromGzNamedRaw = IdxReader.Read(_files.Write("labels-idx1-ubyte", Gzip(raw)));
        var fromRawNamedGz = IdxReader.Read(_files.Write("labels-idx1-ubyte.gz", raw));
        Assert.Equal([2, 3], fromGzNamedRaw.Shape);
        Assert.Equal([9f, 8, 7, 6, 5, 4], fromGzNamedRaw.Values);
        Assert.Equal(fromGzNamedRaw.Values, fromRawNamedGz.Values);
    }

    [Fact]
    public void Reads_a_large_gzip_file_that_needs_its_buffer_to_grow()
    {
        // Zeros compress about 1000:1, so the initial buffer (8 × the compressed size) is far too small.
        var payload = new byte[3_000_000];
        payload[^1] = 200;
        var a = IdxReader.Read(_files.Write("big.gz", Gzip(IdxBytes([3000, 1000], payload))));
        Assert.Equal(3_000_000, a.Values.Length);
        Assert.Equal(200f, a.Values[^1]);
        Assert.Equal(0f, a.Values[^2]);
    }

    [Fact]
    public void Reads_signed_bytes_int16_int32_float32_and_float64_big_endian()
    {
        var sbytes = IdxReader.Read(_files.Write("s8", Idx(0x09, [3], [0x80, 0xFF, 0x7F])));
        Assert.Equal(IdxDataType.SignedByte, sbytes.DataType);
        Assert.Equal([-128f, -1, 127], sbytes.Values);

        var i16 = new byte[4];
        BinaryPrimitives.WriteInt16BigEndian(i16, -300);
        BinaryPrimitives.WriteInt16BigEndian(i16.AsSpan(2), 32767);
        Assert.Equal([-300f, 32767], IdxReader.Read(_files.Write("i16", Idx(0x0B, [2], i16))).Values);

        var i32 = new byte[8];
        BinaryPrimitives.WriteInt32BigEndian(i32, -70000);
        BinaryPrimitives.WriteInt32BigEndian(i32.AsSpan(4), 16777216);
        Assert.Equal([-70000f, 16777216], IdxReader.Read(_files.Write("i32", Idx(0x0C, [2, 1], i32))).Values);

        var f32 = new byte[8];
        BinaryPrimitives.WriteSingleBigEndian(f32, 0.1f);
        BinaryPrimitives.WriteSingleBigEndian(f32.AsSpan(4), -2.5e-3f);
        var single = IdxReader.Read(_files.Write("f32.gz", Gzip(Idx(0x0D, [1, 2], f32))));
        Assert.Equal(IdxDataType.Single, single.DataType);
        Assert.Equal([0.1f, -2.5e-3f], single.Values);

        var f64 = new byte[16];
        BinaryPrimitives.WriteDoubleBigEndian(f64, 0.1);
        BinaryPrimitives.WriteDoubleBigEndian(f64.AsSpan(8), 1e300);
        var dbl = IdxReader.Read(_files.Write("f64", Idx(0x0E, [2], f64)));
        Assert.Equal(0.1f, dbl.Values[0]); // rounded to the nearest float32
        Assert.Equal(float.PositiveInfinity, dbl.Values[1]); // overflows; DatasetSource refuses it
    }

    [Fact]
    public void A_zero_size_dimension_gives_an_empty_array()
    {
        var a = IdxReader.Read(_files.Write("empty", IdxBytes([0, 28, 28])));
        Assert.Equal([0, 28, 28], a.Shape);
        Assert.Empty(a.Values);
    }

    [Fact]
    public void Truncated_data_is_refused_raw_and_gzip()
    {
        byte[] truncated = IdxBytes([2, 3], 1, 2, 3, 4, 5); // 5 of 6 bytes
        var raw = Fails(_files.Write("t", truncated));
        Assert.Contains("2 × 3 = 6 values", raw.Message);
        Assert.Contains("holds 5 bytes", raw.Message);
        var gz = Fails(_files.Write("t.gz", Gzip(truncated)));
        Assert.Contains("holds only 5 bytes", gz.Message);
    }

    [Fact]
    public void Trailing_data_is_refused_raw_and_gzip()
    {
        byte[] longer = IdxBytes([2], 1, 2, 3, 4);
        Assert.Contains("holds 4 bytes", Fails(_files.Write("x", longer)).Message);
        Assert.Contains("holds 4 bytes", Fails(_files.Write("x.gz", Gzip(longer))).Message);
    }

    [Fact]
    public void A_truncated_header_is_refused()
    {
        Assert.Contains("empty", Fails(_files.Write("e", [])).Message);
        Assert.Contains("only 2 bytes", Fails(_files.Write("m", [0, 0])).Message);
        Assert.Contains("truncated header", Fails(_files.Write("h", [0, 0, 8, 3, 0, 0, 0, 1])).Message);
        Assert.Contains("truncated header", Fails(_files.Write("h.gz", Gzip([0, 0, 8, 3, 0, 0, 0, 1]))).Message);
    }

    [Fact]
    public void A_wrong_magic_number_is_refused()
    {
        Assert.Contains("wrong magic number 0x01020803", Fails(_files.Write("a", [1, 2, 8, 3, 0, 0, 0, 0])).Message);
        // Text (a CSV file, say) is not an IDX file either.
        Assert.Contains("wrong magic number", Fails(_files.WriteText("b.csv", "label,x\n1,2\n")).Message);
        Assert.Contains("type code 0x0A", Fails(_files.Write("c", [0, 0, 0x0A, 1, 0, 0, 0, 0])).Message);
        Assert.Contains("0 dimensions", Fails(_files.Write("d", [0, 0, 8, 0])).Message);
    }

    [Fact]
    public void A_negative_dimension_size_is_refused()
    {
        Assert.Contains("dimension 1 declares size 2147483648", Fails(_files.Write("n", [0, 0, 8, 2, 0, 0, 0, 1, 0x80, 0, 0, 0])).Message);
    }

    [Fact]
    public void A_lying_header_is_refused_before_allocating()
    {
        long before = GC.GetAllocatedBytesForCurrentThread();
        // Raw: declares 60000 × 28 × 28 bytes in a 100-byte file.
        var raw = Fails(_files.Write("lie", IdxBytes([60000, 28, 28], new byte[84])));
        Assert.Contains("47040000", raw.Message);
        Assert.Contains("holds 84 bytes", raw.Message);
        // Gzip: declares far more than deflate's 1032:1 could expand the file to.
        var gz = Fails(_files.Write("lie.gz", Gzip(IdxBytes([60000, 28, 28], new byte[84]))));
        Assert.Contains("more than a", gz.Message);
        // More values than any array can hold.
        Assert.Contains("too large", Fails(_files.Write("huge", IdxBytes([65536, 65536, 65536]))).Message);
        Assert.Contains("too large", Fails(_files.Write("huge64", Idx(0x0E, [300_000_000], []))).Message);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.True(allocated < 4_000_000, $"allocated {allocated} bytes");
    }

    [Fact]
    public void A_lying_gzip_header_within_the_deflate_bound_allocates_only_what_arrives()
    {
        // 20000 random bytes barely compress, so a declared 15 MB is within 1032 × the file size: the reader must
        // notice the shortfall without allocating the declared 15 MB (60 MB as floats).
        var payload = new byte[20_000];
        new Random(1).NextBytes(payload);
        string path = _files.Write("lie-within.gz", Gzip(IdxBytes([15_000_000], payload)));
        long before = GC.GetAllocatedBytesForCurrentThread();
        Assert.Contains("holds only 20000 bytes", Fails(path).Message);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.True(allocated < 4_000_000, $"allocated {allocated} bytes");
    }

    [Fact]
    public void Corrupt_gzip_and_missing_files_are_reported_as_bad_input()
    {
        byte[] gz = Gzip(IdxBytes([4], 1, 2, 3, 4));
        for (int i = 10; i < gz.Length - 8; i++) gz[i] ^= 0x5A; // scramble the deflate stream
        var corrupt = Fails(_files.Write("corrupt.gz", gz));
        Assert.Matches("corrupt gzip|truncated|magic|declares|holds", corrupt.Message);
        Assert.Contains("file not found", Fails(Path.Combine(_files.Directory, "missing")).Message);
        Assert.Contains("file not found", Fails(Path.Combine(_files.Directory, "no-such-dir", "missing")).Message);
    }

    [Fact]
    public void Random_files_never_throw_anything_but_BackpropException()
    {
        // Fuzz: random bytes, random header with random payload, truncations of a valid file (raw and gzip).
        var rng = new Random(7);
        byte[] valid = IdxBytes([2, 2, 3], 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12);
        byte[] validGz = Gzip(valid);
        string path = Path.Combine(_files.Directory, "fuzz");
        for (int trial = 0; trial < 400; trial++)
        {
            byte[] bytes = (trial % 4) switch
            {
                0 => RandomBytes(rng, rng.Next(0, 40)),
                1 => valid[..rng.Next(0, valid.Length)],
                2 => validGz[..rng.Next(0, validGz.Length)],
                _ => [0, 0, (byte)rng.Next(7, 16), (byte)rng.Next(0, 4), .. RandomBytes(rng, rng.Next(0, 30))],
            };
            File.WriteAllBytes(path, bytes);
            try { IdxReader.Read(path); }
            catch (BackpropException) { }
        }
    }

    private static byte[] RandomBytes(Random rng, int n)
    {
        var b = new byte[n];
        rng.NextBytes(b);
        return b;
    }
}
