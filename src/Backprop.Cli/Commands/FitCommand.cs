using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using Backprop.Learners;

namespace Backprop.Cli.Commands;

/// <summary>backprop fit: train one of the sheets' classical learners (perceptrons, Adaline, logistic regression).</summary>
internal static class FitCommand
{
    public static Command Create(TextWriter stdout, TextWriter stderr)
    {
        var learner = OptionValues.OneOf("--learner", Fit.Learners, "perceptron");
        learner.Description = $"The learner: {string.Join(", ", Fit.Learners)}";
        learner.HelpName = "NAME";
        var data = new Option<string>("--data")
        {
            Description = $"{string.Join(", ", SyntheticData.Names)} (seeded synthetic sets), csv:FILE or csv:TRAIN,TEST (label column 'label'), fashion-mnist or idx:DIR",
            DefaultValueFactory = _ => "blobs",
            HelpName = "SPEC",
        };
        var kernel = Optional("--kernel", "linear, poly or rbf (kernel-perceptron; default rbf)", (string s, out string? v) => { v = s; return Fit.Kernels.Contains(s); }, "linear, poly or rbf");
        var degree = Optional<int?>("--degree", "Polynomial kernel degree (default 2)", TryInt, "an integer");
        var offset = OptionValues.OptionalNumber("--offset");
        offset.Description = "Polynomial kernel offset c in (γ·xᵀx' + c)^p (default 1)";
        var scale = OptionValues.OptionalNumber("--scale");
        scale.Description = "Polynomial kernel scale γ in (γ·xᵀx' + c)^p (default 1)";
        var gamma = OptionValues.OptionalNumber("--gamma");
        gamma.Description = "RBF kernel γ in exp(−γ‖x − x'‖²) (default 1/(d·Var(X)))";
        var epochs = OptionValues.Integer("--epochs", new FitOptions().Epochs);
        epochs.Description = "The most passes over the training set (the perceptrons stop after one without a mistake)";
        var lr = OptionValues.OptionalNumber("--lr");
        lr.Description = "Learning rate η (default 1 for the perceptrons, 0.01 for adaline, 0.1 for logistic and logistic-tanh)";
        var seed = Optional<ulong?>("--seed", "Seeds the synthetic data and the order of the examples (default 0)", TryUInt64, "a non-negative integer");
        var limit = Optional<int?>("--limit", "Use only the first N examples of each split", TryInt, "an integer");
        var count = Optional<int?>("--count", $"Examples per split of a synthetic set (default {Fit.DefaultCount})", TryInt, "an integer");
        var classes = Optional<int?>("--classes", "Classes of blobs (default 2 for binary learners, else 3) or arms of spirals (default 2)", TryInt, "an integer");
        var batch = new Option<bool>("--batch") { Description = "Full-batch gradient descent (perceptron, adaline, logistic, logistic-tanh): one step per epoch with the mean update" };

        var command = new Command("fit", "Train a perceptron, multiclass or kernel perceptron, Adaline or logistic regression with the update rule w ← w + η(y − ŷ)x");
        foreach (var o in new Option[] { learner, data, kernel, degree, offset, scale, gamma, epochs, lr, seed, limit, count, classes, batch })
            command.Options.Add(o);
        command.SetAction(parse => CommandRunner.Run(stderr, () =>
        {
            var plan = Fit.Prepare(new FitOptions
            {
                Learner = parse.GetValue(learner)!, Data = parse.GetValue(data)!, Epochs = parse.GetValue(epochs),
                LearningRate = parse.GetValue(lr), Seed = parse.GetValue(seed) ?? 0, Limit = parse.GetValue(limit),
                Count = parse.GetValue(count), Classes = parse.GetValue(classes), Kernel = parse.GetValue(kernel),
                Degree = parse.GetValue(degree), Offset = parse.GetValue(offset), Scale = parse.GetValue(scale),
                Gamma = parse.GetValue(gamma), FullBatch = parse.GetValue(batch),
            });
            stdout.WriteLine(plan.Description);
            var result = Fit.Run(plan, e => stdout.WriteLine(e.Mistakes is int m
                ? $"epoch {e.Epoch}/{e.Epochs}: {m} mistake{(m == 1 ? "" : "s")}, loss {G(e.Loss)}"
                : $"epoch {e.Epoch}/{e.Epochs}: loss {G(e.Loss)}"));
            Summary(stdout, result);
            return ExitCodes.Ok;
        }));
        return command;
    }

    private static void Summary(TextWriter stdout, FitResult result)
    {
        var plan = result.Plan;
        var last = result.Epochs[^1];
        if (plan.Learner.UpdatesOnlyOnMistakes && last.Mistakes is int mistakes)
            stdout.WriteLine(mistakes == 0
                ? $"no mistakes in epoch {last.Epoch}: the training set is separated"
                : $"still {mistakes} mistake{(mistakes == 1 ? "" : "s")} in the last epoch: the training set was not separated in {last.Epoch} epochs");
        if (plan.Learner is KernelPerceptron kernel)
            stdout.WriteLine($"support set: {kernel.SupportCount} of {plan.Train.Count} training examples");
        stdout.WriteLine($"final loss {G(result.FinalLoss)}" + (result.LeastSquares is { } ls ? $" (least squares: {G(ls.Loss)})" : ""));
        if (result.TestLoss is double testLoss) stdout.WriteLine($"test loss {G(testLoss)}");
        if (result.TrainCorrect is int trainCorrect) stdout.WriteLine($"training accuracy {Accuracy(trainCorrect, plan.Train.Count)}");
        if (result.TestCorrect is int testCorrect) stdout.WriteLine($"test accuracy {Accuracy(testCorrect, plan.Test!.Count)}");
        if (plan.Learner is Adaline adaline) Weights(stdout, adaline, result.LeastSquares);
        else if (plan.Learner is LinearUnit unit && unit.Weights.Length <= 10)
            stdout.WriteLine($"w = [{string.Join(", ", unit.Weights.Select(G))}], b = {G(unit.Bias)}");
    }

    /// <summary>Adaline's weights beside the least-squares solution (the first 10 when there are more).</summary>
    private static void Weights(TextWriter stdout, Adaline adaline, LeastSquaresSolution? ls)
    {
        if (ls is null)
        {
            stdout.WriteLine("the least-squares solution is not unique (XᵀX is singular)");
            return;
        }
        const int Shown = 10;
        stdout.WriteLine($"{"",-8}{"adaline",14}{"least squares",16}");
        for (int j = 0; j < Math.Min(adaline.Weights.Length, Shown); j++)
            stdout.WriteLine($"{$"w[{j}]",-8}{G(adaline.Weights[j]),14}{G(ls.Weights[j]),16}");
        if (adaline.Weights.Length > Shown) stdout.WriteLine($"… ({adaline.Weights.Length} weights)");
        stdout.WriteLine($"{"b",-8}{G(adaline.Bias),14}{G(ls.Bias),16}");
        double largest = Math.Abs(adaline.Bias - ls.Bias);
        for (int j = 0; j < adaline.Weights.Length; j++) largest = Math.Max(largest, Math.Abs(adaline.Weights[j] - ls.Weights[j]));
        stdout.WriteLine($"largest |adaline − least squares| {G(largest)}");
    }

    private static string Accuracy(int correct, int total) =>
        string.Create(CultureInfo.InvariantCulture, $"{(double)correct / total:F4} ({correct}/{total})");

    private static string G(double v) => v.ToString("G6", CultureInfo.InvariantCulture);

    private delegate bool TryParse<TValue>(string text, out TValue value);

    private static bool TryInt(string s, out int? v)
    {
        bool ok = int.TryParse(s, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int i);
        v = i;
        return ok;
    }

    private static bool TryUInt64(string s, out ulong? v)
    {
        bool ok = ulong.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out ulong u);
        v = u;
        return ok;
    }

    /// <summary>An option without a default whose bad values get one line naming it ("--limit: expected an integer, got 'x'").</summary>
    private static Option<TValue> Optional<TValue>(string name, string description, TryParse<TValue> parse, string expected) => new(name)
    {
        Description = description,
        CustomParser = r => Parse(r, name, parse, expected),
    };

    private static TValue Parse<TValue>(ArgumentResult result, string name, TryParse<TValue> parse, string expected)
    {
        if (result.Tokens.Count == 0) return default!;
        string text = result.Tokens[^1].Value;
        if (parse(text, out TValue value)) return value;
        result.AddError($"{name}: expected {expected}, got '{text}'");
        return default!;
    }
}
