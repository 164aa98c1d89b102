using System.Text.Json;
using Backprop.Initializers;
using Backprop.Tests.Optimizers;
using Xunit.Abstractions;

namespace Backprop.Tests.Initializers;

/// <summary>
/// Fans, gains and the resulting std / bound against torch.nn.init's own helpers (_calculate_fan_in_and_fan_out,
/// calculate_gain, _calculate_correct_fan), bit for bit. The random streams differ by design (ours is
/// <see cref="Rng"/>), so values are compared by statistics elsewhere.
/// </summary>
public class InitTorchTests(ITestOutputHelper output)
{
    private const string Script = """
        import math
        from torch.nn import init
        out = []
        for c in inp:
            t = torch.empty(c["shape"])
            fan_in, fan_out = init._calculate_fan_in_and_fan_out(t)
            a = c["a"]
            gain = init.calculate_gain(c["nonlinearity"], a)
            kaiming_std = gain / math.sqrt(init._calculate_correct_fan(t, c["mode"]))
            xavier_std = c["gain"] * math.sqrt(2.0 / float(fan_in + fan_out))
            out.append({"fan_in": fan_in, "fan_out": fan_out, "gain": gain, "kaiming_std": kaiming_std,
                        "kaiming_bound": math.sqrt(3.0) * kaiming_std, "xavier_std": xavier_std, "xavier_a": math.sqrt(3.0) * xavier_std})
        print(json.dumps(out))
        """;

    private sealed record Case(int[] Shape, string Mode, string Nonlinearity, double A, double Gain);

    [Fact]
    public void Fans_gains_and_scales_match_torch_nn_init()
    {
        Case[] cases =
        [
            new([3, 4], "fan_in", "relu", 0, 1), new([300, 200], "fan_out", "leaky_relu", 0, 2),
            new([8, 3, 5], "fan_in", "leaky_relu", 0.2, 1), new([64, 32, 3, 3], "fan_out", "tanh", 0, Math.Sqrt(2)),
            new([16, 1, 5, 7], "fan_in", "sigmoid", 0, 5.0 / 3), new([10, 7], "fan_in", "linear", 0, 0.5),
            new([6, 4, 2, 2], "fan_in", "leaky_relu", Math.Sqrt(5), 1),
        ];
        string input = JsonSerializer.Serialize(cases.Select(c => new { shape = c.Shape, mode = c.Mode, nonlinearity = c.Nonlinearity, a = c.A, gain = c.Gain }));
        using var torch = TorchReference.Run(Script, input, out string note);
        if (torch is null)
        {
            output.WriteLine(note);
            return;
        }
        for (int i = 0; i < cases.Length; i++)
        {
            var c = cases[i];
            var r = torch.RootElement[i];
            var (fanIn, fanOut) = Init.FanInAndFanOut(c.Shape);
            Assert.Equal(r.GetProperty("fan_in").GetInt32(), fanIn);
            Assert.Equal(r.GetProperty("fan_out").GetInt32(), fanOut);
            Assert.Equal(r.GetProperty("gain").GetDouble(), Init.CalculateGain(c.Nonlinearity, c.Nonlinearity == "leaky_relu" ? c.A : null));
            double kaimingStd = Init.KaimingStd(c.Shape, c.A, c.Mode, c.Nonlinearity);
            Assert.Equal(r.GetProperty("kaiming_std").GetDouble(), kaimingStd);
            Assert.Equal(r.GetProperty("kaiming_bound").GetDouble(), Math.Sqrt(3.0) * kaimingStd);
            double xavierStd = Init.XavierStd(c.Shape, c.Gain);
            Assert.Equal(r.GetProperty("xavier_std").GetDouble(), xavierStd);
            Assert.Equal(r.GetProperty("xavier_a").GetDouble(), Math.Sqrt(3.0) * xavierStd);
        }
        output.WriteLine($"{cases.Length} shapes: fans, gains, Kaiming and Xavier std and bounds bit-identical to torch.nn.init");
    }
}
