using Backprop.Tensors;
using Backprop.Training;

namespace Backprop.Runs;

/// <summary>
/// What the exported train.py continues: the run's options, the total number of epochs (counting those done), the
/// epochs Backprop did, the dataset, the optimiser's state after them (null: a fresh optimiser) and the early-stopping
/// state (the best validation loss so far, infinite before any, and the epochs since it improved).
/// </summary>
public sealed record PyTorchRecipe(TrainingOptions Options, int Epochs, int EpochsDone, string Dataset,
    IReadOnlyList<(string Name, Tensor<float> Tensor)>? OptimizerState = null, int OptimizerSteps = 0,
    double BestValidationLoss = double.PositiveInfinity, int EpochsWithoutImprovement = 0)
{
    /// <summary>A fresh run of <paramref name="options"/> (the defaults of <c>backprop train</c> when null) on <paramref name="dataset"/>.</summary>
    public static PyTorchRecipe Fresh(TrainingOptions? options = null, string dataset = "fashion-mnist")
    {
        options ??= new TrainingOptions();
        return new PyTorchRecipe(options, options.Epochs, 0, dataset);
    }
}
