using System.CommandLine;
using System.Text.Json;
using Backprop.Architectures;
using Backprop.Examples;
using Backprop.Models;
using Backprop.Training;

namespace Backprop.Cli.Commands;

/// <summary>
/// backprop summary: a model at a glance, as torchinfo's summary() and Keras's model.summary() show it (see
/// docs/summary.md): per layer the type and arguments, output shape, parameters, buffers, multiply-adds per example and
/// activation memory for a batch, with the totals. Reads the model file only: nothing is built.
/// </summary>
internal static class SummaryCommand
{
    public static Command Create(TextWriter stdout, TextWriter stderr)
    {
        var model = new Option<string?>("--model")
        {
            Description = "A model file, or a trained model folder (the --out of 'backprop train'; its model.json is read)",
            HelpName = "M.json|DIR",
        };
        var arch = new Option<string?>("--arch") { Description = $"A built-in architecture: {string.Join(", ", Architecture.Names)}", HelpName = "NAME" };
        var example = new Option<string?>("--example") { Description = "A built-in example's model (see 'backprop examples')", HelpName = "NAME" };
        int defaultBatch = new TrainingOptions().BatchSize;
        var batchSize = OptionValues.Integer("--batch-size", defaultBatch);
        batchSize.Description = $"The batch the activation memory and the batch's multiply-adds are given for (default {defaultBatch}, as 'backprop train')";
        var format = OptionValues.OneOf("--format", ModelSummaryWriter.Formats, "text");
        format.Description = "text (a table, default), markdown or json";
        var command = new Command("summary",
            "A model at a glance (torchinfo / Keras model.summary() style): per layer the type and arguments, output shape, parameters, "
            + "buffers, multiply-adds per example and activation memory for a batch, with the totals");
        foreach (var o in new Option[] { model, arch, example, batchSize, format }) command.Options.Add(o);
        command.SetAction(parse => CommandRunner.Run(stderr, () =>
        {
            int batch = parse.GetValue(batchSize);
            if (batch < 1) throw new BackpropException($"--batch-size: expected an integer ≥ 1, got {batch}");
            var (spec, source) = Load(parse.GetValue(model), parse.GetValue(arch), parse.GetValue(example));
            stdout.Write(ModelSummaryWriter.Write(ModelSummary.Of(spec, source, batch), parse.GetValue(format)!));
            return ExitCodes.Ok;
        }));
        return command;
    }

    /// <summary>The model that exactly one of --model, --arch and --example names, and how messages name it.</summary>
    private static (ModelSpec Spec, string Source) Load(string? model, string? arch, string? example)
    {
        int given = new[] { model, arch, example }.Count(o => o is not null);
        if (given != 1)
            throw new BackpropException(given == 0
                ? $"no model given; use --model M.json|DIR, --arch {string.Join("|", Architecture.Names)} or --example NAME"
                : "give one of --model, --arch and --example");
        if (arch is not null)
        {
            if (!Architecture.Names.Contains(arch))
                throw new BackpropException($"--arch: unknown architecture '{arch}'; expected one of: {string.Join(", ", Architecture.Names)}");
            string source = $"architecture '{arch}'";
            return (ModelFile.Parse(Architecture.ModelText(arch), source), source);
        }
        if (example is not null)
        {
            if (!Problem.Examples.Any(e => e.Name == example))
                throw new BackpropException($"--example: unknown example '{example}'; expected one of: {string.Join(", ", Problem.Examples.Select(e => e.Name))}");
            string source = $"example '{example}'";
            using var doc = JsonDocument.Parse(Problem.ExampleText(example));
            return (ModelFile.Parse(doc.RootElement.GetProperty("model"), source), source);
        }
        string path = model!;
        if (Directory.Exists(path))
        {
            string file = Path.Combine(path, RunFiles.Model);
            if (!File.Exists(file)) throw new BackpropException($"{file}: missing; is {path} the --out folder of 'backprop train'?");
            path = file;
        }
        else if (!File.Exists(path))
            throw new BackpropException($"{path}: no such model file or trained model folder");
        return (ModelFile.Parse(ModelFile.ReadText(path), path), path);
    }
}
