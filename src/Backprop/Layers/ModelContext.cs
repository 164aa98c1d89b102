namespace Backprop.Layers;

/// <summary>
/// What the layers of one model share: whether it is in training mode (PyTorch's <c>module.training</c>; a new model
/// is) or in evaluation mode, and the seeded generator that Dropout draws its masks from. A
/// model (Sequential) gives all its layers one context; <c>Train()</c> and <c>Eval()</c> set the mode.
/// A layer on its own has a context of its own: training mode, a generator seeded with 0.
/// </summary>
public sealed class ModelContext
{
    /// <summary>Training mode (true, the default) or evaluation mode (false).</summary>
    public bool Training { get; set; } = true;

    /// <summary>The generator Dropout draws from, in the order the layers run (the model's, continuing after initialisation).</summary>
    public Rng Generator { get; set; } = new(0);
}
