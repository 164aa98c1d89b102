namespace Backprop.Tests.CrossCheck;

/// <summary>
/// Cases whose layers see NaN and infinities (issue 15): every activation and both poolings must carry them as PyTorch
/// does (relu(NaN) = NaN, a max-pool window holding a NaN gives NaN and routes its gradient to the last NaN, GELU at
/// ±∞, softmax of a row with +∞), and the comparison then asks for the same NaN and the same infinities in the same
/// places. Model and data files hold finite numbers only: two linear (or 1×1 convolution) layers make the non-finite
/// values, as in the reproduction. The first has weights 1e308 and −5e307; the second adds its two outputs,
/// so that x = 10 gives ∞ − ∞ = NaN, x = 2.5 gives +∞, x = −2.5 gives −∞, and x = 3e-308, −4e-308, 0 give about 1.5,
/// −2 and 0. Each product has one factor finite and non-zero, so a fused multiply-add gives the same as two roundings.
/// float64 only: in float32 the first layer's weights do not fit.
/// </summary>
internal static class NonFiniteCases
{
    private const string Data = """{"x": [[10], [2.5], [-2.5], [3e-308], [-4e-308], [0]], "y": [[0], [0], [0], [0], [0], [0]]}""";

    public static IReadOnlyList<(string Name, string Loss, string Model, string Data, bool Float32)> All { get; } =
    [
        .. new[] { """{"type": "relu"}""", """{"type": "relu", "scale": 5}""", """{"type": "leaky_relu", "negative_slope": 0.125}""",
                   """{"type": "sigmoid"}""", """{"type": "tanh"}""", """{"type": "softplus"}""", """{"type": "softplus", "beta": 2, "threshold": 3}""",
                   """{"type": "gelu"}""", """{"type": "identity"}""" }
            .Select((layer, i) => ($"nonfinite-activation-{i}", "mse", Scalar(layer), Data, false)),
        // A NaN that a loss with a finite slope meets: perceptron's relu(−y·ŷ) passes −y/N back through relu(NaN), so
        // the relu layer's backward at a NaN input is seen with a finite upstream gradient (PyTorch passes it on).
        ("nonfinite-relu-perceptron", "perceptron", Scalar("""{"type": "relu"}"""),
            """{"x": [[10], [3e-308], [-4e-308]], "y": [1, -1, 1]}""", false),
        ("nonfinite-relu-hinge", "hinge", Scalar("""{"type": "relu"}"""),
            """{"x": [[10], [3e-308], [-4e-308]], "y": [-1, -1, 1]}""", false),
        ("nonfinite-softmax", "mse",
            """
            {"input": [1], "layers": [
              {"type": "linear", "out": 2, "weight": [[1e308], [-5e307]], "bias": [0, 0]},
              {"type": "linear", "out": 3, "weight": [[1, 1], [0.5, 0.5], [0.25, 0.25]], "bias": [0, 0.5, -0.5]},
              {"type": "softmax"}]}
            """,
            """{"x": [[10], [2.5], [-2.5], [3e-308]], "y": [[1, 0, 0], [0, 1, 0], [0, 0, 1], [1, 0, 0]]}""", false),
        ("nonfinite-maxpool", "mse", Pool("""{"type": "maxpool2d", "kernel_size": 2}"""), PlaneData(4), false),
        ("nonfinite-maxpool-overlapping", "mse", Pool("""{"type": "maxpool2d", "kernel_size": 2, "stride": 1}"""), PlaneData(9), false),
        ("nonfinite-avgpool", "mse", Pool("""{"type": "avgpool2d", "kernel_size": 2}"""), PlaneData(4), false),
    ];

    private static string Scalar(string activation) => $$"""
        {"input": [1], "layers": [
          {"type": "linear", "out": 2, "weight": [[1e308], [-5e307]], "bias": [0, 0]},
          {"type": "linear", "out": 1, "weight": [[1, 1]], "bias": [0]},
          {{activation}}]}
        """;

    /// <summary>One 4×4 plane whose 2×2 windows hold two NaN; a +∞ tie; −∞ only; a NaN among finite values.</summary>
    private static string PlaneData(int outputs) =>
        $$"""{"x": [[[[10, 3e-308, 2.5, 3e-308], [3e-308, 10, -4e-308, 2.5], [-2.5, -2.5, 3e-308, -4e-308], [-2.5, -2.5, 10, 0]]]], "y": [[{{string.Join(", ", Enumerable.Repeat("0", outputs))}}]]}""";

    private static string Pool(string pool) => $$"""
        {"input": [1, 4, 4], "layers": [
          {"type": "conv2d", "out_channels": 2, "kernel_size": 1, "weight": [[[[1e308]]], [[[-5e307]]]], "bias": [0, 0]},
          {"type": "conv2d", "out_channels": 1, "kernel_size": 1, "weight": [[[[1]], [[1]]]], "bias": [0]},
          {{pool}},
          {"type": "flatten"}]}
        """;
}
