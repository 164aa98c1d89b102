using System.Numerics;
using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;
using Backprop.Kernels;
using Backprop.Tensors;
using System.Text;

namespace Backprop.Layers;

/// <summary>
/// The description of a <see cref="Linear{T}"/>, as a model file gives it: <c>{"type": "linear", "out": 10}</c>
/// (PyTorch's out_features; in_features is the size of the flat input), optionally <c>"bias": false</c>, parameter
/// values and initialisers (<see cref="WeightedLayerSpec"/>).
/// </summary>
public sealed record Linear(int OutFeatures, bool Bias = true) : WeightedLayerSpec(Bias)
{
    public static LayerKind Definition { get; } = new("linear", ["type", "out", .. ParameterFields], f =>
    {
        int outFeatures = f.Integer("out", 1);
        var p = f.WeightAndBias();
        return new Linear(outFeatures, p.HasBias) { Values = p.Values, Init = p.Init, BiasInit = p.BiasInit };
    });

    public override LayerKind Kind => Definition;

    public override LayerLayout Layout(int[] inputShape, string where)
    {
        NeedRank(inputShape, 1, "a flat input [features]", where, "; add a flatten layer before it");
        NeedSize(where, "weight", OutFeatures, inputShape[0]);
        // y = x·Wᵀ + b: in·out multiply-adds per example.
        return new LayerLayout(Type, inputShape, [OutFeatures], Parameters([OutFeatures, inputShape[0]]), 0)
        {
            MultiplyAdds = (long)OutFeatures * inputShape[0],
        };
    }

    public override Layer<T> Create<T>(int[] inputShape) => new Linear<T>(inputShape[0], OutFeatures, Bias);

    protected override void WriteArguments(StringBuilder sb) => Field(sb, "out", OutFeatures.ToString());
}

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

    public override LayerSpec Spec => new Linear(OutFeatures, Bias is not null);
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
