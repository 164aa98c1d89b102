using System.Buffers.Binary;
using System.Text;
using System.Text.Json.Nodes;
using Backprop.IO;
using Backprop.Models;
using Backprop.Tensors;
using Backprop.Tests.Data;
using Xunit.Abstractions;

namespace Backprop.Tests.Fuzz;

/// <summary>
/// SafetensorsFile and Safetensors.LoadModel on mutated files: byte edits anywhere; headers edited as JSON (shapes
/// with huge, negative or fractional dimensions, offsets out of range or reversed, unknown dtypes, metadata of the
/// wrong type, deep nesting) and rewritten with their true length or a lying one; the architecture in a model
/// file's metadata edited too.
/// </summary>
public sealed class SafetensorsFuzzTests(ITestOutputHelper output) : IDisposable
{
    private readonly TempFiles _files = new();

    public void Dispose() => _files.Dispose();

    private static byte[] Serialize<T>(IReadOnlyList<(string, Tensor<T>)> tensors, IReadOnlyDictionary<string, string>? metadata)
        where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        using var stream = new MemoryStream();
        Safetensors.Write(stream, tensors, metadata);
        return stream.ToArray();
    }

    /// <summary>A valid file of F32 or F64 tensors, or of other dtypes built by hand (F16, BF16, I64, BOOL).</summary>
    private static byte[] ValidFile(Rng rng)
    {
        int count = rng.NextInt(4);
        var metadata = rng.NextInt(2) == 0 ? null : new Dictionary<string, string> { ["format"] = "pt", ["note"] = "x" };
        if (rng.NextInt(3) > 0)
        {
            var tensors = new List<(string, Tensor<float>)>();
            for (int t = 0; t < count; t++)
            {
                var shape = new int[rng.NextInt(4)];
                for (int d = 0; d < shape.Length; d++) shape[d] = rng.NextInt(4);
                var values = new float[Tensor.SizeOf(shape)];
                for (int k = 0; k < values.Length; k++) values[k] = (float)rng.Normal();
                if (values.Length > 0 && rng.NextInt(6) == 0) values[0] = float.NaN;
                tensors.Add(($"{t}.weight", new Tensor<float>(values, shape)));
            }
            if (rng.NextInt(2) == 0) return Serialize(tensors, metadata);
            return Serialize(tensors.Select(t => (t.Item1, t.Item2.Cast<double>())).ToList(), metadata);
        }
        // Hand-built: dtypes the writer does not produce.
        var header = new JsonObject();
        if (metadata is not null) header["__metadata__"] = new JsonObject { ["format"] = "pt" };
        var data = new List<byte>();
        string[] dtypes = ["F16", "BF16", "I64", "BOOL", "U8", "F32"];
        for (int t = 0; t < count; t++)
        {
            string dtype = dtypes[rng.NextInt(dtypes.Length)];
            int n = rng.NextInt(5);
            int size = SafetensorsFile.DtypeSizes[dtype];
            header[$"t{t}"] = new JsonObject { ["dtype"] = dtype, ["shape"] = new JsonArray(n), ["data_offsets"] = new JsonArray(data.Count, data.Count + n * size) };
            for (int k = 0; k < n * size; k++) data.Add((byte)rng.NextInt(256));
        }
        return WithHeader(Encoding.UTF8.GetBytes(header.ToJsonString()), [.. data], lie: null);
    }

    private static byte[] WithHeader(byte[] header, byte[] data, ulong? lie)
    {
        var bytes = new byte[8 + header.Length + data.Length];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, lie ?? (ulong)header.Length);
        header.CopyTo(bytes, 8);
        data.CopyTo(bytes, 8 + header.Length);
        return bytes;
    }

    /// <summary>Edits the header as JSON, keeping the data; the length prefix tells the truth or, sometimes, lies.</summary>
    private static byte[] EditHeader(byte[] file, Rng rng)
    {
        ulong length = BinaryPrimitives.ReadUInt64LittleEndian(file);
        string header = Encoding.UTF8.GetString(file, 8, (int)length);
        var data = file[(8 + (int)length)..];
        string edited = Mutator.Json(header, rng, 3);
        ulong? lie = rng.NextInt(6) == 0 ? (ulong)Mutator.InterestingIntegers[rng.NextInt(Mutator.InterestingIntegers.Length)] : null;
        return WithHeader(Encoding.UTF8.GetBytes(edited), data, lie);
    }

    [Fact]
    public void Mutated_safetensors_files_are_read_or_refused()
    {
        var fuzz = new Fuzzer(output, "safetensors", defaultCases: 1200);
        var tokens = Mutator.Utf8(Mutator.TextTokens);
        for (int i = 0; i < fuzz.Count; i++)
        {
            var rng = fuzz.CaseRng(i);
            var bytes = ValidFile(rng);
            int kind = rng.NextInt(5);
            if (kind is 1 or 2) bytes = EditHeader(bytes, rng);
            else if (kind >= 3) bytes = Mutator.Bytes(bytes, rng, 4, tokens, binaryFields: true);
            string path = _files.Write("case.safetensors", bytes);
            // The file is read once (header, its parsed JSON at about 6 bytes a header byte, every tensor's bytes);
            // each tensor is then converted to float and to double: 4 times its bytes at most (BF16 to double).
            fuzz.Run(i, kind == 0 ? "valid" : kind <= 2 ? "header edits" : "byte edits", bytes, 16L * bytes.Length + (1 << 20), () =>
            {
                var file = SafetensorsFile.Read(path);
                foreach (string name in file.Names)
                {
                    try
                    {
                        var f = file.Get<float>(name);
                        var d = file.Get<double>(name);
                        if (f.Length != file.Entry(name).ElementCount || d.Length != f.Length)
                            throw new InvalidOperationException($"'{name}': {file.Entry(name).ElementCount} elements declared, {f.Length} read");
                        file.AllFinite(name);
                    }
                    catch (BackpropException e) when (e.Message.IndexOfAny(['\n', '\r']) < 0)
                    {
                        // Refusing one tensor (an integer dtype as float) is fine; the others are still tried.
                    }
                }
                return Fuzzer.Outcome.Ok;
            });
        }
        fuzz.Finish();
    }

    private const string ModelJson = """
        {"input": [1, 4, 4], "layers": [
          {"type": "conv2d", "out_channels": 2, "kernel_size": 2}, {"type": "relu"}, {"type": "maxpool2d", "kernel_size": 3},
          {"type": "flatten"}, {"type": "linear", "out": 3}, {"type": "softmax"}]}
        """;

    [Fact]
    public void Mutated_model_weights_files_are_loaded_or_refused()
    {
        var fuzz = new Fuzzer(output, "safetensors-model", defaultCases: 600);
        var model = ModelFile.Build<float>(ModelFile.Parse(ModelJson, "model"), "model");
        string original = Path.Combine(_files.Directory, "model.safetensors");
        Safetensors.SaveModel(original, model);
        var valid = File.ReadAllBytes(original);
        var tokens = Mutator.Utf8(Mutator.TextTokens);
        for (int i = 0; i < fuzz.Count; i++)
        {
            var rng = fuzz.CaseRng(i);
            byte[] bytes;
            int kind = rng.NextInt(3);
            if (kind == 0)
            {
                // The architecture in the metadata, edited as JSON (a model file inside a JSON string).
                ulong length = BinaryPrimitives.ReadUInt64LittleEndian(valid);
                var header = JsonNode.Parse(Encoding.UTF8.GetString(valid, 8, (int)length))!.AsObject();
                var meta = header["__metadata__"]!.AsObject();
                meta[Safetensors.ModelMetadataKey] = Mutator.Json((string)meta[Safetensors.ModelMetadataKey]!, rng, 2);
                bytes = WithHeader(Encoding.UTF8.GetBytes(header.ToJsonString()), valid[(8 + (int)length)..], null);
            }
            else bytes = kind == 1 ? EditHeader(valid, rng) : Mutator.Bytes(valid, rng, 4, tokens, binaryFields: true);
            string path = _files.Write("case.safetensors", bytes);
            // As above, plus the model built from the architecture: a value and a gradient for every parameter,
            // which must match the file's tensors, so 8 bytes of float per parameter, at most 4 per byte of F16 data.
            fuzz.Run(i, kind == 0 ? "architecture edits" : kind == 1 ? "header edits" : "byte edits", bytes, 32L * bytes.Length + (4 << 20), () =>
            {
                Safetensors.LoadModel<float>(path);
                return Fuzzer.Outcome.Ok;
            });
        }
        fuzz.Finish();
    }
}
