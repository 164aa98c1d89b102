using System.IO.Compression;
using Backprop.IO;

namespace Backprop.Data;

/// <summary>
/// Opening data files: raw or gzip (recognised by the magic bytes 1f 8b, never by the name), with every I/O failure
/// turned into a <see cref="BackpropException"/> that names the file.
/// </summary>
internal static class DataInput
{
    /// <summary>The largest ratio of uncompressed to compressed size that deflate can reach (about 1032:1).</summary>
    public const long MaxDeflateRatio = 1032;

    private const int FileBufferSize = 1 << 16;

    /// <summary>
    /// Opens <paramref name="path"/> for sequential reading. When the file starts with the gzip magic the returned
    /// stream decompresses it. <paramref name="fileLength"/> is the length on disk (compressed length for gzip).
    /// </summary>
    public static Stream Open(string path, out bool gzip, out long fileLength)
    {
        FileKinds.CheckInput(path);
        FileStream file;
        try
        {
            file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, FileBufferSize, FileOptions.SequentialScan);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new BackpropException($"{path}: file not found");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            throw new BackpropException($"{path}: cannot open the file: {e.Message}");
        }

        try
        {
            fileLength = file.Length;
            Span<byte> magic = stackalloc byte[2];
            int n = file.ReadAtLeast(magic, 2, throwOnEndOfStream: false);
            file.Position = 0;
            gzip = n == 2 && magic[0] == 0x1f && magic[1] == 0x8b;
            return gzip ? new GZipStream(file, CompressionMode.Decompress, leaveOpen: false) : file;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or NotSupportedException)
        {
            file.Dispose();
            throw new BackpropException($"{path}: cannot read the file: {e.Message}");
        }
    }

    /// <summary>
    /// Reads until <paramref name="buffer"/> is full or the stream ends; returns the number of bytes read.
    /// Corrupt gzip data and I/O errors become <see cref="BackpropException"/>.
    /// </summary>
    public static int ReadUpTo(Stream stream, Span<byte> buffer, string path)
    {
        try
        {
            return stream.ReadAtLeast(buffer, buffer.Length, throwOnEndOfStream: false);
        }
        catch (InvalidDataException e)
        {
            throw new BackpropException($"{path}: corrupt gzip data: {e.Message}");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new BackpropException($"{path}: cannot read the file: {e.Message}");
        }
    }

    /// <summary>Counts (and discards) the bytes left in the stream.</summary>
    public static long CountRemaining(Stream stream, string path)
    {
        var scratch = new byte[FileBufferSize];
        long total = 0;
        int n;
        while ((n = ReadUpTo(stream, scratch, path)) > 0) total += n;
        return total;
    }

    /// <summary>
    /// Opens a text file (raw or gzip; UTF-8 with or without BOM) for reading whose lines may be at most
    /// <paramref name="maxLineLength"/> characters: a longer line, corrupt gzip data and I/O errors become a
    /// <see cref="BackpropException"/> naming the file.
    /// </summary>
    public static TextReader OpenText(string path, int maxLineLength)
    {
        var stream = Open(path, out _, out _);
        return new CheckedTextReader(new StreamReader(stream, System.Text.Encoding.UTF8, detectEncodingFromByteOrderMarks: true, bufferSize: FileBufferSize), path, maxLineLength);
    }

    /// <summary>Reads through a StreamReader, counting the characters since the last line break as they pass.</summary>
    private sealed class CheckedTextReader(StreamReader inner, string path, int maxLineLength) : TextReader
    {
        private long _lineLength;
        private long _lineNumber = 1;

        public override int Peek() => Guard(() => inner.Peek());

        public override int Read()
        {
            Span<char> one = stackalloc char[1];
            return Read(one) == 0 ? -1 : one[0];
        }

        public override int Read(char[] buffer, int index, int count) => Read(buffer.AsSpan(index, count));

        public override int Read(Span<char> buffer)
        {
            int n;
            try
            {
                n = inner.Read(buffer);
            }
            catch (InvalidDataException e)
            {
                throw new BackpropException($"{path}: corrupt gzip data: {e.Message}");
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new BackpropException($"{path}: cannot read the file: {e.Message}");
            }
            var read = buffer[..n];
            int last = read.LastIndexOfAny('\n', '\r');
            if (last < 0) _lineLength += n;
            else
            {
                _lineNumber += read.Count('\n');
                _lineLength = n - last - 1;
            }
            if (_lineLength > maxLineLength)
                throw new BackpropException($"{path}: line {_lineNumber} is longer than {maxLineLength:N0} characters; not a table of examples");
            return n;
        }

        private int Guard(Func<int> read)
        {
            try
            {
                return read();
            }
            catch (InvalidDataException e)
            {
                throw new BackpropException($"{path}: corrupt gzip data: {e.Message}");
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new BackpropException($"{path}: cannot read the file: {e.Message}");
            }
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing) inner.Dispose();
            base.Dispose(disposing);
        }
    }
}
