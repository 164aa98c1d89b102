using Backprop.Data;
using Backprop.IO;
using Backprop.Models;
using Backprop.Training;

namespace Backprop.Runs;

/// <summary>A model saved by a training run: model.json, model.safetensors and preprocessing.safetensors.</summary>
public sealed record TrainedModel(Sequential<float> Model, DataPreparation Preparation)
{
    /// <summary>
    /// Loads a model folder: model.json and model.safetensors (written by <c>backprop train</c>, by the exported
    /// train.py, or by any <c>nn.Sequential</c> state_dict saved under Backprop's names), and preprocessing.safetensors
    /// when there is one. Without it, inputs are prepared as <c>train</c> prepares <paramref name="dataset"/> without
    /// --standardize (images divided by 255, CSV features as they are). A tensor that is missing, extra, of another
    /// shape or of a dtype that is not a number is named in the error.
    /// </summary>
    public static TrainedModel Load(string dir, string dataset = "fashion-mnist")
    {
        if (!Directory.Exists(dir)) throw new BackpropException($"{dir}: no such model folder (expected the --out folder of 'backprop train')");
        string modelPath = Path.Combine(dir, RunFiles.Model), weightsPath = Path.Combine(dir, RunFiles.Weights), prePath = Path.Combine(dir, RunFiles.Preprocessing);
        foreach (var path in new[] { modelPath, weightsPath })
            if (!File.Exists(path)) throw new BackpropException($"{path}: missing; is {dir} the --out folder of a finished 'backprop train'?");
        var model = ModelFile.Load<float>(modelPath);
        var weights = SafetensorsFile.Read(weightsPath);
        Safetensors.LoadInto(weights, model);
        RunFolder.CheckConsistent(dir, model, weights);
        model.Eval(); // eval, predict, dream and export run a trained model with its running statistics, without dropout
        var preparation = File.Exists(prePath) ? DataPreparation.Load(prePath) : new DataPreparation(DataPreparation.ScaleFor(dataset), null, null);
        return new TrainedModel(model, preparation);
    }

    /// <summary>Prepares data as the model was trained: the same scaling and, if used, standardisation.</summary>
    public void Prepare(Dataset data) => Preparation.Apply(data);

    /// <summary>
    /// What 'backprop export --model' takes: a trained model folder (model.json, model.safetensors,
    /// preprocessing.safetensors) or a model file that gives every parameter's values (no preparation then).
    /// A model file that leaves a weight or bias to the initialiser is an error: its export would be random.
    /// </summary>
    public static (Sequential<float> Model, DataPreparation? Preparation) LoadForExport(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (Directory.Exists(path))
        {
            var trained = Load(path);
            return (trained.Model, trained.Preparation);
        }
        if (!File.Exists(path))
            throw new BackpropException($"{path}: no such model file or trained model folder");
        var spec = ModelFile.Parse(ModelFile.ReadText(path), path);
        var layout = ModelFile.Layout(spec, path);
        for (int i = 0; i < spec.Layers.Count; i++)
            foreach (var (name, _) in layout.Layers[i].Parameters)
                if (spec.Layers[i].DrawsInitialValues && !spec.Layers[i].Values.ContainsKey(name))
                    throw new BackpropException($"{path}: layers[{i}] ({spec.Layers[i].Type}): no {name} values; an export needs every parameter's values (a model file written by Backprop, or a trained model folder)");
        return (ModelFile.Build<float>(spec, path), null);
    }
}
