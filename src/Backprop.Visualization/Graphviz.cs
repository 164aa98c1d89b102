using System.Diagnostics;
using Backprop.IO;

namespace Backprop.Visualization;

/// <summary>
/// Renders DOT text with Graphviz's <c>dot</c> program (Debian package graphviz), or, when it is not installed,
/// writes the DOT text so that it can be rendered later.
/// </summary>
public static class Graphviz
{
    /// <summary>How to get the program: shown to the user when it is missing.</summary>
    public const string InstallHint = "install Graphviz (Debian/Ubuntu: sudo apt-get install graphviz; macOS: brew install graphviz)";

    /// <summary>The picture formats <see cref="Write"/> renders, by file extension.</summary>
    public static readonly IReadOnlyList<string> ImageExtensions = [".svg", ".png"];

    /// <summary>Whether <see cref="Write"/> can write <paramref name="path"/>: a picture (.svg, .png) or DOT text (.dot, .gv).</summary>
    public static bool CanWrite(string path) => Path.GetExtension(path).ToLowerInvariant() is ".svg" or ".png" or ".dot" or ".gv";

    /// <summary>The full path of <c>dot</c> on the PATH, or null when Graphviz is not installed.</summary>
    public static string? FindDot()
    {
        string name = OperatingSystem.IsWindows() ? "dot.exe" : "dot";
        foreach (string dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            string candidate = Path.Combine(dir, name);
            if (File.Exists(candidate)) return candidate;
        }
        return null;
    }

    /// <summary>What <see cref="Write"/> did.</summary>
    /// <param name="Path">The file written: the requested one, or the .dot beside it when the picture could not be rendered.</param>
    /// <param name="Rendered">False when a picture was requested but <c>dot</c> is not installed.</param>
    public readonly record struct Result(string Path, bool Rendered);

    /// <summary>
    /// Writes <paramref name="dot"/> to <paramref name="path"/>: rendered with <c>dot -Tsvg</c> or <c>dot -Tpng</c>
    /// for .svg and .png, as text for .dot and .gv. When a picture is asked for and <paramref name="dotExecutable"/>
    /// is null (Graphviz not installed), writes the DOT text next to it (same name, .dot) and returns Rendered = false.
    /// </summary>
    public static Result Write(string dot, string path, string? dotExecutable)
    {
        string extension = Path.GetExtension(path).ToLowerInvariant();
        if (extension is ".dot" or ".gv")
        {
            AtomicFile.WriteAllText(path, dot);
            return new Result(path, true);
        }
        if (!CanWrite(path))
            throw new BackpropException($"'{path}': expected a file ending in .svg, .png or .dot");
        if (dotExecutable is null)
        {
            string dotPath = Path.ChangeExtension(path, ".dot");
            AtomicFile.WriteAllText(dotPath, dot);
            return new Result(dotPath, false);
        }
        Render(dot, path, extension[1..], dotExecutable);
        return new Result(path, true);
    }

    /// <summary>
    /// Runs <c>dot -T<paramref name="format"/></c> with the DOT text on its standard input and writes what it prints
    /// to <paramref name="path"/> with <see cref="AtomicFile"/>: the old file stays until the picture is complete, and
    /// the path is never on dot's command line (so "-x.svg" cannot be read as an option).
    /// </summary>
    public static void Render(string dot, string path, string format, string dotExecutable)
    {
        AtomicFile.CheckTarget(path);
        var start = new ProcessStartInfo(dotExecutable)
        {
            RedirectStandardInput = true,
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add("-T" + format);
        using var process = Process.Start(start) ?? throw new BackpropException($"could not start {dotExecutable}");
        var errors = process.StandardError.ReadToEndAsync();
        var picture = new MemoryStream();
        var output = process.StandardOutput.BaseStream.CopyToAsync(picture);
        process.StandardInput.Write(dot);
        process.StandardInput.Close();
        if (!process.WaitForExit(TimeSpan.FromMinutes(1)))
        {
            process.Kill();
            throw new BackpropException($"Graphviz dot did not finish within a minute rendering '{path}'");
        }
        process.WaitForExit();
        output.Wait();
        if (process.ExitCode != 0)
        {
            string message = errors.Result.Trim().Split('\n')[0];
            throw new BackpropException($"Graphviz dot failed (exit code {process.ExitCode}) rendering '{path}': {message}");
        }
        AtomicFile.WriteAllBytes(path, picture.GetBuffer().AsSpan(0, (int)picture.Length));
    }
}
