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
/// The rename replaces the directory entry: a symbolic link at <c>path</c> is replaced by a regular file, and hard
/// links to the old file keep the old content. On Unix the old file's permission bits are carried over.
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
    /// </summary>
    public static void Write(string path, Action<Stream> write)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(write);
        string full = Path.GetFullPath(path);
        string temp = full + ".tmp-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8));
        try
        {
            using (var file = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
            {
                if (!OperatingSystem.IsWindows() && File.Exists(full))
                    File.SetUnixFileMode(file.SafeFileHandle, File.GetUnixFileMode(full));
                write(new KeepOpenStream(file));
                file.Flush(flushToDisk: true);
            }
            File.Move(temp, full, overwrite: true);
        }
        catch
        {
            try
            {
                File.Delete(temp);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // The original exception matters more than a leftover temporary file.
            }
            throw;
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
