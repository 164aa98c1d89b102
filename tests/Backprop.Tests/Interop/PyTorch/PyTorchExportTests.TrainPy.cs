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
    /// A run's relative dataset paths are relative to the directory train ran in, which the run does not record:
    /// export resolves them against its own directory, and when they name nothing there (as when export runs in
    /// another directory, or the data moved) it refuses, saying so, rather than write down full paths of nothing.
    /// </summary>
    [Fact]
    public void A_relative_dataset_path_that_is_not_there_is_refused_at_export()
    {
        var (train, test) = Blobs(30, 10);
        string Relative(string path) => Path.GetRelativePath(Environment.CurrentDirectory, path);
        string dataset = $"csv:{Relative(train)},{Relative(test)}", run = Path.Combine(_dir, "run");
        TrainingRun.Run(ModelFile.Parse(BlobsModel, "blobs"), dataset, new TrainingOptions { Epochs = 1, BatchSize = 10 }, run, new StepLosses());
        string moved = Path.Combine(_dir, "moved");
        Directory.Move(Path.GetDirectoryName(train)!, moved);
        var e = Assert.Throws<BackpropException>(() => PyTorchExport.Export(run, Path.Combine(_dir, "package")));
        Assert.Equal($"{Path.Combine(run, RunFiles.Checkpoint)}: __metadata__.{RunState.Key}.dataset: '{dataset}' names {Relative(train)}, " +
            $"relative to the directory backprop train ran in, and there is no {Relative(train)} in {Environment.CurrentDirectory}; " +
            "run backprop export in the directory train ran in (train.py's --dataset can name the data by full paths afterwards)", e.Message);
        Assert.False(Directory.Exists(Path.Combine(_dir, "package")));
    }

    /// <summary>
    /// train.py refuses what <c>backprop train</c> refuses, with train's message (from the same checks: options,
    /// dataset specs, files, CSV cells and labels, data that does not fit the model, an optimiser state of another
    /// model), as one line "error: ..." and exit code 2; what only train.py reads (--weights, --optimizer-state,
    /// torchrun's variables, --threads) is refused in one line naming the file, variable or option. --lr is the
    /// run's with the run's optimiser, otherwise train's default for the optimiser; a CSV spec in any case is not
    /// scaled. The cases run in one python3 process through train.main(); one more runs as a command, to see the exit
    /// code and that nothing else is printed.
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
        // A training file with one bad line (the second data row), and train's refusal of it.
        string BadCsv(string name, string header, string row)
        {
            string path = Path.Combine(_dir, name);
            File.WriteAllText(path, $"{header}\n1,2,0,3,4\n{row}\n");
            return path;
        }
        (string[] Args, string Expected, bool Exact) CsvRefusal(string path) =>
            (["--dataset", $"csv:{path},{test}"], DatasetRefusal($"csv:{path},{test}", DataSplit.Train), true);
        const string Header = "f1,f2,label,f3,f4";
        string notUtf8 = Path.Combine(_dir, "latin1.csv"), corruptGzip = Path.Combine(_dir, "corrupt.csv.gz");
        File.WriteAllBytes(notUtf8, [.. Encoding.ASCII.GetBytes($"{Header}\n1,"), 0xE9, .. Encoding.ASCII.GetBytes(",0,3,4\n")]);
        using (var gz = new System.IO.Compression.GZipStream(File.Create(corruptGzip), System.IO.Compression.CompressionLevel.Optimal))
            gz.Write(Encoding.ASCII.GetBytes(File.ReadAllText(train)));
        var bytes = File.ReadAllBytes(corruptGzip);
        for (int i = 12; i < 40; i++) bytes[i] ^= 0x5A; // the deflate data, after the 10-byte header
        File.WriteAllBytes(corruptGzip, bytes);
        string empty = Path.Combine(_dir, "empty.safetensors"), directory = Directory.CreateDirectory(Path.Combine(_dir, "a-directory")).FullName;
        File.WriteAllBytes(empty, []);
        // the optimiser state of another model: momentum for a first layer of 3 units, where this one has 16
        string otherState = Path.Combine(_dir, "other-optimizer.safetensors");
        Safetensors.Save(otherState, [("0.weight.momentum_buffer", new Backprop.Tensors.Tensor<float>(new float[12], [3, 4]))],
            new Dictionary<string, string> { ["optimizer"] = options.Optimizer, ["step"] = "1" });

        var cases = new (string[] Args, string Expected, bool Exact)[]
        {
            (["--epochs", "0"], OptionsRefusal(options with { Epochs = 0 }), true),
            (["--batch-size", "0"], OptionsRefusal(options with { BatchSize = 0 }), true),
            (["--lr", "-1"], OptionsRefusal(options with { LearningRate = -1 }), true),
            (["--lr", "nan"], OptionsRefusal(options with { LearningRate = double.NaN }), true),
            (["--lr=-inf"], OptionsRefusal(options with { LearningRate = double.NegativeInfinity }), true),
            (["--lr", "-0"], OptionsRefusal(options with { LearningRate = -0.0 }), true),
            (["--momentum", "1"], OptionsRefusal(options with { Momentum = 1 }), true),
            (["--momentum", "1e16"], OptionsRefusal(options with { Momentum = 1e16 }), true),
            (["--momentum", "1e17"], OptionsRefusal(options with { Momentum = 1e17 }), true),
            (["--weight-decay", "-0.5"], OptionsRefusal(options with { WeightDecay = -0.5 }), true),
            (["--weight-decay", "-0.0001"], OptionsRefusal(options with { WeightDecay = -0.0001 }), true),
            (["--weight-decay=-1e-5"], OptionsRefusal(options with { WeightDecay = -1e-5 }), true),
            (["--validation", "1"], OptionsRefusal(options with { ValidationFraction = 1 }), true),
            (["--patience", "0"], OptionsRefusal(options with { Patience = 0 }), true),
            (["--shift", "-1"], OptionsRefusal(options with { MaxShift = -1 }), true),
            (["--label-smoothing", "2"], OptionsRefusal(options with { LabelSmoothing = 2 }), true),
            (["--label-smoothing", "0.1", "--loss", "multiclass_perceptron"], OptionsRefusal(options with { LabelSmoothing = 0.1, Loss = "multiclass_perceptron" }), true),
            (["--standardize", "--flip"], OptionsRefusal(options with { Standardize = true, FlipHorizontally = true }), true),
            (["--standardize", "--shift", "2"], OptionsRefusal(options with { Standardize = true, MaxShift = 2 }), true),
            (["--limit", "0"], OptionsRefusal(options with { Limit = 0 }), true),
            (["--dataset", $"csv:{train}"], DatasetRefusal($"csv:{train}", DataSplit.Test), true),
            (["--dataset", $"csv:{train},{test},{test}"], DatasetRefusal($"csv:{train},{test},{test}", DataSplit.Train), true),
            (["--dataset", $"csv:{missing},{test}"], DatasetRefusal($"csv:{missing},{test}", DataSplit.Train), true),
            (["--dataset", $"idx:{missing}"], DatasetRefusal($"idx:{missing}", DataSplit.Train), true),
            (["--dataset", "mnist"], DatasetRefusal("mnist", DataSplit.Train), true),
            (["--dataset", "fashion-mnist", "--label-column", "kind"], DatasetRefusal("fashion-mnist", DataSplit.Train, "kind"), true),
            (["--dataset", $"csv:{points}"], Assert.Throws<BackpropException>(() =>
                new Classifier<float>(model).CheckData(DatasetSource.Load($"csv:{points}", DataSplit.Train), $"csv:{points}")).Message, true),
            // CSV cells and labels train refuses, and Python's float() would take
            CsvRefusal(BadCsv("nan.csv", Header, "1,nan,0,3,4")),
            CsvRefusal(BadCsv("infinity.csv", Header, "1,-Infinity,0,3,4")),
            CsvRefusal(BadCsv("inf.csv", Header, "1,inf,0,3,4")),
            CsvRefusal(BadCsv("float32-overflow.csv", Header, "1,1e39,0,3,4")),
            CsvRefusal(BadCsv("underscore.csv", Header, "1,1_000,0,3,4")),
            CsvRefusal(BadCsv("empty-cell.csv", Header, "1,,0,3,4")),
            CsvRefusal(BadCsv("empty-label.csv", Header, "1,2,,3,4")),
            CsvRefusal(BadCsv("no-label.csv", "f1,f2,kind,f3,f4", "1,2,0,3,4")),
            CsvRefusal(BadCsv("one-field.csv", Header, "1")),
            CsvRefusal(notUtf8), // train reads it with U+FFFD for the byte, and refuses that cell
            (["--dataset", $"csv:{corruptGzip},{test}"], $"{corruptGzip}: corrupt gzip data: ", false),
            // what only train.py reads
            (["--weights", empty], $"{empty}: ", false),
            (["--weights", directory], $"{directory}: ", false),
            (["--optimizer-state", empty], $"{empty}: ", false),
            (["--optimizer-state", directory], $"{directory}: ", false),
            (["--optimizer-state", otherState], $"{otherState}: tensor '0.weight.momentum_buffer' is [3, 4] but the parameter's state is [16, 4]", true),
            (["--threads", "-1"], "--threads: expected at least 1, got -1", true),
            (["--master-port", "70000"], "--master-port: expected a port in 1..65535, got 70000", true),
            (["env", "RANK=x"], "RANK: expected an integer, got 'x'", true),
            (["env", "WORLD_SIZE=two"], "WORLD_SIZE: expected an integer, got 'two'", true),
            (["env", "MASTER_PORT=p"], "MASTER_PORT: expected an integer, got 'p'", true),
            (["env", "MASTER_PORT=0"], "MASTER_PORT: expected a port in 1..65535, got 0", true),
        };
        string casesFile = Path.Combine(_dir, "cases.json"), driver = Path.Combine(_dir, "driver.py");
        File.WriteAllText(casesFile, JsonSerializer.Serialize(cases.Select(c => c.Args)));
        File.WriteAllText(driver, """
            import contextlib, io, json, os, sys
            package, cases = sys.argv[1], sys.argv[2]
            sys.path.insert(0, package)
            import train
            results = []
            for argv in json.load(open(cases)):
                environment = dict(os.environ)
                if argv[0] == "env":  # ["env", "NAME=VALUE"]: a variable as torchrun sets it
                    name, value = argv[1].split("=", 1)
                    os.environ[name], argv = value, []
                stderr, code = io.StringIO(), 0
                with contextlib.redirect_stderr(stderr), contextlib.redirect_stdout(io.StringIO()):
                    try:
                        train.main(["--threads", "1", "--out", package + "/not-written"] + argv)
                    except SystemExit as e:
                        code = e.code
                    except Exception as e:  # a traceback where a refusal belongs
                        code, _ = 1, stderr.write(f"{type(e).__name__}: {e}\n")
                os.environ.clear()
                os.environ.update(environment)
                results.append({"code": code, "stderr": stderr.getvalue()})
            lr = {o: train.parse_arguments(["--optimizer", o]).lr for o in ("sgd", "adam", "adamw")}
            lr["adam --lr 0.01"] = train.parse_arguments(["--optimizer", "adam", "--lr", "0.01"]).lr
            scale = {spec: train.scale_for(spec) for spec in ("csv:a.csv,b.csv", " CSV:a.csv,b.csv", "idx:CSV:")}
            print(json.dumps({"results": results, "lr": lr, "scale": scale}))
            """);
        var (stdout, _) = Python_(driver, package, casesFile);
        using var answer = JsonDocument.Parse(stdout);
        var results = answer.RootElement.GetProperty("results").EnumerateArray().ToList();
        Assert.Equal(cases.Length, results.Count);
        var wrong = new List<string>(); // every case's fault at once
        for (int i = 0; i < cases.Length; i++)
        {
            string shown = $"train.py {string.Join(' ', cases[i].Args)}", printed = results[i].GetProperty("stderr").GetString()!;
            bool right = results[i].GetProperty("code").GetInt32() == 2 && (cases[i].Exact
                ? printed == $"error: {cases[i].Expected}\n"
                : printed.StartsWith($"error: {cases[i].Expected}", StringComparison.Ordinal) && printed.IndexOf('\n') == printed.Length - 1);
            if (!right)
                wrong.Add($"{shown}: exit code {results[i].GetProperty("code")} and {printed.TrimEnd()}; expected exit code 2 and " +
                    $"error: {cases[i].Expected}{(cases[i].Exact ? "" : "...")} in one line");
        }
        Assert.True(wrong.Count == 0, string.Join("\n", wrong));
        var lr = answer.RootElement.GetProperty("lr");
        Assert.Equal(0.02, lr.GetProperty("sgd").GetDouble());
        Assert.Equal(TrainingOptions.DefaultLearningRate("adam"), lr.GetProperty("adam").GetDouble());
        Assert.Equal(TrainingOptions.DefaultLearningRate("adamw"), lr.GetProperty("adamw").GetDouble());
        Assert.Equal(0.01, lr.GetProperty("adam --lr 0.01").GetDouble());
        foreach (var spec in answer.RootElement.GetProperty("scale").EnumerateObject())
        {
            float? scale = spec.Value.ValueKind == JsonValueKind.Null ? null : spec.Value.GetSingle();
            Assert.True(DataPreparation.ScaleFor(spec.Name) == scale, $"scale of '{spec.Name}': train.py {scale}, train {DataPreparation.ScaleFor(spec.Name)}");
        }

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
