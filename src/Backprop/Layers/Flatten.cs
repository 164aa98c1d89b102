using System.Numerics;
using Backprop.Tensors;

namespace Backprop.Layers;

/// <summary>The description of a <see cref="Flatten{T}"/>: <c>{"type": "flatten"}</c>.</summary>
public sealed record Flatten() : LayerSpec
{
    public static LayerKind Definition { get; } = new("flatten", ["type"], _ => new Flatten());

    public override LayerKind Kind => Definition;

    public override LayerLayout Layout(int[] inputShape, string where) =>
        new(Type, inputShape, [Tensor.SizeOf(inputShape)], [], 0, KeepsBuffers: false);

    public override Layer<T> Create<T>(int[] inputShape) => new Flatten<T>(inputShape);
}

/// <summary>[N, d1, d2, ...] → [N, d1·d2·...]: the same data seen with another shape; backward reshapes back.</summary>
public sealed class Flatten<T>(int[] inputShape) : Layer<T>(inputShape, [Tensor.SizeOf(inputShape)]) where T : unmanaged, IFloatingPointIeee754<T>
{
    private Tensor<T>? _outputView, _inputGradView;

    public override LayerSpec Spec => new Flatten();

    public override Tensor<T> Forward(Tensor<T> input) => View(ref _outputView, input, OutputShape);

    public override Tensor<T> Backward(Tensor<T> outputGrad) => View(ref _inputGradView, outputGrad, InputShape);

    // Reuses the view object while the underlying buffer and the batch size are the same, so steady-state steps allocate nothing.
    private static Tensor<T> View(ref Tensor<T>? view, Tensor<T> source, int[] exampleShape)
    {
        int batch = source.Shape[0];
        if (view is null || !ReferenceEquals(view.Data, source.Data) || view.Shape[0] != batch || !view.Shape.AsSpan(1).SequenceEqual(exampleShape))
            view = new Tensor<T>(source.Data, Tensor.Batched(batch, exampleShape));
        return view;
    }
}
