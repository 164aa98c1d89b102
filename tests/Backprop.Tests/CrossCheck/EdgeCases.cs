namespace Backprop.Tests.CrossCheck;

/// <summary>
/// Hand-written cases that sit exactly where random data never goes: inputs of 0 to ReLU and leaky ReLU, margins on the
/// hinge and perceptron kinks, ties in max-pool windows and among multiclass-perceptron rivals, probabilities of exactly
/// 0 and 1 (BCE's log clamp at −100), βx exactly at softplus's threshold, logits of ±1000 and GELU's tails. The
/// values are small integers and dyadic fractions, so every kink is hit exactly in float64, float32 and torch alike,
/// and the two sides must then agree on the convention: derivative 0 at a ReLU, hinge or perceptron kink, the
/// negative slope at leaky ReLU's 0, the first maximum for ties.
/// </summary>
internal static class EdgeCases
{
    public static IReadOnlyList<(string Name, string Loss, string Model, string Data, bool Float32)> All { get; } =
    [
        // First example: every ReLU input is exactly 0. Third: a leaky-ReLU input is exactly 0. Second: output exactly 1
        // with y = +1, the hinge's kink.
        ("relu-leaky-kinks-hinge", "hinge", Kinks(bias: 0.25), """{"x": [[1, 2, 3], [2, -1, 0], [0, 0, 0]], "y": [-1, 1, 1]}""", Float32: true),
        // Second and fourth examples: output exactly 0, so margins +0 and −0, the perceptron's kink.
        ("relu-leaky-kinks-perceptron", "perceptron", Kinks(bias: -0.75), """{"x": [[1, 2, 3], [2, -1, 0], [0, 0, 0], [2, -1, 0]], "y": [1, 1, 1, -1]}""", Float32: true),
        // Overlapping windows over values in {0, 1, 2}, then a second pool over the (tied) maxima of the first.
        ("maxpool-ties", "sse",
            """
            {"input": [2, 4, 5], "layers": [
              {"type": "maxpool2d", "kernel_size": 2, "stride": 1},
              {"type": "maxpool2d", "kernel_size": [2, 3], "stride": 1},
              {"type": "flatten"},
              {"type": "linear", "out": 2, "weight": [[0.5, -0.25, 0.75, 1, -1, 0.125, 0.375, -0.5], [-0.125, 1.5, -0.75, 0.25, 0.5, -1, 2, 0.0625]], "bias": [0.5, -0.5]}]}
            """,
            """
            {"x": [[[[0, 2, 2, 1, 0], [2, 1, 2, 0, 2], [1, 1, 0, 0, 1], [2, 0, 1, 2, 2]], [[1, 1, 1, 1, 1], [1, 2, 1, 2, 1], [0, 0, 2, 2, 0], [1, 0, 1, 0, 1]]],
                   [[[2, 2, 2, 2, 2], [2, 2, 2, 2, 2], [0, 1, 0, 1, 0], [1, 0, 1, 0, 1]], [[0, 0, 0, 0, 0], [0, 0, 0, 0, 0], [0, 0, 0, 0, 0], [0, 0, 0, 0, 1]]]],
             "y": [[1, -1], [0.5, 2]]}
            """, Float32: true),
        // Windows that lie wholly in the padding hold the bias alone, so max-pool sees exact ties there.
        ("conv-padding-ties", "mse",
            """
            {"input": [1, 2, 2], "layers": [
              {"type": "conv2d", "out_channels": 2, "kernel_size": 1, "stride": 1, "padding": 2, "weight": [[[[1.5]]], [[[-0.5]]]], "bias": [0.25, -0.125]},
              {"type": "maxpool2d", "kernel_size": 2},
              {"type": "flatten"},
              {"type": "linear", "out": 1, "weight": [[1, -0.5, 0.25, 2, -1, 0.5, 0.75, -0.25, 1.25, -2, 0.125, 1, 0.5, 0.5, -0.75, 1, 0.25, -1.5]], "bias": false}]}
            """,
            """{"x": [[[[1, -2], [0.5, 3]]], [[[-1, -1], [2, 0]]]], "y": [[1], [-1]]}""", Float32: true),
        // Rivals tied with each other (the first wins), a rival tied with the true class (loss 0, gradient 0), all tied.
        ("multiclass-perceptron-ties", "multiclass_perceptron",
            """{"input": [4], "layers": [{"type": "linear", "out": 4, "weight": [[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1]], "bias": false}]}""",
            """{"x": [[1, 3, 3, 0], [2, 2, 1, 0], [0, 5, 1, 5], [1, 1, 1, 1]], "y": [0, 0, 2, 3]}""", Float32: true),
        // Sigmoid outputs of exactly 1 and 0 (inputs ±800 and −1600): BCE's logs are clamped at −100 and its gradient's
        // denominator p(1 − p) at 1e-12; the sigmoid's derivative there is exactly 0.
        ("bce-saturated", "bce",
            """{"input": [2], "layers": [{"type": "linear", "out": 3, "weight": [[800, 0], [0.5, -0.25], [0, -800]], "bias": false}, {"type": "sigmoid"}]}""",
            """{"x": [[1, 1], [-1, 2]], "y": [[1, 0.3, 0], [0.25, 1, 1]]}""", Float32: true),
        // βx exactly at the threshold (3 = 3: still log1p), just past it, and past the default threshold 20.
        ("softplus-thresholds", "mse",
            """
            {"input": [3], "layers": [
              {"type": "linear", "out": 3, "weight": [[1, 0, 0], [0, 1, 0], [0, 0, 1]], "bias": [0, 0, 0]},
              {"type": "softplus", "beta": 2, "threshold": 3},
              {"type": "linear", "out": 3, "weight": [[1, 0, 0], [0, 1, 0], [0, 0, 1]], "bias": false},
              {"type": "softplus"},
              {"type": "linear", "out": 1, "weight": [[0.5, -0.25, 0.125]], "bias": [0.0625]}]}
            """,
            """{"x": [[1.5, 1.75, 10], [25, -3, 0]], "y": [[1], [2]]}""", Float32: true),
        ("cross-entropy-large-logits", "cross_entropy", Eye(3),
            """{"x": [[1000, -1000, 0], [0, 0, 0], [-1000, 999, 1000]], "y": [1, 2, 0]}""", Float32: true),
        // Confident predictions from large logits: the loss and 1 − p are about 5e-5 while the logits are 1e4. Computed
        // as log Σ e^z − z_y with the log-sum-exp rounded at the size of the logits, the loss and gradient lose
        // log10(|z| / loss) digits; torch subtracts the maximum first, (z_y − max) − log Σ e^(z − max), and keeps them.
        // Not held to float32 vs float64: float32 has 1 − p ≈ 5e-5 to about 3 digits only, and the weight gradient
        // multiplies it by logits of 3e4 (torch in float32 gives the same numbers as the engine in float32).
        ("cross-entropy-confident", "cross_entropy", Eye(2),
            """{"x": [[10000, 9990], [-5000, -5009], [30000, 29991.5], [0.5, 0.25]], "y": [0, 0, 0, 1]}""", Float32: false),
        ("logistic-large-margins", "logistic", Eye(1),
            """{"x": [[1000], [-1000], [30], [-30]], "y": [1, 1, -1, 1]}""", Float32: true),
        ("bce-with-logits-large", "bce_with_logits", Eye(2),
            """{"x": [[1000, -1000], [50, -0.5]], "y": [[0, 1], [0.5, 1]]}""", Float32: true),
        ("softmax-large-inputs", "sse",
            """{"input": [3], "layers": [{"type": "linear", "out": 3, "weight": [[1, 0, 0], [0, 1, 0], [0, 0, 1]], "bias": false}, {"type": "softmax"}]}""",
            """{"x": [[1000, 0, -1000], [700, 710, 705]], "y": [[1, 0, 0], [0, 1, 0]]}""", Float32: true),
        // Φ(−10) is 0 in double; at −5 and −3, 1 + erf(x/√2) cancels to 6e-7 and 3e-3.
        ("gelu-tails", "mse",
            """
            {"input": [5], "layers": [
              {"type": "linear", "out": 5, "weight": [[1, 0, 0, 0, 0], [0, 1, 0, 0, 0], [0, 0, 1, 0, 0], [0, 0, 0, 1, 0], [0, 0, 0, 0, 1]], "bias": false},
              {"type": "gelu"},
              {"type": "linear", "out": 1, "weight": [[1, -1, 0.5, 2, -0.5]], "bias": false}]}
            """,
            """{"x": [[-10, -5, 0, 5, -3], [-6, -4, -2, -1, 0.5]], "y": [[0.25], [-1]]}""", Float32: true),
    ];

    /// <summary>
    /// 3 → 4 → ReLU → 2 → leaky ReLU (slope 1/8, exact in binary) → 1, integer weights, so that chosen inputs hit the kinks exactly.
    /// Outputs for x = (1, 2, 3), (2, −1, 0), (0, 0, 0): bias, 1 + (bias − 0.25), −0.09375 + bias.
    /// </summary>
    private static string Kinks(double bias) => $$"""
        {"input": [3], "layers": [
          {"type": "linear", "out": 4, "weight": [[1, 1, -1], [2, -1, 0], [0, 1, 0], [-1, 0, 0]], "bias": [0, 0, -2, 1]},
          {"type": "relu"},
          {"type": "linear", "out": 2, "weight": [[1, -1, 2, 0], [0, 1, 0, -3]], "bias": false},
          {"type": "leaky_relu", "negative_slope": 0.125},
          {"type": "linear", "out": 1, "weight": [[1, 0.25]], "bias": [{{NumberFormat.RoundTrip(bias)}}]}]}
        """;

    /// <summary>A linear layer with the identity as weight: the data's x is the network's output.</summary>
    private static string Eye(int n) =>
        $$"""{"input": [{{n}}], "layers": [{"type": "linear", "out": {{n}}, "weight": [{{string.Join(", ", Enumerable.Range(0, n).Select(i => "[" + string.Join(", ", Enumerable.Range(0, n).Select(j => i == j ? "1" : "0")) + "]"))}}], "bias": false}]}""";
}
