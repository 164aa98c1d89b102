using System.ComponentModel;
using System.Diagnostics;
using System.Text.Json;

using Backprop.Tests.Support;

namespace Backprop.Tests.CrossCheck;

/// <summary>Runs tests/torch/reference.py once over a batch of cases with Debian's /usr/bin/python3 and python3-torch.</summary>
internal static class TorchReference
{
    public const string Python = "/usr/bin/python3";

    /// <summary>reference.py's exit code when torch cannot be imported.</summary>
    private const int NoTorch = 3;

    public static string Script => Repository.Path("tests", "torch", "reference.py");

    /// <summary>
    /// The outcome: by case name, the result or the reference's error for that case; or, with no results, why torch
    /// is unavailable (python3 or torch missing).
    /// </summary>
    public sealed record Outcome(IReadOnlyDictionary<string, (GradResult? Result, string? Error)>? Results, string? Unavailable, TimeSpan Elapsed);

    /// <summary>Runs the reference over <paramref name="casesFile"/> ([{"name", "model", "data", "loss"}, ...]).</summary>
    public static Outcome Run(string casesFile, TimeSpan timeout)
    {
        var watch = Stopwatch.StartNew();
        var start = new ProcessStartInfo(Python)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(Script);
        start.ArgumentList.Add("--batch");
        Process process;
        try
        {
            process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {Python}");
        }
        catch (Win32Exception e)
        {
            return new Outcome(null, $"{Python} cannot be started ({e.Message})", watch.Elapsed);
        }
        using (process)
        {
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            process.StandardInput.Write(File.ReadAllText(casesFile));
            process.StandardInput.Close();
            if (!process.WaitForExit(timeout))
            {
                process.Kill(entireProcessTree: true);
                throw new TimeoutException($"reference.py did not finish within {timeout.TotalSeconds} s");
            }
            process.WaitForExit(); // let the output readers finish
            string output = stdout.GetAwaiter().GetResult(), errors = stderr.GetAwaiter().GetResult().Trim();
            if (process.ExitCode == NoTorch) return new Outcome(null, errors, watch.Elapsed);
            if (process.ExitCode != 0)
                throw new InvalidOperationException($"reference.py failed with exit code {process.ExitCode}:\n{errors}");
            using var doc = JsonDocument.Parse(output);
            var results = new Dictionary<string, (GradResult?, string?)>();
            foreach (var p in doc.RootElement.EnumerateObject())
            {
                try
                {
                    results[p.Name] = (GradResult.Parse(p.Value, $"torch {p.Name}"), null);
                }
                catch (Exception e) when (e is FormatException or KeyNotFoundException or InvalidOperationException)
                {
                    results[p.Name] = (null, e.Message);
                }
            }
            return new Outcome(results, null, watch.Elapsed);
        }
    }
}
