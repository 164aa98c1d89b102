using System.Text.Json;
using Backprop.Layers;
using Backprop.Optimizers;
using Backprop.Tensors;
using Xunit.Abstractions;

namespace Backprop.Tests.Optimizers;

/// <summary>
/// SGD, Adam and AdamW against torch.optim (Debian's python3-torch, float64, foreach=False): the same three
/// parameters and the same five gradients, parameters compared after every step and the state after the last,
/// to 1e-12 relative. Without torch the test notes it and passes, except under CI=true where it fails.
/// </summary>
public class OptimizerTorchTests(ITestOutputHelper output)
{
    private const double Tolerance = 1e-12;
    private const int Steps = 5;

    private static readonly int[][] Shapes = [[2, 5], [3], [4, 4]];

    private sealed record Config(string Name, string Optimizer, object Kwargs, Func<IReadOnlyList<Parameter<double>>, Optimizer<double>> Create, double[]? Lrs = null);

    private static readonly double[] ChangingLrs = [0.01, 0.02, 0.005, 0.001, 0.03];

    private static readonly Config[] Configs =
    [
        new("sgd", "sgd", new { lr = 0.1 }, p => new SGD<double>(p, 0.1)),
        new("sgd_weight_decay", "sgd", new { lr = 0.1, weight_decay = 0.01 }, p => new SGD<double>(p, 0.1, weightDecay: 0.01)),
        new("sgd_momentum", "sgd", new { lr = 0.1, momentum = 0.9 }, p => new SGD<double>(p, 0.1, momentum: 0.9)),
        new("sgd_momentum_weight_decay", "sgd", new { lr = 0.1, momentum = 0.9, weight_decay = 0.05 }, p => new SGD<double>(p, 0.1, momentum: 0.9, weightDecay: 0.05)),
        new("sgd_dampening", "sgd", new { lr = 0.1, momentum = 0.9, dampening = 0.25 }, p => new SGD<double>(p, 0.1, momentum: 0.9, dampening: 0.25)),
        new("sgd_nesterov", "sgd", new { lr = 0.1, momentum = 0.9, nesterov = true }, p => new SGD<double>(p, 0.1, momentum: 0.9, nesterov: true)),
        new("sgd_nesterov_weight_decay", "sgd", new { lr = 0.05, momentum = 0.8, weight_decay = 0.1, nesterov = true },
            p => new SGD<double>(p, 0.05, momentum: 0.8, weightDecay: 0.1, nesterov: true)),
        new("sgd_momentum_changing_lr", "sgd", new { lr = 0.01, momentum = 0.9 }, p => new SGD<double>(p, 0.01, momentum: 0.9), ChangingLrs),
        new("adam", "adam", new { lr = 0.01 }, p => new Adam<double>(p, 0.01)),
        new("adam_defaults", "adam", new { }, p => new Adam<double>(p)),
        new("adam_weight_decay", "adam", new { lr = 0.01, betas = new[] { 0.8, 0.99 }, eps = 1e-6, weight_decay = 0.1 },
            p => new Adam<double>(p, 0.01, beta1: 0.8, beta2: 0.99, eps: 1e-6, weightDecay: 0.1)),
        new("adam_changing_lr", "adam", new { lr = 0.01 }, p => new Adam<double>(p, 0.01), ChangingLrs),
        new("adamw", "adamw", new { lr = 0.01 }, p => new AdamW<double>(p, 0.01)),
        new("adamw_weight_decay", "adamw", new { lr = 0.02, betas = new[] { 0.85, 0.995 }, weight_decay = 0.3 },
            p => new AdamW<double>(p, 0.02, beta1: 0.85, beta2: 0.995, weightDecay: 0.3)),
        new("adamw_changing_lr", "adamw", new { lr = 0.01, weight_decay = 0.1 }, p => new AdamW<double>(p, 0.01, weightDecay: 0.1), ChangingLrs),
    ];

    private const string Script = """
        classes = {"sgd": torch.optim.SGD, "adam": torch.optim.Adam, "adamw": torch.optim.AdamW}
        out = {}
        for cfg in inp["configs"]:
            params = [torch.tensor(p["values"], dtype=torch.float64).reshape(p["shape"]).clone().requires_grad_(True) for p in inp["params"]]
            opt = classes[cfg["optimizer"]](params, foreach=False, **cfg["kwargs"])
            steps = []
            for t, grads in enumerate(inp["grads"]):
                if cfg["lrs"] is not None:
                    for group in opt.param_groups:
                        group["lr"] = cfg["lrs"][t]
                for p, g in zip(params, grads):
                    p.grad = torch.tensor(g, dtype=torch.float64).reshape(p.shape)
                opt.step()
                steps.append([p.detach().reshape(-1).tolist() for p in params])
            state = {}
            for i, s in opt.state_dict()["state"].items():
                for k, v in s.items():
                    if v is not None:
                        state[f"{i}.{k}"] = float(v) if k == "step" else v.reshape(-1).tolist()
            out[cfg["name"]] = {"steps": steps, "state": state}
        print(json.dumps(out))
        """;

    /// <summary>Initial values away from 0 (so relative error is meaningful) and gradients of mixed scales with exact zeros.</summary>
    private static (double[][] Initial, double[][][] Grads) Sequence()
    {
        var rng = new Rng(20240613);
        var initial = new double[Shapes.Length][];
        for (int i = 0; i < Shapes.Length; i++)
        {
            initial[i] = new double[Tensor.SizeOf(Shapes[i])];
            for (int j = 0; j < initial[i].Length; j++) initial[i][j] = (rng.NextDouble() < 0.5 ? -1 : 1) * rng.Uniform(0.25, 2);
        }
        double[] scales = [1, 1e-3, 10, 0.5, 1e-6];
        var grads = new double[Steps][][];
        for (int t = 0; t < Steps; t++)
        {
            grads[t] = new double[Shapes.Length][];
            for (int i = 0; i < Shapes.Length; i++)
            {
                grads[t][i] = new double[initial[i].Length];
                for (int j = 0; j < grads[t][i].Length; j++)
                    grads[t][i][j] = (j + i) % 7 == t ? 0 : scales[t] * rng.Normal();
            }
        }
        return (initial, grads);
    }

    [Fact]
    public void Five_steps_match_torch_optim_in_float64()
    {
        var (initial, grads) = Sequence();
        string input = JsonSerializer.Serialize(new
        {
            @params = Shapes.Select((s, i) => new { shape = s, values = initial[i] }),
            grads,
            configs = Configs.Select(c => new { name = c.Name, optimizer = c.Optimizer, kwargs = c.Kwargs, lrs = c.Lrs }),
        });
        using var torch = TorchReference.Run(Script, input, out string note);
        if (torch is null)
        {
            output.WriteLine(note);
            return;
        }

        double worst = 0;
        int compared = 0, identical = 0;
        var failures = new List<string>();
        void Compare(string what, double ours, double theirs)
        {
            compared++;
            if (BitConverter.DoubleToInt64Bits(ours) == BitConverter.DoubleToInt64Bits(theirs))
            {
                identical++;
                return;
            }
            double rel = Math.Abs(ours - theirs) / Math.Abs(theirs);
            worst = Math.Max(worst, double.IsNaN(rel) ? double.PositiveInfinity : rel);
            if (!(rel <= Tolerance)) failures.Add($"{what}: ours {ours:R}, torch {theirs:R}, relative difference {rel:E2}");
        }

        foreach (var config in Configs)
        {
            var parameters = Shapes.Select((s, i) => new Parameter<double>("p", new Tensor<double>((double[])initial[i].Clone(), s))).ToArray();
            var optimizer = config.Create(parameters);
            var reference = torch.RootElement.GetProperty(config.Name);
            for (int t = 0; t < Steps; t++)
            {
                if (config.Lrs is not null) optimizer.LearningRate = config.Lrs[t];
                for (int i = 0; i < parameters.Length; i++) grads[t][i].AsSpan().CopyTo(parameters[i].Grad.Data);
                optimizer.Step();
                var expected = reference.GetProperty("steps")[t];
                for (int i = 0; i < parameters.Length; i++)
                {
                    var theirs = TorchReference.Doubles(expected[i]);
                    for (int j = 0; j < theirs.Length; j++) Compare($"{config.Name} step {t + 1} param {i}[{j}]", parameters[i].Value[j], theirs[j]);
                }
            }

            var torchState = reference.GetProperty("state");
            var ourState = optimizer.State();
            var ourNames = ourState.Select(s => s.Name).ToHashSet();
            foreach (var entry in torchState.EnumerateObject())
            {
                if (entry.Name.EndsWith(".step", StringComparison.Ordinal))
                {
                    Assert.Equal(entry.Value.GetDouble(), optimizer.StepCount);
                    continue;
                }
                Assert.True(ourNames.Remove(entry.Name), $"{config.Name}: torch keeps state '{entry.Name}', we do not");
                var ours = ourState.Single(s => s.Name == entry.Name).Tensor;
                var theirs = TorchReference.Doubles(entry.Value);
                for (int j = 0; j < theirs.Length; j++) Compare($"{config.Name} state {entry.Name}[{j}]", ours[j], theirs[j]);
            }
            Assert.True(ourNames.Count == 0, $"{config.Name}: we keep state torch does not: {string.Join(", ", ourNames)}");
        }

        output.WriteLine($"{compared} values compared with torch: {identical} bit-identical, largest relative difference {worst:E2}");
        Assert.True(failures.Count == 0, string.Join("\n", failures.Take(20)));
    }
}
