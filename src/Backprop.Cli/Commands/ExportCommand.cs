using System.CommandLine;
using Backprop.Onnx;
using Backprop.Runs;

namespace Backprop.Cli.Commands;

/// <summary>backprop export: a trained model folder or a model file with values, as an ONNX file (see docs/interop.md).</summary>
internal static class ExportCommand
{
    public static Command Create(TextWriter stdout, TextWriter stderr)
    {
        var model = new Option<string>("--model")
        {
            Description = "A trained model folder (the --out of 'backprop train') or a model file that gives every weight and bias",
            Required = true,
            HelpName = "DIR|M.json",
        };
        var format = OptionValues.OneOf("--format", ["onnx"], "onnx");
        format.Description = "The file format: onnx (IR version 8, opset 17, float32)";
        var output = new Option<string>("--out") { Description = "The file to write", Required = true, HelpName = "FILE.onnx" };
        var preprocessing = new Option<bool>("--include-preprocessing")
        {
            Description = "With a trained model folder: start the graph with its input preparation (divide by 255, standardize), so that it takes raw pixels",
        };
        var command = new Command("export", "Export a model to ONNX (input 'input' [N, ...], output 'output')");
        foreach (var o in new Option[] { model, format, output, preprocessing }) command.Options.Add(o);
        command.SetAction(parse => CommandRunner.Run(stderr, () =>
        {
            string path = parse.GetValue(model)!, outPath = parse.GetValue(output)!;
            CommandRunner.OutputFile(outPath, "--out");
            var (loaded, preparation) = TrainedModel.LoadForExport(path);
            bool include = parse.GetValue(preprocessing);
            if (include && preparation is null)
                throw new BackpropException($"--include-preprocessing: {path} is a model file, which has no preprocessing; the option applies to a trained model folder");
            OnnxExport.Save(outPath, loaded, include ? preparation : null);
            stdout.WriteLine($"wrote {outPath}: ONNX opset {OnnxExport.Opset}, '{OnnxExport.InputName}' [N, {string.Join(", ", loaded.InputShape)}] → " +
                $"'{OnnxExport.OutputName}' [N, {string.Join(", ", loaded.OutputShape)}]{(include ? ", preprocessing included" : "")}");
            return ExitCodes.Ok;
        }));
        return command;
    }
}
