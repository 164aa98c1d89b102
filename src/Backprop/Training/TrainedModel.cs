using Backprop.Data;
using Backprop.Interop;
using Backprop.Models;

namespace Backprop.Training;

/// <summary>A model saved by a training run (model.json + model.safetensors, and preprocessing statistics if any).</summary>
public sealed record TrainedModel(Sequential<float> Model, float[]? Mean, float[]? Std)
{
    public static TrainedModel Load(string dir)
    {
        if (!Directory.Exists(dir)) throw new BackpropException($"{dir}: no such model folder (expected the --out folder of 'backprop train')");
        string modelPath = Path.Combine(dir, RunFiles.Model), weightsPath = Path.Combine(dir, RunFiles.Weights);
        if (!File.Exists(modelPath)) throw new BackpropException($"{modelPath}: missing; is {dir} the --out folder of 'backprop train'?");
        if (!File.Exists(weightsPath)) throw new BackpropException($"{weightsPath}: missing; is {dir} the --out folder of a finished 'backprop train'?");
        var model = ModelFile.Load<float>(modelPath);
        Safetensors.LoadInto(weightsPath, model);
        string prePath = Path.Combine(dir, RunFiles.Preprocessing);
        if (!File.Exists(prePath)) return new TrainedModel(model, null, null);
        var pre = SafetensorsFile.Read(prePath);
        return new TrainedModel(model, pre.Get<float>("mean").Data, pre.Get<float>("std").Data);
    }

    /// <summary>Applies the preprocessing the model was trained with: scaling to [0, 1] and, if used, standardisation.</summary>
    public void Prepare(Dataset data)
    {
        Preprocessing.ScaleToUnit(data);
        if (Mean is not null && Std is not null) Preprocessing.Standardize(data, Mean, Std);
    }
}
