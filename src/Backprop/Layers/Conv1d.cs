using System.Numerics;
using Backprop.Kernels;
using Backprop.Tensors;

namespace Backprop.Layers;

/// <summary>
/// 1-D cross-correlation, PyTorch's Conv1d: out[n, o, t] = b[o] + Σ_{c,k} W[o, c, k] · in[n, c, t·s − p + k].
/// Weight [out_channels, in_channels, kernel_size]; input [N, C, L] → output [N, O, Lout]. Seed 000's mini CNN is
/// C = 1, L = 3, kernel 2: a1 = x1·w1 + x2·w2, a2 = x2·w1 + x3·w2. Computed as a 2-D window of height 1.
/// </summary>
public sealed class Conv1d<T> : Layer<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly WindowGeometry _g;
    private Tensor<T>? _input, _output, _inputGrad;
    // im2col columns for one example, and their gradient: allocated by the first Forward and Backward, so that
    // building a model allocates only its parameters.
    private T[]? _col, _colGrad;

    public Conv1d(int[] inputShape, int outChannels, int kernelSize, int stride, int padding, bool bias = true)
        : base(inputShape, [outChannels, (inputShape[1] + 2 * padding - kernelSize) / stride + 1])
    {
        _g = new WindowGeometry(inputShape[0], 1, inputShape[1], 1, kernelSize, 1, stride, 0, padding);
        OutChannels = outChannels;
        KernelSize = kernelSize;
        Stride = stride;
        Padding = padding;
        Weight = new Parameter<T>("weight", new Tensor<T>(outChannels, inputShape[0], kernelSize));
        Bias = bias ? new Parameter<T>("bias", new Tensor<T>(outChannels)) : null;
        Parameters = Bias is null ? [Weight] : [Weight, Bias];
    }

    public override string Type => "conv1d";
    public int InChannels => _g.Channels;
    public int OutChannels { get; }
    public int KernelSize { get; }
    public int Stride { get; }
    public int Padding { get; }
    public Parameter<T> Weight { get; }
    public Parameter<T>? Bias { get; }
    public override IReadOnlyList<Parameter<T>> Parameters { get; }

    public override Tensor<T> Forward(Tensor<T> input)
    {
        // input [N, C, L] -> output [N, O, Lout]
        _input = input;
        int n = input.Shape[0];
        var output = Tensor.Reuse(ref _output, [n, OutChannels, _g.OutWidth]);
        Convolution.Forward<T>(input.Span, n, _g, Weight.Value.Span, Bias is null ? default : Bias.Value.Span, OutChannels, output.Span, _col ??= new T[(long)_g.PatchSize * _g.OutPixels]);
        return output;
    }

    public override Tensor<T> Backward(Tensor<T> outputGrad)
    {
        // outputGrad [N, O, Lout] -> inputGrad [N, C, L]
        var input = _input ?? throw new InvalidOperationException("conv1d: Backward called before Forward");
        int n = input.Shape[0];
        var inputGrad = Tensor.Reuse(ref _inputGrad, input.Shape);
        Convolution.Backward<T>(input.Span, n, _g, Weight.Value.Span, OutChannels, outputGrad.Span, Weight.Grad.Span,
            Bias is null ? default : Bias.Grad.Span, inputGrad.Span, _col!, _colGrad ??= new T[_col!.Length]);
        return inputGrad;
    }
}
