using System.CommandLine;
using Backprop.Visualization;

namespace Backprop.Cli.Commands;

/// <summary>backprop plot: pictures computed by the library.</summary>
internal static class PlotCommand
{
    public static Command Create(TextWriter stdout, TextWriter stderr)
    {
        var output = new Option<string>("--out") { Description = "Output file (.png or .svg)", HelpName = "FILE", DefaultValueFactory = _ => "activations.png" };
        var activations = new Command("activations",
            $"ReLU, LeakyReLU(0.01), Softplus(beta=1), GELU, Tanh and Sigmoid on [{ActivationCurves.DefaultFrom}, {ActivationCurves.DefaultTo}], "
            + "each beside its derivative as the layer's Backward computes it")
        {
            output,
        };
        activations.SetAction(parse => CommandRunner.Run(stderr, () =>
        {
            string path = parse.GetValue(output)!;
            if (Path.GetExtension(path).ToLowerInvariant() is not (".png" or ".svg"))
                throw new BackpropException($"--out: expected FILE.png or FILE.svg, got '{path}'");
            CommandRunner.OutputFile(path, "--out");
            ActivationCurves.Save(ActivationCurves.Compute(), path);
            stdout.WriteLine($"wrote {path}");
            return ExitCodes.Ok;
        }));
        return new Command("plot", "Draw pictures: 'backprop plot activations'") { activations };
    }
}
