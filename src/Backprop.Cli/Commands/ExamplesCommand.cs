using System.CommandLine;
using Backprop.Examples;

namespace Backprop.Cli.Commands;

/// <summary>backprop examples: the built-in examples from the seeds, or one example's JSON.</summary>
internal static class ExamplesCommand
{
    public static Command Create(TextWriter stdout, TextWriter stderr)
    {
        var name = new Argument<string?>("name") { Description = "Print this example's model, data, loss and learning rate as JSON", Arity = ArgumentArity.ZeroOrOne };
        var command = new Command("examples", "List the built-in examples taken from the homework sheets") { name };
        command.SetAction(parse => CommandRunner.Run(stderr, () =>
        {
            if (parse.GetValue(name) is string n)
            {
                stdout.Write(Problem.ExampleText(n));
                return ExitCodes.Ok;
            }
            foreach (var (exampleName, description) in Problem.Examples)
                stdout.WriteLine($"{exampleName,-20} {description}");
            stdout.WriteLine();
            stdout.WriteLine("Run one with: backprop trace --example NAME");
            return ExitCodes.Ok;
        }));
        return command;
    }
}
