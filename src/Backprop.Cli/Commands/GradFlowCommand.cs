using System.CommandLine;
using Backprop.Diagnostics;
using Backprop.Visualization;

namespace Backprop.Cli.Commands;

/// <summary>backprop gradflow: per-layer gradient norms, dead ReLUs and saturated sigmoids/tanhs of any model on a batch.</summary>
internal static class GradFlowCommand
{
    public static Command Create(TextWriter stdout, TextWriter stderr)
    {
        var problem = new ProblemOptions();
        var plot = new Option<string?>("--plot") { Description = "Also draw the norms per layer (log scale) to FILE.png", HelpName = "FILE" };
        var command = new Command("gradflow",
            "How gradients flow through a model on one batch: per layer the L2 norm of each parameter and its gradient and of dL/d(input); "
            + $"the fraction of dead ReLU units (pre-activation ≤ 0 for every example) and of saturated outputs "
            + $"(sigmoid |y − ½| > {GradientFlow.SigmoidSaturation}, tanh |y| > {GradientFlow.TanhSaturation})");
        problem.AddTo(command);
        command.Options.Add(plot);
        command.SetAction(parse => CommandRunner.Run(stderr, () =>
        {
            string? plotPath = parse.GetValue(plot);
            if (plotPath is not null && !plotPath.EndsWith(".png", StringComparison.OrdinalIgnoreCase))
                throw new BackpropException($"--plot: expected FILE.png, got '{plotPath}'");
            if (plotPath is not null) CommandRunner.OutputFile(plotPath, "--plot");
            var p = problem.Load<double>(parse);
            var report = GradientFlow.Compute(p.Model, p.Loss, p.Batch);
            Print(report, stdout);
            if (plotPath is not null)
            {
                ExperimentCharts.GradientFlowReport(report, plotPath);
                stdout.WriteLine($"wrote {plotPath}");
            }
            return ExitCodes.Ok;
        }));
        return command;
    }

    private static void Print(GradientFlowReport report, TextWriter stdout)
    {
        var sci = ExperimentCommand.Sci;
        var percent = NumberFormat.Fixed(1);
        var table = ExperimentCommand.Table(4, "layer", "type", "output", "parameter", "‖θ‖", "‖dL/dθ‖", "‖dL/d(input)‖", "dead ReLU units", "saturated outputs");
        foreach (var layer in report.Layers)
        {
            string type = layer.Layer;
            string output = Tensors.Tensor.Format(layer.OutputShape);
            string dead = layer.DeadFraction is double d ? percent(100 * d) + "%" : "";
            string saturated = layer.SaturatedFraction is double s ? percent(100 * s) + "%" : "";
            if (layer.Parameters.Count == 0)
                ExperimentCommand.Row(table, layer.Index.ToString(), type, output, "", "", "", sci(layer.InputGradNorm), dead, saturated);
            for (int i = 0; i < layer.Parameters.Count; i++)
            {
                var p = layer.Parameters[i];
                bool first = i == 0;
                ExperimentCommand.Row(table, first ? layer.Index.ToString() : "", first ? type : "", first ? output : "", p.Name,
                    sci(p.ValueNorm), sci(p.GradNorm), first ? sci(layer.InputGradNorm) : "", first ? dead : "", first ? saturated : "");
            }
        }
        ExperimentCommand.Console(stdout).Write(table);
        stdout.WriteLine($"loss {NumberFormat.RoundTrip(report.Loss)} on a batch of {report.BatchSize}; norms are L2 over the whole batch; "
            + $"dead: ReLU pre-activation ≤ 0 for every example; saturated: sigmoid |y − ½| > {GradientFlow.SigmoidSaturation}, tanh |y| > {GradientFlow.TanhSaturation}");
    }
}
