using System.CommandLine;
using System.Numerics;
using Backprop.Diagnostics;

namespace Backprop.Cli.Commands;

/// <summary>backprop grad: one forward and backward pass, printed as JSON.</summary>
internal static class GradCommand
{
    public static Command Create(TextWriter stdout, TextWriter stderr)
    {
        var problem = new ProblemOptions();
        var precision = ProblemOptions.Precision();
        var command = new Command("grad", "Print the loss, the output and every gradient as one JSON object");
        problem.AddTo(command);
        command.Options.Add(precision);
        command.SetAction(parse => CommandRunner.Run(stderr, () =>
        {
            stdout.WriteLine(ProblemOptions.IsSingle(parse.GetValue(precision)!) ? Report<float>(problem, parse) : Report<double>(problem, parse));
            return ExitCodes.Ok;
        }));
        return command;
    }

    private static string Report<T>(ProblemOptions options, ParseResult parse) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var p = options.Load<T>(parse);
        return GradientReport.Compute(p.Model, p.Loss, p.Batch).ToJson();
    }
}
