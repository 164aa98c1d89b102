using System.Globalization;
using System.Text;
using System.Text.Json;
using Backprop.Architectures;
using Backprop.Data;
using Backprop.IO;
using Backprop.Models;
using Backprop.Numerics;
using Backprop.Runs;
using Backprop.Training;

using Backprop.Tests.Support;

namespace Backprop.Tests.Interop.PyTorch;

/// <summary>
/// The exported train.py against <c>backprop train</c>: its epochs continue a run as <c>train --resume</c> does (with
/// augmentation, standardisation, early stopping, on CSV files), it prepares data with the model's own preprocessing,
/// it evaluates the test set as <c>eval</c> does, it runs as ranks started one by one, and it refuses what
/// <c>train</c> refuses, with <c>train</c>'s messages.
/// </summary>
public sealed partial class PyTorchExportTests
{
    private static readonly string[] MetricColumns = ["train loss", "train accuracy", "validation loss", "validation accuracy"];

    /// <summary>train.py's metrics.csv: epoch → train loss, train accuracy, validation loss, validation accuracy.</summary>
    private static Dictionary<int, double[]> TorchMetrics(string path) =>
        File.ReadAllLines(path).Skip(1).Select(line => line.Split(',')).ToDictionary(
            f => int.Parse(f[0], CultureInfo.InvariantCulture), f => f[2..6].Select(v => double.Parse(v, CultureInfo.InvariantCulture)).ToArray());

    /// <summary>train.py ran exactly Backprop's epochs from <paramref name="from"/> on, each with Backprop's figures to <paramref name="tolerance"/>.</summary>
    private void AssertSameEpochs(IReadOnlyList<EpochMetrics> ours, Dictionary<int, double[]> theirs, int from, double tolerance)
    {
        var expected = ours.Where(m => m.Epoch >= from).ToList();
        Assert.Equal(expected.Select(m => m.Epoch), theirs.Keys.Order());
        foreach (var m in expected)
        {
            double[] values = [m.TrainLoss, m.TrainAccuracy, m.ValidationLoss, m.ValidationAccuracy];
            output.WriteLine($"epoch {m.Epoch}: Backprop {string.Join(" ", values.Select(v => v.ToString("R", CultureInfo.InvariantCulture)))}, " +
                $"PyTorch {string.Join(" ", theirs[m.Epoch].Select(v => v.ToString("R", CultureInfo.InvariantCulture)))}");
            for (int k = 0; k < values.Length; k++)
                Assert.True(Math.Abs(values[k] - theirs[m.Epoch][k]) <= tolerance,
                    $"epoch {m.Epoch}, {MetricColumns[k]}: Backprop {values[k]:R}, PyTorch {theirs[m.Epoch][k]:R}");
        }
    }

    /// <summary>
    /// A run with flips and shifts, and one with standardisation, each exported after an epoch: train.py's second
    /// epoch is the one Backprop's resumed run has (the same orders, flips and shifts, the same standardised inputs),
    /// its losses and accuracies to 1e-5.
    /// </summary>
    [Theory]
    [InlineData("flip-shift")]
    [InlineData("standardize")]
    public void Augmented_and_standardised_runs_continue_with_our_next_epoch(string variant)
    {
        if (!TorchAvailable() || !FashionMnistAvailable()) return;
        string run = Path.Combine(_dir, "run"), package = Path.Combine(_dir, "package"), torchOut = Path.Combine(_dir, "torch-out");
        var spec = ModelFile.Parse(Architecture.ModelText("mlp"), "mlp");
        var options = new TrainingOptions
        {
            Epochs = 1, Limit = 1000, Seed = 9, BatchSize = 100, Standardize = variant == "standardize",
            FlipHorizontally = variant == "flip-shift", MaxShift = variant == "flip-shift" ? 2 : 0,
        };
        TrainingRun.Run(spec, "fashion-mnist", options, run, new StepLosses());
        PyTorchExport.Export(run, package, epochs: 2);
        var ours = TrainingRun.Run(spec, "fashion-mnist", options with { Epochs = 2 }, run, new StepLosses(), resume: true);
        Python_(Path.Combine(package, "train.py"), "--threads", "1", "--out", torchOut);
        AssertSameEpochs(ours.Epochs, TorchMetrics(Path.Combine(torchOut, RunFiles.Metrics)), from: 2, tolerance: 1e-5);
    }

    /// <summary>A classifier of the CSV points <see cref="WriteBlobs"/> writes.</summary>
    private const string BlobsModel = """{"input": [4], "layers": [{"type": "linear", "out": 16}, {"type": "tanh"}, {"type": "linear", "out": 3}]}""";

    /// <summary>
    /// Three classes of points in four dimensions, with features of very different means and scales (so that
    /// standardisation matters), the label column among them.
    /// </summary>
    private static void WriteBlobs(string path, int rows, ulong seed)
    {
        var rng = new Rng(seed);
        var text = new StringBuilder("f1,f2,label,f3,f4\n");
        for (int i = 0; i < rows; i++)
        {
            int label = rng.NextInt(3);
            double f1 = 50 + 3 * label + rng.Uniform(-4, 4), f2 = 0.01 * label + rng.Uniform(-0.02, 0.02);
            double f3 = 1000 - 20 * label + rng.Uniform(-30, 30), f4 = rng.Uniform(-1, 1);
            text.Append(CultureInfo.InvariantCulture, $"{f1:R},{f2:R},{label},{f3:R},{f4:R}\n");
        }
        File.WriteAllText(path, text.ToString());
    }

    private (string Train, string Test) Blobs(int trainRows, int testRows)
    {
        string data = Directory.CreateDirectory(Path.Combine(_dir, "blobs")).FullName;
        string train = Path.Combine(data, "train.csv"), test = Path.Combine(data, "test.csv");
        WriteBlobs(train, trainRows, 1);
        WriteBlobs(test, testRows, 2);
        return (train, test);
    }

    /// <summary>
    /// A run on CSV files named by relative paths, with --standardize and --patience 2, exported after four epochs,
    /// the fourth without improvement. train.py, started in another directory, finds the files (the export wrote
    /// their full paths), has Backprop's fifth epoch to 1e-5, and stops after it as Backprop's resumed run does: the
    /// early-stopping state carries over (a fresh one would go on). With other data (--limit 40) it still prepares
    /// inputs with the model's mean and std (the test loss is the one Backprop computes with them) and writes them
    /// back unchanged. Another --optimizer than the run's starts with a fresh state, saying so, at the learning rate
    /// train takes for it.
    /// </summary>
    [Fact]
    public void A_csv_run_continues_from_another_directory_with_its_preprocessing_and_early_stopping()
    {
        if (!TorchAvailable()) return;
        var (train, test) = Blobs(240, 60);
        string Relative(string path) => Path.GetRelativePath(Environment.CurrentDirectory, path);
        Assert.False(Path.IsPathRooted(Relative(train)));
        string dataset = $"csv:{Relative(train)},{Relative(test)}";
        string run = Path.Combine(_dir, "run"), package = Path.Combine(_dir, "package"), script = Path.Combine(package, "train.py");
        var spec = ModelFile.Parse(BlobsModel, "blobs");
        var options = new TrainingOptions
        {
            Epochs = 4, BatchSize = 16, Seed = 11, Standardize = true, Patience = 2, LearningRate = 0.5, Schedule = "constant", ValidationFraction = 0.25,
        };
        TrainingRun.Run(spec, dataset, options, run, new StepLosses());
        PyTorchExport.Export(run, package, epochs: 12);
        Assert.Contains($"\"dataset\": \"csv:{train},{test}\"", File.ReadAllText(script));

        // With the run's preprocessing on other data: no epoch (--epochs 4 is the epochs done), the test figures only.
        var exported = TrainedModel.Load(package, dataset);
        var testData = DatasetSource.Load(dataset, DataSplit.Test);
        exported.Prepare(testData);
        double expectedLoss = new Classifier<float>(exported.Model).Evaluate(testData).Loss;
        string elsewhere = Directory.CreateDirectory(Path.Combine(_dir, "elsewhere")).FullName;
        var (code, stdout, stderr) = RunPython([script, "--threads", "1", "--limit", "40", "--epochs", "4", "--out", "limited"], TimeSpan.FromMinutes(3), elsewhere);
        Assert.True(code == 0, stderr);
        double torchLoss = double.Parse(TestResult().Match(stdout).Groups[1].Value, CultureInfo.InvariantCulture);
        Assert.True(Math.Abs(torchLoss - expectedLoss) <= 1e-6, $"test loss {torchLoss:R} in train.py, {expectedLoss:R} with the model's preprocessing");
        var before = SafetensorsFile.Read(Path.Combine(package, RunFiles.Preprocessing));
        var after = SafetensorsFile.Read(Path.Combine(elsewhere, "limited", RunFiles.Preprocessing));
        Assert.Equal(before.Metadata["scale"], after.Metadata["scale"]);
        foreach (string name in new[] { "mean", "std" })
            Assert.Equal(before.Get<float>(name).Data, after.Get<float>(name).Data);

        var ours = TrainingRun.Run(spec, dataset, options with { Epochs = 12 }, run, new StepLosses(), resume: true);
        Assert.True(ours.StoppedEarly, "the recipe is chosen to stop early, but Backprop ran all 12 epochs");
        (code, stdout, stderr) = RunPython([script, "--threads", "1", "--out", "continued"], TimeSpan.FromMinutes(3), elsewhere);
        Assert.True(code == 0, stderr);
        Assert.Contains("early stopping: no improvement of the validation loss for 2 epochs", stdout);
        Assert.Equal(5, ours.Epochs.Count);
        AssertSameEpochs(ours.Epochs, TorchMetrics(Path.Combine(elsewhere, "continued", RunFiles.Metrics)), from: 5, tolerance: 1e-5);

        (code, stdout, stderr) = RunPython([script, "--threads", "1", "--optimizer", "adam", "--epochs", "5", "--out", "adam"], TimeSpan.FromMinutes(3), elsewhere);
        Assert.True(code == 0, stderr);
        Assert.Equal($"note: {Path.Combine(package, PyTorchExport.OptimizerFile)} holds the state of sgd; --optimizer adam starts with a fresh state " +
            "(one optimiser's state does not carry over to another)\n", stderr);
        Assert.Contains($"adam lr {TrainingOptions.DefaultLearningRate("adam").ToString("R", CultureInfo.InvariantCulture)},", stdout);
    }

    /// <summary>
    /// train.py refuses what <c>backprop train</c> refuses, with train's message (from the same checks: options,
    /// dataset specs, files, data that does not fit the model), as one line "error: ..." and exit code 2; and --lr
    /// is the run's with the run's optimiser, otherwise train's default for the optimiser. The cases run in one
    /// python3 process through train.main(); one more runs as a command, to see the exit code and that nothing else
    /// is printed.
    /// </summary>
    [Fact]
    public void Train_py_refuses_what_train_refuses_in_one_line()
    {
        if (!TorchAvailable()) return;
        var (train, test) = Blobs(30, 10);
        string package = Path.Combine(_dir, "package"), missing = Path.Combine(_dir, "missing.csv"), points = Csv();
        var options = new TrainingOptions { Epochs = 2, LearningRate = 0.02 };
        var model = ModelFile.Build<float>(ModelFile.Parse(BlobsModel, "blobs"), "blobs");
        PyTorchExport.Write(package, model, preparation: null, PyTorchRecipe.Fresh(options, $"csv:{train},{test}"));

        string OptionsRefusal(TrainingOptions o) => Assert.Throws<BackpropException>(o.Validate).Message;
        string DatasetRefusal(string spec, DataSplit split, string? labelColumn = null) =>
            Assert.Throws<BackpropException>(() => DatasetSource.Load(spec, split, labelColumn)).Message;
        var cases = new (string[] Args, string Expected)[]
        {
            (["--epochs", "0"], OptionsRefusal(options with { Epochs = 0 })),
            (["--batch-size", "0"], OptionsRefusal(options with { BatchSize = 0 })),
            (["--lr", "-1"], OptionsRefusal(options with { LearningRate = -1 })),
            (["--momentum", "1"], OptionsRefusal(options with { Momentum = 1 })),
            (["--weight-decay", "-0.5"], OptionsRefusal(options with { WeightDecay = -0.5 })),
            (["--validation", "1"], OptionsRefusal(options with { ValidationFraction = 1 })),
            (["--patience", "0"], OptionsRefusal(options with { Patience = 0 })),
            (["--shift", "-1"], OptionsRefusal(options with { MaxShift = -1 })),
            (["--label-smoothing", "2"], OptionsRefusal(options with { LabelSmoothing = 2 })),
            (["--label-smoothing", "0.1", "--loss", "multiclass_perceptron"], OptionsRefusal(options with { LabelSmoothing = 0.1, Loss = "multiclass_perceptron" })),
            (["--standardize", "--flip"], OptionsRefusal(options with { Standardize = true, FlipHorizontally = true })),
            (["--standardize", "--shift", "2"], OptionsRefusal(options with { Standardize = true, MaxShift = 2 })),
            (["--limit", "0"], OptionsRefusal(options with { Limit = 0 })),
            (["--dataset", $"csv:{train}"], DatasetRefusal($"csv:{train}", DataSplit.Test)),
            (["--dataset", $"csv:{train},{test},{test}"], DatasetRefusal($"csv:{train},{test},{test}", DataSplit.Train)),
            (["--dataset", $"csv:{missing},{test}"], DatasetRefusal($"csv:{missing},{test}", DataSplit.Train)),
            (["--dataset", $"idx:{missing}"], DatasetRefusal($"idx:{missing}", DataSplit.Train)),
            (["--dataset", "mnist"], DatasetRefusal("mnist", DataSplit.Train)),
            (["--dataset", "fashion-mnist", "--label-column", "kind"], DatasetRefusal("fashion-mnist", DataSplit.Train, "kind")),
            (["--dataset", $"csv:{points}"], Assert.Throws<BackpropException>(() =>
                new Classifier<float>(model).CheckData(DatasetSource.Load($"csv:{points}", DataSplit.Train), $"csv:{points}")).Message),
        };
        string casesFile = Path.Combine(_dir, "cases.json"), driver = Path.Combine(_dir, "driver.py");
        File.WriteAllText(casesFile, JsonSerializer.Serialize(cases.Select(c => c.Args)));
        File.WriteAllText(driver, """
            import contextlib, io, json, sys
            package, cases = sys.argv[1], sys.argv[2]
            sys.path.insert(0, package)
            import train
            results = []
            for argv in json.load(open(cases)):
                stderr, code = io.StringIO(), 0
                with contextlib.redirect_stderr(stderr), contextlib.redirect_stdout(io.StringIO()):
                    try:
                        train.main(argv + ["--threads", "1", "--out", package + "/not-written"])
                    except SystemExit as e:
                        code = e.code
                results.append({"code": code, "stderr": stderr.getvalue()})
            lr = {o: train.parse_arguments(["--optimizer", o]).lr for o in ("sgd", "adam", "adamw")}
            lr["adam --lr 0.01"] = train.parse_arguments(["--optimizer", "adam", "--lr", "0.01"]).lr
            print(json.dumps({"results": results, "lr": lr}))
            """);
        var (stdout, _) = Python_(driver, package, casesFile);
        using var answer = JsonDocument.Parse(stdout);
        var results = answer.RootElement.GetProperty("results").EnumerateArray().ToList();
        Assert.Equal(cases.Length, results.Count);
        for (int i = 0; i < cases.Length; i++)
        {
            string shown = $"train.py {string.Join(' ', cases[i].Args)}";
            Assert.True(results[i].GetProperty("code").GetInt32() == 2, $"{shown}: exit code {results[i].GetProperty("code")}, expected 2");
            Assert.Equal($"error: {cases[i].Expected}\n", results[i].GetProperty("stderr").GetString());
        }
        var lr = answer.RootElement.GetProperty("lr");
        Assert.Equal(0.02, lr.GetProperty("sgd").GetDouble());
        Assert.Equal(TrainingOptions.DefaultLearningRate("adam"), lr.GetProperty("adam").GetDouble());
        Assert.Equal(TrainingOptions.DefaultLearningRate("adamw"), lr.GetProperty("adamw").GetDouble());
        Assert.Equal(0.01, lr.GetProperty("adam --lr 0.01").GetDouble());

        var (code, _, stderr) = RunPython([Path.Combine(package, "train.py"), "--dataset", $"csv:{missing},{test}"], TimeSpan.FromMinutes(2));
        Assert.Equal(2, code);
        Assert.Equal($"error: {missing}: file not found\n", stderr);
    }

    /// <summary>
    /// Two ranks started one per command, as on two machines: rank 0 with --rank, --world-size, --master-addr and
    /// --master-port, rank 1 with torchrun's variables only (RANK, WORLD_SIZE, MASTER_ADDR, MASTER_PORT). They make
    /// one run of two processes: both end with the same weights, and rank 0 writes the folder.
    /// </summary>
    [Fact]
    public async Task Ranks_started_by_options_or_by_torchrun_variables_make_one_run()
    {
        if (!TorchAvailable()) return;
        var (train, test) = Blobs(120, 30);
        string package = Path.Combine(_dir, "package"), script = Path.Combine(package, "train.py");
        string out0 = Path.Combine(_dir, "rank0"), out1 = Path.Combine(_dir, "rank1");
        var model = ModelFile.Build<float>(ModelFile.Parse(BlobsModel, "blobs"), "blobs");
        PyTorchExport.Write(package, model, preparation: null, PyTorchRecipe.Fresh(new TrainingOptions { Epochs = 1, BatchSize = 16, Standardize = true }, $"csv:{train},{test}"));
        string port = FreePort().ToString(CultureInfo.InvariantCulture);
        var timeout = TimeSpan.FromMinutes(3);
        var rank0 = Task.Run(() => RunPython([script, "--rank", "0", "--world-size", "2", "--master-addr", "127.0.0.1", "--master-port", port, "--threads", "1", "--out", out0], timeout));
        var rank1 = Task.Run(() => PythonProcess.Run([script, "--threads", "1", "--out", out1], timeout, environment: new Dictionary<string, string>
        {
            ["RANK"] = "1", ["WORLD_SIZE"] = "2", ["MASTER_ADDR"] = "127.0.0.1", ["MASTER_PORT"] = port,
        }));
        var (code0, stdout0, stderr0) = await rank0;
        var (code1, stdout1, stderr1) = await rank1;
        output.WriteLine(stdout0 + stdout1);
        Assert.True(code0 == 0, $"rank 0: {stderr0}");
        Assert.True(code1 == 0, $"rank 1: {stderr1}");
        Assert.Contains("2 processes", stdout0);
        var weights = RankWeights().Matches(stdout0 + stdout1).ToDictionary(m => m.Groups[1].Value, m => m.Groups[2].Value);
        Assert.Equal(["0", "1"], weights.Keys.Order());
        Assert.Equal(weights["0"], weights["1"]);
        Assert.True(File.Exists(Path.Combine(out0, RunFiles.Weights)));
        Assert.False(Directory.Exists(out1));
    }

    /// <summary>
    /// A model whose outputs depend on the batch (batch normalisation without running statistics), on 300 test
    /// images: train.py's test loss and accuracy are those `backprop eval` computes for the folder it writes, since
    /// both evaluate in batches of <see cref="Classifier{T}.DefaultBatchSize"/> (in batches of 128, they differ).
    /// </summary>
    [Fact]
    public void The_test_figures_are_evals_for_a_model_that_depends_on_the_batch()
    {
        if (!TorchAvailable()) return;
        string dataset = SyntheticIdx.Write(Path.Combine(_dir, "idx"), trainCount: 100, testCount: 300);
        string package = Path.Combine(_dir, "package"), trained = Path.Combine(_dir, "trained");
        var model = ModelFile.Build<float>(ModelFile.Parse("""
            {"input": [1, 6, 6], "layers": [
              {"type": "conv2d", "out_channels": 2, "kernel_size": 3, "padding": 1},
              {"type": "batchnorm2d", "track_running_stats": false}, {"type": "relu"},
              {"type": "flatten"}, {"type": "linear", "out": 3}]}
            """, "batch-dependent"), "batch-dependent");
        PyTorchExport.Write(package, model, preparation: null, PyTorchRecipe.Fresh(new TrainingOptions { Epochs = 1, BatchSize = 50 }, dataset));
        var (stdout, _) = Python_(Path.Combine(package, "train.py"), "--threads", "1", "--out", trained);
        var printed = TestResult().Match(stdout);
        Assert.True(printed.Success, stdout);

        var back = TrainedModel.Load(trained, dataset); // as `backprop eval --model trained --dataset idx:...` evaluates it
        var data = DatasetSource.Load(dataset, DataSplit.Test);
        back.Prepare(data);
        var evaluation = new Classifier<float>(back.Model).Evaluate(data);
        double torchLoss = double.Parse(printed.Groups[1].Value, CultureInfo.InvariantCulture);
        Assert.True(Math.Abs(evaluation.Loss - torchLoss) <= 1e-6, $"test loss: eval {evaluation.Loss:R}, train.py {torchLoss:R}");
        Assert.Equal((int)Math.Round(evaluation.Accuracy * data.Count), int.Parse(printed.Groups[2].Value, CultureInfo.InvariantCulture));
    }
}
