using System.Buffers.Binary;
using System.Text;
using System.Text.Json.Nodes;
using Backprop.IO;
using Backprop.Models;
using Backprop.Tests.Data;

namespace Backprop.Tests.Interop;

/// <summary>Safetensors.LoadModel trusts the architecture in the metadata only as far as the tensors back it.</summary>
public sealed class SafetensorsLoadModelTests : IDisposable
{
    private readonly TempFiles _files = new();

    public void Dispose() => _files.Dispose();

    /// <summary>A model file whose metadata names another architecture, with the same tensors.</summary>
    private string WithArchitecture(string architecture)
    {
        string path = Path.Combine(_files.Directory, "model.safetensors");
        var model = ModelFile.Build<float>(ModelFile.Parse("""{"input": [100], "layers": [{"type": "linear", "out": 2}]}""", "m"), "m");
        Safetensors.SaveModel(path, model);
        var bytes = File.ReadAllBytes(path);
        int length = (int)BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        var header = JsonNode.Parse(Encoding.UTF8.GetString(bytes, 8, length))!.AsObject();
        header["__metadata__"]![Safetensors.ModelMetadataKey] = architecture;
        var json = Encoding.UTF8.GetBytes(header.ToJsonString());
        var edited = new byte[8 + json.Length + bytes.Length - 8 - length];
        BinaryPrimitives.WriteUInt64LittleEndian(edited, (ulong)json.Length);
        json.CopyTo(edited, 8);
        bytes.AsSpan(8 + length).CopyTo(edited.AsSpan(8 + json.Length));
        File.WriteAllBytes(path, edited);
        return path;
    }

    /// <summary>
    /// Bug (found by the fuzzer): LoadModel built the model its metadata describes before comparing it with the
    /// tensors, so an 800-byte file whose architecture said "linear, out 16777216" allocated gigabytes (13 GB here)
    /// before the mismatch was reported. The architecture is now checked against the tensors first.
    /// </summary>
    [Fact]
    public void An_architecture_larger_than_the_tensors_is_refused_before_anything_is_built()
    {
        Safetensors.LoadModel<float>(WithArchitecture("""{"input": [100], "layers": [{"type": "linear", "out": 2}]}""")); // warm up
        string path = WithArchitecture("""{"input": [100], "layers": [{"type": "linear", "out": 16777216}]}""");
        long before = GC.GetAllocatedBytesForCurrentThread();
        var e = Assert.Throws<BackpropException>(() => Safetensors.LoadModel<float>(path));
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 1_000_000);
        Assert.Equal($"{path}: the tensors do not match the model's parameters: '0.weight' is [2, 100] in the file but [16777216, 100] in the model; '0.bias' is [2] in the file but [16777216] in the model", e.Message);
    }

    [Fact]
    public void The_architecture_it_describes_loads()
    {
        var model = Safetensors.LoadModel<double>(WithArchitecture("""{"input": [100], "layers": [{"type": "linear", "out": 2}, {"type": "relu"}]}"""));
        Assert.Equal(2, model.Layers.Count);
    }
}
