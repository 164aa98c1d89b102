using Backprop.Cli;

namespace Backprop.Tests.Learners;

/// <summary>backprop fit through the CLI, in-process: the output's shape, and bad options as one line with exit code 2.</summary>
public sealed class FitCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("backprop-fit-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static (int Code, string Out, string Err) Run(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        int code = Program.Run(["fit", .. args], stdout, stderr);
        return (code, stdout.ToString().Replace("\r\n", "\n"), stderr.ToString());
    }

    private static string[] Ok(params string[] args)
    {
        var (code, stdout, stderr) = Run(args);
        Assert.True(code == ExitCodes.Ok, $"backprop fit {string.Join(' ', args)} exited {code}: {stderr}");
        Assert.Equal("", stderr);
        return stdout.TrimEnd('\n').Split('\n');
    }

    public static TheoryData<string, string> Classifiers => new()
    {
        { "perceptron", "blobs" }, { "multiclass-perceptron", "blobs" }, { "kernel-perceptron", "circles" },
        { "logistic", "blobs" }, { "logistic-tanh", "blobs" },
    };

    [Theory]
    [MemberData(nameof(Classifiers))]
    public void A_classifier_prints_its_setting_its_epochs_and_its_accuracies(string learner, string data)
    {
        var lines = Ok("--learner", learner, "--data", data, "--epochs", "5", "--count", "100");
        Assert.StartsWith($"{learner}", lines[0]);
        Assert.Contains($" on {data}: 100 training examples, 2 features, ", lines[0]);
        Assert.Contains("100 test examples", lines[0]);
        var epochs = lines.Where(l => l.StartsWith("epoch ")).ToList();
        Assert.InRange(epochs.Count, 1, 5);
        Assert.All(epochs, l => Assert.Matches(@"^epoch \d/5: \d+ mistakes?, loss [0-9.E+-]+$", l));
        Assert.Matches(@"^training accuracy [01]\.\d{4} \(\d+/100\)$", lines.Single(l => l.StartsWith("training accuracy")));
        Assert.Matches(@"^test accuracy [01]\.\d{4} \(\d+/100\)$", lines[^1].StartsWith("w = ") ? lines[^2] : lines[^1]);
        if (learner == "kernel-perceptron") Assert.Contains(lines, l => l.StartsWith("support set: ") && l.EndsWith(" of 100 training examples"));
    }

    [Fact]
    public void A_separable_set_stops_the_perceptron_with_a_message()
    {
        var lines = Ok("--learner", "perceptron");
        Assert.Contains(lines, l => l.StartsWith("no mistakes in epoch ") && l.EndsWith(": the training set is separated"));
        Assert.Contains("training accuracy 1.0000 (200/200)", lines);
    }

    [Fact]
    public void Adaline_prints_its_loss_and_its_weights_beside_least_squares()
    {
        var lines = Ok("--learner", "adaline", "--data", "line", "--batch", "--lr", "0.5", "--epochs", "200");
        Assert.Equal(200, lines.Count(l => System.Text.RegularExpressions.Regex.IsMatch(l, @"^epoch \d+/200: loss [0-9.]+$")));
        string final = lines.Single(l => l.StartsWith("final loss "));
        Assert.Matches(@"^final loss ([0-9.]+) \(least squares: \1\)$", final);
        Assert.Matches(@"^\s+adaline\s+least squares$", lines.Single(l => l.Contains("least squares") && !l.StartsWith("final") && !l.StartsWith("largest")));
        Assert.Matches(@"^w\[0\]\s+(-?[0-9.]+)\s+\1$", lines.Single(l => l.StartsWith("w[0]")));
        Assert.Matches(@"^b\s+(-?[0-9.]+)\s+\1$", lines.Single(l => l.StartsWith("b ")));
        Assert.DoesNotContain(lines, l => l.Contains("accuracy"));
    }

    [Fact]
    public void A_csv_file_without_a_test_file()
    {
        string csv = Path.Combine(_dir, "points.csv");
        File.WriteAllText(csv, "x1,x2,label\n0,0,a\n1,0,a\n0,1,a\n3,3,b\n4,3,b\n3,4,b\n");
        var lines = Ok("--learner", "kernel-perceptron", "--kernel", "linear", "--data", $"csv:{csv}");
        Assert.Contains($"on csv:{csv}: 6 training examples, 2 features, 2 classes; no test set", lines[0]);
        Assert.Contains("training accuracy 1.0000 (6/6)", lines);
        Assert.DoesNotContain(lines, l => l.StartsWith("test accuracy"));
    }

    [Fact]
    public void Adaline_reads_real_valued_csv_labels_as_targets()
    {
        string csv = Path.Combine(_dir, "line.csv");
        File.WriteAllText(csv, "x,label\n0,1\n1,3\n2,5.5\n3,7\n");
        var lines = Ok("--learner", "adaline", "--data", $"csv:{csv}", "--batch", "--lr", "0.1", "--epochs", "2000");
        Assert.Contains("4 training examples, 1 feature, real targets", lines[0]);
        Assert.Matches(@"^w\[0\]\s+(-?[0-9.]+)\s+\1$", lines.Single(l => l.StartsWith("w[0]")));
    }

    public static TheoryData<string[], string> BadOptions => new()
    {
        { ["--learner", "svm"], "--learner: expected perceptron, multiclass-perceptron, kernel-perceptron, adaline, logistic or logistic-tanh, got 'svm'" },
        { ["--data", "moons"], "unknown data 'moons'" },
        { ["--kernel", "rbf"], "--kernel applies only to --learner kernel-perceptron" },
        { ["--learner", "kernel-perceptron", "--kernel", "sigmoid"], "--kernel: expected linear, poly or rbf, got 'sigmoid'" },
        { ["--learner", "kernel-perceptron", "--kernel", "rbf", "--degree", "3"], "--degree applies only to --kernel poly" },
        { ["--learner", "kernel-perceptron", "--kernel", "poly", "--gamma", "3"], "--gamma applies only to --kernel rbf" },
        { ["--learner", "kernel-perceptron", "--kernel", "poly", "--degree", "0"], "kernel degree: expected an integer ≥ 1, got 0" },
        { ["--learner", "kernel-perceptron", "--gamma", "-1"], "kernel gamma: expected a finite number > 0" },
        { ["--epochs", "0"], "--epochs: expected an integer ≥ 1, got 0" },
        { ["--epochs", "many"], "--epochs: expected an integer, got 'many'" },
        { ["--lr", "-0.5"], "--lr: expected a finite number > 0, got -0.5" },
        { ["--limit", "x"], "--limit: expected an integer, got 'x'" },
        { ["--limit", "0"], "--limit: expected an integer ≥ 1, got 0" },
        { ["--seed", "-3"], "--seed: expected a non-negative integer, got '-3'" },
        { ["--classes", "3"], "blobs: 3 classes; perceptron is a binary learner" },
        { ["--learner", "adaline", "--data", "xor", "--classes", "3"], "--classes applies only to --data blobs and spirals" },
        { ["--learner", "logistic", "--data", "line"], "line: real-valued targets; logistic is a classifier" },
        { ["--learner", "multiclass-perceptron", "--data", "line"], "line: real-valued targets" },
        { ["--learner", "multiclass-perceptron", "--batch"], "--batch applies to perceptron, adaline, logistic and logistic-tanh" },
        { ["--data", "csv:/nonexistent/points.csv"], "/nonexistent/points.csv" },
        { ["--data", "csv:$dir/points.csv", "--count", "5"], "--count applies only to the synthetic data sets" },
        { ["--bogus"], "'--bogus'" },
    };

    [Theory]
    [MemberData(nameof(BadOptions))]
    public void Bad_options_give_one_line_and_exit_code_2(string[] args, string expected)
    {
        File.WriteAllText(Path.Combine(_dir, "points.csv"), "x,label\n1,a\n2,b\n");
        args = [.. args.Select(a => a.Replace("$dir", _dir))];
        var (code, stdout, stderr) = Run(args);
        string context = $"backprop fit {string.Join(' ', args)}\nstdout: {stdout}\nstderr: {stderr}";
        Assert.True(code == ExitCodes.BadInput, $"exit code {code}\n{context}");
        Assert.True(stdout.Length == 0, context);
        Assert.True(stderr.EndsWith('\n') && stderr.IndexOf('\n') == stderr.Length - 1, $"stderr should be one line\n{context}");
        Assert.StartsWith("error: ", stderr);
        Assert.True(stderr.Contains(expected, StringComparison.Ordinal), $"stderr should contain: {expected}\n{context}");
        Assert.DoesNotContain("   at ", stderr);
    }
}
