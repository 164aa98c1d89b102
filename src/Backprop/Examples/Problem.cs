using System.Numerics;
using System.Reflection;
using System.Runtime.CompilerServices;
using System.Text.Json;
using Backprop.Data;
using Backprop.IO;
using Backprop.Losses;
using Backprop.Models;
using Backprop.Training;

namespace Backprop.Examples;

/// <summary>A model, a loss, a batch and optionally a learning rate: everything one worked step needs.</summary>
public sealed record Problem<T>(Sequential<T> Model, Loss<T> Loss, Batch<T> Batch, double? LearningRate)
    where T : unmanaged, IFloatingPointIeee754<T>;

/// <summary>Loads problems from a model file, a data file and a loss name, or from the built-in examples taken from the seeds.</summary>
public static class Problem
{
    public static Problem<T> FromFiles<T>(string modelPath, string dataPath, string lossName, double? learningRate = null)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var loss = LossFunctions.Create<T>(lossName);
        var (model, spec, source) = LoadModel<T>(modelPath);
        var batch = CheckTargets(DataFile.Load<T>(dataPath, model.InputShape), model, loss, dataPath);
        // Building checked the parameters; the batch's activations are what the model makes of the data.
        var memory = MemoryEstimate.Training(ModelFile.Layout(spec, source), Unsafe.SizeOf<T>(), batch.X.Shape[0], optimizerSlots: 0);
        MemoryEstimate.Check(memory.Total, $"{dataPath}: a forward and backward pass over its {batch.X.Shape[0]} examples needs", $" ({memory})");
        return new Problem<T>(model, loss, batch, learningRate);
    }

    /// <summary>
    /// A model file, or a model folder (model.json and model.safetensors, from 'backprop train' or PyTorch): the built
    /// model, its description and the path of the model file it came from.
    /// </summary>
    public static (Sequential<T> Model, ModelSpec Spec, string Source) LoadModel<T>(string modelPath) where T : unmanaged, IFloatingPointIeee754<T>
    {
        string? weightsPath = null;
        if (Directory.Exists(modelPath))
        {
            weightsPath = Path.Combine(modelPath, RunFiles.Weights);
            modelPath = Path.Combine(modelPath, RunFiles.Model);
            foreach (var path in new[] { modelPath, weightsPath })
                if (!File.Exists(path)) throw new BackpropException($"{path}: missing; a model folder holds {RunFiles.Model} and {RunFiles.Weights}");
        }
        var spec = ModelFile.Parse(ModelFile.ReadText(modelPath), modelPath);
        var model = ModelFile.Build<T>(spec, modelPath);
        if (weightsPath is not null) Safetensors.LoadInto(weightsPath, model);
        return (model, spec, modelPath);
    }

    /// <summary>
    /// Checks a data file's targets against the loss and the model's output (shape, class indices, ±1 labels):
    /// <see cref="DataFile"/> reads them, the loss says what they must be.
    /// </summary>
    public static Batch<T> CheckTargets<T>(Batch<T> batch, Sequential<T> model, Loss<T> loss, string source)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        loss.CheckTarget(model.OutputShape, batch.Y, batch.X.Shape[0], source);
        return batch;
    }

    /// <summary>The built-in examples: name and one-line description.</summary>
    public static IReadOnlyList<(string Name, string Description)> Examples { get; } = ListExamples();

    /// <summary>A built-in example; its learning rate is used unless <paramref name="learningRate"/> is given.</summary>
    public static Problem<T> FromExample<T>(string name, double? learningRate = null) where T : unmanaged, IFloatingPointIeee754<T>
    {
        using var doc = JsonDocument.Parse(ExampleText(name));
        var root = doc.RootElement;
        string source = $"example '{name}'";
        var loss = LossFunctions.Create<T>(root.GetProperty("loss").GetString()!);
        var model = ModelFile.Build<T>(ModelFile.Parse(root.GetProperty("model"), source), source);
        var batch = CheckTargets(DataFile.Parse<T>(root.GetProperty("data"), source, model.InputShape), model, loss, source);
        return new Problem<T>(model, loss, batch, learningRate ?? root.GetProperty("lr").GetDouble());
    }

    /// <summary>The example's JSON: description, loss, lr, model and data.</summary>
    public static string ExampleText(string name)
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream($"Backprop.Examples.{name}.json")
            ?? throw new BackpropException($"unknown example '{name}'; expected one of: {string.Join(", ", Examples.Select(e => e.Name))} (see 'backprop examples')");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    private static List<(string, string)> ListExamples()
    {
        const string prefix = "Backprop.Examples.";
        var result = new List<(string, string)>();
        foreach (var resource in Assembly.GetExecutingAssembly().GetManifestResourceNames().Order(StringComparer.Ordinal))
        {
            if (!resource.StartsWith(prefix, StringComparison.Ordinal) || !resource.EndsWith(".json", StringComparison.Ordinal)) continue;
            string name = resource[prefix.Length..^".json".Length];
            using var doc = JsonDocument.Parse(ExampleText(name));
            result.Add((name, doc.RootElement.GetProperty("description").GetString()!));
        }
        return result;
    }
}
