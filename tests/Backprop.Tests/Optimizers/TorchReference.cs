using System.Diagnostics;
using System.Text.Json;

namespace Backprop.Tests.Optimizers;

/// <summary>
/// Runs a Python script under Debian's python3-torch (float64) with JSON on stdin and returns its JSON stdout.
/// <see cref="Run"/> returns null when torch is not installed, unless CI=true, where that is a failure.
/// </summary>
internal static class TorchReference
{
    private const string Python = "/usr/bin/python3";

    // Exit code the scripts use when "import torch" fails.
    private const int NoTorch = 3;

    public const string Prelude = """
        import sys, json
        try:
            import torch
        except ImportError as e:
            print(f"torch unavailable: {e}", file=sys.stderr)
            sys.exit(3)
        torch.set_default_dtype(torch.float64)
        inp = json.load(sys.stdin)
        """;

    public static bool InCi => Environment.GetEnvironmentVariable("CI") == "true";

    /// <summary>The script's parsed output, or null (with a note in <paramref name="note"/>) when torch is unavailable outside CI.</summary>
    public static JsonDocument? Run(string script, string inputJson, out string note)
    {
        note = "";
        if (!File.Exists(Python)) return Unavailable($"{Python} not found", out note);
        var psi = new ProcessStartInfo(Python, ["-c", Prelude + "\n" + script])
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        psi.Environment["OMP_NUM_THREADS"] = "1";
        using var process = Process.Start(psi) ?? throw new InvalidOperationException("could not start python3");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        process.StandardInput.Write(inputJson);
        process.StandardInput.Close();
        if (!process.WaitForExit(TimeSpan.FromMinutes(3)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException("the PyTorch reference script did not finish within 3 minutes");
        }
        if (process.ExitCode == NoTorch) return Unavailable(stderr.Result.Trim(), out note);
        if (process.ExitCode != 0) throw new InvalidOperationException($"the PyTorch reference script failed ({process.ExitCode}):\n{stderr.Result}");
        return JsonDocument.Parse(stdout.Result);
    }

    private static JsonDocument? Unavailable(string why, out string note)
    {
        if (InCi) Assert.Fail($"PyTorch is required in CI (CI=true) but unavailable: {why}. Run scripts/setup.sh.");
        note = $"skipped the PyTorch cross-check: {why} (install python3-torch, see scripts/setup.sh)";
        return null;
    }

    public static double[] Doubles(JsonElement e)
    {
        var result = new double[e.GetArrayLength()];
        int i = 0;
        foreach (var v in e.EnumerateArray()) result[i++] = v.GetDouble();
        return result;
    }
}
