using Backprop.Onnx;
using Backprop.Tensors;
using Microsoft.ML.OnnxRuntime;

namespace Backprop.Tests.Interop.Onnx;

/// <summary>
/// Runs an exported ONNX model with ONNX Runtime (the Microsoft.ML.OnnxRuntime package: a test dependency only, the
/// library has no native ML runtime) and compares its outputs with Backprop's.
/// </summary>
internal static class OnnxRuntimeRunner
{
    /// <summary>
    /// Relative tolerance, as the issue asks: float32 keeps 24 bits (6·10⁻⁸), and the two engines round differently
    /// (ONNX Runtime's GEMM and convolution sum in another order with fused multiply-adds; its Erf, Tanh, Sigmoid,
    /// Exp and Softplus are vectorised approximations good to a few float32 units). A few units through a few layers
    /// stay far below 1e-5.
    /// </summary>
    public const double Relative = 1e-5;

    /// <summary>
    /// Absolute floor, for outputs near zero where a relative bound means nothing: a sum of K float32 products of
    /// size about 1 may cancel to nearly 0 while keeping rounding errors of about √K·6·10⁻⁸ of the terms (our layers
    /// have K ≤ 150, so ≲ 10⁻⁶), and ONNX Runtime's Softplus is log(1 + eˣ) without log1p, which is 0 where
    /// Backprop's is eˣ &lt; 3·10⁻⁸ for x &lt; −17. 1e-6 is a thousandth of the scale of the outputs compared.
    /// </summary>
    public const double Absolute = 1e-6;

    /// <summary>Runs the model on <paramref name="x"/> [N, ...] and returns the "output" tensor and its shape.</summary>
    public static (float[] Values, long[] Shape) Run(byte[] onnx, Tensor<float> x)
    {
        using var options = new SessionOptions { IntraOpNumThreads = 1, InterOpNumThreads = 1, GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL };
        using var session = new InferenceSession(onnx, options);
        Assert.Equal([OnnxExport.InputName], session.InputNames);
        Assert.Equal([OnnxExport.OutputName], session.OutputNames);
        using var input = OrtValue.CreateTensorValueFromMemory(x.Data, x.Shape.Select(d => (long)d).ToArray());
        using var runOptions = new RunOptions();
        using var outputs = session.Run(runOptions, [OnnxExport.InputName], [input], [OnnxExport.OutputName]);
        var y = outputs[0];
        return (y.GetTensorDataAsSpan<float>().ToArray(), y.GetTensorTypeAndShape().Shape);
    }

    /// <summary>
    /// Asserts |onnx − backprop| ≤ <see cref="Relative"/>·|backprop| + <see cref="Absolute"/> element by element and
    /// returns the largest absolute difference and the largest difference relative to max(|backprop|, 1e-3).
    /// </summary>
    public static (double MaxAbsolute, double MaxRelative) AssertClose(Tensor<float> expected, float[] actual, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        double maxAbs = 0, maxRel = 0;
        for (int i = 0; i < actual.Length; i++)
        {
            double e = expected.Data[i], a = actual[i], diff = Math.Abs(e - a);
            Assert.True(diff <= Relative * Math.Abs(e) + Absolute, $"{what}: element {i}: Backprop {e:R}, ONNX Runtime {a:R} (difference {diff:E2})");
            maxAbs = Math.Max(maxAbs, diff);
            maxRel = Math.Max(maxRel, diff / Math.Max(Math.Abs(e), 1e-3));
        }
        return (maxAbs, maxRel);
    }
}
