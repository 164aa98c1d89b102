using System.Numerics;
using Backprop.Tensors;

namespace Backprop.Layers;

/// <summary>
/// One step of a network with its forward and backward pass written by hand.
/// A layer owns its parameters, their gradients and the cache its backward pass needs.
/// <para>
/// <see cref="Forward"/> takes a batch [N, ...InputShape] and returns [N, ...OutputShape]; the returned tensor is
/// a buffer the layer owns and reuses, valid until the next call to Forward.
/// <see cref="Backward"/> takes dL/d(output), adds dL/d(parameter) into each parameter's gradient (it never
/// zeroes them: call <see cref="ZeroGrad"/> for that) and returns dL/d(input), also a reused buffer.
/// </para>
/// </summary>
public abstract class Layer<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    protected Layer(int[] inputShape, int[] outputShape)
    {
        InputShape = inputShape;
        OutputShape = outputShape;
    }

    /// <summary>
    /// What the layer is, as its model-file entry says it (type and arguments, no values): the one description of
    /// the layer type that model files, exports and tools read.
    /// </summary>
    public abstract LayerSpec Spec { get; }

    /// <summary>The layer's name in model files ("linear", "relu", ...).</summary>
    public string Type => Spec.Type;

    /// <summary>Shape of one example going in (without the batch dimension).</summary>
    public int[] InputShape { get; }

    /// <summary>Shape of one example coming out (without the batch dimension).</summary>
    public int[] OutputShape { get; }

    /// <summary>Trainable tensors, in state_dict order (weight before bias).</summary>
    public virtual IReadOnlyList<Parameter<T>> Parameters => [];

    /// <summary>Tensors kept but not trained (BatchNorm's running statistics), in state_dict order after the parameters.</summary>
    public virtual IReadOnlyList<Buffer<T>> Buffers => [];

    /// <summary>The mode and generator shared with the other layers of the model (see <see cref="ModelContext"/>).</summary>
    public ModelContext Context { get; set; } = new();

    /// <summary>Whether the layer runs in training mode (PyTorch's <c>module.training</c>).</summary>
    public bool Training => Context.Training;

    public abstract Tensor<T> Forward(Tensor<T> input);

    public abstract Tensor<T> Backward(Tensor<T> outputGrad);

    /// <summary>
    /// <see cref="Backward"/> without dL/d(input): adds the same dL/d(parameter) into the gradients. A network being
    /// trained calls it on its first layer with parameters, whose input gradient nobody reads (PyTorch skips it
    /// likewise); layers for which that gradient is real work override it.
    /// </summary>
    public virtual void BackwardParameters(Tensor<T> outputGrad) => Backward(outputGrad);

    public void ZeroGrad()
    {
        var parameters = Parameters;
        for (int i = 0; i < parameters.Count; i++) parameters[i].Grad.Clear();
    }

    /// <summary>Reads like the layer's entry in a model file, without values.</summary>
    public override string ToString() => Spec.ToString();
}
