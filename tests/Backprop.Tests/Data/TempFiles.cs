using System.Buffers.Binary;
using System.IO.Compression;

namespace Backprop.Tests.Data;

/// <summary>A temporary directory for files the tests write, deleted on dispose; plus IDX/gzip builders.</summary>
public sealed class TempFiles : IDisposable
{
    public TempFiles()
    {
        Directory = Path.Combine(Path.GetTempPath(), "backprop-data-tests-" + Guid.NewGuid().ToString("N"));
        System.IO.Directory.CreateDirectory(Directory);
    }

    public string Directory { get; }

    public string Write(string name, byte[] bytes)
    {
        string path = Path.Combine(Directory, name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    public string WriteText(string name, string text) => Write(name, System.Text.Encoding.UTF8.GetBytes(text));

    public void Dispose()
    {
        try { System.IO.Directory.Delete(Directory, recursive: true); }
        catch (IOException) { }
    }

    /// <summary>An IDX file: magic 00 00 type dims, the sizes big-endian, then the payload.</summary>
    public static byte[] Idx(byte type, int[] shape, byte[] payload)
    {
        var bytes = new byte[4 + 4 * shape.Length + payload.Length];
        bytes[2] = type;
        bytes[3] = (byte)shape.Length;
        for (int d = 0; d < shape.Length; d++) BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(4 + 4 * d), shape[d]);
        payload.CopyTo(bytes, 4 + 4 * shape.Length);
        return bytes;
    }

    /// <summary>An unsigned-byte IDX file with the given shape and values.</summary>
    public static byte[] IdxBytes(int[] shape, params byte[] values) => Idx(0x08, shape, values);

    public static byte[] Gzip(byte[] bytes)
    {
        using var output = new MemoryStream();
        using (var gz = new GZipStream(output, CompressionLevel.Optimal, leaveOpen: true)) gz.Write(bytes);
        return output.ToArray();
    }
}
