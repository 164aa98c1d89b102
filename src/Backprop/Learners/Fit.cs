using System.Globalization;
using Backprop.Data;

namespace Backprop.Learners;

/// <summary>
/// The <c>backprop fit</c> command's work: build the data and the learner from <see cref="FitOptions"/>
/// (<see cref="Prepare"/>), train (<see cref="Run"/>), measure. Bad options throw <see cref="BackpropException"/>.
/// </summary>
public static class Fit
{
    /// <summary>The learners by CLI name.</summary>
    public static IReadOnlyList<string> Learners { get; } =
        ["perceptron", "multiclass-perceptron", "kernel-perceptron", "adaline", "logistic", "logistic-tanh"];

    /// <summary>The kernels by CLI name.</summary>
    public static IReadOnlyList<string> Kernels { get; } = ["linear", "poly", "rbf"];

    /// <summary>Examples per split of a synthetic set when <see cref="FitOptions.Count"/> is not given.</summary>
    public const int DefaultCount = 200;

    /// <summary>η when none is given: 1 for the perceptrons (whose mistakes do not depend on it), 0.01 for adaline, 0.1 for the logistic regressions.</summary>
    public static double DefaultLearningRate(string learner) => learner switch
    {
        "adaline" => 0.01,
        "logistic" or "logistic-tanh" => 0.1,
        _ => 1,
    };

    private static bool IsBinary(string learner) => learner is "perceptron" or "adaline" or "logistic" or "logistic-tanh";

    /// <summary>Loads or generates the data and builds the learner.</summary>
    public static FitPlan Prepare(FitOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        string learnerName = options.Learner;
        if (!Learners.Contains(learnerName))
            throw new BackpropException($"unknown learner '{learnerName}'; expected {string.Join(", ", Learners)}");
        if (options.Epochs < 1) throw new BackpropException($"--epochs: expected an integer ≥ 1, got {options.Epochs}");
        double lr = options.LearningRate ?? DefaultLearningRate(learnerName);
        if (!(lr > 0) || !double.IsFinite(lr)) throw new BackpropException($"--lr: expected a finite number > 0, got {Format(lr)}");
        if (options.Limit is < 1) throw new BackpropException($"--limit: expected an integer ≥ 1, got {options.Limit}");
        if (options.FullBatch && !IsBinary(learnerName))
            throw new BackpropException($"--batch applies to perceptron, adaline, logistic and logistic-tanh, not {learnerName}");
        if (learnerName != "kernel-perceptron")
        {
            string? given = options.Kernel is not null ? "--kernel" : options.Degree is not null ? "--degree" : options.Offset is not null ? "--offset"
                : options.Scale is not null ? "--scale" : options.Gamma is not null ? "--gamma" : null;
            if (given is not null) throw new BackpropException($"{given} applies only to --learner kernel-perceptron");
        }

        var (train, test, dataName) = LoadData(options, IsBinary(learnerName));
        if (learnerName == "adaline" && DatasetSource.IsCsv(dataName) && !train.IsRegression && train.Classes != 2)
        {
            // A CSV file whose label column holds real values: each distinct value became a class.
            train = train.AsRegression(dataName);
            test = test?.AsRegression(dataName);
        }
        if (!train.IsRegression && train.Classes < 2)
            throw new BackpropException($"{dataName}: only one class; a classifier needs at least 2");

        IOnlineLearner learner;
        string what = learnerName;
        switch (learnerName)
        {
            case "perceptron": learner = new Perceptron(train.Dimension); break;
            case "adaline": learner = new Adaline(train.Dimension); break;
            case "logistic": learner = new LogisticRegression(train.Dimension); break;
            case "logistic-tanh": learner = new TanhLogisticRegression(train.Dimension); break;
            case "multiclass-perceptron":
                if (train.IsRegression) throw new BackpropException($"{dataName}: real-valued targets; {learnerName} is a classifier (use adaline for regression)");
                learner = new MulticlassPerceptron(train.Classes, train.Dimension);
                break;
            default:
                if (train.IsRegression) throw new BackpropException($"{dataName}: real-valued targets; {learnerName} is a classifier (use adaline for regression)");
                var kernel = BuildKernel(options, train);
                learner = new KernelPerceptron(train.Classes, train.Dimension, kernel);
                what = $"{learnerName} ({kernel})";
                break;
        }
        learner.CheckData(train, dataName);
        if (test is not null) learner.CheckData(test, $"{dataName} (test)");

        var training = new OnlineTrainingOptions { Epochs = options.Epochs, LearningRate = lr, Seed = options.Seed, FullBatch = options.FullBatch };
        string shape = train.IsRegression
            ? $"{train.Count} training examples, {Plural(train.Dimension, "feature")}, real targets"
            : $"{train.Count} training examples, {Plural(train.Dimension, "feature")}, {train.Classes} classes";
        string testPart = test is null ? "no test set" : $"{test.Count} test examples";
        string description = $"{what} on {dataName}: {shape}; {testPart}; learning rate {Format(lr)}{(options.FullBatch ? " (full batch)" : "")}, seed {options.Seed}";
        return new FitPlan(learner, train, test, dataName, training, description);
    }

    /// <summary>Trains the plan's learner, calling <paramref name="onEpoch"/> after each epoch, and measures it.</summary>
    public static FitResult Run(FitPlan plan, Action<EpochReport>? onEpoch = null)
    {
        ArgumentNullException.ThrowIfNull(plan);
        var epochs = OnlineTraining.Train(plan.Learner, plan.Train, plan.Training, onEpoch, plan.DataName);
        int? trainCorrect = plan.Train.IsRegression ? null : OnlineTraining.Correct(plan.Learner, plan.Train);
        int? testCorrect = plan.Test is null || plan.Test.IsRegression ? null : OnlineTraining.Correct(plan.Learner, plan.Test);
        double? testLoss = plan.Test is null ? null : plan.Learner.MeanLoss(plan.Test);
        LeastSquaresSolution? solution = null;
        if (plan.Learner is Adaline adaline && LeastSquares.Fit(plan.Train, i => adaline.Target(plan.Train, i)) is var (w, b))
        {
            var reference = new Adaline(plan.Train.Dimension) { Bias = b };
            w.CopyTo(reference.Weights, 0);
            solution = new LeastSquaresSolution(w, b, reference.MeanLoss(plan.Train));
        }
        return new FitResult(plan, epochs, trainCorrect, testCorrect, testLoss, solution);
    }

    private static Kernel BuildKernel(FitOptions options, LearnerData train)
    {
        string name = options.Kernel ?? "rbf";
        if (!Kernels.Contains(name)) throw new BackpropException($"unknown kernel '{name}'; expected {string.Join(", ", Kernels)}");
        string? polyOption = options.Degree is not null ? "--degree" : options.Offset is not null ? "--offset" : options.Scale is not null ? "--scale" : null;
        if (name != "poly" && polyOption is not null)
            throw new BackpropException($"{polyOption} applies only to --kernel poly");
        if (name != "rbf" && options.Gamma is not null)
            throw new BackpropException("--gamma applies only to --kernel rbf");
        return name switch
        {
            "linear" => Kernel.Linear(),
            "poly" => Kernel.Polynomial(options.Degree ?? 2, options.Scale ?? 1, options.Offset ?? 1),
            _ => Kernel.Rbf(options.Gamma ?? Kernel.DefaultGamma(train)),
        };
    }

    private static (LearnerData Train, LearnerData? Test, string Name) LoadData(FitOptions options, bool binary)
    {
        string spec = options.Data.Trim();
        if (SyntheticData.Names.Contains(spec))
        {
            if (options.Classes is not null && spec is not ("blobs" or "spirals"))
                throw new BackpropException($"--classes applies only to --data blobs and spirals, not {spec}");
            int classes = options.Classes ?? (spec == "blobs" && !binary ? 3 : 2);
            int count = options.Count ?? DefaultCount;
            var rng = new Rng(options.Seed);
            var train = SyntheticData.Generate(spec, count, rng, classes);
            var test = SyntheticData.Generate(spec, count, rng, classes); // the same distribution, the next draws
            return (Take(train, options.Limit), Take(test, options.Limit), spec);
        }
        if (options.Classes is not null) throw new BackpropException($"--classes applies only to --data blobs and spirals, not {spec}");
        if (options.Count is not null) throw new BackpropException($"--count applies only to the synthetic data sets ({string.Join(", ", SyntheticData.Names)}), not {spec}");
        bool csv = DatasetSource.IsCsv(spec);
        bool images = spec.Equals("fashion-mnist", StringComparison.OrdinalIgnoreCase) || spec.StartsWith("idx:", StringComparison.OrdinalIgnoreCase);
        if (!csv && !images)
            throw new BackpropException($"unknown data '{options.Data}'; expected {string.Join(", ", SyntheticData.Names)}, csv:FILE, csv:TRAIN,TEST, fashion-mnist or idx:DIR");
        var trainSet = First(DatasetSource.Load(spec, DataSplit.Train), options.Limit);
        Dataset? testSet = csv && !spec.Contains(',') ? null : First(DatasetSource.Load(spec, DataSplit.Test), options.Limit);
        if (images)
        {
            // Pixel bytes 0..255 to [0, 1], as backprop train does.
            Preprocessing.ScaleToUnit(trainSet);
            if (testSet is not null) Preprocessing.ScaleToUnit(testSet);
        }
        return (LearnerData.FromDataset(trainSet), testSet is null ? null : LearnerData.FromDataset(testSet), spec);
    }

    private static LearnerData Take(LearnerData data, int? limit) => limit is int n ? data.Take(n) : data;

    /// <summary>The first <paramref name="limit"/> examples, before they are widened to float64.</summary>
    private static Dataset First(Dataset data, int? limit) =>
        limit is int n && n < data.Count ? data.Subset(Enumerable.Range(0, n).ToArray()) : data;

    private static string Plural(int n, string word) => $"{n} {word}{(n == 1 ? "" : "s")}";

    /// <summary>A number in the shortest form that reads back the same (invariant culture).</summary>
    public static string Format(double v) => v.ToString("R", CultureInfo.InvariantCulture);
}
