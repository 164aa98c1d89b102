using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Serialization;
using Backprop.Data;
using Backprop.IO;
using Backprop.Models;
using Backprop.Tensors;

using Backprop.Training;

namespace Backprop.Runs;

/// <summary>
/// What a checkpoint's metadata (<c>__metadata__.backprop_training</c>) holds besides the tensors: how far the run got,
/// its early-stopping state, the optimizer's step count, the metrics so far, and what the run is (options,
/// architecture, dataset), with a SHA-256 of the checkpoint's data section. Read back as strictly as a model file: a
/// field that is missing, mistyped, out of range or inconsistent with the others is refused, naming it.
/// </summary>
internal sealed class RunState
{
    public const string Key = "backprop_training";

    public int EpochsDone { get; set; }
    public double BestValidationLoss { get; set; } = double.PositiveInfinity;
    public int EpochsWithoutImprovement { get; set; }
    public int OptimizerSteps { get; set; }
    /// <summary>The options that must match to resume (<see cref="TrainingRun"/>'s fingerprint, without the epoch count).</summary>
    public string Options { get; set; } = "";
    /// <summary>The model without values (<see cref="ModelFile.Describe{T}(Sequential{T})"/>); null in checkpoints from before issue 15.</summary>
    public string? Architecture { get; set; }
    /// <summary>The dataset's identity; null in checkpoints from before issue 15.</summary>
    public DatasetIdentity? Dataset { get; set; }
    /// <summary>SHA-256 of the data section (every tensor's bytes in file order), lowercase hex; null in checkpoints from before issue 15.</summary>
    public string? DataSha256 { get; set; }
    /// <summary>The model's generator (four words) after the epochs done, so that Dropout's masks go on where they were; null in checkpoints from before issue 12.</summary>
    public ulong[]? Generator { get; set; }
    public List<EpochMetrics> Metrics { get; } = [];

    // Metrics hold NaN when there is no validation set; JSON has no NaN literal unless asked.
    private static readonly JsonSerializerOptions Json = new() { NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals };

    private static readonly string[] Fields =
        ["epochs_done", "best_validation_loss", "epochs_without_improvement", "optimizer_steps", "options", "metrics", "architecture", "dataset", "data_sha256", "generator"];

    private static readonly string[] MetricFields =
        [nameof(EpochMetrics.Epoch), nameof(EpochMetrics.LearningRate), nameof(EpochMetrics.TrainLoss), nameof(EpochMetrics.TrainAccuracy),
         nameof(EpochMetrics.ValidationLoss), nameof(EpochMetrics.ValidationAccuracy), nameof(EpochMetrics.Seconds)];

    public string ToJson() => JsonSerializer.Serialize(new
    {
        epochs_done = EpochsDone,
        best_validation_loss = double.IsFinite(BestValidationLoss) ? BestValidationLoss : (double?)null,
        epochs_without_improvement = EpochsWithoutImprovement,
        optimizer_steps = OptimizerSteps,
        options = Options,
        metrics = Metrics,
        architecture = Architecture,
        dataset = Dataset is null ? null : new { name = Dataset.Name, sha256 = Dataset.Sha256, train = Dataset.Train, test = Dataset.Test },
        data_sha256 = DataSha256,
        // as decimal strings: JSON numbers lose 64-bit integers in many readers
        generator = Generator?.Select(w => w.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToArray(),
    }, Json);

    /// <summary>
    /// The optimizer's step count must be <c>epochs_done · batchesPerEpoch</c> (checked once the options are known to
    /// be the run's, since the batch size sets the number of batches).
    /// </summary>
    public void CheckSteps(int batchesPerEpoch, string source)
    {
        long expected = (long)EpochsDone * batchesPerEpoch;
        if (OptimizerSteps != expected)
            throw new BackpropException($"{source}.optimizer_steps: {OptimizerSteps} steps, but {EpochsDone} epochs of {batchesPerEpoch} batches make {expected}");
    }

    /// <summary>Reads and checks the run state, naming the field at fault. <paramref name="epochs"/> is the run's --epochs: no more may be done.</summary>
    public static RunState Parse(string json, string source, int epochs)
    {
        using var doc = JsonInput.Parse(json, source);
        var root = JsonInput.Object(doc.RootElement, source);
        JsonInput.AllowOnly(root, source, Fields);
        string Where(string field) => $"{source}.{field}";
        var state = new RunState
        {
            EpochsDone = JsonInput.Integer(JsonInput.Required(root, "epochs_done", source), Where("epochs_done"), 1),
            EpochsWithoutImprovement = JsonInput.Integer(JsonInput.Required(root, "epochs_without_improvement", source), Where("epochs_without_improvement"), 0),
            Options = JsonInput.String(JsonInput.Required(root, "options", source), Where("options")),
        };
        if (state.EpochsDone > epochs)
            throw new BackpropException($"{Where("epochs_done")}: {state.EpochsDone} epochs done, more than the run's {epochs} (--epochs)");
        if (state.EpochsWithoutImprovement > state.EpochsDone)
            throw new BackpropException($"{Where("epochs_without_improvement")}: {state.EpochsWithoutImprovement}, more than the {state.EpochsDone} epochs done");

        var best = JsonInput.Required(root, "best_validation_loss", source);
        if (best.ValueKind != JsonValueKind.Null)
        {
            state.BestValidationLoss = JsonInput.Number(best, Where("best_validation_loss"));
            if (state.BestValidationLoss < 0) throw new BackpropException($"{Where("best_validation_loss")}: expected a loss ≥ 0, got {JsonInput.Excerpt(best)}");
        }

        var steps = JsonInput.Required(root, "optimizer_steps", source);
        double s = JsonInput.Number(steps, Where("optimizer_steps"));
        if (s != Math.Floor(s) || s < 0 || s > int.MaxValue)
            throw new BackpropException($"{Where("optimizer_steps")}: expected an integer ≥ 0, got {JsonInput.Excerpt(steps)}");
        state.OptimizerSteps = (int)s;

        var metrics = JsonInput.Required(root, "metrics", source);
        if (metrics.ValueKind != JsonValueKind.Array)
            throw new BackpropException($"{Where("metrics")}: expected a list of epochs, got {JsonInput.Describe(metrics)}");
        if (metrics.GetArrayLength() != state.EpochsDone)
            throw new BackpropException($"{Where("metrics")}: {metrics.GetArrayLength()} epochs, but epochs_done is {state.EpochsDone}");
        int i = 0;
        foreach (var m in metrics.EnumerateArray())
        {
            string at = $"{Where("metrics")}[{i}]";
            JsonInput.Object(m, at);
            JsonInput.AllowOnly(m, at, MetricFields);
            int epoch = JsonInput.Integer(JsonInput.Required(m, nameof(EpochMetrics.Epoch), at), $"{at}.Epoch", 1);
            if (epoch != i + 1) throw new BackpropException($"{at}.Epoch: expected {i + 1}, got {epoch}");
            double Metric(string name, bool mayBeNaN)
            {
                var e = JsonInput.Required(m, name, at);
                if (mayBeNaN && e.ValueKind == JsonValueKind.String && e.GetString() == "NaN") return double.NaN;
                return JsonInput.Number(e, $"{at}.{name}");
            }
            state.Metrics.Add(new EpochMetrics(epoch, Metric(nameof(EpochMetrics.LearningRate), false), Metric(nameof(EpochMetrics.TrainLoss), false),
                Metric(nameof(EpochMetrics.TrainAccuracy), false), Metric(nameof(EpochMetrics.ValidationLoss), true),
                Metric(nameof(EpochMetrics.ValidationAccuracy), true), Metric(nameof(EpochMetrics.Seconds), false)));
            i++;
        }

        if (root.TryGetProperty("architecture", out var architecture) && architecture.ValueKind != JsonValueKind.Null)
            state.Architecture = JsonInput.String(architecture, Where("architecture"));
        if (root.TryGetProperty("dataset", out var dataset) && dataset.ValueKind != JsonValueKind.Null)
            state.Dataset = DatasetIdentity.Parse(dataset, Where("dataset"));
        if (root.TryGetProperty("data_sha256", out var hash) && hash.ValueKind != JsonValueKind.Null)
            state.DataSha256 = Sha256Hex(hash, Where("data_sha256"));
        if (root.TryGetProperty("generator", out var generator) && generator.ValueKind != JsonValueKind.Null)
            state.Generator = GeneratorState(generator, Where("generator"));
        return state;
    }

    private static ulong[] GeneratorState(JsonElement e, string where)
    {
        if (e.ValueKind != JsonValueKind.Array || e.GetArrayLength() != 4)
            throw new BackpropException($"{where}: expected a list of 4 unsigned 64-bit integers as strings, got {JsonInput.Excerpt(e)}");
        var words = new ulong[4];
        int i = 0;
        foreach (var w in e.EnumerateArray())
        {
            string text = JsonInput.String(w, $"{where}[{i}]");
            if (!ulong.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out words[i]))
                throw new BackpropException($"{where}[{i}]: expected an unsigned 64-bit integer, got '{JsonInput.Shown(text)}'");
            i++;
        }
        if ((words[0] | words[1] | words[2] | words[3]) == 0)
            throw new BackpropException($"{where}: all four words are 0, which no generator reaches");
        return words;
    }

    internal static string Sha256Hex(JsonElement e, string where)
    {
        string text = JsonInput.String(e, where);
        if (text.Length != 64 || !text.All(c => c is >= '0' and <= '9' or >= 'a' and <= 'f'))
            throw new BackpropException($"{where}: expected 64 lowercase hexadecimal digits (a SHA-256), got '{JsonInput.Shown(text)}'");
        return text;
    }

    /// <summary>SHA-256 of the tensors' bytes in the order given: the data section of the safetensors file they are saved to.</summary>
    public static string HashOf(IReadOnlyList<(string Name, Tensor<float> Tensor)> tensors)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var (_, tensor) in tensors) sha.AppendData(System.Runtime.InteropServices.MemoryMarshal.AsBytes(tensor.Span));
        return Convert.ToHexStringLower(sha.GetHashAndReset());
    }

    /// <summary>The SHA-256 of a file's data section, tensor by tensor in data order.</summary>
    public static string HashOf(SafetensorsFile file)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (string name in file.Names) sha.AppendData(file.Bytes(name));
        return Convert.ToHexStringLower(sha.GetHashAndReset());
    }
}

/// <summary>
/// What identifies a run's data: the --dataset text it was given, the number of training (after --limit) and test
/// examples, and a SHA-256 of their shapes, labels and features as loaded (before scaling), so that other files under
/// the same name, or the same files under another name, are told apart.
/// </summary>
internal sealed record DatasetIdentity(string Name, string Sha256, int Train, int Test)
{
    public static DatasetIdentity Of(string name, Dataset train, Dataset test)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var data in new[] { train, test })
        {
            sha.AppendData(System.Runtime.InteropServices.MemoryMarshal.AsBytes<int>([data.Count, data.Classes, .. data.ExampleShape]));
            sha.AppendData(System.Runtime.InteropServices.MemoryMarshal.AsBytes(data.Labels.AsSpan()));
            sha.AppendData(System.Runtime.InteropServices.MemoryMarshal.AsBytes(data.Features.AsSpan()));
        }
        return new DatasetIdentity(name, Convert.ToHexStringLower(sha.GetHashAndReset()), train.Count, test.Count);
    }

    public static DatasetIdentity Parse(JsonElement e, string where)
    {
        JsonInput.Object(e, where);
        JsonInput.AllowOnly(e, where, ["name", "sha256", "train", "test"]);
        return new DatasetIdentity(
            JsonInput.String(JsonInput.Required(e, "name", where), $"{where}.name"),
            RunState.Sha256Hex(JsonInput.Required(e, "sha256", where), $"{where}.sha256"),
            JsonInput.Integer(JsonInput.Required(e, "train", where), $"{where}.train", 0),
            JsonInput.Integer(JsonInput.Required(e, "test", where), $"{where}.test", 0));
    }

    public override string ToString() => $"'{JsonInput.Shown(Name)}' ({Train:N0} training and {Test:N0} test examples)";
}
