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
        var detectAnomaly = new Option<bool>("--detect-anomaly")
        {
            Description = "Fail at the first NaN or infinity in an output, the loss or a gradient, naming the layer and the tensor",
        };
        var command = new Command("grad", "Print the loss, the output and every gradient as one JSON object");
        problem.AddTo(command);
        command.Options.Add(precision);
        command.Options.Add(detectAnomaly);
        command.SetAction(parse => CommandRunner.Run(stderr, () =>
        {
            bool detect = parse.GetValue(detectAnomaly);
            stdout.WriteLine(ProblemOptions.IsSingle(parse.GetValue(precision)!) ? Report<float>(problem, parse, detect) : Report<double>(problem, parse, detect));
            return ExitCodes.Ok;
        }));
        return command;
    }

    private static string Report<T>(ProblemOptions options, ParseResult parse, bool detectAnomaly) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var p = options.Load<T>(parse);
        using var detector = detectAnomaly ? AnomalyDetector<T>.Attach(p.Model) : null;
        return GradientReport.Compute(p.Model, p.Loss, p.Batch, detector).ToJson();
    }
}
