using System.Text.Json;
using Backprop.Optimizers;
using Xunit.Abstractions;

namespace Backprop.Tests.Optimizers;

public class LearningRateScheduleTests(ITestOutputHelper output)
{
    [Fact]
    public void Constant_is_constant()
    {
        var s = LearningRateSchedules.Constant(0.05);
        Assert.All(Enumerable.Range(0, 50), e => Assert.Equal(0.05, s.LearningRate(e)));
    }

    [Fact]
    public void Step_decays_by_gamma_every_step_size_epochs()
    {
        var s = LearningRateSchedules.Step(0.5, stepSize: 3, gamma: 0.5);
        // Exact in binary: 0.5 for epochs 0–2, 0.25 for 3–5, 0.125 for 6–8, ...
        double[] expected = [0.5, 0.5, 0.5, 0.25, 0.25, 0.25, 0.125, 0.125, 0.125, 0.0625];
        Assert.Equal(expected, Enumerable.Range(0, 10).Select(s.LearningRate));
        var torchDefault = LearningRateSchedules.Step(0.1, stepSize: 30);
        for (int e = 0; e < 200; e++)
        {
            double closed = 0.1 * Math.Pow(0.1, e / 30);
            Assert.True(Math.Abs(torchDefault.LearningRate(e) - closed) <= 1e-15 * closed, $"epoch {e}");
        }
    }

    [Fact]
    public void Cosine_follows_the_closed_form()
    {
        var s = LearningRateSchedules.Cosine(0.1, tMax: 10, etaMin: 0.001);
        Assert.Equal(0.1, s.LearningRate(0));
        Assert.Equal(0.001, s.LearningRate(10), 1e-17);
        Assert.Equal(0.001 + 0.099 / 2, s.LearningRate(5), 1e-17); // cos(π/2) = 0
        for (int e = 0; e <= 25; e++)
            Assert.Equal(0.001 + (0.1 - 0.001) * (1 + Math.Cos(Math.PI * e / 10)) / 2, s.LearningRate(e));
        Assert.Equal(s.LearningRate(8), s.LearningRate(12), 1e-16); // rises again after T_max, as torch's
    }

    [Fact]
    public void Factory_builds_by_name_and_reports_bad_input()
    {
        Assert.IsType<ConstantSchedule>(LearningRateSchedules.Create("constant", 0.1));
        var step = Assert.IsType<StepSchedule>(LearningRateSchedules.Create("step", 0.1, stepSize: 5));
        Assert.Equal(0.1, step.Gamma);
        var cosine = Assert.IsType<CosineSchedule>(LearningRateSchedules.Create("cosine", 0.1, tMax: 20));
        Assert.Equal(0, cosine.EtaMin);

        void Bad(Func<ILearningRateSchedule> create, string message) =>
            Assert.StartsWith(message, Assert.Throws<BackpropException>(create).Message);
        Bad(() => LearningRateSchedules.Create("linear", 0.1), "unknown learning-rate schedule 'linear'; expected one of: constant, step, cosine");
        Bad(() => LearningRateSchedules.Create("step", 0.1), "schedule step: needs a step size");
        Bad(() => LearningRateSchedules.Create("cosine", 0.1), "schedule cosine: needs T_max");
        Bad(() => LearningRateSchedules.Create("step", 0.1, stepSize: 0), "schedule step: step size must be ≥ 1, got 0");
        Bad(() => LearningRateSchedules.Create("cosine", -1, tMax: 3), "schedule cosine: a learning rate must be a finite number ≥ 0, got -1");
        Bad(() => LearningRateSchedules.Create("constant", 0.1, gamma: 0.5), "schedule constant: gamma does not apply");
        Bad(() => LearningRateSchedules.Create("step", 0.1, stepSize: 2, tMax: 5), "schedule step: T_max does not apply");
        Assert.Throws<ArgumentOutOfRangeException>(() => LearningRateSchedules.Constant(0.1).LearningRate(-1));
    }

    private const string Script = """
        out = {}
        p = torch.zeros(1, requires_grad=True)
        for cfg in inp:
            opt = torch.optim.SGD([p], lr=cfg["lr"])
            if cfg["kind"] == "step":
                sched = torch.optim.lr_scheduler.StepLR(opt, step_size=cfg["step_size"], gamma=cfg["gamma"])
            else:
                sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=cfg["t_max"], eta_min=cfg["eta_min"])
            lrs = []
            for epoch in range(cfg["epochs"]):
                lrs.append(opt.param_groups[0]["lr"])
                opt.step()
                sched.step()
            out[cfg["name"]] = lrs
        print(json.dumps(out))
        """;

    [Fact]
    public void Schedules_match_torch_lr_scheduler_stepped_per_epoch()
    {
        var configs = new object[]
        {
            new { name = "step", kind = "step", lr = 0.1, step_size = 30, gamma = 0.1, epochs = 200 },
            new { name = "step_odd", kind = "step", lr = 0.37, step_size = 7, gamma = 0.83, epochs = 100 },
            new { name = "cosine", kind = "cosine", lr = 0.1, t_max = 50, eta_min = 0.0, epochs = 120 },
            new { name = "cosine_min", kind = "cosine", lr = 0.3, t_max = 17, eta_min = 1e-3, epochs = 60 },
        };
        using var torch = TorchReference.Run(Script, JsonSerializer.Serialize(configs), out string note);
        if (torch is null)
        {
            output.WriteLine(note);
            return;
        }
        (string Name, ILearningRateSchedule Schedule)[] ours =
        [
            ("step", LearningRateSchedules.Step(0.1, 30, 0.1)), ("step_odd", LearningRateSchedules.Step(0.37, 7, 0.83)),
            ("cosine", LearningRateSchedules.Cosine(0.1, 50)), ("cosine_min", LearningRateSchedules.Cosine(0.3, 17, 1e-3)),
        ];
        foreach (var (name, schedule) in ours)
        {
            var theirs = TorchReference.Doubles(torch.RootElement.GetProperty(name));
            double worst = 0;
            for (int e = 0; e < theirs.Length; e++)
            {
                double lr = schedule.LearningRate(e);
                if (name.StartsWith("step", StringComparison.Ordinal))
                    Assert.True(lr == theirs[e], $"{name} epoch {e}: ours {lr:R}, torch {theirs[e]:R}"); // the same products
                else
                {
                    // torch steps a recursive form; the closed form agrees to rounding, relative to the base rate.
                    double diff = Math.Abs(lr - theirs[e]) / schedule.LearningRate(0);
                    worst = Math.Max(worst, diff);
                    Assert.True(diff <= 1e-12, $"{name} epoch {e}: ours {lr:R}, torch {theirs[e]:R}");
                }
            }
            output.WriteLine($"{name}: {theirs.Length} epochs, largest difference from torch {worst:E2} of the base rate");
        }
    }
}
