using System.CommandLine;
using System.Numerics;
using Backprop.Diagnostics;

namespace Backprop.Cli.Commands;

/// <summary>backprop jacobian: the Jacobian of one example (or each), of the model or one layer, labelled, with its structure.</summary>
internal static class JacobianCommand
{
    public static Command Create(TextWriter stdout, TextWriter stderr)
    {
        var problem = new ProblemOptions();
        problem.Loss.Description += " (needed for --of loss with --model/--data)";
        var exampleIndex = OptionValues.Integer("--example-index", 0);
        exampleIndex.Description = "Which example (row of the data, from 0) to take the Jacobian of; the rest of the batch is held fixed";
        exampleIndex.HelpName = "k";
        var all = new Option<bool>("--all") { Description = "The Jacobian of every example, one after another" };
        var layer = OptionValues.Integer("--layer", -1);
        layer.Description = "Layer i's local Jacobian d h⁽ⁱ⁺¹⁾/d h⁽ⁱ⁾ (its output by its input, as trace shows it; i from 0) instead of the whole model's";
        layer.HelpName = "i";
        var of = OptionValues.OneOf("--of", ["output", "loss"], "output");
        of.Description = "output (default: a row per output element) or loss (one row: the loss of the example alone, its gradient)";
        var wrt = new Option<string>("--wrt")
        {
            Description = "input (default), params (every parameter, flattened in state_dict order, row-major), or one parameter's name such as 0.weight",
            HelpName = "input|params|NAME",
            DefaultValueFactory = _ => JacobianRequest.Input,
        };
        var layout = OptionValues.OneOf("--layout", ["torch", "sheet"], "torch");
        layout.Description = "torch (default: a row per output, a column per input, as torch.autograd.functional.jacobian) or sheet (the transpose, as the sheets write weights [in][out])";
        var check = new Option<bool>("--check") { Description = "Also compare with central differences (float64); exit code 1 if an entry fails" };
        var step = OptionValues.Number("--step", Jacobian.DefaultStep);
        step.Description = "Finite-difference step h for --check";
        var format = OptionValues.OneOf("--format", JacobianWriter.Formats, "text");
        format.Description = "text (default), markdown (a table and a LaTeX matrix), json or csv (every number exact)";
        var digits = OptionValues.Integer("--digits", 4);
        digits.Description = "Decimals shown in text and markdown (json and csv are always exact)";
        var precision = ProblemOptions.Precision();
        var mode = ProblemOptions.Mode();
        var command = new Command("jacobian",
            "The Jacobian of one example as torch.autograd.functional.jacobian defines it (output dimensions first, then input), labelled, with notes on its structure");
        problem.AddTo(command);
        foreach (var option in new Option[] { exampleIndex, all, layer, of, wrt, layout, check, step, format, digits, precision, mode })
            command.Options.Add(option);
        command.SetAction(parse => CommandRunner.Run(stderr, () =>
        {
            int d = parse.GetValue(digits);
            if (d is < 0 or > 17) throw new BackpropException($"--digits: expected 0 to 17, got {d}");
            double h = parse.GetValue(step);
            if (!(h > 0 && h < 1)) throw new BackpropException($"--step: expected a number in (0, 1), got {h}");
            bool everyExample = parse.GetValue(all), checking = parse.GetValue(check);
            if (everyExample && CommandRunner.Given(parse, exampleIndex))
                throw new BackpropException("--all and --example-index exclude each other: give one");
            bool single = ProblemOptions.IsSingle(parse.GetValue(precision)!);
            if (checking && single) throw new BackpropException("--check compares in float64: drop --precision f32");
            if (CommandRunner.Given(parse, step) && !checking) throw new BackpropException("--step is the step of --check: give --check too");
            var request = new JacobianRequest
            {
                Example = parse.GetValue(exampleIndex),
                Layer = CommandRunner.Given(parse, layer) ? parse.GetValue(layer) : null,
                Of = parse.GetValue(of) == "loss" ? JacobianOf.Loss : JacobianOf.Output,
                Wrt = parse.GetValue(wrt)!,
                Layout = parse.GetValue(layout) == "sheet" ? JacobianLayout.Sheet : JacobianLayout.Torch,
            };
            string m = parse.GetValue(mode)!, f = parse.GetValue(format)!;
            if (checking)
            {
                var checks = Checks(problem, parse, request, everyExample, m, h);
                stdout.Write(JacobianWriter.Write(checks, f, d));
                return checks.All(c => c.Passed) ? ExitCodes.Ok : ExitCodes.CheckFailed;
            }
            var matrices = single ? Compute<float>(problem, parse, request, everyExample, m) : Compute<double>(problem, parse, request, everyExample, m);
            stdout.Write(JacobianWriter.Write(matrices, f, d));
            return ExitCodes.Ok;
        }));
        return command;
    }

    private static (Models.Sequential<T> Model, Data.Batch<T> Batch, Losses.Loss<T>? Loss) Load<T>(
        ProblemOptions options, ParseResult parse, JacobianRequest request, string mode) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var (model, batch, loss) = request.Of == JacobianOf.Loss
            ? Loaded(options.Load<T>(parse))
            : options.LoadLossOptional<T>(parse);
        if (mode == "eval") model.Eval();
        else model.Train();
        return (model, batch, loss);

        static (Models.Sequential<T>, Data.Batch<T>, Losses.Loss<T>?) Loaded(Examples.Problem<T> p) => (p.Model, p.Batch, p.Loss);
    }

    private static IReadOnlyList<JacobianMatrix> Compute<T>(ProblemOptions options, ParseResult parse, JacobianRequest request, bool all, string mode)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var (model, batch, loss) = Load<T>(options, parse, request, mode);
        return all ? Jacobian.ComputeAll(model, batch, request, loss) : [Jacobian.Compute(model, batch, request, loss)];
    }

    private static IReadOnlyList<JacobianCheck> Checks(ProblemOptions options, ParseResult parse, JacobianRequest request, bool all, string mode, double step)
    {
        var (model, batch, loss) = Load<double>(options, parse, request, mode);
        var examples = all ? Enumerable.Range(0, batch.X.Shape[0]) : [request.Example];
        return examples.Select(k => Jacobian.Check(model, batch, request with { Example = k }, loss, step)).ToList();
    }
}
