using System.CommandLine;
using Backprop.Autodiff;
using Backprop.Visualization;

namespace Backprop.Cli.Commands;

/// <summary>backprop graph: the computational graph of a little program, with every value and gradient.</summary>
internal static class GraphCommand
{
    public static Command Create(TextWriter stdout, TextWriter stderr)
    {
        var expr = new Option<string>("--expr")
        {
            Description = "Statements 'name = expression' separated by ';' or new lines; the last name is the output. "
                + $"Operators + - * / ^ (constant power), parentheses, functions {string.Join(", ", ExpressionParser.Functions)}",
            HelpName = "TEXT",
            Required = true,
        };
        var at = new Option<string[]>("--at") { Description = "Input values, e.g. x=1,y=2,z=3", HelpName = "NAME=NUMBER,..." };
        var output = new Option<string?>("--out") { Description = "Write the graph to FILE.svg or FILE.png (rendered with Graphviz dot) or FILE.dot; without it, print DOT", HelpName = "FILE" };
        var command = new Command("graph", "Draw the computational graph of an expression with each node's value and gradient, and print d(output)/d(each name)")
        {
            expr, at, output,
        };
        command.SetAction(parse => CommandRunner.Run(stderr, () =>
        {
            string? path = parse.GetValue(output);
            if (path is not null && !Graphviz.CanWrite(path))
                throw new BackpropException($"--out: expected FILE.svg, FILE.png or FILE.dot, got '{path}'");
            if (path is not null) CommandRunner.OutputFile(path, "--out");
            string atText = string.Join(',', parse.GetValue(at) ?? []), exprText = parse.GetValue(expr)!;
            var inputs = ExpressionParser.ParseInputs(atText, "--at");
            var expression = ExpressionParser.Parse(exprText, inputs, "--expr", "--at");
            expression.Output.Backward();
            string dot = ComputationGraph.ToDot(expression, inputs.Count == 0 ? [exprText] : [exprText, $"at {atText}"]);
            if (path is null)
            {
                stdout.Write(dot);
                return ExitCodes.Ok;
            }
            var result = Graphviz.Write(dot, path, Graphviz.FindDot());
            foreach (string line in ComputationGraph.Summary(expression)) stdout.WriteLine(line);
            if (result.Rendered)
            {
                stdout.WriteLine($"wrote {result.Path}");
            }
            else
            {
                stderr.WriteLine($"warning: Graphviz 'dot' was not found, so {path} was NOT rendered; wrote the graph as DOT text to {result.Path} instead.");
                stderr.WriteLine($"To get the picture, {Graphviz.InstallHint}, then run: dot -T{Path.GetExtension(path).TrimStart('.').ToLowerInvariant()} {result.Path} -o {path}");
            }
            return ExitCodes.Ok;
        }));
        return command;
    }
}
