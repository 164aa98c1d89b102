using System.Diagnostics;

namespace Backprop.Tests.Support;

/// <summary>Debian's /usr/bin/python3 (with python3-torch) for the tests that run Python scripts and generated code.</summary>
internal static class PythonProcess
{
    public const string Path = "/usr/bin/python3";

    /// <summary>Null when python3 imports torch and numpy; otherwise why not (checked once).</summary>
    public static string? TorchUnavailable => Torch.Value;

    private static readonly Lazy<string?> Torch = new(() =>
    {
        if (!File.Exists(Path)) return $"{Path} not found";
        var (code, _, stderr) = Run(["-c", "import torch, numpy"], TimeSpan.FromMinutes(2));
        return code == 0 ? null : $"{Path} cannot import torch and numpy (install python3-torch): {stderr.Trim()}";
    });

    /// <summary>
    /// Runs python3 with <paramref name="arguments"/> (one OpenMP thread, no .pyc files, and <paramref name="environment"/>
    /// added to the environment): exit code, stdout, stderr.
    /// </summary>
    public static (int Code, string Stdout, string Stderr) Run(IEnumerable<string> arguments, TimeSpan timeout, string? workingDirectory = null,
        IReadOnlyDictionary<string, string>? environment = null)
    {
        var start = new ProcessStartInfo(Path) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        if (workingDirectory is not null) start.WorkingDirectory = workingDirectory;
        foreach (var a in arguments) start.ArgumentList.Add(a);
        start.Environment["PYTHONDONTWRITEBYTECODE"] = "1";
        start.Environment["OMP_NUM_THREADS"] = "1";
        foreach (var (name, value) in environment ?? new Dictionary<string, string>()) start.Environment[name] = value;
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(timeout))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{Path} {string.Join(' ', arguments)} took longer than {timeout}");
        }
        return (process.ExitCode, stdout.Result, stderr.Result);
    }
}
