using System.CommandLine;
using System.Numerics;
using Backprop.Diagnostics;

namespace Backprop.Cli.Commands;

/// <summary>backprop trace: the worked solution of one gradient-descent step.</summary>
internal static class TraceCommand
{
    public static Command Create(TextWriter stdout, TextWriter stderr)
    {
        var problem = new ProblemOptions();
        var precision = ProblemOptions.Precision();
        var mode = ProblemOptions.Mode();
        var lr = OptionValues.OptionalNumber("--lr");
        lr.Description = "Learning rate: also show the SGD update and the loss after it (examples bring their own)";
        lr.HelpName = "η";
        var format = OptionValues.OneOf("--format", WorkedSolutionWriter.Formats, "text");
        format.Description = "text, markdown (LaTeX matrices) or json";
        var digits = OptionValues.Integer("--digits", 4);
        digits.Description = "Decimals shown in text and markdown (json is always exact)";
        var layout = OptionValues.OneOf("--layout", WorkedSolutionLayout.Names, WorkedSolutionLayout.Torch);
        layout.Description = "Weight matrices as PyTorch's [out][in] (torch, default) or the sheets' [in][out] (sheet)";
        var command = new Command("trace", "Show every intermediate value, every gradient and the weight update, as a solution sheet does");
        problem.AddTo(command);
        command.Options.Add(lr);
        command.Options.Add(format);
        command.Options.Add(digits);
        command.Options.Add(precision);
        command.Options.Add(mode);
        command.Options.Add(layout);
        command.SetAction(parse => CommandRunner.Run(stderr, () =>
        {
            int d = parse.GetValue(digits);
            if (d is < 0 or > 17) throw new BackpropException($"--digits: expected 0 to 17, got {d}");
            double? eta = parse.GetValue(lr);
            if (eta is double e && !double.IsFinite(e)) throw new BackpropException("--lr: expected a finite number");
            string m = parse.GetValue(mode)!;
            var solution = ProblemOptions.IsSingle(parse.GetValue(precision)!) ? Solve<float>(problem, parse, eta, m) : Solve<double>(problem, parse, eta, m);
            stdout.Write(WorkedSolutionWriter.Write(WorkedSolutionLayout.In(solution, parse.GetValue(layout)!), parse.GetValue(format)!, d));
            return ExitCodes.Ok;
        }));
        return command;
    }

    private static WorkedSolution Solve<T>(ProblemOptions options, ParseResult parse, double? lr, string mode) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var p = options.Load<T>(parse, lr);
        ProblemOptions.SetMode(p, mode);
        return WorkedSolution.Solve(p.Model, p.Loss, p.Batch, p.LearningRate);
    }
}
