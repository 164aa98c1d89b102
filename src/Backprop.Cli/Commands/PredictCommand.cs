using System.CommandLine;
using Backprop.Data;
using Backprop.Training;
using Backprop.Runs;
using Backprop.Visualization;

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
            if (parse.GetValue(image) is not null && new Option[] { dataset, labelColumn, index }.FirstOrDefault(o => CommandRunner.Given(parse, o)) is Option other)
                throw new BackpropException($"--image replaces the test examples that {other.Name} chooses; give --image or --dataset/--label-column/--index, not both");
            var trained = TrainedModel.Load(parse.GetValue(modelDir)!);
            var model = trained.Model;
            Dataset data;
            int[] rows;
            IReadOnlyList<string>? names = null;
            if (parse.GetValue(image) is string png)
            {
                data = new Dataset(PngImage.ReadGrayscale(png, model.InputShape), model.InputShape, [0], model.OutputShape[0]);
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
            var predictions = new Classifier<float>(model).Predict(data, rows);
            for (int n = 0; n < rows.Length; n++)
            {
                var (predicted, probabilities) = predictions[n];
                string Name(int c) => names is not null && c < names.Count && names[c] != c.ToString() ? $"{c} ({names[c]})" : c.ToString();
                string truth = parse.GetValue(image) is null ? $", true class {Name(data.Labels[rows[n]])}" : "";
                stdout.WriteLine($"example {rows[n]}: predicted {Name(predicted)}{truth}");
                stdout.WriteLine("  probabilities: " + string.Join(", ", probabilities.Select((p, c) => $"{c}: {p:F4}")));
            }
            return ExitCodes.Ok;
        }));
        return command;
    }
}
