using System.CommandLine;
using Backprop.Onnx;
using Backprop.Runs;

namespace Backprop.Cli.Commands;

/// <summary>
/// backprop export: a trained model folder or a model file with values, as an ONNX file (see docs/interop.md) or as a
/// PyTorch package that continues training on several processes or machines (see docs/scale-out.md).
/// </summary>
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
        var format = OptionValues.OneOf("--format", ["onnx", "pytorch"], "onnx");
        format.Description = "The format: onnx (one file: IR version 8, opset 17, float32) or pytorch (a folder: model.py, model.safetensors, train.py)";
        var output = new Option<string>("--out") { Description = "The file (onnx) or folder (pytorch) to write", Required = true, HelpName = "FILE.onnx|DIR" };
        var preprocessing = new Option<bool>("--include-preprocessing")
        {
            Description = "onnx, with a trained model folder: start the graph with its input preparation (divide by 255, standardize), so that it takes raw pixels",
        };
        var epochs = new Option<int?>("--epochs")
        {
            Description = "pytorch: the total number of epochs train.py trains to, counting those the run did (default: one more than the run did; 15 for a model file)",
            HelpName = "N",
        };
        var command = new Command("export", "Export a model to ONNX (input 'input' [N, ...], output 'output') or to PyTorch (model.py, model.safetensors, train.py)");
        foreach (var o in new Option[] { model, format, output, preprocessing, epochs }) command.Options.Add(o);
        command.SetAction(parse => CommandRunner.Run(stderr, () =>
        {
            string path = parse.GetValue(model)!, outPath = parse.GetValue(output)!;
            bool include = parse.GetValue(preprocessing);
            if (parse.GetValue(format) == "pytorch")
            {
                if (include) throw new BackpropException("--include-preprocessing applies to --format onnx; the PyTorch package carries preprocessing.safetensors and model.prepare()");
                var files = PyTorchExport.Export(path, outPath, parse.GetValue(epochs));
                stdout.WriteLine($"wrote {outPath}: {string.Join(", ", files)}");
                stdout.WriteLine($"continue training with: python3 {Path.Combine(outPath, PyTorchExport.TrainScript)} [--nproc N] (see docs/scale-out.md)");
                return ExitCodes.Ok;
            }
            if (parse.GetValue(epochs) is not null) throw new BackpropException("--epochs applies to --format pytorch");
            CommandRunner.OutputFile(outPath, "--out");
            var (loaded, prep) = TrainedModel.LoadForExport(path);
            if (include && prep is null)
                throw new BackpropException($"--include-preprocessing: {path} is a model file, which has no preprocessing; the option applies to a trained model folder");
            OnnxExport.Save(outPath, loaded, include ? prep : null);
            stdout.WriteLine($"wrote {outPath}: ONNX opset {OnnxExport.Opset}, '{OnnxExport.InputName}' [N, {string.Join(", ", loaded.InputShape)}] → " +
                $"'{OnnxExport.OutputName}' [N, {string.Join(", ", loaded.OutputShape)}]{(include ? ", preprocessing included" : "")}");
            return ExitCodes.Ok;
        }));
        return command;
    }
}
