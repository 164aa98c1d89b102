using System.CommandLine;
using Backprop.IO;

namespace Backprop.Cli.Commands;

/// <summary>Turns library errors into one clear line and an exit code: never a stack trace.</summary>
internal static class CommandRunner
{
    public static int Run(TextWriter stderr, Func<int> action)
    {
        try
        {
            return action();
        }
        catch (BackpropException e)
        {
            stderr.WriteLine($"error: {e.Message}");
            return ExitCodes.BadInput;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            stderr.WriteLine($"error: {e.Message}");
            return ExitCodes.BadInput;
        }
        catch (Exception e)
        {
            stderr.WriteLine($"internal error ({e.GetType().Name}): {e.Message}. Please report it with the command that caused it.");
            return ExitCodes.InternalError;
        }
    }

    /// <summary>
    /// Checks an output file before the work starts, naming the option (see <see cref="AtomicFile.CheckTarget"/>):
    /// "--plot: cannot write '/nonexistent/x.png': the folder '/nonexistent' does not exist".
    /// </summary>
    public static void OutputFile(string path, string option) => AtomicFile.CheckTarget(path, option);

    /// <summary>
    /// Checks an output folder before the work starts: a name, naming a folder or nothing yet (it is created), whose
    /// nearest existing parent is a folder. "--out: 'notes.txt' is a file, not a directory".
    /// </summary>
    public static void OutputFolder(string dir, string option)
    {
        if (string.IsNullOrWhiteSpace(dir)) throw new BackpropException($"{option}: expected a folder name, got '{dir}'");
        var kind = FileKinds.Of(dir);
        if (kind == FileKind.Directory) return;
        // "a file, not a directory", as the experiments have always said it.
        static string What(FileKind k) => k == FileKind.RegularFile ? "a file" : FileKinds.Describe(k);
        if (kind != FileKind.Missing) throw new BackpropException($"{option}: '{dir}' is {What(kind)}, not a directory");
        for (string? parent = Path.GetDirectoryName(Path.GetFullPath(dir)); parent is not null; parent = Path.GetDirectoryName(parent))
        {
            var parentKind = FileKinds.Of(parent);
            if (parentKind == FileKind.Directory) return;
            if (parentKind != FileKind.Missing)
                throw new BackpropException($"{option}: cannot create the directory '{dir}': '{parent}' is {What(parentKind)}, not a directory");
        }
    }

    /// <summary>Whether the user gave <paramref name="option"/> (not just its default).</summary>
    public static bool Given(ParseResult parse, Option option) => parse.GetResult(option) is { Implicit: false };
}
