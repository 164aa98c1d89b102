using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Backprop.Data;
using Backprop.Diagnostics;
using Backprop.IO;
using Backprop.Losses;
using Backprop.Models;
using Backprop.Optimizers;
using Backprop.Visualization;
using Backprop.Tensors;
using Backprop.Training;

namespace Backprop.Runs;

/// <summary>
/// A whole training run in float32: data, split, preprocessing, epochs, checkpoints after every epoch and the final
/// files. The checkpoint is one file (weights, optimiser state and the run's state in its metadata) written
/// atomically, so a crash at any point leaves the last complete epoch readable, and <c>resume</c> continues from it
/// to the same weights an uninterrupted run reaches.
/// </summary>
public static class TrainingRun
{
    /// <summary>
    /// Trains, writing a checkpoint after every epoch, and then the final files into <paramref name="outDir"/>.
    /// <paramref name="detectAnomaly"/> checks every output, gradient, loss and updated parameter for NaN and infinity
    /// (<see cref="AnomalyDetector{T}"/>): the first one stops the run with an <see cref="AnomalyException"/> naming
    /// the layer, the tensor, the epoch and the batch, before the epoch's checkpoint is written. It does not change
    /// the results, so a run may be resumed with or without it. <paramref name="modelSource"/> names the model in
    /// messages (the model file's path).
    /// </summary>
    public static TrainingResult Run(ModelSpec spec, string dataset, TrainingOptions options, string outDir, ITrainingReporter reporter, bool resume = false,
        bool detectAnomaly = false, string modelSource = "model")
    {
        options.Validate();
        var loss = options.LabelSmoothing > 0 ? new CrossEntropyLoss<float>(options.LabelSmoothing) : LossFunctions.Create<float>(options.Loss);
        var model = ModelFile.Build<float>(spec, modelSource);
        using var detector = detectAnomaly ? AnomalyDetector<float>.Attach(model) : null;

        reporter.Message($"loading {dataset}");
        var all = DatasetSource.Load(dataset, DataSplit.Train, options.LabelColumn);
        var test = DatasetSource.Load(dataset, DataSplit.Test, options.LabelColumn);
        if (options.Limit is int limit && limit < all.Count) all = all.Subset(Enumerable.Range(0, limit).ToArray());
        // Before any scaling: what a resumed run must find again.
        var datasetIdentity = DatasetIdentity.Of(dataset, all, test);
        var (train, validation) = Preprocessing.Split(all, options.ValidationFraction, options.Seed);
        // Refuse a model or batch too large for the machine now, rather than swap or fail halfway through an epoch.
        var memory = MemoryEstimate.Training(ModelFile.Layout(spec, modelSource), sizeof(float), Math.Min(options.BatchSize, Math.Max(1, train.Count)),
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
        var trainer = new Trainer<float>(model, loss, optimizer) { AnomalyDetector = detector };
        trainer.CheckData(train, dataset);
        trainer.CheckData(test, dataset);
        var augmentation = options.FlipHorizontally || options.MaxShift > 0
            ? new ImageAugmentation<float>(train.ExampleShape, options.FlipHorizontally, options.MaxShift)
            : null;

        string checkpoint = Path.Combine(outDir, RunFiles.Checkpoint);
        int batchesPerEpoch = (train.Count + options.BatchSize - 1) / options.BatchSize;
        string architecture = ModelFile.Describe(model);
        if (resume && !File.Exists(checkpoint)) throw new BackpropException($"{checkpoint}: no checkpoint to resume from");
        Directory.CreateDirectory(outDir);
        // Held until the run returns or its process dies (the operating system releases it): a second run into the
        // same folder is refused instead of writing over this one's files.
        using var runLock = RunFolder.Lock(outDir);
        var history = new List<EpochMetrics>();
        var state = new RunState();
        if (resume)
        {
            state = LoadCheckpoint(checkpoint, model, optimizer, options, architecture, datasetIdentity, batchesPerEpoch);
            history.AddRange(state.Metrics);
            reporter.Message($"resuming after epoch {state.EpochsDone} of {options.Epochs}");
        }
        state.Options = Fingerprint(options);
        state.Architecture = architecture;
        state.Dataset = datasetIdentity;
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
            // Divergence is caught before anything of this epoch is saved: the last good checkpoint stays.
            if (validation.Count > 0 && !double.IsFinite(valLoss))
                throw Diverged($"the validation loss is {NumberFormat.RoundTrip(valLoss)} after epoch {epoch + 1}", checkpoint, state.EpochsDone);
            CheckFinite(model, optimizer, $"after epoch {epoch + 1}", checkpoint, state.EpochsDone);
            var metrics = new EpochMetrics(epoch + 1, optimizer.LearningRate, trainLoss, trainAccuracy, valLoss, valAccuracy, clock.Elapsed.TotalSeconds);
            history.Add(metrics);
            reporter.EpochFinished(metrics);

            if (validation.Count > 0 && valLoss < state.BestValidationLoss) { state.BestValidationLoss = valLoss; state.EpochsWithoutImprovement = 0; }
            else state.EpochsWithoutImprovement++;
            state.EpochsDone = epoch + 1;
            if (!resume && epoch == 0)
            {
                // A new run replaces whatever run the folder held, all of it, once it has a good first epoch to save:
                // a new run that fails before leaves the old run as it was, and one stopped later cannot leave its
                // checkpoint and metrics beside the old run's model.
                var removed = RunFolder.Clear(outDir);
                if (removed.Count > 0) reporter.Message($"replacing the previous run in {outDir} (removed {string.Join(", ", removed)})");
            }
            SaveCheckpoint(checkpoint, model, optimizer, state, history);
            WriteMetrics(Path.Combine(outDir, RunFiles.Metrics), history);

            if (options.Patience is int patience && validation.Count > 0 && state.EpochsWithoutImprovement >= patience && epoch + 1 < options.Epochs)
            {
                reporter.Message($"early stopping: no improvement of the validation loss for {patience} epochs");
                stoppedEarly = true;
                break;
            }
        }

        // The test figures come first, so that a model whose test loss is not a number is never written as a result.
        CheckFinite(model, optimizer, "before the model is saved", checkpoint, state.EpochsDone);
        var (testLoss, testAccuracy) = trainer.Evaluate(test, options.BatchSize);
        if (test.Count > 0 && !double.IsFinite(testLoss))
            throw Diverged($"the test loss is {NumberFormat.RoundTrip(testLoss)}", checkpoint, state.EpochsDone, modelNotWritten: true);
        AtomicFile.WriteAllText(Path.Combine(outDir, RunFiles.Model), ModelFile.WriteArchitecture(ModelFile.ToSpec(model)));
        Safetensors.SaveModel(Path.Combine(outDir, RunFiles.Weights), model);
        preparation.Save(Path.Combine(outDir, RunFiles.Preprocessing), train.ExampleShape);
        Charts.TrainingCurves(history, Path.Combine(outDir, RunFiles.Curves));
        return new TrainingResult(history, testLoss, testAccuracy, stoppedEarly);
    }

    private static BackpropException Diverged(string what, string checkpoint, int epochsDone, bool modelNotWritten = false) =>
        new($"training diverged: {what}; lower --lr. " +
            (epochsDone > 0 ? $"{checkpoint} still holds epoch {epochsDone}, the last one with finite values" : "No checkpoint was written") +
            (modelNotWritten ? "; the model was not written" : ""));

    /// <summary>Every weight and optimizer buffer must be a number before it is saved: the first that is not is divergence.</summary>
    private static void CheckFinite(Sequential<float> model, Optimizer<float> optimizer, string when, string checkpoint, int epochsDone)
    {
        foreach (var (name, p) in model.NamedParameters)
            if (FirstNonFinite(p.Value.Span) is int i)
                throw Diverged($"{name} is {NumberFormat.RoundTrip(p.Value.Span[i])} {when}", checkpoint, epochsDone);
        foreach (var (name, buffer) in model.NamedBuffers)
            if (FirstNonFinite(buffer.Value.Span) is int i)
                throw Diverged($"{name} is {NumberFormat.RoundTrip(buffer.Value.Span[i])} {when}", checkpoint, epochsDone);
        foreach (var (name, tensor) in optimizer.State())
            if (FirstNonFinite(tensor.Span) is int i)
                throw Diverged($"the optimizer's {name} is {NumberFormat.RoundTrip(tensor.Span[i])} {when}", checkpoint, epochsDone);
    }

    private static int? FirstNonFinite(ReadOnlySpan<float> values)
    {
        for (int i = 0; i < values.Length; i++) if (!float.IsFinite(values[i])) return i;
        return null;
    }

    private static void SaveCheckpoint(string path, Sequential<float> model, Optimizer<float> optimizer, RunState state, List<EpochMetrics> history)
    {
        var tensors = Safetensors.StateDict(model).Concat(optimizer.State()).ToList(); // with the buffers (running statistics)
        state.OptimizerSteps = optimizer.StepCount;
        state.Generator = model.Context.Generator.State; // dropout's masks go on from here
        state.Metrics.Clear();
        state.Metrics.AddRange(history);
        // Safetensors has no checksum: the hash of the data section lets a resume tell a damaged file from a good one.
        state.DataSha256 = RunState.HashOf(tensors);
        Safetensors.Save(path, tensors, new Dictionary<string, string> { [RunState.Key] = state.ToJson() });
    }

    /// <summary>
    /// Reads the checkpoint to resume from and checks it before anything is set: the run state (every field, see
    /// <see cref="RunState.Parse"/>), that the run is the same (options, architecture, dataset), the SHA-256 of the
    /// data section, every tensor's name and shape, and that every value is finite.
    /// </summary>
    private static RunState LoadCheckpoint(string path, Sequential<float> model, Optimizer<float> optimizer, TrainingOptions options,
        string architecture, DatasetIdentity dataset, int batchesPerEpoch)
    {
        if (!File.Exists(path)) throw new BackpropException($"{path}: no checkpoint to resume from");
        var file = SafetensorsFile.Read(path);
        if (file.Metadata is null || !file.Metadata.TryGetValue(RunState.Key, out var meta))
            throw new BackpropException($"{path}: not a Backprop training checkpoint (no '{RunState.Key}' metadata)");
        string source = $"{path}: __metadata__.{RunState.Key}";
        var state = RunState.Parse(meta, source, options.Epochs);
        CompareOptions(path, state.Options, Fingerprint(options));
        state.CheckSteps(batchesPerEpoch, source);
        // Checkpoints written before issue 15 have no architecture, dataset or hash: they resume as before, and the
        // tensor names and shapes below still catch most changes of architecture.
        if (state.Architecture is not null && state.Architecture != architecture)
            throw new BackpropException($"{path}: the checkpoint was made for another model ({ArchitectureDifference(state.Architecture, architecture)}); resume with the same --model or --arch");
        if (state.Dataset is not null && state.Dataset.Sha256 != dataset.Sha256)
            throw new BackpropException($"--dataset: the checkpoint in {path} was made on other data, {state.Dataset}, not {dataset}; resume with the same --dataset and --limit");
        if (state.DataSha256 is not null && RunState.HashOf(file) != state.DataSha256)
            throw new BackpropException($"{path}: the tensors do not match the SHA-256 in the run state: the file was changed or damaged; it cannot be resumed");

        var expected = Safetensors.StateDict(model).Concat(optimizer.State()).ToList();
        foreach (var (name, tensor) in expected)
        {
            if (!file.Contains(name))
                throw new BackpropException($"{path}: no tensor '{name}' {Tensor.Format(tensor.Shape)}; the checkpoint was made for another model or optimizer");
            if (!file.Entry(name).Shape.AsSpan().SequenceEqual(tensor.Shape))
                throw new BackpropException($"{path}: tensor '{name}' is {Tensor.Format(file.Entry(name).Shape)} in the checkpoint but {Tensor.Format(tensor.Shape)} in the model; the checkpoint was made for another model");
        }
        foreach (string name in file.Names)
            if (!file.AllFinite(name))
                throw new BackpropException($"{path}: tensor '{JsonInput.Shown(name)}' holds NaN or infinite values; the checkpoint cannot be resumed");

        // every value read and checked before the model changes
        var values = Safetensors.StateDict(model).Select(p => (Target: p.Tensor, Value: Safetensors.StateValue<float>(file, p.Name))).ToList();
        foreach (var (target, value) in values) target.CopyFrom(value);
        if (state.Generator is not null) model.Context.Generator.State = state.Generator;
        optimizer.LoadState(optimizer.State().Select(s => (s.Name, file.Get<float>(s.Name))).ToList(), state.OptimizerSteps);
        return state;
    }

    // The settings that must match for a resumed run to continue the same run (the epoch count may grow).
    private static string Fingerprint(TrainingOptions o) => JsonSerializer.Serialize(o with { Epochs = 0 });

    /// <summary>Refuses a resume whose options differ from the checkpoint's, naming the first that does by its command-line name.</summary>
    private static void CompareOptions(string path, string saved, string current)
    {
        Dictionary<string, string> Fields(string json, string where)
        {
            using var doc = JsonInput.Parse(json, where);
            JsonInput.Object(doc.RootElement, where);
            return doc.RootElement.EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetRawText());
        }
        var before = Fields(saved, $"{path}: __metadata__.{RunState.Key}.options");
        var now = Fields(current, "options");
        foreach (string name in before.Keys.Union(now.Keys))
        {
            string? was = before.GetValueOrDefault(name), @is = now.GetValueOrDefault(name);
            if (was == @is) continue;
            string option = TrainingOptions.OptionName(name)
                ?? throw new BackpropException($"{path}: __metadata__.{RunState.Key}.options: unknown setting '{JsonInput.Shown(name)}'");
            string Show(string? raw) => raw is null || raw == "null" ? "not given" : JsonInput.Shown(raw.Trim('"'));
            throw new BackpropException($"{option}: the checkpoint in {path} was made with {option} {Show(was)}, this run has {Show(@is)}; resume with the same options");
        }
    }

    /// <summary>"layers[1] is {"type": "tanh"} here but {"type": "relu"} in the checkpoint", or the input shapes or layer counts.</summary>
    private static string ArchitectureDifference(string saved, string current)
    {
        JsonDocument a;
        try
        {
            a = JsonDocument.Parse(saved);
        }
        catch (JsonException)
        {
            return $"its architecture is not a model file: {JsonInput.Shown(saved)}";
        }
        using var _ = a;
        using var b = JsonDocument.Parse(current);
        if (a.RootElement.TryGetProperty("input", out var inA) && b.RootElement.TryGetProperty("input", out var inB) && inA.GetRawText() != inB.GetRawText())
            return $"input {JsonInput.Excerpt(inB)} here but {JsonInput.Excerpt(inA)} in the checkpoint";
        if (a.RootElement.TryGetProperty("layers", out var la) && b.RootElement.TryGetProperty("layers", out var lb)
            && la.ValueKind == JsonValueKind.Array && lb.ValueKind == JsonValueKind.Array)
        {
            int n = Math.Min(la.GetArrayLength(), lb.GetArrayLength());
            for (int i = 0; i < n; i++)
                if (la[i].GetRawText() != lb[i].GetRawText())
                    return $"layers[{i}] is {JsonInput.Excerpt(lb[i])} here but {JsonInput.Excerpt(la[i])} in the checkpoint";
            return $"{lb.GetArrayLength()} layers here but {la.GetArrayLength()} in the checkpoint";
        }
        return "the architectures differ";
    }

    private static void WriteMetrics(string path, IReadOnlyList<EpochMetrics> history)
    {
        var sb = new StringBuilder("epoch,learning_rate,train_loss,train_accuracy,validation_loss,validation_accuracy,seconds\n");
        foreach (var m in history)
            sb.Append(CultureInfo.InvariantCulture, $"{m.Epoch},{NumberFormat.RoundTrip(m.LearningRate)},{NumberFormat.RoundTrip(m.TrainLoss)},{NumberFormat.RoundTrip(m.TrainAccuracy)},")
              .Append(CultureInfo.InvariantCulture, $"{NumberFormat.RoundTrip(m.ValidationLoss)},{NumberFormat.RoundTrip(m.ValidationAccuracy)},{m.Seconds:F3}\n");
        AtomicFile.WriteAllText(path, sb.ToString());
    }
}
