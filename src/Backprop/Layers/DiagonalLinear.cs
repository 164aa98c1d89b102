using System.Numerics;
using Backprop.Tensors;

namespace Backprop.Layers;

/// <summary>
/// The description of a <see cref="DiagonalLinear{T}"/>: <c>{"type": "diagonal_linear"}</c>, one weight per feature of
/// a flat input. Not among <see cref="LayerKinds"/>: it is built in code, never read from a model file.
/// </summary>
public sealed record DiagonalLinear : LayerSpec
{
    public static LayerKind Definition { get; } = new("diagonal_linear", ["type"], _ => new DiagonalLinear());

    public override LayerKind Kind => Definition;

    public override LayerLayout Layout(int[] inputShape, string where)
    {
        NeedRank(inputShape, 1, "a flat input [features]", where);
        return new LayerLayout(Type, inputShape, inputShape, [("weight", [inputShape[0]])], 0) { MultiplyAdds = inputShape[0] };
    }

    public override Layer<T> Create<T>(int[] inputShape) => new DiagonalLinear<T>(inputShape[0]);
}

/// <summary>
/// A linear layer whose weight matrix is diagonal: y[n, k] = w[k] · x[n, k], one scalar weight per feature and no bias.
/// It is Linear(F, F, bias: false) with every off-diagonal weight held at zero, written as its own layer so that the
/// zeros are structural (no masked gradients). Seed 000's practice problem 2 builds its two chains from it: feature k
/// is chain k, and layer l's weights are (w₁⁽ˡ⁾, w₂⁽ˡ⁾).
/// Backward: dL/dw[k] += Σ_n dL/dy[n, k] · x[n, k], dL/dx[n, k] = w[k] · dL/dy[n, k].
/// <para>Weight [features]; input [N, features] → output [N, features]. Not a model-file type: build it in code.</para>
/// <example><code>var chain = new DiagonalLinear&lt;double&gt;(2); chain.Weight.Value[0] = 0.5; // w₁ = 0.5</code></example>
/// </summary>
public sealed class DiagonalLinear<T> : Layer<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private Tensor<T>? _input, _output, _inputGrad;

    public DiagonalLinear(int features) : base([features], [features])
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(features, 1);
        Features = features;
        Weight = new Parameter<T>("weight", new Tensor<T>(features));
        Parameters = [Weight];
    }

    public override LayerSpec Spec => new DiagonalLinear();
    public int Features { get; }
    public Parameter<T> Weight { get; }
    public override IReadOnlyList<Parameter<T>> Parameters { get; }

    public override Tensor<T> Forward(Tensor<T> input)
    {
        // input [N, F], weight [F] -> output [N, F]
        _input = input;
        int n = input.Shape[0];
        var output = Tensor.Reuse(ref _output, [n, Features]);
        ReadOnlySpan<T> x = input.Span, w = Weight.Value.Span;
        Span<T> y = output.Span;
        for (int i = 0; i < n; i++)
            for (int k = 0; k < Features; k++) y[i * Features + k] = w[k] * x[i * Features + k];
        return output;
    }

    public override Tensor<T> Backward(Tensor<T> outputGrad)
    {
        // outputGrad [N, F] -> inputGrad [N, F]; in the forward pass this was: y[n,k] = w[k]·x[n,k]
        var input = _input ?? throw new InvalidOperationException("diagonal_linear: Backward called before Forward");
        int n = outputGrad.Shape[0];
        var inputGrad = Tensor.Reuse(ref _inputGrad, [n, Features]);
        ReadOnlySpan<T> x = input.Span, w = Weight.Value.Span, dy = outputGrad.Span;
        Span<T> dw = Weight.Grad.Span, dx = inputGrad.Span;
        for (int i = 0; i < n; i++)
            for (int k = 0; k < Features; k++)
            {
                dw[k] += dy[i * Features + k] * x[i * Features + k];
                dx[i * Features + k] = w[k] * dy[i * Features + k];
            }
        return inputGrad;
    }
}
