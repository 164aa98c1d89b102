using System.Globalization;
using System.Text;
using Backprop.Data;
using Backprop.Tests.Data;
using Xunit.Abstractions;

namespace Backprop.Tests.Fuzz;

/// <summary>
/// CsvReader on mutated CSV files, raw and gzip: byte edits and dictionary tokens (NaN, Infinity, 1e39, quotes,
/// commas, line breaks, a BOM) over valid files with numeric or text labels anywhere in the row.
/// </summary>
public sealed class CsvFuzzTests(ITestOutputHelper output) : IDisposable
{
    private readonly TempFiles _files = new();

    public void Dispose() => _files.Dispose();

    private static string ValidCsv(Rng rng)
    {
        int features = 1 + rng.NextInt(5), rows = 1 + rng.NextInt(8), labelAt = rng.NextInt(features + 1);
        bool textLabels = rng.NextInt(3) == 0, quoted = rng.NextInt(4) == 0;
        string newline = rng.NextInt(4) == 0 ? "\r\n" : "\n";
        var sb = new StringBuilder();
        if (rng.NextInt(8) == 0) sb.Append('\ufeff');
        string Cell(string s) => quoted ? $"\"{s}\"" : s;
        var header = new List<string>();
        for (int c = 0, f = 0; c <= features; c++) header.Add(Cell(c == labelAt ? "label" : $"f{f++}"));
        sb.Append(string.Join(",", header)).Append(newline);
        for (int r = 0; r < rows; r++)
        {
            var cells = new List<string>();
            for (int c = 0; c <= features; c++)
                cells.Add(c == labelAt
                    ? Cell(textLabels ? new[] { "cat", "dog", "a \"\"b\"\"" }[rng.NextInt(3)] : (rng.NextInt(4) - (rng.NextInt(5) == 0 ? 1 : 0)).ToString(CultureInfo.InvariantCulture))
                    : Cell((rng.NextDouble() * 200 - 100).ToString(rng.NextInt(2) == 0 ? "R" : "E3", CultureInfo.InvariantCulture)));
            sb.Append(string.Join(rng.NextInt(6) == 0 ? " , " : ",", cells)).Append(newline);
            if (rng.NextInt(10) == 0) sb.Append(newline);
        }
        return sb.ToString();
    }

    private static long DecompressedLength(byte[] file)
    {
        if (file.Length < 2 || file[0] != 0x1f || file[1] != 0x8b) return file.Length;
        long total = 0;
        try
        {
            using var gz = new System.IO.Compression.GZipStream(new MemoryStream(file), System.IO.Compression.CompressionMode.Decompress);
            var buffer = new byte[1 << 16];
            int n;
            while ((n = gz.Read(buffer)) > 0) total += n;
        }
        catch (Exception e) when (e is InvalidDataException or IOException)
        {
        }
        return total;
    }

    [Fact]
    public void Mutated_csv_files_are_read_or_refused()
    {
        var fuzz = new Fuzzer(output, "csv", defaultCases: 1000);
        var tokens = Mutator.Utf8(Mutator.TextTokens);
        for (int i = 0; i < fuzz.Count; i++)
        {
            var rng = fuzz.CaseRng(i);
            var bytes = Encoding.UTF8.GetBytes(ValidCsv(rng));
            bool valid = rng.NextInt(8) == 0;
            if (!valid) bytes = Mutator.Bytes(bytes, rng, 4, tokens);
            bool gzip = rng.NextInt(4) == 0;
            if (gzip)
            {
                bytes = TempFiles.Gzip(bytes);
                if (rng.NextInt(4) == 0) bytes = Mutator.Bytes(bytes, rng, 2);
            }
            string path = _files.Write("case.csv", bytes);
            // Lines become strings (2 bytes a character) in a 64 KB reader; labels become names in a dictionary
            // (at most a few dozen bytes each, one per row at worst, and a row takes at least 2 bytes); features become
            // 4-byte floats in an array that starts with room for up to 2²⁰ values (4 MB) and doubles. 64 per byte of
            // (decompressed) text and 8 MB cover all of it with room.
            long justified = Math.Max(bytes.Length, DecompressedLength(bytes));
            string what = (valid ? "valid" : "byte edits") + (gzip ? ", gzip" : "");
            fuzz.Run(i, what, bytes, 64 * justified + (8 << 20), () =>
            {
                var data = CsvReader.Read(path, "label");
                return data.Count > 0 && data.Features.Length == data.Count * data.ExampleSize
                    ? Fuzzer.Outcome.Ok
                    : throw new InvalidOperationException($"{data.Count} examples of {data.ExampleSize} but {data.Features.Length} values");
            });
        }
        fuzz.Finish();
    }
}
