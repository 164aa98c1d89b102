using System.Numerics;
using Backprop.Tensors;

namespace Backprop.Initializers;

/// <summary>
/// torch.nn.init's initialisers: the same distributions, fans and gains, drawn from Backprop's own <see cref="Rng"/>
/// so that the same seed gives the same values bit for bit. Every value is drawn in double, in row-major order, and
/// rounded to the tensor's element type (uniform: one <see cref="Rng.NextDouble"/> per element, a + (b − a)·u;
/// normal: one <see cref="Rng.Normal"/> per element, mean + std·z). Zeros and constant draw nothing.
/// Bad arguments throw <see cref="ArgumentException"/>.
/// </summary>
public static class Init
{
    /// <summary>The nonlinearities <see cref="CalculateGain"/> and the Kaiming initialisers accept.</summary>
    public static readonly IReadOnlyList<string> Nonlinearities = ["relu", "leaky_relu", "linear", "sigmoid", "tanh"];

    /// <summary>The fan modes of the Kaiming initialisers.</summary>
    public static readonly IReadOnlyList<string> Modes = ["fan_in", "fan_out"];

    /// <summary>
    /// torch.nn.init._calculate_fan_in_and_fan_out: for a weight [out, in, k...], fan_in = in·Πk and
    /// fan_out = out·Πk (Πk = 1 for a linear weight [out, in]). Needs at least 2 dimensions.
    /// </summary>
    public static (int FanIn, int FanOut) FanInAndFanOut(ReadOnlySpan<int> shape)
    {
        if (shape.Length < 2)
            throw new ArgumentException($"fan in and fan out need a tensor of at least 2 dimensions, got {Tensor.Format(shape)}", nameof(shape));
        int receptiveField = 1;
        for (int i = 2; i < shape.Length; i++) receptiveField *= shape[i];
        return (shape[1] * receptiveField, shape[0] * receptiveField);
    }

    /// <summary>
    /// torch.nn.init.calculate_gain: linear and sigmoid 1, tanh 5/3, relu √2, leaky_relu √(2 / (1 + slope²)) with
    /// slope = <paramref name="negativeSlope"/> (0.01 when not given, as torch).
    /// </summary>
    public static double CalculateGain(string nonlinearity, double? negativeSlope = null)
    {
        if (negativeSlope is not null && nonlinearity != "leaky_relu")
            throw new ArgumentException($"a negative slope applies only to leaky_relu, not {nonlinearity}", nameof(negativeSlope));
        return nonlinearity switch
        {
            "linear" or "sigmoid" => 1.0,
            "tanh" => 5.0 / 3,
            "relu" => Math.Sqrt(2.0),
            "leaky_relu" => Math.Sqrt(2.0 / (1 + (negativeSlope ?? 0.01) * (negativeSlope ?? 0.01))),
            _ => throw new ArgumentException($"unknown nonlinearity '{nonlinearity}'; expected one of: {string.Join(", ", Nonlinearities)}", nameof(nonlinearity)),
        };
    }

    public static void Zeros<T>(Tensor<T> tensor) where T : unmanaged, IFloatingPointIeee754<T> => tensor.Clear();

    public static void Constant<T>(Tensor<T> tensor, double value) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (!double.IsFinite(value)) throw new ArgumentOutOfRangeException(nameof(value), value, "the constant must be finite");
        tensor.Fill(T.CreateChecked(value));
    }

    /// <summary>U(a, b): a + (b − a)·u with u uniform in [0, 1).</summary>
    public static void Uniform<T>(Tensor<T> tensor, Rng rng, double a = 0, double b = 1) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (!double.IsFinite(a) || !double.IsFinite(b) || a > b)
            throw new ArgumentException($"uniform needs finite a ≤ b, got a = {a}, b = {b}");
        Span<T> values = tensor.Span;
        for (int i = 0; i < values.Length; i++) values[i] = T.CreateChecked(rng.Uniform(a, b));
    }

    /// <summary>N(mean, std²): mean + std·z with z standard normal.</summary>
    public static void Normal<T>(Tensor<T> tensor, Rng rng, double mean = 0, double std = 1) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (!double.IsFinite(mean) || !double.IsFinite(std) || std < 0)
            throw new ArgumentException($"normal needs a finite mean and a finite std ≥ 0, got mean = {mean}, std = {std}");
        Span<T> values = tensor.Span;
        for (int i = 0; i < values.Length; i++) values[i] = T.CreateChecked(mean + std * rng.Normal());
    }

    /// <summary>Glorot: U(−a, a) with a = √3 · gain·√(2 / (fan_in + fan_out)).</summary>
    public static void XavierUniform<T>(Tensor<T> tensor, Rng rng, double gain = 1) where T : unmanaged, IFloatingPointIeee754<T>
    {
        double std = XavierStd(tensor.Shape, gain);
        double a = Math.Sqrt(3.0) * std;
        Uniform(tensor, rng, -a, a);
    }

    /// <summary>Glorot: N(0, std²) with std = gain·√(2 / (fan_in + fan_out)).</summary>
    public static void XavierNormal<T>(Tensor<T> tensor, Rng rng, double gain = 1) where T : unmanaged, IFloatingPointIeee754<T> =>
        Normal(tensor, rng, 0, XavierStd(tensor.Shape, gain));

    /// <summary>
    /// He: U(−bound, bound) with bound = √3 · gain / √fan, gain = <see cref="CalculateGain"/>(nonlinearity, a) and fan =
    /// fan_in or fan_out by <paramref name="mode"/>. Defaults as torch's: a = 0, fan_in, leaky_relu (so gain = √2).
    /// <paramref name="a"/> is the negative slope, used only with leaky_relu.
    /// </summary>
    public static void KaimingUniform<T>(Tensor<T> tensor, Rng rng, double a = 0, string mode = "fan_in", string nonlinearity = "leaky_relu")
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        double std = KaimingStd(tensor.Shape, a, mode, nonlinearity);
        double bound = Math.Sqrt(3.0) * std;
        Uniform(tensor, rng, -bound, bound);
    }

    /// <summary>He: N(0, std²) with std = gain / √fan (see <see cref="KaimingUniform{T}"/>).</summary>
    public static void KaimingNormal<T>(Tensor<T> tensor, Rng rng, double a = 0, string mode = "fan_in", string nonlinearity = "leaky_relu")
        where T : unmanaged, IFloatingPointIeee754<T> =>
        Normal(tensor, rng, 0, KaimingStd(tensor.Shape, a, mode, nonlinearity));

    /// <summary>gain·√(2 / (fan_in + fan_out)), as torch computes it.</summary>
    public static double XavierStd(ReadOnlySpan<int> shape, double gain = 1)
    {
        if (!double.IsFinite(gain)) throw new ArgumentOutOfRangeException(nameof(gain), gain, "the gain must be finite");
        var (fanIn, fanOut) = FanInAndFanOut(shape);
        return gain * Math.Sqrt(2.0 / (fanIn + fanOut));
    }

    /// <summary>gain / √fan, as torch computes it (a is the leaky_relu slope; ignored for other nonlinearities, as torch).</summary>
    public static double KaimingStd(ReadOnlySpan<int> shape, double a = 0, string mode = "fan_in", string nonlinearity = "leaky_relu")
    {
        if (!double.IsFinite(a)) throw new ArgumentOutOfRangeException(nameof(a), a, "the negative slope must be finite");
        var (fanIn, fanOut) = FanInAndFanOut(shape);
        int fan = mode switch
        {
            "fan_in" => fanIn,
            "fan_out" => fanOut,
            _ => throw new ArgumentException($"mode must be fan_in or fan_out, got '{mode}'", nameof(mode)),
        };
        double gain = CalculateGain(nonlinearity, nonlinearity == "leaky_relu" ? a : null);
        return gain / Math.Sqrt(fan);
    }
}
