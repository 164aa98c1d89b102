using Backprop.Cli;

namespace Backprop.Tests.Support;

/// <summary>Runs the backprop command in-process, as the CLI tests do: the exit code and what it printed.</summary>
internal static class CliRun
{
    public static (int Code, string Stdout, string Stderr) Run(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        int code = Program.Run(args, stdout, stderr);
        return (code, stdout.ToString(), stderr.ToString());
    }

    /// <summary>Stdout of a run that must succeed with nothing on stderr.</summary>
    public static string Ok(params string[] args)
    {
        var (code, stdout, stderr) = Run(args);
        Assert.True(code == ExitCodes.Ok, $"backprop {string.Join(' ', args)} exited {code}: {stderr}");
        Assert.Equal("", stderr);
        return stdout;
    }
}
