using System.Numerics;
using Backprop.Tensors;

namespace Backprop.Layers;

/// <summary>The description of a <see cref="Softmax{T}"/>: <c>{"type": "softmax"}</c>, over the features of a flat input.</summary>
public sealed record Softmax() : LayerSpec
{
    public static LayerKind Definition { get; } = new("softmax", ["type"], _ => new Softmax());

    public override LayerKind Kind => Definition;

    public override LayerLayout Layout(int[] inputShape, string where)
    {
        NeedRank(inputShape, 1, "a flat input [features]", where, "; softmax acts over the features of each example, so add a flatten layer before it");
        return SameShape(inputShape);
    }

    public override Layer<T> Create<T>(int[] inputShape) => new Softmax<T>(inputShape[0]);
}

/// <summary>
/// Softmax over the features of each example (PyTorch's Softmax(dim=1)) on [N, F]:
/// y_k = e^(x_k − max x) / Σ_j e^(x_j − max x). Its Jacobian is ∂y_k/∂x_i = y_k(δ_ki − y_i), so
/// dL/dx_i = y_i · (dL/dy_i − Σ_k dL/dy_k · y_k).
/// </summary>
public sealed class Softmax<T>(int features) : Layer<T>([features], [features]) where T : unmanaged, IFloatingPointIeee754<T>
{
    private Tensor<T>? _output, _inputGrad;

    public override LayerSpec Spec => new Softmax();

    public override Tensor<T> Forward(Tensor<T> input)
    {
        // input [N, F] -> output [N, F]
        var output = Tensor.Reuse(ref _output, input.Shape);
        int f = OutputShape[0];
        for (int n = 0; n < input.Shape[0]; n++)
            VectorFunctions.Softmax<T>(input.Span.Slice(n * f, f), output.Span.Slice(n * f, f));
        return output;
    }

    public override Tensor<T> Backward(Tensor<T> outputGrad)
    {
        // outputGrad [N, F] -> inputGrad [N, F]
        var y = _output ?? throw new InvalidOperationException("softmax: Backward called before Forward");
        var inputGrad = Tensor.Reuse(ref _inputGrad, outputGrad.Shape);
        int f = OutputShape[0];
        for (int n = 0; n < outputGrad.Shape[0]; n++)
        {
            ReadOnlySpan<T> yn = y.Span.Slice(n * f, f), dy = outputGrad.Span.Slice(n * f, f);
            Span<T> dx = inputGrad.Span.Slice(n * f, f);
            T dot = T.Zero;
            for (int k = 0; k < f; k++) dot += dy[k] * yn[k];
            for (int i = 0; i < f; i++) dx[i] = yn[i] * (dy[i] - dot);
        }
        return inputGrad;
    }
}
