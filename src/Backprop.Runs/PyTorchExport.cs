using System.Globalization;
using System.Numerics;
using System.Reflection;
using System.Text;
using System.Text.Json;
using Backprop.Data;
using Backprop.IO;
using Backprop.Layers;
using Backprop.Models;
using Backprop.Optimizers;
using Backprop.Training;

namespace Backprop.Runs;

/// <summary>
/// Writes a model as a self-contained PyTorch package (see docs/scale-out.md):
/// <list type="bullet">
/// <item><c>model.py</c>: an <c>nn.Sequential</c> with the same layers in the same order, so that its state_dict names
/// are Backprop's ("0.weight", "1.running_mean", ...); a scaled ReLU as a tiny module; a pure-Python safetensors
/// reader and writer (struct, json, numpy), since Debian ships no <c>safetensors</c> package.</item>
/// <item><c>model.safetensors</c>: the weights and buffers (running statistics, num_batches_tracked), in the model's precision.</item>
/// <item><c>train.py</c>: the same recipe (loss, optimiser and its state, schedule, batch size, seed, split, orders,
/// the model's preprocessing, augmentation, early stopping and its state) and the same checks as <c>backprop train</c>,
/// on one process or several (DistributedDataParallel, gloo or NCCL).</item>
/// <item><c>model.json</c>, <c>preprocessing.safetensors</c> (with a trained model) and <c>optimizer.safetensors</c>
/// (with a checkpoint): what train.py reads and writes back, so that its output folder opens in Backprop.</item>
/// </list>
/// The Python files are templates embedded in this assembly (PyTorch/model.py, PyTorch/train.py); only the layer
/// list, the architecture and the recipe are filled in.
/// <code>
/// PyTorchExport.Export("runs/cnn", "torch/cnn");                  // a run folder (with its checkpoint) or a model file
/// PyTorchExport.Write("torch/mlp", model, preparation: null, PyTorchRecipe.Fresh());
/// </code>
/// </summary>
public static class PyTorchExport
{
    public const string ModelScript = "model.py", TrainScript = "train.py", OptimizerFile = "optimizer.safetensors";

    /// <summary>
    /// Exports what <c>backprop export --model</c> names: a trained model folder (with its checkpoint, the options,
    /// epochs done and optimiser state of the run) or a model file that gives every parameter's values (a fresh
    /// recipe with <c>backprop train</c>'s defaults). <paramref name="epochs"/> is the total number of epochs train.py
    /// runs to, counting those done (default: one more than the checkpoint's epochs; 15, train's default, for a model file).
    /// Returns the files written.
    /// </summary>
    public static IReadOnlyList<string> Export(string source, string outDir, int? epochs = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(source);
        ArgumentException.ThrowIfNullOrEmpty(outDir);
        if (epochs is < 1) throw new BackpropException($"--epochs: expected at least 1, got {epochs}");
        var (model, preparation) = TrainedModel.LoadForExport(source);
        var recipe = PyTorchRecipe.Fresh();
        string checkpoint = Path.Combine(source, RunFiles.Checkpoint);
        if (Directory.Exists(source) && File.Exists(checkpoint)) recipe = FromCheckpoint(checkpoint, model);
        int total = epochs ?? (recipe.EpochsDone < recipe.Options.Epochs ? recipe.Options.Epochs : recipe.EpochsDone + 1);
        if (total < recipe.EpochsDone)
            throw new BackpropException($"--epochs: {total} is fewer than the {recipe.EpochsDone} epochs {source} has done; give the total, counting those");
        return Write(outDir, model, preparation, recipe with { Epochs = total }, $"the model of {source}");
    }

    /// <summary>Writes the package into <paramref name="outDir"/> (created if needed); returns the files written.</summary>
    public static IReadOnlyList<string> Write<T>(string outDir, Sequential<T> model, DataPreparation? preparation, PyTorchRecipe recipe, string? title = null)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(recipe);
        title ??= "a Backprop model";
        string modelPy = ModelPy(model, title); // before anything is written: a layer PyTorch cannot express is refused here
        if (File.Exists(outDir)) throw new BackpropException($"--out: {outDir} is a file; the PyTorch export writes a folder");
        try
        {
            Directory.CreateDirectory(outDir);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new BackpropException($"--out: cannot create {outDir}: {e.Message}");
        }
        var written = new List<string>();
        void Text(string name, string text)
        {
            AtomicFile.WriteAllText(Path.Combine(outDir, name), text);
            written.Add(name);
        }
        Text(ModelScript, modelPy);
        Text(TrainScript, TrainPy(recipe, title));
        Text(RunFiles.Model, ModelFile.WriteArchitecture(ModelFile.ToSpec(model)));
        Safetensors.SaveModel(Path.Combine(outDir, RunFiles.Weights), model);
        written.Add(RunFiles.Weights);
        string optimizerPath = Path.Combine(outDir, OptimizerFile);
        if (preparation is not null)
        {
            preparation.Save(Path.Combine(outDir, RunFiles.Preprocessing), model.InputShape);
            written.Add(RunFiles.Preprocessing);
        }
        if (recipe.OptimizerState is { } state)
        {
            Safetensors.Save(optimizerPath, state, new Dictionary<string, string>
            {
                ["optimizer"] = recipe.Options.Optimizer,
                ["step"] = recipe.OptimizerSteps.ToString(CultureInfo.InvariantCulture),
                ["epochs_done"] = recipe.EpochsDone.ToString(CultureInfo.InvariantCulture),
            });
            written.Add(OptimizerFile);
        }
        else if (File.Exists(optimizerPath))
        {
            File.Delete(optimizerPath); // an earlier export's state would be taken for this model's
        }
        return written;
    }

    /// <summary>The run's options, epochs done and optimiser state from its checkpoint (which TrainedModel.Load has checked against the weights).</summary>
    private static PyTorchRecipe FromCheckpoint(string path, Sequential<float> model)
    {
        var file = SafetensorsFile.Read(path);
        if (!file.Metadata.TryGetValue(RunState.Key, out var meta))
            throw new BackpropException($"{path}: not a Backprop training checkpoint (no '{RunState.Key}' metadata)");
        string source = $"{path}: __metadata__.{RunState.Key}";
        var state = RunState.Parse(meta, source, int.MaxValue);
        TrainingOptions options;
        try
        {
            options = JsonSerializer.Deserialize<TrainingOptions>(state.Options) ?? throw new JsonException("null");
        }
        catch (JsonException e)
        {
            throw new BackpropException($"{source}.options: not the options of a run: {e.Message}");
        }
        var optimizer = OptimizerFactory.Create(options.Optimizer, model.NamedParameters, options.LearningRate,
            options.Optimizer == "sgd" ? options.Momentum : 0, options.WeightDecay, options.Nesterov);
        var tensors = new List<(string, Backprop.Tensors.Tensor<float>)>();
        foreach (var (name, tensor) in optimizer.State())
        {
            if (!file.Contains(name))
                throw new BackpropException($"{path}: no tensor '{name}' {Backprop.Tensors.Tensor.Format(tensor.Shape)}: the checkpoint lacks the state of its {options.Optimizer} optimiser");
            var value = file.Get<float>(name);
            if (!value.Shape.AsSpan().SequenceEqual(tensor.Shape))
                throw new BackpropException($"{path}: tensor '{name}' is {Backprop.Tensors.Tensor.Format(value.Shape)} but the parameter's state is {Backprop.Tensors.Tensor.Format(tensor.Shape)}");
            tensors.Add((name, value));
        }
        // train.py runs from any directory: a dataset the run named by relative paths is written down with full ones.
        // Those paths are relative to the directory train ran in, which the run does not record; they resolve here
        // rightly when export runs there too, and a path that does not exist from here is refused, not written down wrong.
        string named = state.Dataset?.Name ?? "fashion-mnist";
        foreach (string relative in DatasetSource.NamedPaths(named).Where(p => !Path.IsPathRooted(p)))
            if (!File.Exists(relative) && !Directory.Exists(relative))
                throw new BackpropException($"{source}.dataset: '{named}' names {relative}, relative to the directory backprop train ran in, " +
                    $"and there is no {relative} in {Environment.CurrentDirectory}; run backprop export in the directory train ran in " +
                    "(train.py's --dataset can name the data by full paths afterwards)");
        string dataset = DatasetSource.WithFullPaths(named);
        return new PyTorchRecipe(options with { Epochs = 0 }, 0, state.EpochsDone, dataset, tensors, state.OptimizerSteps,
            state.BestValidationLoss, state.EpochsWithoutImprovement);
    }

    /// <summary>The text of model.py: the template with the architecture and one line per layer.</summary>
    public static string ModelPy<T>(Sequential<T> model, string title = "a Backprop model") where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(model);
        var layers = new StringBuilder();
        for (int i = 0; i < model.Layers.Count; i++)
            layers.Append(CultureInfo.InvariantCulture, $"        {Module(model.Layers[i], i)},  # {i}: {model.Layers[i].Type}\n");
        if (model.Layers.Count == 0) layers.Append("        nn.Identity(),  # a model without layers\n");
        return Template(ModelScript)
            .Replace("{{TITLE}}", Title(title))
            .Replace("{{ARCHITECTURE}}", PythonRaw(ModelFile.Describe(model)))
            .Replace("{{OUTPUT_SHAPE}}", $"[{string.Join(", ", model.OutputShape)}]")
            .Replace("{{LAYERS}}\n", layers.ToString());
    }

    /// <summary>The text of train.py with the recipe filled in.</summary>
    public static string TrainPy(PyTorchRecipe recipe, string title = "a Backprop model")
    {
        ArgumentNullException.ThrowIfNull(recipe);
        var o = recipe.Options;
        var options = new Dictionary<string, object?>
        {
            ["batch_size"] = o.BatchSize, ["optimizer"] = o.Optimizer, ["lr"] = o.LearningRate, ["momentum"] = o.Momentum,
            ["nesterov"] = o.Nesterov, ["weight_decay"] = o.WeightDecay, ["schedule"] = o.Schedule, ["loss"] = o.Loss,
            ["label_smoothing"] = o.LabelSmoothing, ["seed"] = o.Seed, ["validation"] = o.ValidationFraction,
            ["standardize"] = o.Standardize, ["flip"] = o.FlipHorizontally, ["shift"] = o.MaxShift, ["limit"] = o.Limit,
            ["label_column"] = o.LabelColumn, ["patience"] = o.Patience,
        };
        string json = JsonSerializer.Serialize(new Dictionary<string, object?>
        {
            ["options"] = options, ["epochs"] = recipe.Epochs, ["epochs_done"] = recipe.EpochsDone, ["dataset"] = recipe.Dataset,
            // early stopping goes on from where the run left it (null: no validation loss yet)
            ["best_validation_loss"] = double.IsFinite(recipe.BestValidationLoss) ? recipe.BestValidationLoss : null,
            ["epochs_without_improvement"] = recipe.EpochsWithoutImprovement,
            // what `backprop train` takes for --lr when it is not given, per optimiser
            ["default_lr"] = OptimizerFactory.Names.ToDictionary(name => name, TrainingOptions.DefaultLearningRate),
            // the batches of `backprop eval`: a model whose outputs depend on the batch (batch normalisation without
            // running statistics) gets the test figures eval gives for the folder train.py writes
            ["evaluation_batch_size"] = Classifier<float>.DefaultBatchSize,
        }, new JsonSerializerOptions { WriteIndented = true });
        return Template(TrainScript).Replace("{{TITLE}}", Title(title)).Replace("{{RECIPE}}", PythonRaw(json));
    }

    /// <summary>The PyTorch module of one layer, as Python source; a layer PyTorch cannot express is an error naming it.</summary>
    private static string Module<T>(Layer<T> layer, int i) where T : unmanaged, IFloatingPointIeee754<T>
    {
        string Bool(bool b) => b ? "True" : "False";
        string Pair((int H, int W) p) => $"({p.H}, {p.W})";
        switch (layer)
        {
            case Linear<T> l:
                return $"nn.Linear({l.InFeatures}, {l.OutFeatures}, bias={Bool(l.Bias is not null)})";
            case Conv1d<T> c:
                return $"nn.Conv1d({c.InputShape[0]}, {c.OutChannels}, kernel_size={c.KernelSize}, stride={c.Stride}, padding={c.Padding}, bias={Bool(c.Bias is not null)})";
            case Conv2d<T> c:
                return $"nn.Conv2d({c.InputShape[0]}, {c.OutChannels}, kernel_size={Pair(c.KernelSize)}, stride={Pair(c.Stride)}, padding={Pair(c.Padding)}, bias={Bool(c.Bias is not null)})";
        }
        switch (layer.Spec)
        {
            case MaxPool2d p:
                return $"nn.MaxPool2d(kernel_size={Pair(p.KernelSize)}, stride={Pair(p.Stride)})";
            case AvgPool2d p:
                return $"nn.AvgPool2d(kernel_size={Pair(p.KernelSize)}, stride={Pair(p.Stride)})";
            case Flatten:
                return "nn.Flatten()";
            case ReLU { Scale: 1.0 }:
                return "nn.ReLU()";
            case ReLU r:
                return $"ScaledReLU({Py(r.Scale)})";
            case LeakyReLU r:
                return $"nn.LeakyReLU(negative_slope={Py(r.NegativeSlope)})";
            case Sigmoid:
                return "nn.Sigmoid()";
            case Tanh:
                return "nn.Tanh()";
            case Softplus s:
                return $"nn.Softplus(beta={Py(s.Beta)}, threshold={Py(s.Threshold)})";
            case GELU:
                return "nn.GELU()"; // exact, with erf: PyTorch's default approximate='none'
            case Identity:
                return "nn.Identity()";
            case Softmax:
                return "nn.Softmax(dim=1)";
            case BatchNorm b:
                string kind = b is BatchNorm2d ? "BatchNorm2d" : "BatchNorm1d";
                return $"nn.{kind}({layer.InputShape[0]}, eps={Py(b.Eps)}, momentum={(b.Momentum is double m ? Py(m) : "None")}, " +
                       $"affine={Bool(b.Affine)}, track_running_stats={Bool(b.TrackRunningStats)})";
            case Dropout d:
                return $"nn.Dropout(p={Py(d.P)})";
            default:
                throw new BackpropException($"layers[{i}] ({layer.Type}): no PyTorch equivalent for this layer type in the export; " +
                    $"the PyTorch export covers {string.Join(", ", LayerKinds.Names)}");
        }
    }

    /// <summary>A Python float literal that reads back as the same double.</summary>
    private static string Py(double v) =>
        double.IsPositiveInfinity(v) ? "float('inf')" : double.IsNegativeInfinity(v) ? "float('-inf')" : double.IsNaN(v) ? "float('nan')"
        : v.ToString("R", CultureInfo.InvariantCulture) is var s && (s.Contains('.') || s.Contains('E')) ? s : s + ".0";

    // r'''...''' holds any text but three quotes in a row or a trailing backslash; JSON has neither unescaped.
    private static string PythonRaw(string text) => text.Replace("'''", "\\u0027''");

    private static string Title(string title) => title.Replace("\"\"\"", "'''").Replace("\\", "/");

    private static string Template(string name)
    {
        using var stream = typeof(PyTorchExport).Assembly.GetManifestResourceStream($"Backprop.Runs.PyTorch.{name}")
            ?? throw new InvalidOperationException($"the template PyTorch/{name} is not embedded in {typeof(PyTorchExport).Assembly.GetName().Name}");
        using var reader = new StreamReader(stream, Encoding.UTF8);
        return reader.ReadToEnd();
    }
}
