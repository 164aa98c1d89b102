using System.CommandLine;
using Backprop.Architectures;
using Backprop.Models;
using Backprop.Training;
using Backprop.Runs;

namespace Backprop.Cli.Commands;

/// <summary>backprop train: train a classifier on Fashion-MNIST (default) or the user's data, with checkpoints.</summary>
internal static class TrainCommand
{
    public static Command Create(TextWriter stdout, TextWriter stderr)
    {
        var defaults = new TrainingOptions();
        var model = new Option<string?>("--model") { Description = "Model file (JSON) to train", HelpName = "FILE" };
        var arch = new Option<string?>("--arch") { Description = $"A built-in architecture: {string.Join(", ", Architecture.Names)} (default mlp)", HelpName = "NAME" };
        var dataset = new Option<string>("--dataset") { Description = "fashion-mnist, idx:DIR or csv:TRAIN[,TEST]", DefaultValueFactory = _ => "fashion-mnist" };
        var labelColumn = new Option<string?>("--label-column") { Description = "With csv: the name of the label column", HelpName = "NAME" };
        var epochs = new Option<int>("--epochs") { DefaultValueFactory = _ => defaults.Epochs };
        var batchSize = new Option<int>("--batch-size") { DefaultValueFactory = _ => defaults.BatchSize };
        var optimizer = new Option<string>("--optimizer") { Description = "sgd, adam or adamw", DefaultValueFactory = _ => defaults.Optimizer };
        var lr = new Option<double?>("--lr") { Description = $"Learning rate (default {TrainingOptions.DefaultLearningRate("sgd")} for sgd, {TrainingOptions.AdamLearningRate} for adam/adamw)" };
        var momentum = new Option<double>("--momentum") { DefaultValueFactory = _ => defaults.Momentum };
        var nesterov = new Option<bool>("--nesterov");
        var weightDecay = new Option<double>("--weight-decay") { DefaultValueFactory = _ => defaults.WeightDecay };
        var schedule = new Option<string>("--schedule") { Description = "constant, step or cosine", DefaultValueFactory = _ => defaults.Schedule };
        var loss = new Option<string>("--loss") { Description = "cross_entropy or multiclass_perceptron", DefaultValueFactory = _ => defaults.Loss };
        var seed = new Option<ulong>("--seed") { DefaultValueFactory = _ => defaults.Seed };
        var validation = new Option<double>("--validation") { Description = "Fraction of the training set held out", DefaultValueFactory = _ => defaults.ValidationFraction };
        var patience = new Option<int?>("--patience") { Description = "Early stopping after this many epochs without a better validation loss (off by default)" };
        var standardize = new Option<bool>("--standardize") { Description = "Standardise each feature with the training set's statistics" };
        var flip = new Option<bool>("--flip") { Description = "Augment: mirror each training image left to right with probability ½ (seeded)" };
        var shift = new Option<int>("--shift") { Description = "Augment: shift each training image by up to N pixels along each axis, filling with background (seeded)", HelpName = "N" };
        var labelSmoothing = new Option<double>("--label-smoothing") { Description = "Cross-entropy label smoothing ε: 1 − ε on the label, ε spread over all classes", HelpName = "EPSILON" };
        var limit = new Option<int?>("--limit") { Description = "Train on the first N training examples only" };
        var outDir = new Option<string>("--out") { Description = "Folder for the model, weights, checkpoint, metrics and curves", DefaultValueFactory = _ => "runs/latest" };
        var resume = new Option<string?>("--resume") { Description = "Continue the run whose --out folder this is, from its last complete epoch", HelpName = "DIR" };
        var detectAnomaly = new Option<bool>("--detect-anomaly")
        {
            Description = "Stop at the first NaN or infinity in an output, the loss, a gradient or an updated weight, naming the layer, the tensor, the epoch and the batch (before a checkpoint is written)",
        };

        var command = new Command("train", "Train a classifier; writes model.json, model.safetensors, metrics.csv, curves.png and a checkpoint to --out");
        foreach (var o in new Option[] { model, arch, dataset, labelColumn, epochs, batchSize, optimizer, lr, momentum, nesterov, weightDecay, schedule, loss, seed, validation, patience, standardize, flip, shift, labelSmoothing, limit, outDir, resume, detectAnomaly })
            command.Options.Add(o);
        command.SetAction(parse => CommandRunner.Run(stderr, () =>
        {
            string? modelPath = parse.GetValue(model), archName = parse.GetValue(arch);
            if (modelPath is not null && archName is not null) throw new BackpropException("give --model or --arch, not both");
            string? resumeDir = parse.GetValue(resume);
            if (resumeDir is not null && CommandRunner.Given(parse, outDir))
                throw new BackpropException("--resume DIR continues the run in DIR and writes there; give --resume or --out, not both");
            string dir = resumeDir ?? parse.GetValue(outDir)!;
            CommandRunner.OutputFolder(dir, resumeDir is null ? "--out" : "--resume");
            string optimizerName = parse.GetValue(optimizer)!;
            var options = new TrainingOptions
            {
                Epochs = parse.GetValue(epochs), BatchSize = parse.GetValue(batchSize), Optimizer = optimizerName,
                LearningRate = parse.GetValue(lr) ?? TrainingOptions.DefaultLearningRate(optimizerName),
                Momentum = parse.GetValue(momentum), Nesterov = parse.GetValue(nesterov), WeightDecay = parse.GetValue(weightDecay),
                Schedule = parse.GetValue(schedule)!, Loss = parse.GetValue(loss)!, Seed = parse.GetValue(seed),
                ValidationFraction = parse.GetValue(validation), Patience = parse.GetValue(patience), Standardize = parse.GetValue(standardize),
                FlipHorizontally = parse.GetValue(flip), MaxShift = parse.GetValue(shift), LabelSmoothing = parse.GetValue(labelSmoothing) + 0.0, // + 0.0 turns −0 into 0: the same run
                Limit = parse.GetValue(limit), LabelColumn = parse.GetValue(labelColumn),
            };
            string source = modelPath ?? $"architecture '{archName ?? "mlp"}'";
            var parsed = ModelFile.Parse(modelPath is null ? Architecture.ModelText(archName ?? "mlp") : ModelFile.ReadText(modelPath), source);
            var spec = new ModelSpec { Input = parsed.Input, Layers = parsed.Layers, Seed = options.Seed };
            var result = ProgressBarTrainingReporter.Run(stdout, reporter => TrainingRun.Run(spec, parse.GetValue(dataset)!, options, dir, reporter,
                resume: resumeDir is not null, detectAnomaly: parse.GetValue(detectAnomaly), modelSource: source));
            stdout.WriteLine($"test loss {result.TestLoss:F4}, test accuracy {result.TestAccuracy:F4}");
            stdout.WriteLine($"wrote {Path.Combine(dir, RunFiles.Model)}, {RunFiles.Weights}, {RunFiles.Preprocessing}, {RunFiles.Metrics}, {RunFiles.Curves}, {RunFiles.Checkpoint}");
            return ExitCodes.Ok;
        }));
        return command;
    }
}
