using System.CommandLine;
using Backprop.Data;
using Backprop.Training;
using Backprop.Visualization;
using Spectre.Console;
using Backprop.Runs;

namespace Backprop.Cli.Commands;

/// <summary>backprop eval: loss, accuracy, per-class accuracy and the confusion matrix of a trained model.</summary>
internal static class EvalCommand
{
    public static Command Create(TextWriter stdout, TextWriter stderr)
    {
        var modelDir = new Option<string>("--model") { Description = "The --out folder of 'backprop train'", Required = true, HelpName = "DIR" };
        var dataset = new Option<string>("--dataset") { Description = "fashion-mnist, idx:DIR or csv:TRAIN[,TEST]", DefaultValueFactory = _ => "fashion-mnist" };
        var labelColumn = new Option<string?>("--label-column") { Description = "With csv: the name of the label column" };
        var split = new Option<string>("--split") { Description = "test or train", DefaultValueFactory = _ => "test" };
        var plot = new Option<string?>("--plot") { Description = "Also write the confusion matrix as a PNG heatmap", HelpName = "FILE.png" };
        var command = new Command("eval", "Evaluate a trained model: loss, accuracy, per-class accuracy, confusion matrix");
        foreach (var o in new Option[] { modelDir, dataset, labelColumn, split, plot }) command.Options.Add(o);
        command.SetAction(parse => CommandRunner.Run(stderr, () =>
        {
            if (parse.GetValue(plot) is string plotPath) CommandRunner.OutputFile(plotPath, "--plot");
            var trained = TrainedModel.Load(parse.GetValue(modelDir)!, parse.GetValue(dataset)!);
            var which = parse.GetValue(split) switch
            {
                "test" => DataSplit.Test,
                "train" => DataSplit.Train,
                var s => throw new BackpropException($"--split: expected test or train, got '{s}'"),
            };
            var data = DatasetSource.Load(parse.GetValue(dataset)!, which, parse.GetValue(labelColumn));
            trained.Prepare(data);
            var classifier = new Classifier<float>(trained.Model);
            classifier.CheckData(data, parse.GetValue(dataset)!);
            var evaluation = classifier.Evaluate(data);
            var confusion = evaluation.Confusion;

            var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(stdout), ColorSystem = ColorSystemSupport.NoColors });
            stdout.WriteLine($"{evaluation.Examples} examples: loss {evaluation.Loss:F4}, accuracy {evaluation.Accuracy:F4}");
            var perClass = new Table().AddColumns("class", "name", "examples", "accuracy");
            for (int c = 0; c < data.Classes; c++)
            {
                int total = evaluation.ExamplesOf(c);
                perClass.AddRow(new Text(c.ToString()), new Text(data.ClassNames[c]), new Text(total.ToString()), new Text(total == 0 ? "-" : evaluation.ClassAccuracy(c).ToString("F4")));
            }
            console.Write(perClass);
            var matrix = new Table().AddColumn(new TableColumn("true \\ predicted"));
            for (int p = 0; p < data.Classes; p++) matrix.AddColumn(new TableColumn(p.ToString()).RightAligned());
            for (int c = 0; c < data.Classes; c++)
                matrix.AddRow(Enumerable.Range(0, data.Classes).Select(p => new Text(confusion[c, p].ToString())).Prepend(new Text($"{c} {data.ClassNames[c]}")));
            console.Write(matrix);
            if (parse.GetValue(plot) is string png)
            {
                Charts.ConfusionMatrix(confusion, data.ClassNames, png);
                stdout.WriteLine($"wrote {png}");
            }
            return ExitCodes.Ok;
        }));
        return command;
    }
}
