using System.Globalization;
using Backprop.Data;
using Backprop.IO;
using Backprop.Tensors;

namespace Backprop.Training;

/// <summary>
/// How examples are prepared before they reach the model: divided by <see cref="Scale"/> (255 for images, so pixels lie
/// in [0, 1]; none for CSV features), then, if the run standardised, centred and scaled per feature with the training
/// set's statistics. Saved beside the weights so that eval and predict prepare data exactly as training did.
/// </summary>
public sealed record DataPreparation(float? Scale, float[]? Mean, float[]? Std)
{
    /// <summary>Images (IDX, Fashion-MNIST) are scaled from bytes to [0, 1]; CSV features are taken as they are.</summary>
    public static float? ScaleFor(string datasetSpec) => DatasetSource.IsCsv(datasetSpec) ? null : 255f;

    public void Apply(Dataset data)
    {
        if (Scale is float s) Preprocessing.ScaleToUnit(data, s);
        if (Mean is not null && Std is not null) Preprocessing.Standardize(data, Mean, Std);
    }

    public void Save(string path, int[] exampleShape)
    {
        var tensors = new List<(string, Tensor<float>)>();
        if (Mean is not null && Std is not null)
        {
            tensors.Add(("mean", new Tensor<float>(Mean, exampleShape)));
            tensors.Add(("std", new Tensor<float>(Std, exampleShape)));
        }
        var metadata = new Dictionary<string, string> { ["scale"] = Scale is float s ? NumberFormat.RoundTrip(s) : "none" };
        Safetensors.Save(path, tensors, metadata);
    }

    public static DataPreparation Load(string path)
    {
        var file = SafetensorsFile.Read(path);
        string scale = file.Metadata?.GetValueOrDefault("scale") ?? throw new BackpropException($"{path}: missing 'scale' in the metadata");
        float? s = scale == "none" ? null
            : float.TryParse(scale, NumberStyles.Float, CultureInfo.InvariantCulture, out float v) && v > 0 ? v
            : throw new BackpropException($"{path}: metadata 'scale' is '{scale}', expected a positive number or 'none'");
        bool standardized = file.Contains("mean");
        return new DataPreparation(s, standardized ? file.Get<float>("mean").Data : null, standardized ? file.Get<float>("std").Data : null);
    }
}
