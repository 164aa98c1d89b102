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
        var (output, unavailable) = RunScript(Script, casesFile, timeout);
        if (output is null) return new Outcome(null, unavailable, watch.Elapsed);
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

    /// <summary>
    /// Runs a script of tests/torch with --batch, the cases file on its standard input: its standard output, or null
    /// and why torch is unavailable (python3 or torch missing, the script's exit code 3). Any other failure throws.
    /// </summary>
    public static (string? Output, string? Unavailable) RunScript(string script, string casesFile, TimeSpan timeout)
    {
        var start = new ProcessStartInfo(Python)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(script);
        start.ArgumentList.Add("--batch");
        Process process;
        try
        {
            process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {Python}");
        }
        catch (Win32Exception e)
        {
            return (null, $"{Python} cannot be started ({e.Message})");
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
                throw new TimeoutException($"{System.IO.Path.GetFileName(script)} did not finish within {timeout.TotalSeconds} s");
            }
            process.WaitForExit(); // let the output readers finish
            string output = stdout.GetAwaiter().GetResult(), errors = stderr.GetAwaiter().GetResult().Trim();
            if (process.ExitCode == NoTorch) return (null, errors);
            if (process.ExitCode != 0)
                throw new InvalidOperationException($"{System.IO.Path.GetFileName(script)} failed with exit code {process.ExitCode}:\n{errors}");
            return (output, null);
        }
    }
}
