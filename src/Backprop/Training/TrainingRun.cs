using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Backprop.Data;
using Backprop.Diagnostics;
using Backprop.Interop;
using Backprop.IO;
using Backprop.Losses;
using Backprop.Models;
using Backprop.Optimizers;
using Backprop.Tensors;
using Backprop.Visualization;

namespace Backprop.Training;

/// <summary>Hears about a run's progress (the CLI draws progress bars or prints lines).</summary>
public interface ITrainingReporter
{
    void Message(string text);
    void EpochStarted(int epoch, int epochs, int examples);
    void Batch(BatchProgress progress);
    void EpochFinished(EpochMetrics metrics);
}

/// <summary>The files a run writes into its output folder.</summary>
public static class RunFiles
{
    public const string Model = "model.json", Weights = "model.safetensors", Checkpoint = "checkpoint.safetensors",
        Preprocessing = "preprocessing.safetensors", Metrics = "metrics.csv", Curves = "curves.png";
}

/// <summary>The outcome of a run: its metrics per epoch and the test-set figures.</summary>
public sealed record TrainingResult(IReadOnlyList<EpochMetrics> Epochs, double TestLoss, double TestAccuracy, bool StoppedEarly);

/// <summary>
/// A whole training run in float32: data, split, preprocessing, epochs, checkpoints after every epoch and the final
/// files. The checkpoint is one file (weights, optimiser state and the run's state in its metadata) written
/// atomically, so a crash at any point leaves the last complete epoch readable, and <c>resume</c> continues from it
/// to the same weights an uninterrupted run reaches.
/// </summary>
public static class TrainingRun
{
    private const string StateKey = "backprop_training";

    // Metrics hold NaN when there is no validation set; JSON has no NaN literal unless asked.
    private static readonly JsonSerializerOptions Json = new() { NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals };

    /// <summary>
    /// Trains, writing a checkpoint after every epoch, and then the final files into <paramref name="outDir"/>.
    /// <paramref name="detectAnomaly"/> checks every output, gradient, loss and updated parameter for NaN and infinity
    /// (<see cref="AnomalyDetector{T}"/>): the first one stops the run with an <see cref="AnomalyException"/> naming
    /// the layer, the tensor, the epoch and the batch, before the epoch's checkpoint is written. It does not change
    /// the results, so a run may be resumed with or without it.
    /// </summary>
    public static TrainingResult Run(ModelSpec spec, string dataset, TrainingOptions options, string outDir, ITrainingReporter reporter, bool resume = false,
        bool detectAnomaly = false)
    {
        options.Validate();
        var loss = options.LabelSmoothing > 0 ? new CrossEntropyLoss<float>(options.LabelSmoothing) : LossFunctions.Create<float>(options.Loss);
        var model = ModelFile.Build<float>(spec, "model");
        if (detectAnomaly) model.AnomalyDetector = new AnomalyDetector<float>();

        reporter.Message($"loading {dataset}");
        var all = DatasetSource.Load(dataset, DataSplit.Train, options.LabelColumn);
        var test = DatasetSource.Load(dataset, DataSplit.Test, options.LabelColumn);
        if (options.Limit is int limit && limit < all.Count) all = all.Subset(Enumerable.Range(0, limit).ToArray());
        var (train, validation) = Preprocessing.Split(all, options.ValidationFraction, options.Seed);
        // Refuse a model or batch too large for the machine now, rather than swap or fail halfway through an epoch.
        var memory = MemoryEstimate.Training(ModelFile.Layout(spec, "model"), sizeof(float), Math.Min(options.BatchSize, Math.Max(1, train.Count)),
            optimizerSlots: options.Optimizer == "sgd" ? (options.Momentum > 0 ? 1 : 0) : 2);
        MemoryEstimate.Check(memory.Total, "training needs", $" ({memory})", "; lower --batch-size or use a smaller model");
        // The training part is prepared while the statistics are taken from it; the rest is prepared the same way.
        var preparation = new DataPreparation(DataPreparation.ScaleFor(dataset), null, null);
        preparation.Apply(train);
        if (options.Standardize)
        {
            var (mean, std) = Preprocessing.Standardize(train);
            preparation = preparation with { Mean = mean, Std = std };
        }
        preparation.Apply(validation);
        preparation.Apply(test);

        var optimizer = OptimizerFactory.Create(options.Optimizer, model.NamedParameters, options.LearningRate,
            options.Optimizer == "sgd" ? options.Momentum : 0, options.WeightDecay, options.Nesterov);
        var schedule = options.Schedule switch
        {
            "step" => LearningRateSchedules.Create("step", options.LearningRate, stepSize: Math.Max(1, options.Epochs / 3)),
            "cosine" => LearningRateSchedules.Create("cosine", options.LearningRate, tMax: options.Epochs),
            var name => LearningRateSchedules.Create(name, options.LearningRate),
        };
        var trainer = new Trainer<float>(model, loss, optimizer);
        trainer.CheckData(train, dataset);
        trainer.CheckData(test, dataset);
        var augmentation = options.FlipHorizontally || options.MaxShift > 0
            ? new ImageAugmentation<float>(train.ExampleShape, options.FlipHorizontally, options.MaxShift)
            : null;

        Directory.CreateDirectory(outDir);
        var history = new List<EpochMetrics>();
        var state = new RunState();
        string checkpoint = Path.Combine(outDir, RunFiles.Checkpoint);
        if (resume)
        {
            state = LoadCheckpoint(checkpoint, model, optimizer, options, history);
            reporter.Message($"resuming after epoch {state.EpochsDone} of {options.Epochs}");
        }
        reporter.Message($"training {model.NamedParameters.Sum(p => p.Parameter.Value.Length):N0} parameters on {train.Count:N0} examples " +
            $"(validation {validation.Count:N0}, test {test.Count:N0}), {options.Optimizer} lr {NumberFormat.RoundTrip(options.LearningRate)}, batch {options.BatchSize}, seed {options.Seed}");

        bool stoppedEarly = false;
        for (int epoch = state.EpochsDone; epoch < options.Epochs; epoch++)
        {
            optimizer.LearningRate = schedule.LearningRate(epoch);
            reporter.EpochStarted(epoch, options.Epochs, train.Count);
            var clock = Stopwatch.StartNew();
            var (trainLoss, trainAccuracy) = trainer.TrainEpoch(train, epoch, options.BatchSize, options.Seed, reporter.Batch, augmentation);
            var (valLoss, valAccuracy) = trainer.Evaluate(validation, options.BatchSize);
            var metrics = new EpochMetrics(epoch + 1, optimizer.LearningRate, trainLoss, trainAccuracy, valLoss, valAccuracy, clock.Elapsed.TotalSeconds);
            history.Add(metrics);
            reporter.EpochFinished(metrics);

            if (validation.Count > 0 && valLoss < state.BestValidationLoss) { state.BestValidationLoss = valLoss; state.EpochsWithoutImprovement = 0; }
            else state.EpochsWithoutImprovement++;
            state.EpochsDone = epoch + 1;
            SaveCheckpoint(checkpoint, model, optimizer, options, state, history);
            WriteMetrics(Path.Combine(outDir, RunFiles.Metrics), history);

            if (options.Patience is int patience && validation.Count > 0 && state.EpochsWithoutImprovement >= patience && epoch + 1 < options.Epochs)
            {
                reporter.Message($"early stopping: no improvement of the validation loss for {patience} epochs");
                stoppedEarly = true;
                break;
            }
        }

        AtomicFile.WriteAllText(Path.Combine(outDir, RunFiles.Model), ModelFile.WriteArchitecture(ModelFile.ToSpec(model)));
        Safetensors.SaveModel(Path.Combine(outDir, RunFiles.Weights), model);
        preparation.Save(Path.Combine(outDir, RunFiles.Preprocessing), train.ExampleShape);
        Charts.TrainingCurves(history, Path.Combine(outDir, RunFiles.Curves));
        var (testLoss, testAccuracy) = trainer.Evaluate(test, options.BatchSize);
        return new TrainingResult(history, testLoss, testAccuracy, stoppedEarly);
    }

    private sealed class RunState
    {
        public int EpochsDone { get; set; }
        public double BestValidationLoss { get; set; } = double.PositiveInfinity;
        public int EpochsWithoutImprovement { get; set; }
    }

    private static void SaveCheckpoint(string path, Sequential<float> model, Optimizer<float> optimizer, TrainingOptions options, RunState state, List<EpochMetrics> history)
    {
        var tensors = Safetensors.StateDict(model).Concat(optimizer.State()).ToList(); // with the buffers (running statistics)
        var meta = JsonSerializer.Serialize(new
        {
            epochs_done = state.EpochsDone,
            best_validation_loss = double.IsFinite(state.BestValidationLoss) ? state.BestValidationLoss : (double?)null,
            epochs_without_improvement = state.EpochsWithoutImprovement,
            optimizer_steps = optimizer.StepCount,
            generator = model.Context.Generator.State.Select(w => w.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToArray(), // dropout's masks go on from here
            options = Fingerprint(options),
            metrics = history,
        }, Json);
        Safetensors.Save(path, tensors, new Dictionary<string, string> { [StateKey] = meta });
    }

    private static RunState LoadCheckpoint(string path, Sequential<float> model, Optimizer<float> optimizer, TrainingOptions options, List<EpochMetrics> history)
    {
        if (!File.Exists(path)) throw new BackpropException($"{path}: no checkpoint to resume from");
        var file = SafetensorsFile.Read(path);
        if (file.Metadata is null || !file.Metadata.TryGetValue(StateKey, out var meta))
            throw new BackpropException($"{path}: not a Backprop training checkpoint (no '{StateKey}' metadata)");
        using var doc = JsonDocument.Parse(meta);
        var root = doc.RootElement;
        string saved = root.GetProperty("options").GetString() ?? "";
        if (saved != Fingerprint(options))
            throw new BackpropException($"{path}: the checkpoint was made with other settings ({saved}); resume with the same options");
        foreach (var (name, t) in Safetensors.StateDict(model)) t.CopyFrom(file.Get<float>(name));
        if (root.TryGetProperty("generator", out var generator))
            model.Context.Generator.State = generator.EnumerateArray().Select(w => ulong.Parse(w.GetString()!, System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        optimizer.LoadState(optimizer.State().Select(s => (s.Name, file.Get<float>(s.Name))).ToList(), root.GetProperty("optimizer_steps").GetInt32());
        foreach (var m in root.GetProperty("metrics").EnumerateArray())
            history.Add(m.Deserialize<EpochMetrics>(Json) ?? throw new BackpropException($"{path}: unreadable metrics"));
        return new RunState
        {
            EpochsDone = root.GetProperty("epochs_done").GetInt32(),
            BestValidationLoss = root.GetProperty("best_validation_loss").ValueKind == JsonValueKind.Number ? root.GetProperty("best_validation_loss").GetDouble() : double.PositiveInfinity,
            EpochsWithoutImprovement = root.GetProperty("epochs_without_improvement").GetInt32(),
        };
    }

    // The settings that must match for a resumed run to continue the same run (the epoch count may grow).
    private static string Fingerprint(TrainingOptions o) => JsonSerializer.Serialize(o with { Epochs = 0 });

    private static void WriteMetrics(string path, IReadOnlyList<EpochMetrics> history)
    {
        var sb = new StringBuilder("epoch,learning_rate,train_loss,train_accuracy,validation_loss,validation_accuracy,seconds\n");
        foreach (var m in history)
            sb.Append(CultureInfo.InvariantCulture, $"{m.Epoch},{NumberFormat.RoundTrip(m.LearningRate)},{NumberFormat.RoundTrip(m.TrainLoss)},{NumberFormat.RoundTrip(m.TrainAccuracy)},")
              .Append(CultureInfo.InvariantCulture, $"{NumberFormat.RoundTrip(m.ValidationLoss)},{NumberFormat.RoundTrip(m.ValidationAccuracy)},{m.Seconds:F3}\n");
        AtomicFile.WriteAllText(path, sb.ToString());
    }
}
