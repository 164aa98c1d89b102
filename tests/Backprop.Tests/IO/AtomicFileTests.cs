using System.Text;
using Backprop.IO;

namespace Backprop.Tests.IO;

public sealed class AtomicFileTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("backprop-atomic-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string[] Files() => Directory.GetFiles(_dir).Select(Path.GetFileName).Order(StringComparer.Ordinal).ToArray()!;

    [Fact]
    public void WriteAllText_creates_and_replaces_the_file_without_leftovers()
    {
        string path = Path.Combine(_dir, "a.json");
        AtomicFile.WriteAllText(path, "first");
        Assert.Equal("first", File.ReadAllText(path));
        AtomicFile.WriteAllText(path, "second, longer, with ü");
        Assert.Equal("second, longer, with ü", File.ReadAllText(path));
        Assert.Equal(Encoding.UTF8.GetBytes("second, longer, with ü"), File.ReadAllBytes(path)); // no byte order mark
        Assert.Equal(["a.json"], Files());
    }

    [Fact]
    public void WriteAllBytes_writes_exactly_the_bytes()
    {
        string path = Path.Combine(_dir, "b.bin");
        byte[] bytes = [0, 1, 2, 255, 254];
        AtomicFile.WriteAllBytes(path, bytes);
        Assert.Equal(bytes, File.ReadAllBytes(path));
        AtomicFile.WriteAllBytes(path, ReadOnlySpan<byte>.Empty);
        Assert.Empty(File.ReadAllBytes(path));
        Assert.Equal(["b.bin"], Files());
    }

    [Fact]
    public void A_throwing_write_leaves_the_old_file_intact_and_no_temporary_file()
    {
        string path = Path.Combine(_dir, "model.safetensors");
        File.WriteAllText(path, "old content");
        var e = Assert.Throws<InvalidOperationException>(() => AtomicFile.Write(path, stream =>
        {
            stream.Write("new content that is never finish"u8);
            stream.Flush();
            throw new InvalidOperationException("crash in the middle");
        }));
        Assert.Equal("crash in the middle", e.Message);
        Assert.Equal("old content", File.ReadAllText(path));
        Assert.Equal(["model.safetensors"], Files());
    }

    [Fact]
    public void A_throwing_write_to_a_new_path_creates_nothing()
    {
        string path = Path.Combine(_dir, "new.bin");
        Assert.Throws<IOException>(() => AtomicFile.Write(path, stream => throw new IOException("disk full")));
        Assert.Empty(Files());
    }

    [Fact]
    public void The_write_action_may_dispose_the_stream()
    {
        string path = Path.Combine(_dir, "c.txt");
        AtomicFile.Write(path, stream =>
        {
            using var writer = new StreamWriter(stream);
            writer.Write("via a writer that closes its stream");
        });
        Assert.Equal("via a writer that closes its stream", File.ReadAllText(path));
        Assert.Equal(["c.txt"], Files());
    }

    [Fact]
    public void A_missing_directory_is_an_error_and_leaves_nothing()
    {
        string path = Path.Combine(_dir, "no-such-dir", "x.bin");
        // A BackpropException (exit code 2 in the CLI) naming the file and its folder, never the temporary file.
        var e = Assert.Throws<BackpropException>(() => AtomicFile.WriteAllText(path, "x"));
        Assert.Equal($"{path}: cannot write: the folder '{Path.GetDirectoryName(path)}' does not exist", e.Message);
        Assert.Empty(Files());
    }

    [Fact]
    public void Unix_permission_bits_of_the_old_file_are_kept()
    {
        if (OperatingSystem.IsWindows()) return;
        string path = Path.Combine(_dir, "d.txt");
        File.WriteAllText(path, "old");
        var mode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead;
        File.SetUnixFileMode(path, mode);
        AtomicFile.WriteAllText(path, "new");
        Assert.Equal("new", File.ReadAllText(path));
        Assert.Equal(mode, File.GetUnixFileMode(path));
    }
}
