using System.Diagnostics;
using Backprop.Onnx;
using Backprop.IO;
using Backprop.Models;
using Backprop.Training;
using Xunit.Abstractions;

namespace Backprop.Tests.Interop.Onnx;

/// <summary>
/// The ONNX project's own checker accepts every exported file: onnx.checker.check_model with full_check (which also
/// runs shape inference), from Debian's python3-onnx (onnx 1.12, whose newest opset is the 17 we write). Without
/// /usr/bin/python3 and onnx the test fails when CI=true and otherwise passes with a note.
/// </summary>
public sealed class OnnxCheckerTests(ITestOutputHelper output) : IDisposable
{
    private const string Python = "/usr/bin/python3";

    private readonly string _dir = Directory.CreateTempSubdirectory("backprop-onnx-checker-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    // For each file: load, check (full_check also infers shapes, which must give the graph output's shape), print one line.
    private const string Script = """
        import sys, onnx
        for path in sys.argv[1:]:
            model = onnx.load(path)
            onnx.checker.check_model(model, full_check=True)
            inferred = onnx.shape_inference.infer_shapes(model, strict_mode=True)
            dims = [d.dim_param or d.dim_value for d in inferred.graph.output[0].type.tensor_type.shape.dim]
            print(path, "ok", dims)
        """;

    private static (int Code, string Stdout, string Stderr) Run(IReadOnlyList<string> arguments)
    {
        var start = new ProcessStartInfo(Python) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in arguments) start.ArgumentList.Add(a);
        start.Environment["PYTHONDONTWRITEBYTECODE"] = "1";
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(2)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{Python} took longer than 2 minutes");
        }
        return (process.ExitCode, stdout.Result, stderr.Result);
    }

    /// <summary>False (after failing on CI, or writing a note elsewhere) when python3 with onnx is not there.</summary>
    private bool OnnxAvailable()
    {
        string? why = !File.Exists(Python) ? $"{Python} not found"
            : Run(["-c", "import onnx"]) is { Code: not 0 } r ? $"{Python} cannot import onnx (install python3-onnx): {r.Stderr.Trim()}"
            : null;
        if (why is null) return true;
        if (Environment.GetEnvironmentVariable("CI") == "true") Assert.Fail($"the ONNX checker test needs python3-onnx on CI: {why}");
        output.WriteLine($"skipped: {why}");
        return false;
    }

    [Fact]
    public void The_onnx_checker_accepts_every_exported_file()
    {
        if (!OnnxAvailable()) return;
        var files = new List<(string Path, int[] Output)>();
        foreach (var (name, json) in OnnxExportTests.Cases)
        {
            var model = ModelFile.Build<float>(ModelFile.Parse(json(new Rng(11)), name), name);
            string path = Path.Combine(_dir, $"{files.Count}.onnx");
            OnnxExport.Save(path, model);
            files.Add((path, model.OutputShape));
        }
        // With the preparation of a standardised image model baked in: Div, Sub, Div with [C, H, W] constants.
        var cnn = ModelFile.Build<float>(ModelFile.Parse(Support.SyntheticIdx.Model, "cnn"), "cnn");
        var rng = new Rng(3);
        float[] Values(double low, double high) => Enumerable.Range(0, 36).Select(_ => (float)rng.Uniform(low, high)).ToArray();
        string prepared = Path.Combine(_dir, "prepared.onnx");
        OnnxExport.Save(prepared, cnn, new DataPreparation(255f, Values(0, 1), Values(0, 0.5)));
        files.Add((prepared, cnn.OutputShape));

        var (code, stdout, stderr) = Run(["-c", Script, .. files.Select(f => f.Path)]);
        Assert.True(code == 0, $"onnx.checker rejected an exported file:\n{stderr}");
        var lines = stdout.Trim().Split('\n');
        Assert.Equal(files.Count, lines.Length);
        for (int i = 0; i < files.Count; i++)
            Assert.Equal($"{files[i].Path} ok ['N', {string.Join(", ", files[i].Output)}]", lines[i]);
        output.WriteLine($"onnx.checker (full_check) accepted {files.Count} files");
    }
}
