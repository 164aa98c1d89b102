using System.Numerics;
using Backprop.Tensors;

namespace Backprop.Layers;

/// <summary>[N, d1, d2, ...] → [N, d1·d2·...]: the same data seen with another shape; backward reshapes back.</summary>
public sealed class Flatten<T>(int[] inputShape) : Layer<T>(inputShape, [Tensor.SizeOf(inputShape)]) where T : unmanaged, IFloatingPointIeee754<T>
{
    private Tensor<T>? _outputView, _inputGradView;

    public override string Type => "flatten";

    public override Tensor<T> Forward(Tensor<T> input) =>
        View(ref _outputView, input, Tensor.Batched(input.Shape[0], OutputShape));

    public override Tensor<T> Backward(Tensor<T> outputGrad) =>
        View(ref _inputGradView, outputGrad, Tensor.Batched(outputGrad.Shape[0], InputShape));

    // Reuses the view object while the underlying buffer is the same, so steady-state steps allocate nothing.
    private static Tensor<T> View(ref Tensor<T>? view, Tensor<T> source, int[] shape)
    {
        if (view is null || !ReferenceEquals(view.Data, source.Data) || !view.HasShape(shape))
            view = new Tensor<T>(source.Data, shape);
        return view;
    }
}
