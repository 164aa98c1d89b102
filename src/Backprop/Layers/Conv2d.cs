using System.Numerics;
using Backprop.Kernels;
using Backprop.Tensors;

namespace Backprop.Layers;

/// <summary>
/// 2-D cross-correlation, PyTorch's Conv2d: out[n, o, y, x] = b[o] + Σ_{c,ky,kx} W[o, c, ky, kx] · in[n, c, y·s − p + ky, x·s − p + kx].
/// Weight [out_channels, in_channels, kh, kw], bias [out_channels]; input [N, C, H, W] → output [N, O, Ho, Wo].
/// </summary>
public sealed class Conv2d<T> : Layer<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly WindowGeometry _g;
    private Tensor<T>? _input, _output, _inputGrad;
    // im2col columns for one example, and their gradient: allocated by the first Forward and Backward, so that
    // building a model allocates only its parameters.
    private T[]? _col, _colGrad;

    public Conv2d(int[] inputShape, int outChannels, (int H, int W) kernel, (int H, int W) stride, (int H, int W) padding, bool bias = true)
        : base(inputShape, [outChannels,
            (inputShape[1] + 2 * padding.H - kernel.H) / stride.H + 1,
            (inputShape[2] + 2 * padding.W - kernel.W) / stride.W + 1])
    {
        _g = new WindowGeometry(inputShape[0], inputShape[1], inputShape[2], kernel.H, kernel.W, stride.H, stride.W, padding.H, padding.W);
        OutChannels = outChannels;
        KernelSize = kernel;
        Stride = stride;
        Padding = padding;
        Weight = new Parameter<T>("weight", new Tensor<T>(outChannels, inputShape[0], kernel.H, kernel.W));
        Bias = bias ? new Parameter<T>("bias", new Tensor<T>(outChannels)) : null;
        Parameters = Bias is null ? [Weight] : [Weight, Bias];
    }

    public override string Type => "conv2d";
    public int InChannels => _g.Channels;
    public int OutChannels { get; }
    public (int H, int W) KernelSize { get; }
    public (int H, int W) Stride { get; }
    public (int H, int W) Padding { get; }
    public Parameter<T> Weight { get; }
    public Parameter<T>? Bias { get; }
    public override IReadOnlyList<Parameter<T>> Parameters { get; }

    public override Tensor<T> Forward(Tensor<T> input)
    {
        // input [N, C, H, W] -> output [N, O, Ho, Wo]
        _input = input;
        int n = input.Shape[0];
        var output = Tensor.Reuse(ref _output, [n, OutChannels, _g.OutHeight, _g.OutWidth]);
        Convolution.Forward<T>(input.Span, n, _g, Weight.Value.Span, Bias is null ? default : Bias.Value.Span, OutChannels, output.Span, _col ??= new T[(long)_g.PatchSize * _g.OutPixels]);
        return output;
    }

    public override Tensor<T> Backward(Tensor<T> outputGrad)
    {
        // outputGrad [N, O, Ho, Wo] -> inputGrad [N, C, H, W]
        var input = _input ?? throw new InvalidOperationException("conv2d: Backward called before Forward");
        int n = input.Shape[0];
        var inputGrad = Tensor.Reuse(ref _inputGrad, input.Shape);
        Convolution.Backward<T>(input.Span, n, _g, Weight.Value.Span, OutChannels, outputGrad.Span, Weight.Grad.Span,
            Bias is null ? default : Bias.Grad.Span, inputGrad.Span, _col!, _colGrad ??= new T[_col!.Length]);
        return inputGrad;
    }
}
