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
        var mode = ProblemOptions.Mode();
        var detectAnomaly = new Option<bool>("--detect-anomaly")
        {
            Description = "Fail at the first NaN or infinity in an output, the loss or a gradient, naming the layer and the tensor",
        };
        var command = new Command("grad", "Print the loss, the output and every gradient as one JSON object");
        problem.AddTo(command);
        command.Options.Add(precision);
        command.Options.Add(detectAnomaly);
        command.Options.Add(mode);
        command.SetAction(parse => CommandRunner.Run(stderr, () =>
        {
            bool detect = parse.GetValue(detectAnomaly);
            string m = parse.GetValue(mode)!;
            stdout.WriteLine(ProblemOptions.IsSingle(parse.GetValue(precision)!) ? Report<float>(problem, parse, detect, m) : Report<double>(problem, parse, detect, m));
            return ExitCodes.Ok;
        }));
        return command;
    }

    private static string Report<T>(ProblemOptions options, ParseResult parse, bool detectAnomaly, string mode) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var p = options.Load<T>(parse);
        ProblemOptions.SetMode(p, mode);
        using var detector = detectAnomaly ? AnomalyDetector<T>.Attach(p.Model) : null;
        return GradientReport.Compute(p.Model, p.Loss, p.Batch, detector).ToJson();
    }
}
