using System.Buffers.Binary;
using System.Text;
using Backprop.IO;
using Backprop.Tensors;

namespace Backprop.Tests.Interop;

/// <summary>The safetensors writer and reader: round trips, the exact bytes, determinism and every validation error.</summary>
public sealed class SafetensorsTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("backprop-safetensors-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string PathOf(string name) => Path.Combine(_dir, name);

    private static byte[] Serialize<T>(IReadOnlyList<(string, Tensor<T>)> tensors, IReadOnlyDictionary<string, string>? metadata = null)
        where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        using var stream = new MemoryStream();
        Safetensors.Write(stream, tensors, metadata);
        return stream.ToArray();
    }

    private static Tensor<float> F(float[] values, params int[] shape) => new(values, shape);

    private static Tensor<double> D(double[] values, params int[] shape) => new(values, shape);

    // ---- round trips ----

    private static readonly float[] SpecialFloats =
    [
        0f, -0f, 1f, -1.5f, float.Epsilon, -float.Epsilon, float.MaxValue, float.MinValue, 1e-38f, 3.14159274f,
        float.PositiveInfinity, float.NegativeInfinity, float.NaN, BitConverter.Int32BitsToSingle(0x7FC12345), BitConverter.Int32BitsToSingle(unchecked((int)0xFF800001)),
    ];

    private static readonly double[] SpecialDoubles =
    [
        0d, -0d, 1d, -1.5d, double.Epsilon, -double.Epsilon, double.MaxValue, double.MinValue, 1e-308, Math.PI,
        double.PositiveInfinity, double.NegativeInfinity, double.NaN, BitConverter.Int64BitsToDouble(0x7FF8_0000_1234_5678), BitConverter.Int64BitsToDouble(unchecked((long)0xFFF0_0000_0000_0001)),
    ];

    [Fact]
    public void Float_round_trip_is_bit_identical()
    {
        var rng = new Random(1);
        var tensors = new List<(string, Tensor<float>)>
        {
            ("special", F(SpecialFloats, 3, 5)),
            ("0.weight", F(Enumerable.Range(0, 24).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray(), 2, 3, 4)),
            ("scalar", F([42.5f])),
            ("empty", F([], 0, 3)),
            ("z.last", F(Enumerable.Range(0, 7).Select(_ => (float)rng.NextDouble()).ToArray(), 7)),
        };
        string path = PathOf("f.safetensors");
        Safetensors.Save(path, tensors, new Dictionary<string, string> { ["note"] = "ünïcode ✓ \"quoted\"\n", ["a"] = "" });

        var file = Safetensors.Read(path);
        Assert.Equal(["special", "0.weight", "scalar", "empty", "z.last"], file.Names);
        Assert.Equal(new Dictionary<string, string> { ["note"] = "ünïcode ✓ \"quoted\"\n", ["a"] = "" }, file.Metadata);
        foreach (var (name, expected) in tensors)
        {
            var actual = file.Get<float>(name);
            Assert.Equal(expected.Shape, actual.Shape);
            Assert.Equal("F32", file.Entry(name).Dtype);
            Assert.Equal(expected.Data.Select(BitConverter.SingleToInt32Bits), actual.Data.Select(BitConverter.SingleToInt32Bits));
        }
        Assert.Equal(1, file.Get<float>("scalar").Length);
        Assert.Empty(file.Get<float>("scalar").Shape);
    }

    [Fact]
    public void Double_round_trip_is_bit_identical()
    {
        var rng = new Random(2);
        var tensors = new List<(string, Tensor<double>)>
        {
            ("b", D(Enumerable.Range(0, 12).Select(_ => rng.NextDouble() - 0.5).ToArray(), 4, 3)),
            ("a", D(SpecialDoubles, 15)),
            ("c", D([], 2, 0, 2)),
        };
        string path = PathOf("d.safetensors");
        Safetensors.Save(path, tensors);

        var file = Safetensors.Read(path);
        Assert.Equal(["b", "a", "c"], file.Names);
        Assert.Empty(file.Metadata);
        foreach (var (name, expected) in tensors)
        {
            var actual = file.Get<double>(name);
            Assert.Equal(expected.Shape, actual.Shape);
            Assert.Equal("F64", file.Entry(name).Dtype);
            Assert.Equal(expected.Data.Select(BitConverter.DoubleToInt64Bits), actual.Data.Select(BitConverter.DoubleToInt64Bits));
        }
    }

    [Fact]
    public void Get_converts_between_precisions()
    {
        var file = SafetensorsFile.Parse(Serialize([("x", D([0.1, -2.5, 1e-50], 3))]), "x.safetensors");
        Assert.Equal([0.1f, -2.5f, 0f], file.Get<float>("x").Data);
        var f32 = SafetensorsFile.Parse(Serialize([("x", F([0.1f, -2.5f], 2))]), "x.safetensors");
        Assert.Equal([(double)0.1f, -2.5], f32.Get<double>("x").Data);

        var big = SafetensorsFile.Parse(Serialize([("big", D([1, 1e300], 2))]), "big.safetensors");
        Assert.Equal(1e300, big.Get<double>("big")[1]);
        var e = Assert.Throws<BackpropException>(() => big.Get<float>("big"));
        Assert.Equal("big.safetensors: tensor 'big': element 1 = 1E+300 overflows Single", e.Message);
    }

    // ---- the bytes on disk ----

    private static byte[] Concat(params byte[][] parts) => parts.SelectMany(p => p).ToArray();

    private static byte[] U64(ulong n)
    {
        var b = new byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(b, n);
        return b;
    }

    [Fact]
    public void A_tiny_file_has_the_layout_of_the_format()
    {
        byte[] actual = Serialize([("a", F([1f, -2f], 2))]);
        // 54 bytes of JSON, padded with 2 spaces to 56 so that the data starts at byte 8 + 56 = 64.
        byte[] expected =
        [
            56, 0, 0, 0, 0, 0, 0, 0,
            .. "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}  "u8,
            0x00, 0x00, 0x80, 0x3F, // 1.0f, little-endian
            0x00, 0x00, 0x00, 0xC0, // -2.0f
        ];
        Assert.Equal(expected, actual);
        Assert.Equal(64 + 8, actual.Length);

        byte[] withMetadata = Serialize([("b", D([0.5]))], new Dictionary<string, string> { ["k"] = "v" });
        byte[] expected2 =
        [
            80, 0, 0, 0, 0, 0, 0, 0,
            .. "{\"__metadata__\":{\"k\":\"v\"},\"b\":{\"dtype\":\"F64\",\"shape\":[],\"data_offsets\":[0,8]}}  "u8,
            0, 0, 0, 0, 0, 0, 0xE0, 0x3F, // 0.5
        ];
        Assert.Equal(expected2, withMetadata);
    }

    [Fact]
    public void The_bytes_match_the_reference_implementations_test_vectors()
    {
        // From huggingface/safetensors, safetensors/src/tensor.rs: test_serialization, test_serialization_forced_alignement, test_empty.
        Assert.Equal(
            Concat(U64(64), "{\"attn.0\":{\"dtype\":\"F32\",\"shape\":[1,2,3],\"data_offsets\":[0,24]}}"u8.ToArray(),
                [0, 0, 0, 0, 0, 0, 128, 63, 0, 0, 0, 64, 0, 0, 64, 64, 0, 0, 128, 64, 0, 0, 160, 64]),
            Serialize([("attn.0", F([0, 1, 2, 3, 4, 5], 1, 2, 3))]));
        Assert.Equal(
            Concat(U64(72), "{\"attn0\":{\"dtype\":\"F32\",\"shape\":[1,1,2,3],\"data_offsets\":[0,24]}}       "u8.ToArray(),
                [0, 0, 0, 0, 0, 0, 128, 63, 0, 0, 0, 64, 0, 0, 64, 64, 0, 0, 128, 64, 0, 0, 160, 64]),
            Serialize([("attn0", F([0, 1, 2, 3, 4, 5], 1, 1, 2, 3))]));
        Assert.Equal([8, 0, 0, 0, 0, 0, 0, 0, 123, 125, 32, 32, 32, 32, 32, 32], Serialize(new List<(string, Tensor<float>)>()));
        Assert.Equal(
            Concat(U64(40), "{\"__metadata__\":{\"framework\":\"pt\"}}     "u8.ToArray()),
            Serialize(new List<(string, Tensor<float>)>(), new Dictionary<string, string> { ["framework"] = "pt" }));
    }

    [Fact]
    public void Output_is_deterministic_and_keeps_the_given_order()
    {
        List<(string, Tensor<float>)> Tensors() => [("z", F([1, 2], 2)), ("a", F([3], 1)), ("m", F([4, 5, 6, 7], 2, 2))];
        var meta1 = new Dictionary<string, string> { ["x"] = "1", ["b"] = "2" };
        var meta2 = new SortedDictionary<string, string>(StringComparer.Ordinal) { ["b"] = "2", ["x"] = "1" };
        byte[] first = Serialize(Tensors(), meta1);
        Assert.Equal(first, Serialize(Tensors(), meta2));

        Safetensors.Save(PathOf("1.safetensors"), Tensors(), meta1);
        Safetensors.Save(PathOf("2.safetensors"), Tensors(), meta2);
        Assert.Equal(first, File.ReadAllBytes(PathOf("1.safetensors")));
        Assert.Equal(first, File.ReadAllBytes(PathOf("2.safetensors")));

        string header = Encoding.UTF8.GetString(first, 8, (int)BinaryPrimitives.ReadUInt64LittleEndian(first));
        Assert.True(header.IndexOf("\"z\"") < header.IndexOf("\"a\"") && header.IndexOf("\"a\"") < header.IndexOf("\"m\""), header);
        Assert.StartsWith("{\"__metadata__\":{\"b\":\"2\",\"x\":\"1\"},", header);
        Assert.Equal(["z", "a", "m"], Safetensors.Read(PathOf("1.safetensors")).Names);
    }

    [Fact]
    public void Save_replaces_an_existing_file_and_leaves_no_temporary_file()
    {
        string path = PathOf("m.safetensors");
        Safetensors.Save(path, [("w", F([1], 1))]);
        Safetensors.Save(path, [("w", F([2, 3], 2))]);
        Assert.Equal([2f, 3f], Safetensors.Read(path).Get<float>("w").Data);
        Assert.Equal(["m.safetensors"], Directory.GetFiles(_dir).Select(Path.GetFileName));
    }

    [Fact]
    public void Save_rejects_bad_names_before_touching_the_file()
    {
        string path = PathOf("bad.safetensors");
        File.WriteAllText(path, "old");
        var e = Assert.Throws<BackpropException>(() => Safetensors.Save(path, [("w", F([1], 1)), ("w", F([2], 1))]));
        Assert.Equal($"{path}: two tensors are named 'w'", e.Message);
        e = Assert.Throws<BackpropException>(() => Safetensors.Save(path, [("__metadata__", F([1], 1))]));
        Assert.Contains("'__metadata__'", e.Message);
        e = Assert.Throws<BackpropException>(() => Safetensors.Save(path, [("bad\ud800", F([1], 1))]));
        Assert.Equal($"{path}: the name or metadata 'bad\\ud800' is not valid Unicode (a lone surrogate)", e.Message);
        e = Assert.Throws<BackpropException>(() => Safetensors.Save(path, [("w", F([1], 1))], new Dictionary<string, string> { ["k"] = "\udc00" }));
        Assert.EndsWith("is not valid Unicode (a lone surrogate)", e.Message);
        Assert.Equal("old", File.ReadAllText(path));
        Assert.Single(Directory.GetFiles(_dir));

        e = Assert.Throws<BackpropException>(() => Safetensors.Save(PathOf("missing-dir/x.safetensors"), [("w", F([1], 1))]));
        Assert.StartsWith($"{PathOf("missing-dir/x.safetensors")}: cannot write the file", e.Message);
    }

    // ---- reading files written by others ----

    /// <summary>A file from its header JSON (padded to 8 bytes unless told) and data; <paramref name="headerLength"/> overrides the prefix.</summary>
    private static byte[] Craft(string json, byte[]? data = null, ulong? headerLength = null, bool pad = true)
    {
        byte[] header = Encoding.UTF8.GetBytes(json);
        if (pad) header = [.. header, .. Enumerable.Repeat((byte)' ', (8 - header.Length % 8) % 8)];
        return Concat(U64(headerLength ?? (ulong)header.Length), header, data ?? []);
    }

    private static byte[] Le(params float[] values) => values.SelectMany(BitConverter.GetBytes).ToArray();

    [Fact]
    public void A_key_written_twice_in_the_header_is_refused()
    {
        // Issue 15: a later "dtype" or metadata key silently won; now every JSON reader refuses the file, naming the place.
        var e = Assert.Throws<BackpropException>(() => SafetensorsFile.Parse(Craft(
            "{\"a\":{\"dtype\":\"F32\",\"dtype\":\"F64\",\"shape\":[1],\"data_offsets\":[0,4]}}", Le(1)), "t.safetensors"));
        Assert.Equal("t.safetensors: header: a: 'dtype' appears twice", e.Message);
        e = Assert.Throws<BackpropException>(() => SafetensorsFile.Parse(Craft(
            "{\"__metadata__\":{\"k\":\"1\",\"k\":\"2\"},\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", Le(1)), "t.safetensors"));
        Assert.Equal("t.safetensors: header: __metadata__: 'k' appears twice", e.Message);
        e = Assert.Throws<BackpropException>(() => SafetensorsFile.Parse(Craft(
            "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", Le(1)), "t.safetensors"));
        Assert.Equal("t.safetensors: header: 'a' appears twice", e.Message);
    }

    [Fact]
    public void Tensors_are_found_by_offset_whatever_the_header_order()
    {
        // The reference writer sorts by dtype and name, and any header order is legal: data order is what counts.
        var file = SafetensorsFile.Parse(Craft(
            "{\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]},\"__metadata__\":{\"format\":\"pt\"},\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}," +
            "\"e\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[8,8]}}", Le(1, 2), pad: false), "t");
        Assert.Equal(["a", "b", "e"], file.Names);
        Assert.Equal(1f, file.Get<float>("a")[0]);
        Assert.Equal(2f, file.Get<float>("b")[0]);
        Assert.Equal(0, file.Get<float>("e").Length);
        Assert.Equal("pt", file.Metadata["format"]);
        Assert.Equal(new SafetensorsEntry("b", "F32", [1], 4, 8).ToString(), file.Entry("b").ToString());
    }

    [Fact]
    public void F16_and_BF16_are_read_exactly()
    {
        byte[] data = [0x00, 0x3C, 0x00, 0xC0, 0xFF, 0x7B, 0x01, 0x00, /* bf16: */ 0x80, 0x3F, 0x00, 0xBF, 0x49, 0x40];
        var file = SafetensorsFile.Parse(Craft(
            "{\"h\":{\"dtype\":\"F16\",\"shape\":[2,2],\"data_offsets\":[0,8]},\"bf\":{\"dtype\":\"BF16\",\"shape\":[3],\"data_offsets\":[8,14]}}", data), "h");
        Assert.Equal([1.0, -2.0, 65504.0, Math.Pow(2, -24)], file.Get<double>("h").Data);
        Assert.Equal([2, 2], file.Get<float>("h").Shape);
        Assert.Equal([1.0f, -0.5f, 3.140625f], file.Get<float>("bf").Data);
        Assert.True(file.AllFinite());
    }

    [Fact]
    public void NaN_and_infinity_are_returned_and_AllFinite_reports_them()
    {
        var file = SafetensorsFile.Parse(Serialize([("ok", F([1, 2], 2)), ("nan", F([1, float.NaN], 2)), ("inf", F([float.NegativeInfinity], 1))]), "n");
        Assert.True(float.IsNaN(file.Get<float>("nan")[1]));
        Assert.Equal(float.NegativeInfinity, file.Get<float>("inf")[0]);
        Assert.True(file.AllFinite("ok"));
        Assert.False(file.AllFinite("nan"));
        Assert.False(file.AllFinite("inf"));
        Assert.False(file.AllFinite());

        byte[] halfInf = [0x00, 0x7C, 0x80, 0x7F];
        var h = SafetensorsFile.Parse(Craft("{\"h\":{\"dtype\":\"F16\",\"shape\":[1],\"data_offsets\":[0,2]},\"b\":{\"dtype\":\"BF16\",\"shape\":[1],\"data_offsets\":[2,4]}}", halfInf), "h");
        Assert.False(h.AllFinite("h"));
        Assert.False(h.AllFinite("b"));
        Assert.Equal(double.PositiveInfinity, h.Get<double>("h")[0]);

        var ints = SafetensorsFile.Parse(Craft("{\"i\":{\"dtype\":\"I64\",\"shape\":[1],\"data_offsets\":[0,8]}}", new byte[8]), "i");
        Assert.True(ints.AllFinite());
    }

    [Fact]
    public void Get_names_the_problem()
    {
        var file = SafetensorsFile.Parse(Craft("{\"i\":{\"dtype\":\"I32\",\"shape\":[1],\"data_offsets\":[0,4]},\"q\":{\"dtype\":\"F8_E4M3\",\"shape\":[1],\"data_offsets\":[4,5]}}", new byte[5]), "f.safetensors");
        Assert.Equal("f.safetensors: no tensor 'x'; the file has: i, q", Assert.Throws<BackpropException>(() => file.Get<float>("x")).Message);
        Assert.Equal("f.safetensors: tensor 'i': dtype I32 cannot be read as Single; supported: F32, F64, F16, BF16",
            Assert.Throws<BackpropException>(() => file.Get<float>("i")).Message);
        Assert.StartsWith("f.safetensors: tensor 'q': cannot check F8_E4M3 values", Assert.Throws<BackpropException>(() => file.AllFinite("q")).Message);
        Assert.Equal([1], file.Entry("q").Shape);
        Assert.Equal(4, file.Bytes("i").Length);
    }

    private const string W = "{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}";

    public static TheoryData<string, byte[], string> BrokenFiles() => new()
    {
        { "shorter than the length prefix", [1, 0, 0, 0, 0], "not a safetensors file: 5 bytes, too short for the 8-byte header length" },
        { "header over 100 MB", Craft(W, Le(1), headerLength: 100_000_001), "header length 100000001 is over the limit of 100000000 bytes (100 MB)" },
        { "header length 2^64 - 1", Craft(W, Le(1), headerLength: ulong.MaxValue), "header length 18446744073709551615 is over the limit" },
        { "header past the end of the file", Craft(W, Le(1), headerLength: 1000), "header length 1000 runs past the end of the file (68 bytes)" },
        { "invalid JSON", Craft("{\"w\": {\"dtype\": ", Le(1)), "header: invalid JSON at line 1" },
        { "invalid UTF-8", Concat(U64(8), [(byte)'{', (byte)'"', 0xFF, (byte)'"', (byte)':', (byte)'1', (byte)'}', (byte)' ']), "header: not valid UTF-8" },
        { "JSON nested too deep", Craft("{\"__metadata__\":{\"a\":" + new string('[', 20) + new string(']', 20) + "}}"), "header: invalid JSON" },
        { "not an object", Craft("[1, 2]"), "header: expected a JSON object, got a list" },
        { "empty header", Craft("", pad: false), "header: invalid JSON" },
        { "entry not an object", Craft("{\"w\": 3}"), "tensor 'w': expected an object with dtype, shape and data_offsets, got 3" },
        { "missing dtype", Craft("{\"w\":{\"shape\":[1],\"data_offsets\":[0,4]}}", Le(1)), "tensor 'w': missing field 'dtype'" },
        { "missing shape", Craft("{\"w\":{\"dtype\":\"F32\",\"data_offsets\":[0,4]}}", Le(1)), "tensor 'w': missing field 'shape'" },
        { "missing data_offsets", Craft("{\"w\":{\"dtype\":\"F32\",\"shape\":[1]}}", Le(1)), "tensor 'w': missing field 'data_offsets'" },
        { "dtype not a string", Craft("{\"w\":{\"dtype\":32,\"shape\":[1],\"data_offsets\":[0,4]}}", Le(1)), "tensor 'w': dtype: expected a string, got 32" },
        { "unknown dtype", Craft("{\"w\":{\"dtype\":\"F128\",\"shape\":[1],\"data_offsets\":[0,4]}}", Le(1)), "tensor 'w': dtype: unknown or unsupported dtype 'F128'; expected one of: BOOL, U8" },
        { "lower-case dtype", Craft("{\"w\":{\"dtype\":\"f32\",\"shape\":[1],\"data_offsets\":[0,4]}}", Le(1)), "tensor 'w': dtype: unknown or unsupported dtype 'f32'" },
        { "shape not a list", Craft("{\"w\":{\"dtype\":\"F32\",\"shape\":1,\"data_offsets\":[0,4]}}", Le(1)), "tensor 'w': shape: expected a list of dimensions, got 1" },
        { "negative dimension", Craft("{\"w\":{\"dtype\":\"F32\",\"shape\":[2,-1],\"data_offsets\":[0,4]}}", Le(1)), "tensor 'w': shape[1]: expected a non-negative integer, got -1" },
        { "fractional dimension", Craft("{\"w\":{\"dtype\":\"F32\",\"shape\":[1.5],\"data_offsets\":[0,4]}}", Le(1)), "tensor 'w': shape[0]: expected a non-negative integer, got 1.5" },
        { "dimension as a string", Craft("{\"w\":{\"dtype\":\"F32\",\"shape\":[\"1\"],\"data_offsets\":[0,4]}}", Le(1)), "tensor 'w': shape[0]: expected a non-negative integer, got the string \"1\"" },
        { "huge dimension", Craft("{\"w\":{\"dtype\":\"F32\",\"shape\":[4294967296],\"data_offsets\":[0,4]}}", Le(1)), "tensor 'w': shape[0]: dimension 4294967296 is too large (at most 2147483647)" },
        { "dimension beyond 64 bits", Craft("{\"w\":{\"dtype\":\"F32\",\"shape\":[99999999999999999999999],\"data_offsets\":[0,4]}}", Le(1)), "tensor 'w': shape[0]: expected a non-negative integer" },
        { "huge shape product", Craft("{\"w\":{\"dtype\":\"F32\",\"shape\":[2147483647,2147483647,2147483647,2147483647],\"data_offsets\":[0,4]}}", Le(1)),
            "tensor 'w': shape [2147483647, 2147483647, 2147483647, 2147483647] of F32 needs more than 4 bytes, but data_offsets [0,4] hold 4" },
        { "shape and offsets disagree", Craft("{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,4]}}", Le(1)), "tensor 'w': shape [2] of F32 needs 8 bytes, but data_offsets [0,4] hold 4" },
        { "dtype size and offsets disagree", Craft("{\"w\":{\"dtype\":\"F64\",\"shape\":[1],\"data_offsets\":[0,4]}}", Le(1)), "tensor 'w': shape [1] of F64 needs 8 bytes, but data_offsets [0,4] hold 4" },
        { "offsets not a pair", Craft("{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0]}}", Le(1)), "tensor 'w': data_offsets: expected [begin, end], got a list" },
        { "negative offset", Craft("{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[-4,0]}}", Le(1)), "tensor 'w': data_offsets[0]: expected a non-negative integer, got -4" },
        { "offset past the data", Craft("{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", Le(1)), "tensor 'w': data_offsets [0,8] out of range: the data after the header is 4 bytes" },
        { "huge offset", Craft("{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[18446744073709551612,18446744073709551615]}}", Le(1)), "tensor 'w': data_offsets [18446744073709551612,18446744073709551615] out of range" },
        { "begin after end", Craft("{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,0]}}", Le(1)), "tensor 'w': data_offsets [4,0]: begin is after end" },
        { "overlapping tensors", Craft("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", Le(1, 2)),
            "tensor 'b': data_offsets [4, 8] overlap tensor 'a' [0, 8]" },
        { "the same data twice", Craft("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", Le(1)),
            "data_offsets [0, 4] overlap tensor" },
        { "a gap between tensors", Craft("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,12]}}", Le(1, 2, 3)),
            "tensor 'b': data_offsets [8, 12] leave bytes [4, 8) of the data unused; tensors must be contiguous" },
        { "a gap at the start", Craft("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", Le(1, 2)), "tensor 'a': data_offsets [4, 8] leave bytes [0, 4) of the data unused" },
        { "bytes after the last tensor", Craft(W, Le(1, 2)), "bytes [4, 8) of the data belong to no tensor; tensors must cover the data exactly" },
        { "data but no tensors", Craft("{}", Le(1)), "bytes [0, 4) of the data belong to no tensor" },
        { "a name twice", Craft("{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", Le(1, 2)), "header: 'w' appears twice" },
        { "metadata not an object", Craft("{\"__metadata__\":[\"a\"]}"), "__metadata__: expected an object of strings, got a list" },
        { "metadata value not a string", Craft("{\"__metadata__\":{\"epoch\":3}}"), "__metadata__.epoch: expected a string, got 3" },
        { "metadata key twice", Craft("{\"__metadata__\":{\"k\":\"1\",\"k\":\"2\"}}"), "__metadata__: 'k' appears twice" },
    };

    [Theory]
    [MemberData(nameof(BrokenFiles))]
    public void A_broken_file_is_an_error_naming_the_file_and_the_place(string what, byte[] bytes, string expected)
    {
        var e = Assert.Throws<BackpropException>(() => SafetensorsFile.Parse(bytes, "bad.safetensors"));
        Assert.True(e.Message.StartsWith("bad.safetensors: ") && e.Message.Contains(expected), $"{what}: {e.Message}");

        // The same through a real file: the path starts the message.
        string path = PathOf("bad.safetensors");
        File.WriteAllBytes(path, bytes);
        e = Assert.Throws<BackpropException>(() => Safetensors.Read(path));
        Assert.True(e.Message.StartsWith(path + ": ") && e.Message.Contains(expected), $"{what}: {e.Message}");
    }

    [Fact]
    public void Valid_edge_cases_are_accepted()
    {
        Assert.Empty(SafetensorsFile.Parse(Craft("{}"), "e").Names);
        Assert.Empty(SafetensorsFile.Parse(Craft("{}", pad: false), "e").Names);
        // Unpadded header, whitespace around the JSON, unknown fields in an entry (ignored, as by the reference reader).
        var f = SafetensorsFile.Parse(Craft(" \n{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4],\"extra\":[1]}}\t", Le(7), pad: false), "e");
        Assert.Equal(7f, f.Get<float>("w")[0]);
        // A shape with a zero dimension holds no bytes whatever the other dimensions.
        var z = SafetensorsFile.Parse(Craft("{\"z\":{\"dtype\":\"F64\",\"shape\":[2147483647,0,2147483647],\"data_offsets\":[0,0]}}"), "e");
        Assert.Equal(0, z.Entry("z").ElementCount);
        Assert.Contains("is too large for a Tensor", Assert.Throws<BackpropException>(() => z.Get<double>("z")).Message);
    }

    [Fact]
    public void A_missing_file_is_an_error_naming_it()
    {
        string path = PathOf("nope.safetensors");
        var e = Assert.Throws<BackpropException>(() => Safetensors.Read(path));
        Assert.StartsWith($"{path}: cannot read the file:", e.Message);
    }
}
