using System.Text.Json;
using Backprop.IO;
using Backprop.Models;

using Backprop.Training;

namespace Backprop.Runs;

/// <summary>
/// A run's output folder as a whole: one run at a time writes to it (<see cref="Lock"/>), a new run replaces the old
/// run's files before it starts (<see cref="Clear"/>), and a reader can tell whether the files belong together
/// (<see cref="CheckConsistent"/>).
/// </summary>
public static class RunFolder
{
    /// <summary>The lock file a running <c>train</c> holds in its folder; it stays behind, unlocked, when the run ends.</summary>
    public const string LockFile = ".lock";

    /// <summary>Every file a run writes, in the order a reader meets them.</summary>
    public static IReadOnlyList<string> Files { get; } =
        [RunFiles.Model, RunFiles.Weights, RunFiles.Preprocessing, RunFiles.Checkpoint, RunFiles.Metrics, RunFiles.Curves];

    /// <summary>
    /// Takes the folder's lock for as long as the returned object is not disposed: an operating-system lock on
    /// <see cref="LockFile"/> (<c>FileShare.None</c>, which .NET takes with <c>flock</c> on Unix), so a process that
    /// dies releases it at once and a stale lock file never blocks. A second run into the same folder is refused.
    /// </summary>
    public static IDisposable Lock(string dir)
    {
        string path = Path.Combine(dir, LockFile);
        try
        {
            return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, 1);
        }
        catch (IOException e) when (e is not FileNotFoundException and not DirectoryNotFoundException)
        {
            throw new BackpropException($"{dir}: another training run is writing to this folder (it holds {path}); wait for it to end or choose another folder");
        }
        catch (UnauthorizedAccessException e)
        {
            throw new BackpropException($"{path}: cannot create the run's lock file: {e.Message}");
        }
    }

    /// <summary>
    /// Deletes the run files <paramref name="dir"/> holds (nothing else); returns their names. A run file that is not a
    /// regular file (a FIFO, a device) is refused, as the writers refuse it, and nothing is deleted.
    /// </summary>
    public static IReadOnlyList<string> Clear(string dir)
    {
        foreach (string name in Files) AtomicFile.CheckTarget(Path.Combine(dir, name));
        var removed = new List<string>();
        foreach (string name in Files)
        {
            string path = Path.Combine(dir, name);
            if (!File.Exists(path)) continue;
            File.Delete(path);
            removed.Add(name);
        }
        return removed;
    }

    /// <summary>
    /// Refuses a folder whose files do not belong to one finished run: model.json and model.safetensors must describe
    /// the same model, and when the checkpoint is there, model.safetensors must hold its weights bit for bit (a run
    /// writes both from the same weights at its end) and metrics.csv one row per epoch it has done.
    /// </summary>
    public static void CheckConsistent<T>(string dir, Sequential<T> model, SafetensorsFile weights) where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        if (weights.Metadata.TryGetValue(Safetensors.ModelMetadataKey, out var saved) && Normalize(saved) != Normalize(ModelFile.Describe(model)))
            throw new BackpropException($"{dir}: {RunFiles.Model} and {RunFiles.Weights} describe different models: the folder mixes files of different runs; train again");
        string checkpointPath = Path.Combine(dir, RunFiles.Checkpoint);
        if (!File.Exists(checkpointPath)) return;
        var checkpoint = SafetensorsFile.Read(checkpointPath);
        int? epochs = EpochsDone(checkpoint);
        string state = epochs is int n ? $" (epoch {n})" : "";
        foreach (var (name, _) in Safetensors.StateDict(model))
            if (!checkpoint.Contains(name) || !checkpoint.Bytes(name).SequenceEqual(weights.Bytes(name)))
                throw new BackpropException($"{dir}: {RunFiles.Weights} does not hold the weights of {RunFiles.Checkpoint}{state}: the folder holds files of different runs, " +
                    $"or a run that has not finished; finish it with 'backprop train --resume {dir}', or train again");
        string metricsPath = Path.Combine(dir, RunFiles.Metrics);
        if (epochs is int done && File.Exists(metricsPath))
        {
            int rows = File.ReadLines(metricsPath).Skip(1).Count(line => line.Length > 0);
            if (rows != done)
                throw new BackpropException($"{dir}: {RunFiles.Metrics} has {rows} epochs but {RunFiles.Checkpoint} {done}: the folder mixes files of different runs; train again");
        }
    }

    // Describe's layout may change between versions; compare the JSON, not its spacing.
    private static string Normalize(string json)
    {
        try
        {
            using var doc = JsonDocument.Parse(json);
            return JsonSerializer.Serialize(doc.RootElement);
        }
        catch (JsonException)
        {
            return json;
        }
    }

    private static int? EpochsDone(SafetensorsFile checkpoint)
    {
        if (!checkpoint.Metadata.TryGetValue(RunState.Key, out var meta)) return null;
        try
        {
            using var doc = JsonDocument.Parse(meta);
            return doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty("epochs_done", out var e) && e.TryGetInt32(out int n) ? n : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
