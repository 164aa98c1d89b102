using Backprop.Tensors;

namespace Backprop.Layers;

/// <summary>
/// One layer's shapes as its description implies them (<see cref="LayerSpec.Layout"/>), known before anything is
/// allocated: what goes in and out per example, the shapes of its parameters, the scratch buffer it keeps (a
/// convolution's im2col columns for one example, and their gradient), and whether it keeps buffers of its own for
/// its output and input gradient (flatten and identity pass their input on and keep none).
/// </summary>
public sealed record LayerLayout(string Type, int[] InputShape, int[] OutputShape, IReadOnlyList<(string Name, int[] Shape)> Parameters,
    long ScratchElements, bool KeepsBuffers = true)
{
    /// <summary>The shapes of the tensors it keeps but does not train (BatchNorm's running statistics), by name.</summary>
    public IReadOnlyList<(string Name, int[] Shape)> Buffers { get; init; } = [];

    /// <summary>
    /// Multiply-adds per example of the layer's forward pass, as torchinfo and the literature count them: a linear layer
    /// in·out, a convolution its output elements × in_channels·kernel (the bias is not counted), a layer that scales each
    /// element (BatchNorm in evaluation mode, diagonal linear) one per element, an average pool one per window element
    /// (a convolution with the weight 1/(kh·kw)); max-pooling (comparisons) and element-wise nonlinearities none.
    /// Each layer's <see cref="LayerSpec.Layout"/> says its own.
    /// </summary>
    public long MultiplyAdds { get; init; }

    /// <summary>Elements of every buffer (BatchNorm's running_mean, running_var and the scalar num_batches_tracked).</summary>
    public long BufferCount => Buffers.Sum(b => (long)Tensor.SizeOf(b.Shape));

    /// <summary>Elements of every parameter (weights and biases).</summary>
    public long ParameterCount => Parameters.Sum(p => (long)Tensor.SizeOf(p.Shape));

    /// <summary>Elements per example of the buffers Forward and Backward keep: the output and the input gradient.</summary>
    public long ActivationElements => KeepsBuffers ? (long)Tensor.SizeOf(OutputShape) + Tensor.SizeOf(InputShape) : 0;
}
