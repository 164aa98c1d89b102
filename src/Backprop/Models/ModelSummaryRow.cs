namespace Backprop.Models;

/// <summary>
/// One layer of a <see cref="ModelSummary"/>: its index (the state_dict prefix), type and arguments as the model file
/// writes them (<c>"out_channels": 32, "kernel_size": 3</c>), output shape per example, parameter and buffer elements,
/// multiply-adds per example, and the bytes of the activations it keeps for a batch (its output and input gradient).
/// </summary>
public sealed record ModelSummaryRow(int Index, string Type, string Arguments, int[] OutputShape, long Parameters, long Buffers,
    long MultiplyAdds, long ActivationBytes);
