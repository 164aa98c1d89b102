using System.Globalization;
using System.Numerics;
using Backprop.Losses;
using Backprop.Models;
using Backprop.Optimizers;
using Backprop.Tensors;

namespace Backprop.Tests.Optimizers;

/// <summary>
/// State export and import: names, validation, and that a run interrupted by a checkpoint (model file + optimiser
/// state written as text and read back into fresh objects) continues bit for bit like an uninterrupted run.
/// </summary>
public class OptimizerStateTests
{
    private const string ModelJson = """
        {"input": [3], "seed": 11, "layers": [
          {"type": "linear", "out": 4}, {"type": "tanh"},
          {"type": "linear", "out": 2, "init": {"name": "xavier_uniform"}, "bias_init": "zeros"}]}
        """;

    private static Sequential<T> Model<T>(string json) where T : unmanaged, IFloatingPointIeee754<T> =>
        ModelFile.Build<T>(ModelFile.Parse(json, "model.json"), "model.json");

    private static readonly double[] X = [0.5, -1, 2, 1.5, 0.25, -0.75, -2, 1, 0.125, 0.3, 0.6, -0.9];
    private static readonly double[] Y = [1, -1, 0.5, 0.25, -0.5, 2, 0, 1];

    private static void TrainingStep<T>(Sequential<T> model, Optimizer<T> optimizer, Loss<T> loss, ILearningRateSchedule schedule, int epoch)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        // The batch changes with the epoch so that every step's gradient differs.
        var x = Tensor<T>.FromDoubles(X.Select((v, i) => v * (1 + 0.1 * ((i + epoch) % 5))).ToArray(), 4, 3);
        var y = Tensor<T>.FromDoubles(Y, 4, 2);
        optimizer.LearningRate = schedule.LearningRate(epoch);
        optimizer.ZeroGrad();
        loss.Forward(model.Forward(x), y);
        model.Backward(loss.Backward());
        optimizer.Step();
    }

    public static TheoryData<string> Kinds => new() { "sgd", "sgd_nesterov", "adam", "adamw" };

    private static Optimizer<T> Create<T>(string kind, Sequential<T> model) where T : unmanaged, IFloatingPointIeee754<T> => kind switch
    {
        "sgd" => new SGD<T>(model.NamedParameters, 0.1, momentum: 0.9, dampening: 0.1, weightDecay: 1e-3),
        "sgd_nesterov" => new SGD<T>(model.NamedParameters, 0.1, momentum: 0.8, weightDecay: 1e-2, nesterov: true),
        "adam" => new Adam<T>(model.NamedParameters, 0.05, weightDecay: 1e-2),
        "adamw" => new AdamW<T>(model.NamedParameters, 0.05, weightDecay: 0.1),
        _ => throw new ArgumentException(kind),
    };

    // The checkpoint as text: "name|count|v1,v2,..." per line, numbers in round-trip form of double (exact for float too).
    private static string Serialize<T>(IReadOnlyList<(string Name, Tensor<T> Tensor)> state) where T : unmanaged, IFloatingPointIeee754<T> =>
        string.Join("\n", state.Select(s => $"{s.Name}|{Tensor.Format(s.Tensor.Shape)}|{string.Join(",", s.Tensor.ToDoubleArray().Select(NumberFormat.RoundTrip))}"));

    private static IReadOnlyList<(string, Tensor<T>)> Deserialize<T>(string text) where T : unmanaged, IFloatingPointIeee754<T> =>
        text.Split('\n').Select(line =>
        {
            var parts = line.Split('|');
            var shape = parts[1].Trim('[', ']').Split(", ").Select(int.Parse).ToArray();
            var values = parts[2].Split(',').Select(v => double.Parse(v, CultureInfo.InvariantCulture)).ToArray();
            return (parts[0], Tensor<T>.FromDoubles(values, shape));
        }).ToList();

    private static void Resume_is_bit_identical<T>(string kind) where T : unmanaged, IFloatingPointIeee754<T>
    {
        const int total = 9, interruptAt = 4;
        var schedule = new CosineSchedule(1, total, 0.1);

        var straight = Model<T>(ModelJson);
        var straightOptimizer = Create(kind, straight);
        var loss = LossFunctions.Create<T>("mse");
        for (int epoch = 0; epoch < total; epoch++) TrainingStep(straight, straightOptimizer, loss, schedule, epoch);

        var first = Model<T>(ModelJson);
        var firstOptimizer = Create(kind, first);
        for (int epoch = 0; epoch < interruptAt; epoch++) TrainingStep(first, firstOptimizer, loss, schedule, epoch);
        string modelText = ModelFile.Write(first);
        string stateText = Serialize(firstOptimizer.State());
        int steps = firstOptimizer.StepCount;

        var resumed = Model<T>(modelText);
        var resumedOptimizer = Create(kind, resumed);
        resumedOptimizer.LoadState(Deserialize<T>(stateText), steps);
        for (int epoch = interruptAt; epoch < total; epoch++) TrainingStep(resumed, resumedOptimizer, loss, schedule, epoch);

        // A restart without the optimiser state must differ, or this test would prove nothing.
        var forgetful = Model<T>(modelText);
        var forgetfulOptimizer = Create(kind, forgetful);
        for (int epoch = interruptAt; epoch < total; epoch++) TrainingStep(forgetful, forgetfulOptimizer, loss, schedule, epoch);

        Assert.Equal(total, resumedOptimizer.StepCount);
        bool forgetfulDiffers = false;
        for (int i = 0; i < straight.NamedParameters.Count; i++)
        {
            var expected = straight.NamedParameters[i].Parameter.Value.Data;
            Assert.Equal(expected, resumed.NamedParameters[i].Parameter.Value.Data);
            forgetfulDiffers |= !expected.AsSpan().SequenceEqual(forgetful.NamedParameters[i].Parameter.Value.Data);
        }
        Assert.True(forgetfulDiffers);
        Assert.Equal(Serialize(straightOptimizer.State()), Serialize(resumedOptimizer.State()));
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void Resuming_from_a_checkpoint_is_bit_identical_in_float64(string kind) => Resume_is_bit_identical<double>(kind);

    [Theory]
    [MemberData(nameof(Kinds))]
    public void Resuming_from_a_checkpoint_is_bit_identical_in_float32(string kind) => Resume_is_bit_identical<float>(kind);

    [Fact]
    public void State_is_named_after_the_models_parameters_in_state_dict_order()
    {
        var model = Model<double>(ModelJson);
        Assert.Equal(["0.weight.momentum_buffer", "0.bias.momentum_buffer", "2.weight.momentum_buffer", "2.bias.momentum_buffer"],
            new SGD<double>(model.NamedParameters, 0.1, momentum: 0.9).State().Select(s => s.Name));
        Assert.Equal(["0.weight.exp_avg", "0.weight.exp_avg_sq", "0.bias.exp_avg", "0.bias.exp_avg_sq",
                      "2.weight.exp_avg", "2.weight.exp_avg_sq", "2.bias.exp_avg", "2.bias.exp_avg_sq"],
            new AdamW<double>(model.NamedParameters).State().Select(s => s.Name));
        Assert.Equal(["0.weight", "0.bias", "2.weight", "2.bias"], new Adam<double>(model.NamedParameters).ParameterNames);
    }

    [Fact]
    public void State_is_a_copy()
    {
        var model = Model<double>(ModelJson);
        var adam = new Adam<double>(model.NamedParameters);
        foreach (var (_, p) in model.NamedParameters) p.Grad.Fill(1);
        adam.Step();
        var state = adam.State();
        double before = state[0].Tensor[0];
        adam.Step();
        Assert.Equal(before, state[0].Tensor[0]);
        Assert.NotEqual(before, adam.State()[0].Tensor[0]);
    }

    [Fact]
    public void Loading_step_count_zero_makes_the_next_momentum_step_a_first_step()
    {
        var p = new Backprop.Layers.Parameter<double>("p", new Tensor<double>([1.0], 1));
        var sgd = new SGD<double>([p], 0.5, momentum: 0.5);
        sgd.LoadState([("0.momentum_buffer", new Tensor<double>([100.0], 1))], 0);
        p.Grad[0] = 1;
        sgd.Step();
        Assert.Equal(0.5, p.Value[0]); // b = g, the loaded buffer is not used
    }

    [Fact]
    public void Bad_state_is_refused_and_changes_nothing()
    {
        var model = Model<double>(ModelJson);
        var adam = new Adam<double>(model.NamedParameters);
        foreach (var (_, p) in model.NamedParameters) p.Grad.Fill(1);
        adam.Step();
        var good = adam.State();
        string snapshot = Serialize(good);

        void Refused(IReadOnlyList<(string, Tensor<double>)> state, int steps, string message)
        {
            var e = Assert.Throws<BackpropException>(() => adam.LoadState(state, steps));
            Assert.Contains(message, e.Message);
            Assert.Equal(snapshot, Serialize(adam.State()));
            Assert.Equal(1, adam.StepCount);
        }

        var zeroed = good.Select(s => (s.Name, new Tensor<double>(s.Tensor.Shape))).ToList();
        Refused(zeroed.Skip(1).ToList(), 5, "missing entry '0.weight.exp_avg'");
        Refused([.. zeroed, ("0.weight.momentum_buffer", new Tensor<double>(4, 3))], 5, "unexpected entry '0.weight.momentum_buffer'");
        Refused([.. zeroed, zeroed[0]], 5, "entry '0.weight.exp_avg' appears more than once");
        Refused([.. zeroed.Skip(1), ("0.weight.exp_avg", new Tensor<double>(3, 4))], 5, "'0.weight.exp_avg' has shape [3, 4], expected [4, 3]");
        Refused(zeroed, -1, "step count must be ≥ 0");
        Assert.Throws<BackpropException>(() => new SGD<double>(model.NamedParameters, 0.1).LoadState(zeroed.Take(1).ToList(), 0));

        adam.LoadState(zeroed.AsEnumerable().Reverse().ToList(), 7); // any order
        Assert.Equal(7, adam.StepCount);
        Assert.All(adam.State(), s => Assert.All(s.Tensor.Data, v => Assert.Equal(0, v)));
    }
}
