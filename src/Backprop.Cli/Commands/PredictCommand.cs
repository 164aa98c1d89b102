using System.CommandLine;
using Backprop.Data;
using Backprop.Losses;
using Backprop.Tensors;
using Backprop.Training;
using SkiaSharp;
using Backprop.Runs;

namespace Backprop.Cli.Commands;

/// <summary>backprop predict: the class and class probabilities for chosen examples or a PNG image.</summary>
internal static class PredictCommand
{
    public static Command Create(TextWriter stdout, TextWriter stderr)
    {
        var modelDir = new Option<string>("--model") { Description = "The --out folder of 'backprop train'", Required = true, HelpName = "DIR" };
        var image = new Option<string?>("--image") { Description = "A grayscale PNG of the model's input size (e.g. 28x28)", HelpName = "FILE.png" };
        var dataset = new Option<string>("--dataset") { Description = "fashion-mnist, idx:DIR or csv:TRAIN[,TEST]", DefaultValueFactory = _ => "fashion-mnist" };
        var labelColumn = new Option<string?>("--label-column") { Description = "With csv: the name of the label column" };
        var index = new Option<string>("--index") { Description = "Comma-separated indices of test examples", DefaultValueFactory = _ => "0" };
        var command = new Command("predict", "Predict the class and class probabilities of test examples or of a PNG image");
        foreach (var o in new Option[] { modelDir, image, dataset, labelColumn, index }) command.Options.Add(o);
        command.SetAction(parse => CommandRunner.Run(stderr, () =>
        {
            var trained = TrainedModel.Load(parse.GetValue(modelDir)!);
            var model = trained.Model;
            Dataset data;
            int[] rows;
            IReadOnlyList<string>? names = null;
            if (parse.GetValue(image) is string png)
            {
                data = new Dataset(ReadImage(png, model.InputShape), model.InputShape, [0], model.OutputShape[0]);
                rows = [0];
            }
            else
            {
                data = DatasetSource.Load(parse.GetValue(dataset)!, DataSplit.Test, parse.GetValue(labelColumn));
                names = data.ClassNames;
                rows = parse.GetValue(index)!.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).Select(s =>
                    int.TryParse(s, out int i) && i >= 0 && i < data.Count ? i : throw new BackpropException($"--index: '{s}' is not an example index in [0, {data.Count})")).ToArray();
            }
            trained.Prepare(data);
            var x = new Tensor<float>(Tensor.Batched(rows.Length, model.InputShape));
            var y = new Tensor<float>(rows.Length);
            data.CopyBatch<float>(rows, 0, rows.Length, x.Span, y.Span);
            var output = model.Forward(x);
            int classes = output.ExampleSize;
            for (int n = 0; n < rows.Length; n++)
            {
                var logits = output.Span.Slice(n * classes, classes);
                float lse = CrossEntropyLoss<float>.LogSumExp(logits);
                int predicted = Trainer<float>.ArgMax(logits);
                string Name(int c) => names is not null && c < names.Count && names[c] != c.ToString() ? $"{c} ({names[c]})" : c.ToString();
                string truth = parse.GetValue(image) is null ? $", true class {Name(data.Labels[rows[n]])}" : "";
                stdout.WriteLine($"example {rows[n]}: predicted {Name(predicted)}{truth}");
                var probabilities = new string[classes];
                for (int c = 0; c < classes; c++) probabilities[c] = $"{c}: {MathF.Exp(logits[c] - lse):F4}";
                stdout.WriteLine("  probabilities: " + string.Join(", ", probabilities));
            }
            return ExitCodes.Ok;
        }));
        return command;
    }

    /// <summary>Reads a PNG as grayscale 0..255 values; its size must be the model's [1, H, W] input.</summary>
    private static float[] ReadImage(string path, int[] inputShape)
    {
        if (!File.Exists(path)) throw new BackpropException($"{path}: no such file");
        using var bitmap = SKBitmap.Decode(path) ?? throw new BackpropException($"{path}: not a readable PNG image");
        if (inputShape.Length != 3 || inputShape[0] != 1 || bitmap.Height != inputShape[1] || bitmap.Width != inputShape[2])
            throw new BackpropException($"{path}: image is {bitmap.Width}x{bitmap.Height}, but the model expects input [{string.Join(", ", inputShape)}] (one channel, height × width)");
        var values = new float[bitmap.Width * bitmap.Height];
        for (int r = 0; r < bitmap.Height; r++)
            for (int c = 0; c < bitmap.Width; c++)
            {
                var px = bitmap.GetPixel(c, r);
                values[r * bitmap.Width + c] = 0.299f * px.Red + 0.587f * px.Green + 0.114f * px.Blue;
            }
        return values;
    }
}
