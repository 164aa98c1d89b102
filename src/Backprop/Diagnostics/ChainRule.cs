using System.Numerics;
using System.Text;
using Backprop.Data;
using Backprop.Layers;
using Backprop.Losses;
using Backprop.Models;
using Backprop.Tensors;

namespace Backprop.Diagnostics;

/// <summary>
/// The chain rule of every backward step (<see cref="ChainRuleStep"/>), computed by the layers themselves: the local
/// Jacobian is <see cref="Jacobian"/>'s for that layer (row j: the layer's own Backward of the unit upstream gradient
/// e_j of example k, the rest of the batch fixed), so it shows what the engine computes (for a linear layer that is W, for an element-wise activation a diagonal, for softmax
/// diag(s) − s sᵀ). The LaTeX is written with the matrices of <c>trace --format markdown</c>, as a
/// <see cref="WorkedSolutionView"/> shows them: large ones as previews, a hidden gradient as "?".
/// </summary>
public static class ChainRule
{
    /// <summary>The largest local Jacobian (output size × input size) worked out in full.</summary>
    public const int MaxJacobianEntries = 1024;

    public static IReadOnlyList<ChainRuleStep> Compute<T>(Sequential<T> model, Loss<T> loss, Batch<T> batch, int example = 0, int digits = 4,
        WorkedSolutionView? view = null)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        view ??= WorkedSolutionView.Full;
        int n = batch.X.Shape[0];
        if (example < 0 || example >= n) throw new BackpropException($"chain rule: example {example} is outside the batch of {n}");
        var m = model.Clone();
        var inputs = new TensorValue[m.Layers.Count];
        var upstreams = new TensorValue[m.Layers.Count];
        var downstreams = new TensorValue[m.Layers.Count];
        using (m.RegisterForwardHook((i, _, input, _) => inputs[i] = TensorValue.Of(input)))
            loss.Forward(m.Forward(batch.X), batch.Y);
        m.ZeroGrad();
        using (m.RegisterBackwardHook((i, _, upstream, inputGrad) => (upstreams[i], downstreams[i]) = (TensorValue.Of(upstream), TensorValue.Of(inputGrad))))
            m.Backward(loss.Backward());

        var steps = new List<ChainRuleStep>();
        for (int i = m.Layers.Count - 1; i >= 0; i--)
        {
            var layer = m.Layers[i];
            int inSize = Tensor.SizeOf(layer.InputShape), outSize = Tensor.SizeOf(layer.OutputShape);
            string kind = layer switch { Linear<T> => "linear", Softmax<T> => "softmax", Activation<T> => "elementwise", _ => "jacobian" };
            TensorValue? jacobian = (long)inSize * outSize <= MaxJacobianEntries
                ? Jacobian.Compute(model, batch, new JacobianRequest { Example = example, Layer = i }).AsTensor()
                : null;
            var outer = new List<(string, TensorValue, TensorValue, TensorValue)>();
            if (layer is Linear<T>)
            {
                var delta = Rows(upstreams[i], n, outSize);
                var h = Rows(inputs[i], n, inSize);
                var product = new double[outSize * inSize];
                for (int r = 0; r < n; r++)
                    for (int j = 0; j < outSize; j++)
                        for (int c = 0; c < inSize; c++)
                            product[j * inSize + c] += delta.Values[r * outSize + j] * h.Values[r * inSize + c];
                outer.Add(($"{i}.weight", delta, h, new TensorValue(product, [outSize, inSize])));
            }
            var up = Example(upstreams[i], example, outSize);
            var down = Example(downstreams[i], example, inSize);
            string title = $"{layer}";
            steps.Add(new ChainRuleStep(i, title, kind, example, up, jacobian, down, outer, Latex(i, kind, up, jacobian, down, outer, digits, view)));
        }
        return steps;
    }

    private static TensorValue Rows(TensorValue v, int n, int size) => new(v.Values, [n, size]);

    private static TensorValue Example(TensorValue v, int k, int size) => new(v.Values.AsSpan(k * size, size).ToArray(), [1, size]);

    // One display per line: the chain rule, then each outer product, its result on a line of its own so that it fits
    // a narrow column.
    private static IReadOnlyList<string> Latex(int i, string kind, TensorValue up, TensorValue? jacobian, TensorValue down,
        List<(string Name, TensorValue Delta, TensorValue Input, TensorValue Product)> outer, int digits, WorkedSolutionView view)
    {
        string M(TensorValue v) => WorkedSolutionWriter.LatexMatrix(v, digits, view);
        string local = kind switch
        {
            "linear" => $"W^{{({i})}}",
            "elementwise" => $"\\operatorname{{diag}}(f'(h^{{({i})}}))",
            "softmax" => "\\operatorname{diag}(s) - s s^\\top",
            _ => $"\\frac{{\\partial h^{{({i + 1})}}}}{{\\partial h^{{({i})}}}}",
        };
        string Written(TensorValue v, bool hidden) => hidden ? WorkedSolutionWriter.HiddenLatex : M(v);
        var sb = new StringBuilder();
        bool upHidden = view.HidesGradientOf(i + 1);
        sb.Append($"\\underbrace{{{Written(up, upHidden)}}}_{{\\partial L / \\partial h^{{({i + 1})}}}} \\cdot ");
        sb.Append(jacobian is null ? local : $"\\underbrace{{{M(jacobian)}}}_{{{local}}}");
        sb.Append($" = \\underbrace{{{Written(down, view.HidesGradientOf(i))}}}_{{\\partial L / \\partial h^{{({i})}}}}");
        var lines = new List<string> { sb.ToString() };
        foreach (var (name, delta, input, product) in outer)
            lines.Add($"\\begin{{aligned}} \\nabla_{{\\mathrm{{{name}}}}} L &= \\delta^\\top h = {Written(Transpose(delta), upHidden)} \\cdot {M(input)} \\\\ " +
                $"&= {Written(product, view.Hides(name))} \\end{{aligned}}");
        return lines;
    }

    private static TensorValue Transpose(TensorValue v) => WorkedSolutionLayout.Transpose(v);
}
