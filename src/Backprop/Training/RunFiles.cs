namespace Backprop.Training;

/// <summary>The files a run writes into its output folder.</summary>
public static class RunFiles
{
    public const string Model = "model.json", Weights = "model.safetensors", Checkpoint = "checkpoint.safetensors",
        Preprocessing = "preprocessing.safetensors", Metrics = "metrics.csv", Curves = "curves.png";
}
