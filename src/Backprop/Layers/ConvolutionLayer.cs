using System.Numerics;
using Backprop.Kernels;
using Backprop.Tensors;

namespace Backprop.Layers;

/// <summary>
/// What Conv1d and Conv2d share: a weight [out_channels, in_channels, ...kernel], an optional bias [out_channels], and
/// a forward and backward pass by im2col + GEMM over a <see cref="WindowGeometry"/> (1-D is the case of height 1).
/// Forward: out[n, o, ·] = b[o] + Σ_{c, k} W[o, c, k] · in[n, c, · · s − p + k].
/// Backward: dW += dOut[n] · col[n]ᵀ, db += Σ over positions, dIn = col2im(Wᵀ · dOut[n]).
/// </summary>
public abstract class ConvolutionLayer<T> : Layer<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly WindowGeometry _g;
    private Tensor<T>? _input, _output, _inputGrad;
    private T[] _scratch = [];

    protected ConvolutionLayer(int[] inputShape, int[] outputShape, WindowGeometry geometry, int outChannels, int[] kernelShape, bool bias)
        : base(inputShape, outputShape)
    {
        _g = geometry;
        OutChannels = outChannels;
        Weight = new Parameter<T>("weight", new Tensor<T>([outChannels, geometry.Channels, .. kernelShape]));
        Bias = bias ? new Parameter<T>("bias", new Tensor<T>(outChannels)) : null;
        Parameters = Bias is null ? [Weight] : [Weight, Bias];
    }

    public int InChannels => _g.Channels;
    public int OutChannels { get; }
    public Parameter<T> Weight { get; }
    public Parameter<T>? Bias { get; }
    public override IReadOnlyList<Parameter<T>> Parameters { get; }

    public sealed override Tensor<T> Forward(Tensor<T> input)
    {
        // input [N, C, ...in] -> output [N, O, ...out]
        _input = input;
        var output = Tensor.Reuse(ref _output, input.Shape[0], OutputShape);
        Convolution.Forward<T>(input.Span, input.Shape[0], _g, Weight.Value.Span, Bias is null ? default : Bias.Value.Span, OutChannels, output.Span);
        return output;
    }

    public sealed override Tensor<T> Backward(Tensor<T> outputGrad)
    {
        // outputGrad [N, O, ...out] -> inputGrad [N, C, ...in]
        var input = _input ?? throw new InvalidOperationException($"{Type}: Backward called before Forward");
        var inputGrad = Tensor.Reuse(ref _inputGrad, input.Shape);
        Backward(input, outputGrad, inputGrad.Span);
        return inputGrad;
    }

    /// <summary>dW and db only: the col2im half of the backward pass is skipped.</summary>
    public sealed override void BackwardParameters(Tensor<T> outputGrad)
    {
        var input = _input ?? throw new InvalidOperationException($"{Type}: Backward called before Forward");
        Backward(input, outputGrad, default);
    }

    private void Backward(Tensor<T> input, Tensor<T> outputGrad, Span<T> inputGrad)
    {
        int batch = input.Shape[0], size = Convolution.BackwardScratchSize(batch, _g, OutChannels);
        if (_scratch.Length < size) _scratch = new T[size];
        Convolution.Backward<T>(input.Span, batch, _g, Weight.Value.Span, OutChannels, outputGrad.Span, Weight.Grad.Span,
            Bias is null ? default : Bias.Grad.Span, inputGrad, _scratch);
    }
}
