using Backprop.Data;
using Backprop.Interop;
using Backprop.Models;

namespace Backprop.Training;

/// <summary>A model saved by a training run: model.json, model.safetensors and preprocessing.safetensors.</summary>
public sealed record TrainedModel(Sequential<float> Model, DataPreparation Preparation)
{
    public static TrainedModel Load(string dir)
    {
        if (!Directory.Exists(dir)) throw new BackpropException($"{dir}: no such model folder (expected the --out folder of 'backprop train')");
        string modelPath = Path.Combine(dir, RunFiles.Model), weightsPath = Path.Combine(dir, RunFiles.Weights), prePath = Path.Combine(dir, RunFiles.Preprocessing);
        foreach (var path in new[] { modelPath, weightsPath, prePath })
            if (!File.Exists(path)) throw new BackpropException($"{path}: missing; is {dir} the --out folder of a finished 'backprop train'?");
        var model = ModelFile.Load<float>(modelPath);
        Safetensors.LoadInto(weightsPath, model);
        model.Eval(); // eval, predict, dream and export run a trained model with its running statistics, without dropout
        return new TrainedModel(model, DataPreparation.Load(prePath));
    }

    /// <summary>Prepares data as the model was trained: the same scaling and, if used, standardisation.</summary>
    public void Prepare(Dataset data) => Preparation.Apply(data);
}
