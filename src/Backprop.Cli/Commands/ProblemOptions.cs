using System.CommandLine;
using System.Numerics;
using Backprop.Data;
using Backprop.Examples;
using Backprop.Losses;
using Backprop.Models;

namespace Backprop.Cli.Commands;

/// <summary>The options that name a problem: --model/--data/--loss, or --example; and the precision.</summary>
internal sealed class ProblemOptions
{
    public readonly Option<string?> Model = new("--model") { Description = "Model file (JSON), or a model folder (model.json and model.safetensors, from train or PyTorch)", HelpName = "FILE|DIR" };
    public readonly Option<string?> Data = new("--data") { Description = "Data file (JSON): {\"x\": [...], \"y\": [...]}", HelpName = "FILE" };
    public readonly Option<string?> Loss = new("--loss") { Description = $"Loss: {string.Join(", ", LossFunctions.Names)}", HelpName = "NAME" };
    public readonly Option<string?> Example = new("--example") { Description = "A built-in example in place of --model/--data/--loss (see 'backprop examples')", HelpName = "NAME" };

    public void AddTo(Command command)
    {
        command.Options.Add(Model);
        command.Options.Add(Data);
        command.Options.Add(Loss);
        command.Options.Add(Example);
    }

    public Problem<T> Load<T>(ParseResult parse, double? learningRate = null) where T : unmanaged, IFloatingPointIeee754<T>
    {
        string? example = parse.GetValue(Example), model = parse.GetValue(Model), data = parse.GetValue(Data), loss = parse.GetValue(Loss);
        if (example is not null)
        {
            if (model is not null || data is not null || loss is not null)
                throw new BackpropException("--example replaces --model, --data and --loss; give one or the other");
            if (!Problem.Examples.Any(e => e.Name == example))
                throw new BackpropException($"--example: unknown example '{example}'; expected one of: {string.Join(", ", Problem.Examples.Select(e => e.Name))}");
            return Problem.FromExample<T>(example, learningRate);
        }
        var missing = new[] { ("--model", model), ("--data", data), ("--loss", loss) }.Where(o => o.Item2 is null).Select(o => o.Item1).ToList();
        if (missing.Count > 0)
            throw new BackpropException($"missing {string.Join(", ", missing)} (or use --example NAME; 'backprop examples' lists them)");
        // The library's message ("unknown loss 'foo'") cannot know the name came from --loss.
        if (!LossFunctions.Names.Contains(loss))
            throw new BackpropException($"--loss: unknown loss '{loss}'; expected one of: {string.Join(", ", LossFunctions.Names)}");
        return Problem.FromFiles<T>(model!, data!, loss!, learningRate);
    }

    /// <summary>
    /// As <see cref="Load{T}"/>, but without --loss the model and data are loaded alone (the loss is null): for
    /// commands that need the loss only for some of what they do.
    /// </summary>
    public (Sequential<T> Model, Batch<T> Batch, Loss<T>? Loss) LoadLossOptional<T>(ParseResult parse) where T : unmanaged, IFloatingPointIeee754<T>
    {
        string? model = parse.GetValue(Model), data = parse.GetValue(Data);
        if (parse.GetValue(Example) is not null || parse.GetValue(Loss) is not null)
        {
            var p = Load<T>(parse);
            return (p.Model, p.Batch, p.Loss);
        }
        var missing = new[] { ("--model", model), ("--data", data) }.Where(o => o.Item2 is null).Select(o => o.Item1).ToList();
        if (missing.Count > 0)
            throw new BackpropException($"missing {string.Join(", ", missing)} (or use --example NAME; 'backprop examples' lists them)");
        var built = Problem.LoadModel<T>(model!).Model;
        return (built, DataFile.Load<T>(data!, built.InputShape), null);
    }

    public static Option<string> Precision()
    {
        var option = OptionValues.OneOf("--precision", ["f64", "f32"], "f64");
        option.Description = "Arithmetic: f64 (default) or f32; with f32 the files' numbers are rounded to float32 on load";
        return option;
    }

    public static Option<string> Mode()
    {
        var option = OptionValues.OneOf("--mode", ["train", "eval"], "train");
        option.Description = "train (default: batch normalisation uses the batch's statistics and updates the running ones, dropout drops) or eval (running statistics, no dropout)";
        return option;
    }

    /// <summary>Puts the model in the mode --mode names.</summary>
    public static void SetMode<T>(Problem<T> problem, string mode) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (mode == "eval") problem.Model.Eval();
        else problem.Model.Train();
    }

    public static bool IsSingle(string precision) => precision switch
    {
        "f64" => false,
        "f32" => true,
        _ => throw new BackpropException($"--precision: expected f64 or f32, got '{precision}'"),
    };
}
