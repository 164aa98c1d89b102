using System.CommandLine;
using Backprop.Cli.Commands;

namespace Backprop.Cli;

/// <summary>The backprop command: a thin shell over the library. Exit codes: 0 ok, 1 a check failed, 2 bad input.</summary>
public static class Program
{
    public static int Main(string[] args) => Run(args, Console.Out, Console.Error);

    /// <summary>Runs the CLI with the given writers (tests call this directly).</summary>
    public static int Run(string[] args, TextWriter stdout, TextWriter stderr)
    {
        var root = new RootCommand("Backprop: neural networks with every forward and backward pass written out by hand.")
        {
            GradCommand.Create(stdout, stderr),
            TraceCommand.Create(stdout, stderr),
            GradCheckCommand.Create(stdout, stderr),
            ExamplesCommand.Create(stdout, stderr),
            TrainCommand.Create(stdout, stderr),
            EvalCommand.Create(stdout, stderr),
            PredictCommand.Create(stdout, stderr),
            GraphCommand.Create(stdout, stderr),
            PlotCommand.Create(stdout, stderr),
            ExportCommand.Create(stdout, stderr),
            FitCommand.Create(stdout, stderr),
            DreamCommand.Create(stdout, stderr),
            ExperimentCommand.Create(stdout, stderr),
            GradFlowCommand.Create(stdout, stderr),
            SummaryCommand.Create(stdout, stderr),
            JacobianCommand.Create(stdout, stderr),
            ExploreCommand.Create(stdout, stderr),
        };
        var parse = root.Parse(args);
        if (parse.Errors.Count > 0)
        {
            stderr.WriteLine($"error: {Describe(parse, root)} (run 'backprop --help' for usage)");
            return ExitCodes.BadInput;
        }
        return parse.Invoke(new InvocationConfiguration { Output = stdout, Error = stderr });
    }

    /// <summary>
    /// The parse errors as one line. System.CommandLine gives several (for 'backprop frobnicate': "Required command
    /// was not provided." and "Unrecognized command or argument"), some spread over lines.
    /// </summary>
    private static string Describe(ParseResult parse, RootCommand root)
    {
        if (parse.CommandResult.Command == root)
        {
            string commands = string.Join(", ", root.Subcommands.Select(c => c.Name));
            string? first = parse.UnmatchedTokens.FirstOrDefault();
            if (first is null) return $"no command given; expected one of: {commands}";
            return first.StartsWith('-')
                ? $"unknown option '{first}'; expected a command first, one of: {commands}"
                : $"unknown command '{first}'; expected one of: {commands}";
        }
        return string.Join("; ", parse.Errors
            .Select(e => string.Join(" ", e.Message.Split('\n', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)).TrimEnd('.'))
            .Distinct());
    }
}
