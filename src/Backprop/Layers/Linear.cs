using System.Numerics;
using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;
using Backprop.Kernels;
using Backprop.Tensors;

namespace Backprop.Layers;

/// <summary>
/// Fully connected layer, PyTorch's convention: y = x·Wᵀ + b with W of shape [out_features, in_features].
/// Backward: dL/dW += (dL/dy)ᵀ·x, dL/db += Σ_n dL/dy[n], dL/dx = dL/dy·W.
/// </summary>
public sealed class Linear<T> : Layer<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private Tensor<T>? _input, _output, _inputGrad;

    public Linear(int inFeatures, int outFeatures, bool bias = true) : base([inFeatures], [outFeatures])
    {
        InFeatures = inFeatures;
        OutFeatures = outFeatures;
        Weight = new Parameter<T>("weight", new Tensor<T>(outFeatures, inFeatures));
        Bias = bias ? new Parameter<T>("bias", new Tensor<T>(outFeatures)) : null;
        Parameters = Bias is null ? [Weight] : [Weight, Bias];
    }

    public override string Type => "linear";
    public int InFeatures { get; }
    public int OutFeatures { get; }
    public Parameter<T> Weight { get; }
    public Parameter<T>? Bias { get; }
    public override IReadOnlyList<Parameter<T>> Parameters { get; }

    public override Tensor<T> Forward(Tensor<T> input)
    {
        // input [N, in], weight [out, in], bias [out] -> output [N, out]
        _input = input;
        int n = input.Shape[0];
        var output = Tensor.Reuse(ref _output, [n, OutFeatures]);
        // The bias goes in first and the product is added to it: no separate pass over the output.
        if (Bias is not null)
            for (int i = 0; i < n; i++) Bias.Value.Span.CopyTo(output.Span.Slice(i * OutFeatures, OutFeatures));
        Gemm.Multiply<T>(input.Span, false, Weight.Value.Span, true, output.Span, n, OutFeatures, InFeatures, accumulate: Bias is not null);
        return output;
    }

    public override Tensor<T> Backward(Tensor<T> outputGrad)
    {
        // outputGrad [N, out] -> inputGrad [N, in]; in the forward pass this was: y[n,j] = Σ_i x[n,i]·W[j,i] + b[j]
        BackwardParameters(outputGrad);
        int n = outputGrad.Shape[0];
        var inputGrad = Tensor.Reuse(ref _inputGrad, [n, InFeatures]);
        Gemm.Multiply<T>(outputGrad.Span, false, Weight.Value.Span, false, inputGrad.Span, n, InFeatures, OutFeatures, accumulate: false);
        return inputGrad;
    }

    /// <summary>dW and db only (dL/dx skipped).</summary>
    public override void BackwardParameters(Tensor<T> outputGrad)
    {
        var input = _input ?? throw new InvalidOperationException("linear: Backward called before Forward");
        int n = outputGrad.Shape[0];
        Gemm.Multiply<T>(outputGrad.Span, true, input.Span, false, Weight.Grad.Span, OutFeatures, InFeatures, n, accumulate: true);
        if (Bias is not null)
        {
            Span<T> db = Bias.Grad.Span;
            for (int i = 0; i < n; i++)
                TensorPrimitives.Add(db, outputGrad.Span.Slice(i * OutFeatures, OutFeatures), db);
        }
    }
}
