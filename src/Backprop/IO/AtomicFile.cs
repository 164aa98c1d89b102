using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Backprop.IO;

/// <summary>
/// Replaces a file all at once: the new content goes to a temporary file next to it (same directory, so the same
/// file system), is flushed to disk, and is then renamed over the old file. A crash or an exception in the middle of
/// writing leaves the old file as it was (and no temporary file behind, except after a hard crash); readers see
/// either the old file or the complete new one, never a half-written one.
/// </summary>
/// <remarks>
/// Only a regular file is replaced: a folder, a device, a FIFO or a socket at <c>path</c> is refused (see
/// <see cref="CheckTarget"/>). A symbolic link is followed: the file it points to is replaced (the temporary file is
/// made beside that file) and the link stays a link. Hard links to the old file keep the old content. On Unix the old
/// file's permission bits are carried over. A writer killed mid-write leaves its temporary file
/// (<c>TARGET.tmp-PID-RANDOM</c>); the next write of the same target removes it once its writer is gone.
/// </remarks>
public static class AtomicFile
{
    /// <summary>Writes <paramref name="text"/> as UTF-8 (without a byte order mark).</summary>
    public static void WriteAllText(string path, string text) =>
        Write(path, stream =>
        {
            using var writer = new StreamWriter(stream, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false), 1 << 16, leaveOpen: true);
            writer.Write(text);
        });

    /// <summary>Writes <paramref name="bytes"/>.</summary>
    public static void WriteAllBytes(string path, ReadOnlySpan<byte> bytes)
    {
        // A span cannot be captured by the lambda: copy it once (the file is about to hold it anyway).
        byte[] copy = bytes.ToArray();
        Write(path, stream => stream.Write(copy));
    }

    /// <summary>
    /// Calls <paramref name="write"/> with a stream on a new temporary file, then flushes it to disk and renames it to
    /// <paramref name="path"/>. If <paramref name="write"/> throws, the temporary file is deleted, <paramref name="path"/>
    /// is left untouched and the exception propagates. Disposing the stream inside <paramref name="write"/> is harmless.
    /// A target that cannot be replaced (see <see cref="CheckTarget"/>) and a file system error are a
    /// <see cref="BackpropException"/> naming <paramref name="path"/>, never the temporary file.
    /// </summary>
    public static void Write(string path, Action<Stream> write)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(write);
        string target = Resolve(path, option: null);
        RemoveStaleTemporaryFiles(target);
        string temp = target + TempMarker + Environment.ProcessId.ToString(CultureInfo.InvariantCulture) + "-"
            + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8));
        try
        {
            using (var file = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
            {
                if (!OperatingSystem.IsWindows() && File.Exists(target))
                    File.SetUnixFileMode(file.SafeFileHandle, File.GetUnixFileMode(target));
                write(new KeepOpenStream(file));
                file.Flush(flushToDisk: true);
            }
            File.Move(temp, target, overwrite: true);
        }
        catch (Exception e)
        {
            try
            {
                File.Delete(temp);
            }
            catch (Exception cleanup) when (cleanup is IOException or UnauthorizedAccessException)
            {
                // The original exception matters more than a leftover temporary file.
            }
            // .NET's message names the temporary file ("Could not find a part of the path '...x.png.tmp-...'").
            if (e is IOException or UnauthorizedAccessException && e.Message.Contains(temp, StringComparison.Ordinal))
                throw new BackpropException($"{path}: cannot write the file: {e.Message.Replace(temp, path)}");
            throw;
        }
    }

    /// <summary>
    /// Checks, before any work is done, that <see cref="Write"/> can replace <paramref name="path"/>: a non-empty name
    /// whose folder exists, naming a regular file or nothing yet. A folder, a device, a FIFO or a socket is refused
    /// (renaming over <c>/dev/null</c> would replace the device); a symbolic link is followed (the file it points to
    /// is replaced and the link stays) and refused when it leads nowhere or to such a file. The message starts with
    /// <paramref name="option"/> when given ("--plot: cannot write '/nonexistent/x.png': the folder '/nonexistent' does
    /// not exist"), with the path otherwise.
    /// </summary>
    public static void CheckTarget(string path, string? option = null) => Resolve(path, option);

    /// <summary>The full path of the regular file that writing <paramref name="path"/> replaces or creates.</summary>
    private static string Resolve(string path, string? option)
    {
        if (string.IsNullOrWhiteSpace(path))
            throw new BackpropException($"{option ?? "output"}: expected a file name, got {(path is null ? "none" : $"'{path}'")}");
        string full, target;
        try
        {
            full = target = Path.GetFullPath(path);
            if (FileKinds.Of(full, followLinks: false) == FileKind.SymbolicLink)
                target = File.ResolveLinkTarget(full, returnFinalTarget: true)?.FullName ?? full;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            throw Refused(path, option, e.Message);
        }
        var kind = FileKinds.Of(target, followLinks: false);
        string what = target == full ? "it" : $"it is a symbolic link to '{target}', which";
        switch (kind)
        {
            case FileKind.RegularFile:
                return target;
            case FileKind.Directory:
                throw Refused(path, option, $"{what} is a folder, not a file");
            case FileKind.Missing:
                if (target != full) throw Refused(path, option, $"{what} does not exist (a symbolic link that leads nowhere is not followed)");
                string folder = Path.GetDirectoryName(target) ?? target;
                var folderKind = FileKinds.Of(folder);
                if (folderKind == FileKind.Directory) return target;
                throw Refused(path, option, folderKind == FileKind.Missing ? $"the folder '{folder}' does not exist" : $"'{folder}' is not a folder");
            default:
                throw Refused(path, option, $"{what} is {FileKinds.Describe(kind)}, not a regular file; only a regular file is replaced");
        }
    }

    private static BackpropException Refused(string path, string? option, string reason) =>
        new(option is null ? $"{path}: cannot write the file: {reason}" : $"{option}: cannot write '{path}': {reason}");

    /// <summary>Temporary files are named TARGET.tmp-PID-RANDOM (PID: the writing process).</summary>
    private const string TempMarker = ".tmp-";

    /// <summary>A temporary file is left alone while it is younger than this, whoever wrote it.</summary>
    private static readonly TimeSpan StaleAfter = TimeSpan.FromMinutes(1);

    /// <summary>A temporary file without a process id in its name (older versions) is removed once it is this old.</summary>
    private static readonly TimeSpan StaleWithoutOwnerAfter = TimeSpan.FromHours(1);

    /// <summary>
    /// Deletes the temporary files of <paramref name="target"/> that a killed writer left: those not written for a
    /// minute whose writer (the process id in the name) is no longer running, and those without a process id older than
    /// an hour. Temporary files of other targets are never touched; failures are ignored.
    /// </summary>
    private static void RemoveStaleTemporaryFiles(string target)
    {
        string? folder = Path.GetDirectoryName(target);
        string prefix = Path.GetFileName(target) + TempMarker;
        if (folder is null) return;
        try
        {
            foreach (string file in Directory.EnumerateFiles(folder, "*" + TempMarker + "*"))
            {
                string name = Path.GetFileName(file);
                if (!name.StartsWith(prefix, StringComparison.Ordinal)) continue;
                if (IsStale(file, name[prefix.Length..], DateTime.UtcNow)) File.Delete(file);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Cleaning up is a courtesy: it never stops a write.
        }
    }

    private static bool IsStale(string file, string suffix, DateTime now)
    {
        var age = now - File.GetLastWriteTimeUtc(file);
        if (age < StaleAfter) return false;
        int dash = suffix.IndexOf('-');
        if (dash > 0 && int.TryParse(suffix.AsSpan(0, dash), NumberStyles.None, CultureInfo.InvariantCulture, out int pid))
            return !IsRunning(pid);
        return age > StaleWithoutOwnerAfter;
    }

    private static bool IsRunning(int pid)
    {
        if (pid == Environment.ProcessId) return true;
        if (OperatingSystem.IsLinux() && Directory.Exists("/proc/self")) return Directory.Exists($"/proc/{pid}");
        try
        {
            using var process = System.Diagnostics.Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException)
        {
            return false;
        }
    }

    /// <summary>Passes everything to the file stream except Dispose, so that AtomicFile can still flush and close it.</summary>
    private sealed class KeepOpenStream(FileStream inner) : Stream
    {
        public override bool CanRead => false;
        public override bool CanSeek => inner.CanSeek;
        public override bool CanWrite => inner.CanWrite;
        public override long Length => inner.Length;

        public override long Position
        {
            get => inner.Position;
            set => inner.Position = value;
        }

        public override void Flush() => inner.Flush();
        public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => inner.Seek(offset, origin);
        public override void SetLength(long value) => inner.SetLength(value);
        public override void Write(byte[] buffer, int offset, int count) => inner.Write(buffer, offset, count);
        public override void Write(ReadOnlySpan<byte> buffer) => inner.Write(buffer);
        public override void WriteByte(byte value) => inner.WriteByte(value);

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            inner.WriteAsync(buffer, offset, count, cancellationToken);

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) =>
            inner.WriteAsync(buffer, cancellationToken);

        protected override void Dispose(bool disposing)
        {
            // The file stays open: AtomicFile flushes it to disk and closes it.
        }
    }
}
