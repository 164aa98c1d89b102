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
        Assert.Equal($"{path}: cannot write the file: the folder '{Path.GetDirectoryName(path)}' does not exist", e.Message);
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

    [Fact]
    public void Stale_temporary_files_are_removed_only_when_their_writer_is_gone()
    {
        string path = Path.Combine(_dir, "checkpoint.safetensors");
        var old = DateTime.UtcNow.AddHours(-2);
        string Temp(string suffix, DateTime written)
        {
            string temp = path + ".tmp-" + suffix;
            File.WriteAllText(temp, "partial");
            File.SetLastWriteTimeUtc(temp, written);
            return temp;
        }
        string deadWriter = Temp("999999999-00112233aabbccdd", old);               // a killed run: removed
        string liveWriter = Temp($"{Environment.ProcessId}-00112233aabbccdd", old); // a running writer: kept
        string recent = Temp("999999999-ffeeddccbbaa9988", DateTime.UtcNow);        // written just now: kept
        string olderVersion = Temp("0123456789abcdef", old);                        // no PID, two hours old: removed
        string otherTarget = Path.Combine(_dir, "model.safetensors.tmp-999999999-00112233aabbccdd");
        File.WriteAllText(otherTarget, "not ours");
        File.SetLastWriteTimeUtc(otherTarget, old);

        AtomicFile.WriteAllText(path, "new");
        Assert.Equal("new", File.ReadAllText(path));
        Assert.False(File.Exists(deadWriter));
        Assert.False(File.Exists(olderVersion));
        Assert.True(File.Exists(liveWriter));
        Assert.True(File.Exists(recent));
        Assert.True(File.Exists(otherTarget));
    }

    [Fact]
    public void A_folder_or_an_empty_name_is_refused_before_anything_is_written()
    {
        string folder = Directory.CreateDirectory(Path.Combine(_dir, "folder.json")).FullName;
        var e = Assert.Throws<BackpropException>(() => AtomicFile.WriteAllText(folder, "x"));
        Assert.Equal($"{folder}: cannot write the file: it is a folder, not a file", e.Message);
        Assert.Equal("--out: expected a file name, got ''", Assert.Throws<BackpropException>(() => AtomicFile.CheckTarget("", "--out")).Message);
        Assert.Equal(["folder.json"], Directory.GetFileSystemEntries(_dir).Select(Path.GetFileName));
    }

    [Fact]
    public void A_symbolic_link_keeps_pointing_at_the_replaced_file()
    {
        if (OperatingSystem.IsWindows()) return;
        string real = Path.Combine(_dir, "real.json"), link = Path.Combine(_dir, "link.json");
        File.WriteAllText(real, "old");
        File.CreateSymbolicLink(link, "real.json"); // relative, as ln -s makes them
        AtomicFile.WriteAllText(link, "new");
        Assert.Equal("new", File.ReadAllText(real));
        Assert.Equal("real.json", new FileInfo(link).LinkTarget);
        Assert.Equal(["link.json", "real.json"], Files());
    }
}
