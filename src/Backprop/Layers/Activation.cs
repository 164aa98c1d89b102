using System.Numerics;
using Backprop.Kernels;
using Backprop.Tensors;

namespace Backprop.Layers;

/// <summary>The description of an element-wise layer: the output has the input's shape, and there are no parameters.</summary>
public abstract record Activation : LayerSpec
{
    public sealed override LayerLayout Layout(int[] inputShape, string where) => SameShape(inputShape);
}

/// <summary>
/// An element-wise function y = f(x). Subclasses write f and its derivative on spans; this base class owns the
/// buffers and the cache (the input x and output y, both kept because some derivatives are cheaper from y).
/// Large tensors are cut into pieces run in parallel by an <see cref="ElementwiseJob"/>.
/// </summary>
public abstract class Activation<T> : Layer<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly ElementwiseJob _job;
    private Tensor<T>? _input, _output, _inputGrad, _outputGrad;
    private bool _backward;

    protected Activation(int[] shape) : base(shape, shape) => _job = new ElementwiseJob(Execute);

    public sealed override Tensor<T> Forward(Tensor<T> input)
    {
        _input = input;
        var output = Tensor.Reuse(ref _output, input.Shape);
        _backward = false;
        _job.Run(input.Length);
        return output;
    }

    public sealed override Tensor<T> Backward(Tensor<T> outputGrad)
    {
        if (_input is null || _output is null) throw new InvalidOperationException($"{Type}: Backward called before Forward");
        _inputGrad = Tensor.Reuse(ref _inputGrad, outputGrad.Shape);
        _outputGrad = outputGrad;
        _backward = true;
        _job.Run(outputGrad.Length);
        _outputGrad = null;
        return _inputGrad;
    }

    private void Execute(int start, int count)
    {
        if (_backward)
            Backward(_input!.Span.Slice(start, count), _output!.Span.Slice(start, count), _outputGrad!.Span.Slice(start, count), _inputGrad!.Span.Slice(start, count));
        else
            Forward(_input!.Span.Slice(start, count), _output!.Span.Slice(start, count));
    }

    /// <summary>y = f(x), element by element.</summary>
    protected abstract void Forward(ReadOnlySpan<T> x, Span<T> y);

    /// <summary>dx = f'(x) · dy, element by element (x and y are the cached forward input and output).</summary>
    protected abstract void Backward(ReadOnlySpan<T> x, ReadOnlySpan<T> y, ReadOnlySpan<T> dy, Span<T> dx);

    /// <summary>Converts a double constant once, outside the inner loops.</summary>
    protected static T C(double value) => T.CreateChecked(value);
}
