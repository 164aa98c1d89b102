using Backprop.Data;
using Backprop.Diagnostics;
using Backprop.Layers;
using Backprop.Losses;
using Backprop.Models;
using Backprop.Tensors;

namespace Backprop.Experiments;

/// <summary>
/// Seed 000, practice problem 2: the 152-layer network with no biases, two units per hidden layer, activation h at
/// every node and L = ½(o₁⁽¹⁵²⁾ − y)². Built from the engine's layers: layer l &lt; 152 is a
/// <see cref="DiagonalLinear{T}"/>(2) (the two chains: a_k⁽ˡ⁾ = w_k⁽ˡ⁾·o_k⁽ˡ⁻¹⁾) or, fully connected, a Linear(2, 2,
/// bias: false), followed by h; layer 152 is Linear(2, 1, bias: false) and h; the loss is half_sse. Sequential index
/// 2(l − 1) is layer l's weights and 2l − 1 its activation, so layer l's weight is parameter "{2(l−1)}.weight".
/// <para>
/// Every weight is drawn from U(0.5, 1.5) with the seed (layer by layer, row by row) and divided by its node's fan-in
/// (1 in a chain; 2 at the output node and in the fully connected layers), so that a node's input stays on the scale of
/// the outputs feeding it (without it, the fully connected ReLU network's activations and gradients grow about 2× per
/// layer). The input is x = (1, 1) and the target y = 1. With every weight and input positive every pre-activation is
/// positive; a dead unit is made by negating the weights into it, which makes its pre-activation negative.
/// </para>
/// </summary>
public static class GradientFlowExperiment
{
    public const int Depth = 152;
    public const double WeightLow = 0.5, WeightHigh = 1.5;
    public static readonly double[] Input = [1, 1];
    public const double Target = 1;

    /// <summary>The layer (1-based) whose unit 1 is made dead in the ReLU networks.</summary>
    public const int DeadLayer = 76;

    /// <summary>The five networks of the experiment.</summary>
    public static readonly IReadOnlyList<DeepNetwork> Networks =
    [
        new("two chains, sigmoid", Wiring.TwoChains, "sigmoid", []),
        new($"two chains, ReLU, unit 1 of layer {DeadLayer} dead", Wiring.TwoChains, "relu", [(DeadLayer, 1)]),
        new("fully connected, sigmoid", Wiring.FullyConnected, "sigmoid", []),
        new($"fully connected, ReLU, unit 1 of layer {DeadLayer} dead", Wiring.FullyConnected, "relu", [(DeadLayer, 1)]),
        new($"fully connected, ReLU, both units of layer {DeadLayer} dead", Wiring.FullyConnected, "relu", [(DeadLayer, 1), (DeadLayer, 2)]),
    ];

    public static GradientFlowExperimentResult Run(ulong seed) =>
        new(seed, (double[])Input.Clone(), Target, Networks.Select(n => Measure(n, seed)).ToList());

    /// <summary>The network as a Sequential of 2·152 layers, weights drawn from <paramref name="seed"/>.</summary>
    public static Sequential<double> Build(DeepNetwork network, ulong seed)
    {
        var rng = new Rng(seed);
        var layers = new List<Layer<double>>();
        for (int l = 1; l <= Depth; l++)
        {
            Layer<double> weights = l == Depth ? new Linear<double>(2, 1, bias: false)
                : network.Wiring == Wiring.TwoChains ? new DiagonalLinear<double>(2)
                : new Linear<double>(2, 2, bias: false);
            var w = weights.Parameters[0].Value;
            double fanIn = weights is DiagonalLinear<double> ? 1 : 2;
            for (int k = 0; k < w.Length; k++) w[k] = rng.Uniform(WeightLow, WeightHigh) / fanIn;
            foreach (var (_, unit) in network.DeadUnits.Where(d => d.Layer == l))
            {
                if (l == Depth || unit is < 1 or > 2) throw new ArgumentException($"no hidden unit {unit} in layer {l}");
                if (weights is DiagonalLinear<double>) w[unit - 1] = -w[unit - 1];
                else for (int i = 0; i < 2; i++) w[(unit - 1) * 2 + i] = -w[(unit - 1) * 2 + i];
            }
            int[] shape = [l == Depth ? 1 : 2];
            layers.Add(weights);
            layers.Add(network.Activation switch
            {
                "sigmoid" => new Sigmoid<double>(shape),
                "relu" => new ReLU<double>(shape),
                "tanh" => new Tanh<double>(shape),
                _ => throw new ArgumentException($"unknown activation '{network.Activation}'"),
            });
        }
        return new Sequential<double>([2], layers);
    }

    /// <summary>One forward and backward pass on (x, y), read out layer by layer.</summary>
    public static DeepNetworkRun Measure(DeepNetwork network, ulong seed)
    {
        var model = Build(network, seed);
        var batch = new Batch<double>(new Tensor<double>((double[])Input.Clone(), 1, 2), new Tensor<double>([Target], 1, 1));
        var pass = GradientFlow.Record(model, new HalfSSELoss<double>(), batch);
        var layers = new List<DeepLayer>(Depth);
        for (int l = 1; l <= Depth; l++)
        {
            int weightIndex = 2 * (l - 1), activationIndex = weightIndex + 1;
            var (_, w, g) = pass.Parameters[l - 1];
            var a = pass.Outputs[weightIndex];
            var o = pass.Outputs[activationIndex];
            var dLdO = pass.OutputGrads[activationIndex];
            // w₂: chain 2's weight; in a 2 × 2 matrix the diagonal entry [2, 2] (flat index 3); at the output, [1, 2].
            int second = model.Layers[weightIndex] is Linear<double> { OutFeatures: 2 } ? 3 : 1;
            bool two = l < Depth;
            layers.Add(new DeepLayer(l, w[0], w[second], a[0], two ? a[1] : double.NaN, o[0], two ? o[1] : double.NaN,
                dLdO[0], two ? dLdO[1] : double.NaN, g[0], g[second], w, g));
        }
        return new DeepNetworkRun(network, pass.Loss, pass.Outputs[^1][0], layers);
    }

    /// <summary>h′(a) of the sigmoid, ReLU (0 at a ≤ 0) or tanh, for reports.</summary>
    public static double Derivative(string activation, double a) => activation switch
    {
        "sigmoid" => SpecialFunctions.Logistic(a) * (1 - SpecialFunctions.Logistic(a)),
        "relu" => a > 0 ? 1 : 0,
        "tanh" => 1 - Math.Tanh(a) * Math.Tanh(a),
        _ => throw new ArgumentException($"unknown activation '{activation}'"),
    };

    /// <summary>Checks dL/do⁽ˡ⁾ = W⁽ˡ⁺¹⁾ᵀ·(h′(a⁽ˡ⁺¹⁾) ⊙ dL/do⁽ˡ⁺¹⁾) at every hidden layer of <paramref name="run"/>.</summary>
    public static ChainRuleCheck CheckChainRule(DeepNetworkRun run)
    {
        string h = run.Network.Activation;
        double maxDifference = 0, maxRatio = 0, maxDerivative = 0;
        foreach (var layer in run.Layers)
        {
            maxDerivative = Math.Max(maxDerivative, Derivative(h, layer.A1));
            if (layer.Layer < Depth) maxDerivative = Math.Max(maxDerivative, Derivative(h, layer.A2));
        }
        for (int l = 1; l < Depth; l++)
        {
            var here = run.Layers[l - 1];
            var next = run.Layers[l];
            int outs = l + 1 == Depth ? 1 : 2;
            double[] aNext = outs == 1 ? [next.A1] : [next.A1, next.A2];
            double[] dNext = outs == 1 ? [next.DLdO1] : [next.DLdO1, next.DLdO2];
            double[] dHere = [here.DLdO1, here.DLdO2];
            for (int i = 0; i < 2; i++)
            {
                double expected = 0;
                for (int j = 0; j < outs; j++)
                {
                    // W[j, i]: from unit i of layer l to unit j of layer l + 1 (diagonal: only j = i).
                    double w = next.Weight.Shape.Length == 1 ? (i == j ? next.Weight[i] : 0) : next.Weight[j * 2 + i];
                    expected += w * Derivative(h, aNext[j]) * dNext[j];
                }
                double difference = Math.Abs(dHere[i] - expected);
                if (difference > 0) maxDifference = Math.Max(maxDifference, difference / Math.Abs(expected));
            }
            double normNext = GradientFlow.Norm(dNext);
            if (normNext > 0) maxRatio = Math.Max(maxRatio, GradientFlow.Norm(dHere) / normNext);
        }
        return new ChainRuleCheck(maxDifference, maxRatio, maxDerivative);
    }

    /// <summary>The layers l (1-based) at which dL/dw_unit⁽ˡ⁾ is exactly 0.</summary>
    public static int[] ZeroGradientLayers(DeepNetworkRun run, int unit) =>
        run.Layers.Where(l => (unit == 1 ? l.DLdW1 : l.DLdW2) == 0).Select(l => l.Layer).ToArray();

    /// <summary>
    /// For the two-chain network, chain k: the ratio |dL/do_k⁽ˡ⁾| / |dL/do_k⁽ˡ⁺¹⁾| for l = 1 … 151 (at l = 151 the next
    /// node is the output node) and the chain-rule factor |w_k⁽ˡ⁺¹⁾·h′(a⁽ˡ⁺¹⁾)| it should equal. Index l − 1 holds layer l.
    /// </summary>
    public static (double[] Ratio, double[] Factor) ChainRatios(DeepNetworkRun run, int unit)
    {
        if (run.Network.Wiring != Wiring.TwoChains) throw new ArgumentException("chain ratios need the two-chain network");
        var ratio = new double[Depth - 1];
        var factor = new double[Depth - 1];
        for (int l = 1; l < Depth; l++)
        {
            var here = run.Layers[l - 1];
            var next = run.Layers[l];
            bool last = l + 1 == Depth;
            double dHere = unit == 1 ? here.DLdO1 : here.DLdO2;
            double dNext = last || unit == 1 ? next.DLdO1 : next.DLdO2;
            double wNext = unit == 1 ? next.W1 : next.W2;
            double aNext = last || unit == 1 ? next.A1 : next.A2;
            ratio[l - 1] = Math.Abs(dHere) / Math.Abs(dNext);
            factor[l - 1] = Math.Abs(wNext * Derivative(run.Network.Activation, aNext));
        }
        return (ratio, factor);
    }
}
