using System.Diagnostics;
using Backprop.Cli;
using Backprop.IO;
using Backprop.Tests.Support;
using Backprop.Tests.Visualization;
using Backprop.Training;
using Backprop.Visualization;
using SkiaSharp;

using Backprop.Runs;

namespace Backprop.Tests.Cli;

/// <summary>
/// Issue 15 (files and paths), end to end through the CLI: every writer refuses a special file as its target and
/// leaves it as it was; output folders are checked before the work; conflicting options are refused; the PNG reader
/// refuses a lying header and a truncated file; graph never hands its path to dot. Each reproduction of the issue is a
/// test. Special files are made in the test's own temporary folder, never elsewhere.
/// </summary>
public sealed class FilesAndPathsTests(DreamModelFixture models) : IClassFixture<DreamModelFixture>, IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("backprop-paths-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Run => models.Dir(DreamModelFixture.Plain);

    /// <summary>Runs the CLI and checks the contract for bad input: exit code 2, one "error: " line, nothing on stdout.</summary>
    private static string Refused(params string[] args)
    {
        var (code, stdout, stderr) = BadInputTests.Run(args);
        string context = $"backprop {string.Join(' ', args)}\nstdout: {stdout}\nstderr: {stderr}";
        Assert.True(code == ExitCodes.BadInput, $"exit code {code}\n{context}");
        Assert.True(stdout.Length == 0, context);
        Assert.Matches("^error: [^\n]*\n$", stderr);
        Assert.DoesNotContain(".tmp-", stderr);
        return stderr;
    }

    /// <summary>Every command that writes a file, with {out} for the file (of the given extension) and the option naming it.</summary>
    private string[][] Writers(string dir) =>
    [
        ["export", "--model", Run, "--out", "{out}.onnx"],
        ["eval", "--model", Run, "--dataset", models.Dataset, "--plot", "{out}.png"],
        ["dream", "--model", Run, "--class", "0", "--steps", "2", "--octaves", "1", "--out", "{out}.png"],
        ["plot", "activations", "--out", "{out}.png"],
        ["graph", "--expr", "w = x * 2", "--at", "x=1", "--out", "{out}.svg"],
        ["graph", "--expr", "w = x * 2", "--at", "x=1", "--out", "{out}.dot"],
        ["gradflow", "--example", "seed003", "--plot", "{out}.png"],
    ];

    [Fact]
    public void Every_writer_refuses_a_special_file_as_its_target_and_leaves_it_as_it_was()
    {
        foreach (var writer in Writers(_dir))
        {
            string extension = Path.GetExtension(writer[^1]);
            string dir = Directory.CreateDirectory(Path.Combine(_dir, writer[0] + extension)).FullName;
            var specials = SpecialFiles.All(dir, extension);
            Assert.NotEmpty(specials);
            foreach (var (kind, path) in specials)
            {
                var before = FileKinds.Of(path);
                string option = writer[^2];
                string stderr = Refused([.. writer[..^1], path]);
                Assert.Contains($"error: {option}: cannot write '{path}'", stderr);
                Assert.Contains("not a regular file", stderr);
                Assert.Equal(before, FileKinds.Of(path));
            }
            Assert.Empty(Directory.GetFiles(dir, "*.tmp-*"));
        }
    }

    /// <summary>The reproduction: export --out dev/mynull (a character device 1,3) and --out dev/fifo.onnx.</summary>
    [Fact]
    public void Export_refuses_a_device_and_a_fifo()
    {
        string dev = Directory.CreateDirectory(Path.Combine(_dir, "dev")).FullName;
        var targets = new[] { SpecialFiles.NullDevice(Path.Combine(dev, "mynull")), SpecialFiles.Fifo(Path.Combine(dev, "fifo.onnx")) };
        foreach (string? target in targets.Where(t => t is not null))
        {
            var kind = FileKinds.Of(target!);
            Assert.Contains("not a regular file; only a regular file is replaced", Refused("export", "--model", Run, "--format", "onnx", "--out", target!));
            Assert.Equal(kind, FileKinds.Of(target!));
        }
    }

    [Fact]
    public void A_symbolic_link_is_followed_to_a_regular_file_and_refused_to_a_special_or_missing_one()
    {
        if (OperatingSystem.IsWindows()) return;
        string real = Path.Combine(_dir, "real.onnx"), link = Path.Combine(_dir, "link.onnx");
        File.WriteAllText(real, "old");
        File.CreateSymbolicLink(link, real);
        var (code, _, stderr) = BadInputTests.Run(["export", "--model", Run, "--out", link]);
        Assert.True(code == 0, stderr);
        Assert.Equal(FileKind.SymbolicLink, FileKinds.Of(link, followLinks: false));
        Assert.True(new FileInfo(real).Length > 100);

        string toFifo = Path.Combine(_dir, "to-fifo.onnx"), dangling = Path.Combine(_dir, "dangling.onnx");
        if (SpecialFiles.Fifo(Path.Combine(_dir, "fifo")) is string fifo)
        {
            File.CreateSymbolicLink(toFifo, fifo);
            Assert.Contains($"it is a symbolic link to '{fifo}', which is a FIFO (named pipe), not a regular file", Refused("export", "--model", Run, "--out", toFifo));
            Assert.Equal(FileKind.Fifo, FileKinds.Of(fifo));
        }
        File.CreateSymbolicLink(dangling, Path.Combine(_dir, "nowhere", "x.onnx"));
        Assert.Contains("which does not exist", Refused("export", "--model", Run, "--out", dangling));
    }

    /// <summary>Finding 16: the folder is checked before the work, and the message names the option, not a temporary file.</summary>
    [Theory]
    [InlineData("eval --model {run} --dataset {data} --plot /nonexistent/x.png", "--plot")]
    [InlineData("dream --model {run} --class 0 --out /nonexistent/x.png", "--out")]
    [InlineData("gradflow --example seed003 --plot /nonexistent/x.png", "--plot")]
    [InlineData("plot activations --out /nonexistent/x.png", "--out")]
    [InlineData("export --model {run} --out /nonexistent/x.onnx", "--out")]
    [InlineData("graph --expr w=x --at x=1 --out /nonexistent/x.svg", "--out")]
    public void A_missing_output_folder_is_named_with_its_option_before_the_work(string command, string option)
    {
        var args = command.Replace("{run}", Run).Replace("{data}", models.Dataset).Split(' ');
        var watch = Stopwatch.StartNew();
        string stderr = Refused(args);
        Assert.StartsWith($"error: {option}: cannot write '{args[^1]}': the folder '/nonexistent' does not exist", stderr);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(5), $"took {watch.Elapsed}");
    }

    [Fact]
    public void Train_out_must_be_a_folder_name()
    {
        string file = Path.Combine(_dir, "AFILE");
        File.WriteAllText(file, "x");
        Assert.Equal("error: --out: expected a folder name, got ''\n", Refused("train", "--out", ""));
        Assert.Equal($"error: --out: '{file}' is a file, not a directory\n", Refused("train", "--out", file));
        Assert.Contains($"error: --out: cannot create the directory '{file}/run': '{file}' is a file, not a directory", Refused("train", "--out", Path.Combine(file, "run")));
        if (SpecialFiles.Fifo(Path.Combine(_dir, "fifo")) is string fifo)
            Assert.Contains("is a FIFO (named pipe), not a directory", Refused("train", "--out", fifo));
        // The experiments' --out folder is checked the same way.
        Assert.Contains($"error: --out: '{file}' is a file, not a directory", Refused("experiment", "gradient-flow", "--out", file));
    }

    [Fact]
    public void Conflicting_options_are_refused()
    {
        Assert.Contains("give --resume or --out, not both", Refused("train", "--resume", Run, "--out", Path.Combine(_dir, "other")));
        string png = Path.Combine(_dir, "x.png");
        File.WriteAllBytes(png, Png(6, 6));
        Assert.Contains("--image replaces the test examples that --index chooses", Refused("predict", "--model", Run, "--index", "3", "--image", png));
        Assert.Contains("--dataset", Refused("predict", "--model", Run, "--dataset", models.Dataset, "--image", png));
    }

    [Fact]
    public void Train_names_a_bad_model_file_by_its_name()
    {
        string bad = Path.Combine(_dir, "BAD.json");
        File.WriteAllText(bad, """{"input": [2], "layers": [{"type": "linear", "out": 2, "outs": 3}]}""");
        Assert.StartsWith($"error: {bad}: layers[0]", Refused("train", "--model", bad, "--out", Path.Combine(_dir, "run")));
        // A model that parses but cannot be built: the error is found when the run builds it.
        File.WriteAllText(bad, """{"input": [2], "layers": [{"type": "conv2d", "out_channels": 1, "kernel_size": 3}]}""");
        string built = Refused("train", "--model", bad, "--out", Path.Combine(_dir, "run"));
        Assert.StartsWith($"error: {bad}: layers[0]", built);
        File.WriteAllText(bad, """{"input": [2], "input": [3], "layers": []}""");
        Assert.Equal($"error: {bad}: 'input' appears twice\n", Refused("train", "--model", bad, "--out", Path.Combine(_dir, "run")));
    }

    [Fact]
    public void A_json_file_over_the_limit_is_refused()
    {
        // A sparse file: 300 MB long, no disk used; refused from its length, without reading it.
        string big = Path.Combine(_dir, "big.json");
        using (var f = File.Create(big)) f.SetLength(300L << 20);
        var watch = Stopwatch.StartNew();
        Assert.Contains($"{big}: 314,572,800 bytes, over the limit of 268,435,456 bytes (256 MB) for a JSON file",
            Refused("grad", "--model", big, "--data", big, "--loss", "mse"));
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(5), $"took {watch.Elapsed}");
    }

    [Theory]
    [InlineData("--blur")]
    [InlineData("--grad-blur")]
    public void Dream_refuses_a_blur_too_wide_to_build(string option)
    {
        Assert.Equal($"error: {option}: expected σ from 0 to 1000 pixels, got 1000000000\n",
            Refused("dream", "--model", Run, "--class", "0", option, "1e9", "--out", Path.Combine(_dir, "x.png")));
    }

    /// <summary>A PNG of <paramref name="width"/>×<paramref name="height"/> pixels of varied greys.</summary>
    private static byte[] Png(int width, int height)
    {
        using var bitmap = new SKBitmap(width, height);
        for (int y = 0; y < height; y++)
            for (int x = 0; x < width; x++)
            {
                byte v = (byte)(37 * x + 91 * y + 13 * x * y);
                bitmap.SetPixel(x, y, new SKColor(v, (byte)(255 - v), (byte)(v ^ 0x5a)));
            }
        using var data = bitmap.Encode(SKEncodedImageFormat.Png, 100);
        return data.ToArray();
    }

    [Fact]
    public void Predict_reads_the_png_header_before_decoding_and_refuses_other_sizes()
    {
        // The file: a few MB declaring 60000×60000 pixels. Its IHDR is all that is read.
        byte[] header = Png(6, 6)[..33];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(header.AsSpan(16), 60000);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(header.AsSpan(20), 60000);
        string big = Path.Combine(_dir, "big.png");
        File.WriteAllBytes(big, [.. header, .. new byte[3_500_000]]);
        var watch = Stopwatch.StartNew();
        Assert.Contains($"{big}: image is 60000x60000, but the model expects input [1, 6, 6]", Refused("predict", "--model", Run, "--image", big));
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(5), $"took {watch.Elapsed}");

        string text = Path.Combine(_dir, "text.png");
        File.WriteAllText(text, "not a picture at all, but long enough for a header");
        Assert.Contains("not a PNG image", Refused("predict", "--model", Run, "--image", text));
        if (!OperatingSystem.IsWindows())
            Assert.Contains("/dev/zero: is a character device, not a regular file", Refused("predict", "--model", Run, "--image", "/dev/zero"));
    }

    [Fact]
    public void Predict_refuses_a_truncated_png()
    {
        byte[] whole = Png(6, 6);
        string ok = Path.Combine(_dir, "ok.png"), cut = Path.Combine(_dir, "t.png");
        File.WriteAllBytes(ok, whole);
        var (code, _, stderr) = BadInputTests.Run(["predict", "--model", Run, "--image", ok]);
        Assert.True(code == 0, stderr);
        // The reproduction: head -c 60 ok.png > t.png; and cuts inside the header and the pixel data.
        Assert.True(whole.Length > 100, $"{whole.Length} bytes");
        foreach (int length in new[] { 10, 20, 33, 45, 70, whole.Length / 2 })
        {
            File.WriteAllBytes(cut, whole[..length]);
            Assert.Contains(cut, Refused("predict", "--model", Run, "--image", cut));
        }
        File.WriteAllBytes(cut, whole[..60]);
        Assert.Contains("the PNG is incomplete", Refused("predict", "--model", Run, "--image", cut));
    }

    /// <summary>Finding 12: graph --out -x.svg, run in its folder, so that the path starts with '-'.</summary>
    [Fact]
    public void Graph_never_passes_its_path_to_dot_as_an_option()
    {
        string cli = Path.Combine(AppContext.BaseDirectory, "Backprop.Cli.dll");
        var start = new ProcessStartInfo("dotnet") { WorkingDirectory = _dir, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string a in new[] { "exec", cli, "graph", "--expr", "w = x * 2", "--at", "x=1", "--out", "-x.svg" }) start.ArgumentList.Add(a);
        using var process = Process.Start(start)!;
        string stdout = process.StandardOutput.ReadToEnd(), stderr = process.StandardError.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, stderr);
        string written = Graphviz.FindDot() is null ? "-x.dot" : "-x.svg";
        Assert.True(File.Exists(Path.Combine(_dir, written)), stdout + stderr);
        if (written == "-x.svg") Assert.StartsWith("<?xml", File.ReadAllText(Path.Combine(_dir, written)));
    }

    /// <summary>Finding 13: a render that fails leaves the old picture as it was and no temporary file.</summary>
    [Fact]
    public void Graph_replaces_its_picture_only_when_complete()
    {
        if (OperatingSystem.IsWindows()) return;
        string svg = Path.Combine(_dir, "g.svg");
        File.WriteAllText(svg, "old picture");
        string failing = Path.Combine(_dir, "failing-dot");
        File.WriteAllText(failing, "#!/bin/sh\ncat > /dev/null\nprintf '<svg half'\nexit 1\n");
        File.SetUnixFileMode(failing, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var e = Assert.Throws<BackpropException>(() => Graphviz.Write("digraph { a -> b }", svg, failing));
        Assert.Contains("Graphviz dot failed (exit code 1)", e.Message);
        Assert.Equal("old picture", File.ReadAllText(svg));
        Assert.Equal(["g.svg"], Directory.GetFiles(_dir, "g.*").Select(Path.GetFileName));

        Graphviz.Write("digraph { a -> b }", Path.Combine(_dir, "g.dot"), null);
        Assert.Equal("digraph { a -> b }", File.ReadAllText(Path.Combine(_dir, "g.dot")));
    }

    /// <summary>Finding 16: a temporary file a killed writer left behind is removed by the next write of the same file.</summary>
    [Fact]
    public void A_stale_temporary_file_of_the_same_target_is_removed_by_the_next_write()
    {
        string target = Path.Combine(_dir, "model.onnx");
        string stale = target + ".tmp-999999999-0123456789abcdef", other = Path.Combine(_dir, "other.onnx.tmp-999999999-0123456789abcdef");
        foreach (string f in new[] { stale, other })
        {
            File.WriteAllText(f, "left by a killed run");
            File.SetLastWriteTimeUtc(f, DateTime.UtcNow.AddHours(-2));
        }
        var (code, _, stderr) = BadInputTests.Run(["export", "--model", Run, "--out", target]);
        Assert.True(code == 0, stderr);
        Assert.False(File.Exists(stale));
        Assert.True(File.Exists(other)); // another target's: not ours to touch
    }

    [Fact]
    public void Train_writes_its_run_files_only_over_regular_files()
    {
        if (SpecialFiles.Fifo(Path.Combine(_dir, "fifo")) is null) return;
        string run = Directory.CreateDirectory(Path.Combine(_dir, "run")).FullName;
        string fifo = SpecialFiles.Fifo(Path.Combine(run, RunFiles.Model))!;
        File.Delete(Path.Combine(_dir, "fifo"));
        string model = Path.Combine(_dir, "model.json");
        File.WriteAllText(model, SyntheticIdx.Model);
        var (code, _, stderr) = BadInputTests.Run(["train", "--model", model, "--dataset", SyntheticIdx.Write(Path.Combine(_dir, "data"), 60, 30), "--epochs", "1", "--out", run]);
        Assert.True(code == ExitCodes.BadInput, stderr);
        Assert.Matches("^error: [^\n]*\n$", stderr);
        Assert.Contains($"{fifo}: cannot write the file: it is a FIFO (named pipe), not a regular file", stderr);
        Assert.Equal(FileKind.Fifo, FileKinds.Of(fifo));
    }
}
