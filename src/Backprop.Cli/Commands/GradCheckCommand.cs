using System.CommandLine;
using Backprop.Diagnostics;
using Spectre.Console;

namespace Backprop.Cli.Commands;

/// <summary>backprop gradcheck: back-propagated gradients against central differences, in float64.</summary>
internal static class GradCheckCommand
{
    public static Command Create(TextWriter stdout, TextWriter stderr)
    {
        var problem = new ProblemOptions();
        var mode = ProblemOptions.Mode();
        var step = OptionValues.Number("--step", GradientCheck.DefaultStep);
        step.Description = "Finite-difference step h";
        var command = new Command("gradcheck",
            $"Compare every gradient with central differences (float64); exit code 1 if any element exceeds {GradientCheck.AbsoluteTolerance:G} + {GradientCheck.RelativeTolerance:G}·|g|");
        problem.AddTo(command);
        command.Options.Add(step);
        command.Options.Add(mode);
        command.SetAction(parse => CommandRunner.Run(stderr, () =>
        {
            double h = parse.GetValue(step);
            if (!(h > 0 && h < 1)) throw new BackpropException($"--step: expected a number in (0, 1), got {h}");
            var p = problem.Load<double>(parse);
            ProblemOptions.SetMode(p, parse.GetValue(mode)!);
            var entries = GradientCheck.Run(p.Model, p.Loss, p.Batch, h);
            var table = new Table().AddColumns("tensor", "shape", "max abs error", "max rel error", "result");
            foreach (var e in entries)
                table.AddRow(new[] { e.Name, Tensors.Tensor.Format(e.Shape), e.MaxAbsoluteError.ToString("E2"), e.MaxRelativeError.ToString("E2"), e.Passed ? "ok" : "FAIL" }
                    .Select(cell => new Text(cell)));
            var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(stdout), ColorSystem = ColorSystemSupport.NoColors });
            console.Write(table);
            bool passed = entries.All(e => e.Passed);
            stdout.WriteLine(passed ? "gradient check passed" : "gradient check FAILED");
            return passed ? ExitCodes.Ok : ExitCodes.CheckFailed;
        }));
        return command;
    }
}
