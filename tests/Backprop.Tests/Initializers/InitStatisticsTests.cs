using Backprop.Initializers;
using Backprop.Tensors;

namespace Backprop.Tests.Initializers;

/// <summary>
/// Sample statistics of each initialiser over a large tensor against the distribution it should draw from.
/// <para>
/// Tolerance: 5 standard errors. For n draws with standard deviation σ, the sample mean has standard error σ/√n and
/// the sample standard deviation σ·√((κ − 1)/(4n)), κ the kurtosis (3 for a normal, 1.8 for a uniform); the share
/// within one σ of a normal has standard error √(p(1 − p)/n). A correct sampler lands beyond 5 standard errors for
/// fewer than 1 seed in a million, and the seeds here are fixed, so the tests are deterministic; meanwhile a wrong
/// fan (fan_out for fan_in), a missing √3 or a wrong gain moves the statistic by hundreds of standard errors.
/// </para>
/// </summary>
public class InitStatisticsTests
{
    private const double Z = 5;

    private static void Moments(Tensor<double> t, double mean, double std, double kurtosis, string what)
    {
        int n = t.Length;
        double sum = 0;
        foreach (double v in t.Data) sum += v;
        double m = sum / n, ss = 0;
        foreach (double v in t.Data) ss += (v - m) * (v - m);
        double s = Math.Sqrt(ss / (n - 1));
        double meanError = std / Math.Sqrt(n), stdError = std * Math.Sqrt((kurtosis - 1) / (4.0 * n));
        Assert.True(Math.Abs(m - mean) <= Z * meanError, $"{what}: mean {m}, expected {mean} ± {Z * meanError:E2}");
        Assert.True(Math.Abs(s - std) <= Z * stdError, $"{what}: std {s}, expected {std} ± {Z * stdError:E2}");
    }

    private static void UniformOn(Tensor<double> t, double low, double high, string what)
    {
        Moments(t, (low + high) / 2, (high - low) / Math.Sqrt(12), 1.8, what);
        // P(no draw within slack of a given end) = (1 − 20/n)^n < e^-20.
        double min = t.Data.Min(), max = t.Data.Max(), slack = 20.0 / t.Length * (high - low);
        Assert.True(min >= low && max < high, $"{what}: values in [{min}, {max}], expected within [{low}, {high})");
        Assert.True(min < low + slack && max > high - slack, $"{what}: values in [{min}, {max}] do not reach the ends of [{low}, {high})");
    }

    private static void NormalWith(Tensor<double> t, double mean, double std, string what)
    {
        Moments(t, mean, std, 3, what);
        int n = t.Length, within = t.Data.Count(v => Math.Abs(v - mean) < std);
        const double p = 0.6826894921370859; // erf(1/√2)
        double share = (double)within / n, error = Math.Sqrt(p * (1 - p) / n);
        Assert.True(Math.Abs(share - p) <= Z * error, $"{what}: {share} within one std, expected {p} ± {Z * error:E2}");
    }

    [Fact]
    public void Zeros_and_constant_are_exact()
    {
        var t = new Tensor<double>(30, 20);
        t.Fill(7);
        Init.Zeros(t);
        Assert.All(t.Data, v => Assert.Equal(0.0, v));
        Init.Constant(t, 0.3);
        Assert.All(t.Data, v => Assert.Equal(0.3, v));
        var f = new Tensor<float>(5, 4);
        Init.Constant(f, 0.3);
        Assert.All(f.Data, v => Assert.Equal(0.3f, v));
    }

    [Fact]
    public void Uniform_and_normal()
    {
        var t = new Tensor<double>(600, 500);
        Init.Uniform(t, new Rng(1), -0.5, 2);
        UniformOn(t, -0.5, 2, "uniform(-0.5, 2)");
        Init.Normal(t, new Rng(2), 1, 0.2);
        NormalWith(t, 1, 0.2, "normal(1, 0.2)");
        Init.Uniform(t, new Rng(3));
        UniformOn(t, 0, 1, "uniform()");
        Init.Normal(t, new Rng(4));
        NormalWith(t, 0, 1, "normal()");
    }

    [Fact]
    public void Xavier_uses_fan_in_plus_fan_out()
    {
        // Linear weight [300, 200]: fan_in 200, fan_out 300; std = gain·√(2/500).
        var t = new Tensor<double>(300, 200);
        double std = 2 * Math.Sqrt(2.0 / 500);
        Init.XavierUniform(t, new Rng(5), gain: 2);
        UniformOn(t, -Math.Sqrt(3) * std, Math.Sqrt(3) * std, "xavier_uniform(gain 2)");
        Init.XavierNormal(t, new Rng(6), gain: 2);
        NormalWith(t, 0, std, "xavier_normal(gain 2)");
    }

    [Fact]
    public void Kaiming_on_a_conv_weight_uses_the_receptive_field()
    {
        // Conv2d weight [64, 32, 3, 3]: fan_in = 32·9 = 288, fan_out = 64·9 = 576.
        var t = new Tensor<double>(64, 32, 3, 3);
        double reluInStd = Math.Sqrt(2) / Math.Sqrt(288);
        Init.KaimingUniform(t, new Rng(7), mode: "fan_in", nonlinearity: "relu");
        UniformOn(t, -Math.Sqrt(3) * reluInStd, Math.Sqrt(3) * reluInStd, "kaiming_uniform(fan_in, relu)");
        Init.KaimingNormal(t, new Rng(8), mode: "fan_in", nonlinearity: "relu");
        NormalWith(t, 0, reluInStd, "kaiming_normal(fan_in, relu)");
        Init.KaimingNormal(t, new Rng(9), mode: "fan_out", nonlinearity: "tanh");
        NormalWith(t, 0, 5.0 / 3 / Math.Sqrt(576), "kaiming_normal(fan_out, tanh)");
        double leaky = Math.Sqrt(2 / (1 + 0.2 * 0.2)) / Math.Sqrt(576);
        Init.KaimingUniform(t, new Rng(10), a: 0.2, mode: "fan_out");
        UniformOn(t, -Math.Sqrt(3) * leaky, Math.Sqrt(3) * leaky, "kaiming_uniform(a 0.2, fan_out, leaky_relu)");
        Init.KaimingNormal(t, new Rng(11), nonlinearity: "sigmoid");
        NormalWith(t, 0, 1 / Math.Sqrt(288), "kaiming_normal(sigmoid)");
        // torch's defaults: a = 0, fan_in, leaky_relu → gain √2.
        Init.KaimingUniform(t, new Rng(12));
        UniformOn(t, -Math.Sqrt(3) * reluInStd, Math.Sqrt(3) * reluInStd, "kaiming_uniform()");
    }

    [Fact]
    public void Default_is_u_of_one_over_root_fan_in_for_weight_and_bias()
    {
        var model = Backprop.Models.ModelFile.Build<double>(Backprop.Models.ModelFile.Parse(
            """{"input": [400], "layers": [{"type": "linear", "out": 500}]}""", "m"), "m");
        var layer = (Backprop.Layers.Linear<double>)model.Layers[0];
        UniformOn(layer.Weight.Value, -0.05, 0.05, "default weight");
        Assert.All(layer.Bias!.Value.Data, v => Assert.InRange(v, -0.05, 0.05));
    }

    [Fact]
    public void Draws_follow_the_stream_in_row_major_order()
    {
        // Element i is the i-th draw: −bound + 2·bound·u_i, and std·z_i for a normal.
        var t = new Tensor<float>(7, 3, 2);
        Init.KaimingUniform(t, new Rng(99), nonlinearity: "relu");
        double bound = Math.Sqrt(3.0) * (Math.Sqrt(2.0) / Math.Sqrt(6));
        var replay = new Rng(99);
        for (int i = 0; i < t.Length; i++) Assert.Equal((float)(-bound + (bound - -bound) * replay.NextDouble()), t[i]);

        var n = new Tensor<double>(4, 5);
        Init.XavierNormal(n, new Rng(100));
        double std = Math.Sqrt(2.0 / 9);
        replay = new Rng(100);
        for (int i = 0; i < n.Length; i++) Assert.Equal(0 + std * replay.Normal(), n[i]);
    }

    [Fact]
    public void Fans_and_gains_are_torchs()
    {
        Assert.Equal((4, 3), Init.FanInAndFanOut([3, 4]));
        Assert.Equal((15, 40), Init.FanInAndFanOut([8, 3, 5]));
        Assert.Equal((30, 80), Init.FanInAndFanOut([8, 3, 5, 2]));
        Assert.Throws<ArgumentException>(() => Init.FanInAndFanOut([5]));
        Assert.Equal(1.0, Init.CalculateGain("linear"));
        Assert.Equal(1.0, Init.CalculateGain("sigmoid"));
        Assert.Equal(5.0 / 3, Init.CalculateGain("tanh"));
        Assert.Equal(Math.Sqrt(2.0), Init.CalculateGain("relu"));
        Assert.Equal(Math.Sqrt(2.0 / (1 + 0.01 * 0.01)), Init.CalculateGain("leaky_relu"));
        Assert.Equal(Math.Sqrt(2.0 / (1 + 0.2 * 0.2)), Init.CalculateGain("leaky_relu", 0.2));
        Assert.Throws<ArgumentException>(() => Init.CalculateGain("selu"));
        Assert.Throws<ArgumentException>(() => Init.KaimingStd([3, 4], mode: "fan_avg"));
        Assert.Throws<ArgumentException>(() => Init.Uniform(new Tensor<double>(2), new Rng(0), 1, 0));
        Assert.Throws<ArgumentException>(() => Init.Normal(new Tensor<double>(2), new Rng(0), 0, -1));
    }
}
