using System.Numerics;
using Backprop.Tensors;

namespace Backprop.Layers;

/// <summary>
/// An element-wise function y = f(x). Subclasses write f and its derivative on spans; this base class owns the
/// buffers and the cache (the input x and output y, both kept because some derivatives are cheaper from y).
/// </summary>
public abstract class Activation<T>(int[] shape) : Layer<T>(shape, shape) where T : unmanaged, IFloatingPointIeee754<T>
{
    private Tensor<T>? _input, _output, _inputGrad;

    public sealed override Tensor<T> Forward(Tensor<T> input)
    {
        _input = input;
        var output = Tensor.Reuse(ref _output, input.Shape);
        Forward(input.Span, output.Span);
        return output;
    }

    public sealed override Tensor<T> Backward(Tensor<T> outputGrad)
    {
        if (_input is null || _output is null) throw new InvalidOperationException($"{Type}: Backward called before Forward");
        var inputGrad = Tensor.Reuse(ref _inputGrad, outputGrad.Shape);
        Backward(_input.Span, _output.Span, outputGrad.Span, inputGrad.Span);
        return inputGrad;
    }

    /// <summary>y = f(x), element by element.</summary>
    protected abstract void Forward(ReadOnlySpan<T> x, Span<T> y);

    /// <summary>dx = f'(x) · dy, element by element (x and y are the cached forward input and output).</summary>
    protected abstract void Backward(ReadOnlySpan<T> x, ReadOnlySpan<T> y, ReadOnlySpan<T> dy, Span<T> dx);

    /// <summary>Converts a double constant once, outside the inner loops.</summary>
    protected static T C(double value) => T.CreateChecked(value);
}
