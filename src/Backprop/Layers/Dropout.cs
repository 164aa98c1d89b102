using System.Numerics;
using System.Text;
using Backprop.Tensors;

namespace Backprop.Layers;

/// <summary>The description of a <see cref="Dropout{T}"/>: <c>{"type": "dropout", "p": 0.5}</c>, p in [0, 1].</summary>
public sealed record Dropout(double P = 0.5) : LayerSpec
{
    public static LayerKind Definition { get; } = new("dropout", ["type", "p"], f =>
    {
        double p = f.Number("p", 0.5);
        if (!(p >= 0 && p <= 1)) throw f.Error("p", $"the probability of dropping an element must be in [0, 1], got {NumberFormat.RoundTrip(p)}");
        return new Dropout(p);
    });

    public override LayerKind Kind => Definition;

    public override LayerLayout Layout(int[] inputShape, string where) => SameShape(inputShape);

    public override Layer<T> Create<T>(int[] inputShape) => new Dropout<T>(inputShape, P);

    protected override void WriteArguments(StringBuilder sb) => Field(sb, "p", Number(P));
}

/// <summary>
/// Inverted dropout, as PyTorch's nn.Dropout: in training mode each element is kept with probability 1 − p and
/// scaled by 1/(1 − p), otherwise set to 0 (y = x · mask, mask ∈ {0, 1/(1 − p)}); in evaluation mode y = x. The
/// mask is drawn from the model's generator (<see cref="ModelContext.Generator"/>), one draw per element in row-major
/// order, element kept when the draw u ∈ [0, 1) is ≥ p; so a seeded run repeats bit for bit. As PyTorch, p = 0 draws
/// nothing and passes x on, and p = 1 gives zeros. Backward uses the forward pass's mask: dx = dy · mask.
/// </summary>
public sealed class Dropout<T>(int[] shape, double p = 0.5) : Layer<T>(shape, shape) where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly T _scale = p < 1 ? T.One / (T.One - T.CreateChecked(p)) : T.Zero;
    private Tensor<T>? _mask, _output, _inputGrad;
    private bool _masked, _forward;

    public override LayerSpec Spec => new Dropout(P);

    public double P { get; } = p;

    /// <summary>The mask of the last forward pass in training mode (0 or 1/(1 − p) per element); null before one.</summary>
    public Tensor<T>? Mask => _masked ? _mask : null;

    public override Tensor<T> Forward(Tensor<T> input)
    {
        // input [N, ...] -> output [N, ...]
        _forward = true;
        _masked = Training && P > 0;
        if (!_masked) return input;
        var mask = Tensor.Reuse(ref _mask, input.Shape);
        Span<T> m = mask.Span;
        if (P >= 1) m.Clear();
        else
        {
            var rng = Context.Generator;
            for (int i = 0; i < m.Length; i++) m[i] = rng.NextDouble() >= P ? _scale : T.Zero;
        }
        var output = Tensor.Reuse(ref _output, input.Shape);
        System.Numerics.Tensors.TensorPrimitives.Multiply<T>(input.Span, m, output.Span);
        return output;
    }

    public override Tensor<T> Backward(Tensor<T> outputGrad)
    {
        // outputGrad [N, ...] -> inputGrad [N, ...]; in the forward pass this was: y = x · mask
        if (!_forward) throw new InvalidOperationException("dropout: Backward called before Forward");
        if (!_masked) return outputGrad;
        var inputGrad = Tensor.Reuse(ref _inputGrad, outputGrad.Shape);
        System.Numerics.Tensors.TensorPrimitives.Multiply<T>(outputGrad.Span, _mask!.Span, inputGrad.Span);
        return inputGrad;
    }
}
