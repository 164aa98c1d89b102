using Backprop.Layers;
using Backprop.Tensors;

namespace Backprop.Models;

/// <summary>
/// A model at a glance, as torchinfo's <c>summary()</c> and Keras's <c>model.summary()</c> show it, computed from the
/// model file alone (nothing is built or allocated): per layer the type and arguments, the output shape, parameter and
/// buffer counts, multiply-adds per example (each layer's <see cref="LayerLayout.MultiplyAdds"/>) and the activation
/// memory it keeps for a batch; with the totals and what a training step keeps in memory
/// (<see cref="MemoryEstimate.Training"/>). <see cref="ModelSummaryWriter"/> lays it out as text, Markdown or JSON.
/// </summary>
public sealed record ModelSummary(string Source, int[] InputShape, IReadOnlyList<ModelSummaryRow> Layers, int BatchSize, TrainingMemory Memory)
{
    /// <summary>Bytes per number: training runs in float32.</summary>
    public const int ElementSize = sizeof(float);

    /// <summary>Trainable parameters (weights and biases), elements.</summary>
    public long Parameters => Layers.Sum(l => l.Parameters);

    /// <summary>Buffers (BatchNorm's running statistics and batch count), elements.</summary>
    public long Buffers => Layers.Sum(l => l.Buffers);

    /// <summary>Multiply-adds of one example's forward pass.</summary>
    public long MultiplyAdds => Layers.Sum(l => l.MultiplyAdds);

    /// <summary>Multiply-adds of a batch's forward pass.</summary>
    public long BatchMultiplyAdds => TrainingMemory.Saturate((Int128)MultiplyAdds * BatchSize);

    /// <summary>Bytes of the activations the layers keep for a batch (without the input batch and the loss gradient).</summary>
    public long ActivationBytes => TrainingMemory.Saturate(Layers.Aggregate((Int128)0, (sum, l) => sum + l.ActivationBytes));

    /// <summary>The output shape of one example (the input's when there are no layers).</summary>
    public int[] OutputShape => Layers.Count == 0 ? InputShape : Layers[^1].OutputShape;

    /// <summary>
    /// The summary of <paramref name="spec"/> for batches of <paramref name="batchSize"/>; the model's shapes are checked
    /// as <see cref="ModelFile.Layout"/> checks them, errors naming <paramref name="source"/>.
    /// </summary>
    public static ModelSummary Of(ModelSpec spec, string source, int batchSize)
    {
        if (batchSize < 1) throw new BackpropException($"batch size: expected an integer ≥ 1, got {batchSize}");
        var layout = ModelFile.Layout(spec, source);
        var rows = new List<ModelSummaryRow>(layout.Layers.Count);
        for (int i = 0; i < layout.Layers.Count; i++)
        {
            var l = layout.Layers[i];
            rows.Add(new ModelSummaryRow(i, l.Type, spec.Layers[i].ArgumentsJson, l.OutputShape, l.ParameterCount, l.BufferCount, l.MultiplyAdds,
                TrainingMemory.Saturate((Int128)l.ActivationElements * batchSize * ElementSize)));
        }
        return new ModelSummary(source, spec.Input, rows, batchSize, MemoryEstimate.Training(layout, ElementSize, batchSize, optimizerSlots: 0));
    }
}
