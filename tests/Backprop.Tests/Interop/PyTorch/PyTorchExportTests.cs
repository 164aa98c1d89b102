using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Numerics;
using System.Text.RegularExpressions;
using Backprop.Architectures;
using Backprop.Cli;
using Backprop.Data;
using Backprop.Examples;
using Backprop.Explore;
using Backprop.IO;
using Backprop.Layers;
using Backprop.Models;
using Backprop.Numerics;
using Backprop.Runs;
using Backprop.Tensors;
using Backprop.Training;
using Xunit.Abstractions;

using Backprop.Tests.Support;

namespace Backprop.Tests.Interop.PyTorch;

/// <summary>
/// `backprop export --format pytorch` against Debian's PyTorch (python3-torch 1.13): the exported model.py loads
/// model.safetensors with strict=True and computes Backprop's outputs; train.py runs on two ranks (DDP, gloo,
/// loopback, one thread each) and its weights come back into Backprop; a checkpoint continues in PyTorch with
/// Backprop's next losses; bad files are refused naming the tensor. Without python3 and torch the tests fail when
/// CI=true and otherwise pass with a note; the training tests need Fashion-MNIST likewise.
/// </summary>
public sealed partial class PyTorchExportTests(ITestOutputHelper output) : IDisposable
{
    private const string Python = PythonProcess.Path;
    private readonly string _dir = Directory.CreateTempSubdirectory("backprop-pytorch-export-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static readonly Lazy<string?> Unavailable = new(() => PythonProcess.TorchUnavailable);

    private static (int Code, string Stdout, string Stderr) RunPython(IEnumerable<string> arguments, TimeSpan timeout, string? workingDirectory = null) => PythonProcess.Run(arguments, timeout, workingDirectory);

    private (string Stdout, string Stderr) Python_(params string[] arguments)
    {
        var (code, stdout, stderr) = RunPython(arguments, TimeSpan.FromMinutes(3));
        output.WriteLine(stdout);
        Assert.True(code == 0, $"python3 {string.Join(' ', arguments)} exited with {code}:\n{stderr}");
        return (stdout, stderr);
    }

    private bool TorchAvailable()
    {
        if (Unavailable.Value is not { } why) return true;
        if (Environment.GetEnvironmentVariable("CI") == "true") Assert.Fail($"the PyTorch export tests need torch on CI: {why}");
        output.WriteLine($"skipped: {why}");
        return false;
    }

    private bool FashionMnistAvailable()
    {
        if (Directory.Exists(DatasetSource.FashionMnistDirectory)) return true;
        Assert.False(Environment.GetEnvironmentVariable("CI") == "true", "Fashion-MNIST is missing: apt-get install dataset-fashion-mnist");
        output.WriteLine("skipped: Fashion-MNIST is not installed");
        return false;
    }

    private static (int Code, string Stdout, string Stderr) Cli(params string[] args) => CliRun.Run(args);

    private static Sequential<T> BuiltIn<T>(string name) where T : unmanaged, IFloatingPointIeee754<T> =>
        Architecture.Names.Contains(name)
            ? ModelFile.Build<T>(ModelFile.Parse(Architecture.ModelText(name), name), name)
            : Problem.FromExample<T>(name).Model;

    private static IEnumerable<string> ModelNames => [.. Architecture.Names, .. Problem.Examples.Select(e => e.Name)];

    /// <summary>
    /// Two handwritten models that hold, between them, every layer type a model file may name, with arguments away
    /// from the defaults (stride, padding, no bias, slope, scale, β and threshold, p, batch normalisation without
    /// affine parameters or running statistics and with momentum null): model.py's modules must take each argument
    /// as Backprop's layers do.
    /// </summary>
    private static readonly (string Name, string Json)[] EveryLayer =
    [
        ("every-layer-2d", """
            {"input": [2, 8, 8], "layers": [
              {"type": "conv2d", "out_channels": 3, "kernel_size": 3, "stride": 1, "padding": 1},
              {"type": "batchnorm2d", "eps": 0.001, "affine": false, "track_running_stats": false},
              {"type": "leaky_relu", "negative_slope": 0.2},
              {"type": "maxpool2d", "kernel_size": 2},
              {"type": "avgpool2d", "kernel_size": 2, "stride": 1},
              {"type": "tanh"},
              {"type": "flatten"},
              {"type": "linear", "out": 12},
              {"type": "batchnorm1d", "eps": 0.01, "momentum": null},
              {"type": "softplus", "beta": 2, "threshold": 1},
              {"type": "gelu"},
              {"type": "dropout", "p": 0.3},
              {"type": "linear", "out": 6},
              {"type": "sigmoid"},
              {"type": "softmax"},
              {"type": "linear", "out": 5},
              {"type": "relu", "scale": 2},
              {"type": "identity"}]}
            """),
        ("every-layer-1d", """
            {"input": [2, 9], "layers": [
              {"type": "conv1d", "out_channels": 3, "kernel_size": 3, "stride": 2, "padding": 1, "bias": false},
              {"type": "batchnorm1d", "affine": false, "track_running_stats": false},
              {"type": "relu"},
              {"type": "flatten"},
              {"type": "linear", "out": 4, "bias": false},
              {"type": "batchnorm1d", "momentum": 0.3},
              {"type": "linear", "out": 3}]}
            """),
    ];

    /// <summary>A handwritten model with every parameter drawn from [-1, 1] (batch normalisation's weight and bias too, which start at 1 and 0).</summary>
    private static Sequential<T> Handwritten<T>(string name, string json) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var model = ModelFile.Build<T>(ModelFile.Parse(json, name), name);
        var rng = new Rng(7);
        foreach (var (_, p) in model.NamedParameters)
            for (int k = 0; k < p.Value.Length; k++) p.Value.Span[k] = T.CreateChecked(rng.Uniform(-1, 1));
        return model;
    }

    [Fact]
    public void The_handwritten_models_hold_every_layer_type()
    {
        var types = EveryLayer.SelectMany(m => Handwritten<float>(m.Name, m.Json).Layers.Select(l => l.Type)).ToHashSet();
        Assert.Empty(LayerKinds.Names.Except(types));
    }

    /// <summary>
    /// Every built-in architecture and example, and the handwritten models of every layer type, in float32 and
    /// float64: model.py's network, loaded from model.safetensors with strict=True, gives Backprop's outputs in
    /// evaluation mode (batch normalisation with random running statistics) to 1e-6 (float32) and 1e-12 (float64),
    /// relative to the outputs' size. One python3 process checks them all.
    /// </summary>
    [Fact]
    public void Model_py_loads_the_weights_strictly_and_gives_our_outputs()
    {
        if (!TorchAvailable()) return;
        var cases = new List<(string Dir, string Precision, Func<float[], (double Max, string Failure)> Compare)>();
        foreach (string name in ModelNames)
        {
            cases.Add(Case(name, BuiltIn<float>(name), 1e-6));
            cases.Add(Case(name, BuiltIn<double>(name), 1e-12));
        }
        foreach (var (name, json) in EveryLayer)
        {
            cases.Add(Case(name, Handwritten<float>(name, json), 1e-6));
            cases.Add(Case(name, Handwritten<double>(name, json), 1e-12));
        }
        string script = Path.Combine(_dir, "check.py");
        File.WriteAllText(script, """
            import importlib.util, sys, torch
            for i, (folder, precision) in enumerate(zip(sys.argv[1::2], sys.argv[2::2])):
                spec = importlib.util.spec_from_file_location(f"exported{i}", f"{folder}/model.py")
                m = importlib.util.module_from_spec(spec)
                spec.loader.exec_module(m)
                dtype = torch.float64 if precision == "f64" else torch.float32
                net = m.load(dtype=dtype)  # load_state_dict(strict=True)
                x, _ = m.load_safetensors(f"{folder}/input.safetensors")
                with torch.no_grad():
                    y = net(x["x"])
                assert y.dtype == dtype, (folder, y.dtype)
                m.save_safetensors(f"{folder}/output.safetensors", {"y": y})
            """);
        Python_([script, .. cases.SelectMany(c => new[] { c.Dir, c.Precision })]);
        var failures = new List<string>();
        foreach (var (dir, precision, compare) in cases)
        {
            var file = SafetensorsFile.Read(Path.Combine(dir, "output.safetensors"));
            Assert.Equal(precision == "f64" ? "F64" : "F32", file.Entry("y").Dtype);
            var (max, failure) = compare([]);
            output.WriteLine($"{Path.GetFileName(dir)}: largest difference {max:G3} (relative to the output's size)");
            if (failure.Length > 0) failures.Add(failure);
        }
        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    private (string, string, Func<float[], (double, string)>) Case<T>(string name, Sequential<T> model, double tolerance) where T : unmanaged, IFloatingPointIeee754<T>
    {
        bool single = typeof(T) == typeof(float);
        string dir = Path.Combine(_dir, $"{name}-{(single ? "f32" : "f64")}");
        var rng = new Rng(42);
        foreach (var (_, buffer) in model.NamedBuffers) // running statistics that are not the defaults
            if (buffer.Name is "running_mean" or "running_var")
                for (int k = 0; k < buffer.Value.Length; k++)
                    buffer.Value.Span[k] = T.CreateChecked(buffer.Name == "running_mean" ? rng.Uniform(-0.5, 0.5) : rng.Uniform(0.5, 2));
        model.Eval();
        var x = new Tensor<T>(Tensor.Batched(3, model.InputShape));
        for (int k = 0; k < x.Length; k++) x.Span[k] = T.CreateChecked(rng.Uniform(-1, 1));
        var expected = model.Forward(x).Clone();
        PyTorchExport.Write(dir, model, preparation: null, PyTorchRecipe.Fresh(), name);
        Safetensors.Save(Path.Combine(dir, "input.safetensors"), [("x", x)]);
        // the comparison reads float64 values; for float32 they are the float32 outputs exactly
        double[] ours = expected.Data.Select(v => double.CreateChecked(v)).ToArray();
        return (dir, single ? "f32" : "f64", _ =>
        {
            var theirs = SafetensorsFile.Read(Path.Combine(dir, "output.safetensors")).Get<double>("y").Data;
            double size = Math.Max(1, ours.Max(Math.Abs)), max = 0;
            for (int k = 0; k < ours.Length; k++) max = Math.Max(max, Math.Abs(ours[k] - theirs[k]) / size);
            return (max, max <= tolerance ? "" : $"{name} ({(single ? "float32" : "float64")}): outputs differ by {max:G3} relative, over {tolerance:G1}");
        });
    }

    private static int FreePort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    [GeneratedRegex(@"^step 1 \(epoch 1\) loss (\S+)", RegexOptions.Multiline)]
    private static partial Regex FirstStep();

    [GeneratedRegex(@"^rank (\d+): weights sha256 ([0-9a-f]{64})", RegexOptions.Multiline)]
    private static partial Regex RankWeights();

    [GeneratedRegex(@"^test loss (\S+) accuracy \S+ \((\d+)/(\d+)\)", RegexOptions.Multiline)]
    private static partial Regex TestResult();

    [GeneratedRegex(@"examples: loss (\S+), accuracy (\S+)")]
    private static partial Regex EvalResult();

    /// <summary>
    /// Two ranks of train.py (DDP, gloo, loopback, a thread each) on the first 6,000 training images for one epoch:
    /// the run finishes, the loss falls, both ranks end with the same weights, and the folder it writes opens in
    /// eval (with PyTorch's test accuracy, to one example in 10,000), predict, trace, gradflow, dream, the ONNX export,
    /// summary and explore (whose page serves trace's worked solution of the folder).
    /// </summary>
    [Fact]
    public async Task Ddp_on_two_ranks_trains_and_its_weights_come_back()
    {
        if (!TorchAvailable() || !FashionMnistAvailable()) return;
        string package = Path.Combine(_dir, "mlp"), trained = Path.Combine(_dir, "trained");
        PyTorchExport.Write(package, BuiltIn<float>("mlp"), new DataPreparation(255f, null, null),
            PyTorchRecipe.Fresh(new TrainingOptions { Epochs = 1, Limit = 6000, Seed = 3 }), "mlp");
        var clock = Stopwatch.StartNew();
        var (stdout, _) = Python_(Path.Combine(package, "train.py"), "--nproc", "2", "--threads", "1", "--master-addr", "127.0.0.1",
            "--master-port", FreePort().ToString(CultureInfo.InvariantCulture), "--print-steps", "1", "--out", trained);
        output.WriteLine($"train.py on two ranks: {clock.Elapsed.TotalSeconds:F1} s");

        double firstLoss = double.Parse(FirstStep().Match(stdout).Groups[1].Value, CultureInfo.InvariantCulture);
        var test = TestResult().Match(stdout);
        Assert.True(test.Success, stdout);
        double testLoss = double.Parse(test.Groups[1].Value, CultureInfo.InvariantCulture);
        Assert.True(testLoss < 0.8 * firstLoss, $"the loss did not fall: first step {firstLoss}, test loss after the epoch {testLoss}");
        var ranks = RankWeights().Matches(stdout).ToDictionary(m => m.Groups[1].Value, m => m.Groups[2].Value);
        Assert.Equal(["0", "1"], ranks.Keys.Order());
        Assert.Equal(ranks["0"], ranks["1"]);

        double torchAccuracy = int.Parse(test.Groups[2].Value, CultureInfo.InvariantCulture) / double.Parse(test.Groups[3].Value, CultureInfo.InvariantCulture);
        var (code, evalOut, evalErr) = Cli("eval", "--model", trained);
        Assert.True(code == 0, evalErr);
        var ours = EvalResult().Match(evalOut);
        double accuracy = double.Parse(ours.Groups[2].Value, CultureInfo.InvariantCulture);
        Assert.True(Math.Abs(accuracy - torchAccuracy) <= 1e-4 + 1e-9, $"backprop eval: accuracy {accuracy}, PyTorch printed {torchAccuracy}");
        Assert.Equal(testLoss, double.Parse(ours.Groups[1].Value, CultureInfo.InvariantCulture), 4);

        // the same weights through the other commands
        var example = DatasetSource.Load("fashion-mnist", DataSplit.Test).Subset([0, 1]);
        new DataPreparation(255f, null, null).Apply(example);
        string data = Path.Combine(_dir, "two.json");
        File.WriteAllText(data, $$"""{"x": {{Nested(example.Features, [2, 1, 28, 28])}}, "y": [{{example.Labels[0]}}, {{example.Labels[1]}}]}""");
        foreach (var args in new[]
        {
            new[] { "predict", "--model", trained, "--index", "0,1" },
            ["trace", "--model", trained, "--data", data, "--loss", "cross_entropy", "--digits", "3"],
            ["gradflow", "--model", trained, "--data", data, "--loss", "cross_entropy"],
            ["dream", "--model", trained, "--class", "0", "--steps", "2", "--octaves", "1", "--out", Path.Combine(_dir, "dream.png")],
            ["export", "--model", trained, "--format", "onnx", "--out", Path.Combine(_dir, "trained.onnx")],
            ["summary", "--model", trained],
        })
        {
            var (c, _, err) = Cli(args);
            Assert.True(c == 0, $"backprop {string.Join(' ', args)}: exit {c}: {err}");
        }
        // explore serves trace's worked solution of the folder
        var session = new ExploreSession(Problem.FromFiles<double>(trained, data, "cross_entropy"), trained);
        await using var server = await ExploreServer.StartAsync(session);
        using var client = new HttpClient { BaseAddress = server.Url };
        string trace = CliRun.Ok("trace", "--model", trained, "--data", data, "--loss", "cross_entropy", "--format", "json");
        Assert.Equal(trace, await client.GetStringAsync("/api/solution"));
    }

    private static string Nested(float[] values, int[] shape)
    {
        string Build(int dim, int offset, int stride) => dim == shape.Length
            ? values[offset].ToString("R", CultureInfo.InvariantCulture)
            : "[" + string.Join(",", Enumerable.Range(0, shape[dim]).Select(i => Build(dim + 1, offset + i * (stride / shape[dim]), stride / shape[dim]))) + "]";
        return Build(0, 0, values.Length);
    }

    private sealed class StepLosses : ITrainingReporter
    {
        private double _sum;
        public List<(int Epoch, double Loss)> Steps { get; } = [];
        private int _done;
        public void Message(string text) { }
        public void EpochStarted(int epoch, int epochs, int examples) => (_sum, _done) = (0, 0);
        public void Batch(BatchProgress p)
        {
            double sum = p.RunningLoss * p.ExamplesDone;
            Steps.Add((p.Epoch, (sum - _sum) / (p.ExamplesDone - _done)));
            (_sum, _done) = (sum, p.ExamplesDone);
        }
        public void EpochFinished(EpochMetrics metrics) { }
    }

    [GeneratedRegex(@"^step (\d+) \(epoch 2\) loss (\S+)", RegexOptions.Multiline)]
    private static partial Regex SecondEpochStep();

    /// <summary>
    /// A run's checkpoint after one epoch, exported with its optimiser state, continues in PyTorch: the losses of
    /// the next steps (the first shows the weights, the later ones the optimiser's state and step count) are
    /// Backprop's own when it resumes, to 1e-5.
    /// </summary>
    [Theory]
    [InlineData("sgd")]
    [InlineData("adam")]
    [InlineData("adamw")]
    public void A_checkpoint_continues_in_pytorch_with_our_next_losses(string optimizer)
    {
        if (!TorchAvailable() || !FashionMnistAvailable()) return;
        string run = Path.Combine(_dir, "run"), package = Path.Combine(_dir, "package");
        var spec = ModelFile.Parse(Architecture.ModelText("mlp"), "mlp");
        var options = new TrainingOptions
        {
            Epochs = 1, Limit = 1000, Seed = 5, Optimizer = optimizer, LearningRate = optimizer == "sgd" ? 0.05 : 0.002,
            WeightDecay = optimizer == "sgd" ? 0.0005 : 0.05, BatchSize = 100,
        };
        TrainingRun.Run(spec, "fashion-mnist", options, run, new StepLosses());
        PyTorchExport.Export(run, package, epochs: 2);
        Assert.True(File.Exists(Path.Combine(package, PyTorchExport.OptimizerFile)));

        var ours = new StepLosses();
        TrainingRun.Run(spec, "fashion-mnist", options with { Epochs = 2 }, run, ours, resume: true);
        var (stdout, _) = Python_(Path.Combine(package, "train.py"), "--threads", "1", "--print-steps", "4", "--out", Path.Combine(_dir, "torch-out"));
        var theirs = SecondEpochStep().Matches(stdout).Select(m => double.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture)).ToList();
        var expected = ours.Steps.Where(s => s.Epoch == 1).Select(s => s.Loss).Take(4).ToList();
        Assert.Equal(4, theirs.Count);
        for (int k = 0; k < 4; k++)
        {
            output.WriteLine($"step {k + 1}: Backprop {expected[k]:R}, PyTorch {theirs[k]:R}");
            Assert.True(Math.Abs(expected[k] - theirs[k]) <= 1e-5, $"step {k + 1} of epoch 2: Backprop {expected[k]:R}, PyTorch {theirs[k]:R}");
        }
    }

    /// <summary>A layer the export has no PyTorch module for is refused, naming it, before anything is written.</summary>
    [Fact]
    public void A_layer_pytorch_cannot_express_is_refused()
    {
        var model = new Sequential<double>([2], [new DiagonalLinear<double>(2)]);
        var e = Assert.Throws<BackpropException>(() => PyTorchExport.Write(Path.Combine(_dir, "diagonal"), model, null, PyTorchRecipe.Fresh()));
        Assert.StartsWith("layers[0] (diagonal_linear): no PyTorch equivalent", e.Message);
        Assert.False(Directory.Exists(Path.Combine(_dir, "diagonal")));
    }

    /// <summary>
    /// Files written by PyTorch with model.py's writer whose tensors do not fit model.json: a shape, a dtype, an
    /// unknown and a missing name, and the names of a DistributedDataParallel wrapper. eval refuses each with exit code 2 and one line naming the tensor.
    /// </summary>
    [Fact]
    public void A_pytorch_file_that_does_not_fit_is_refused_naming_the_tensor()
    {
        if (!TorchAvailable()) return;
        string package = Path.Combine(_dir, "seed003");
        PyTorchExport.Write(package, BuiltIn<float>("seed003"), new DataPreparation(null, null, null), PyTorchRecipe.Fresh());
        string script = Path.Combine(_dir, "bad.py");
        File.WriteAllText(script, """
            import os, shutil, sys, torch
            sys.path.insert(0, sys.argv[1])
            import model as m
            state = m.load().state_dict()
            def write(name, tensors):
                folder = os.path.join(sys.argv[2], name)
                os.makedirs(folder)
                shutil.copy(os.path.join(sys.argv[1], "model.json"), folder)
                m.save_safetensors(os.path.join(folder, "model.safetensors"), tensors)
            write("shape", {**state, "0.weight": state["0.weight"].t().contiguous()[:, :1]})
            write("dtype", {**state, "2.bias": state["2.bias"].to(torch.int64)})
            write("unknown", {**state, "fc.weight": state["0.weight"]})
            write("missing", {k: v for k, v in state.items() if k != "2.weight"})
            write("ddp", {"module." + k: v for k, v in state.items()})  # DistributedDataParallel's state_dict()
            write("good", state)
            """);
        Python_(script, package, _dir);
        var good = Cli("eval", "--model", Path.Combine(_dir, "good"), "--dataset", "csv:" + Csv());
        Assert.True(good.Code == 0, good.Stderr);
        foreach (var (name, expected) in new[]
        {
            ("shape", "'0.weight' is [2, 1] in the file but [2, 2] in the model"),
            ("dtype", "tensor '2.bias': dtype I64 cannot be read as Single"),
            ("unknown", "not in the model: 'fc.weight' [2, 2]"),
            ("missing", "missing '2.weight' [2, 2]"),
            ("ddp", "the tensor names start with 'module.' ('module.0.weight' for '0.weight'): saved from DistributedDataParallel"),
        })
        {
            var (code, _, stderr) = Cli("eval", "--model", Path.Combine(_dir, name), "--dataset", "csv:" + Csv());
            Assert.Equal(2, code);
            Assert.Contains(expected, stderr);
            Assert.Contains(Path.Combine(_dir, name, "model.safetensors"), stderr);
            Assert.Single(stderr.TrimEnd('\n').Split('\n'));
        }
    }

    /// <summary>The command: a model file with values gives a fresh recipe; options of the other format and bad counts are refused in one line.</summary>
    [Fact]
    public void The_export_command_writes_the_package_and_refuses_bad_options()
    {
        string file = Path.Combine(_dir, "seed003.json"), package = Path.Combine(_dir, "out");
        File.WriteAllText(file, ModelFile.Write(BuiltIn<double>("seed003")));
        var (code, stdout, stderr) = Cli("export", "--model", file, "--format", "pytorch", "--out", package);
        Assert.True(code == 0, stderr);
        Assert.Contains("model.py, train.py, model.json, model.safetensors", stdout);
        Assert.False(File.Exists(Path.Combine(package, PyTorchExport.OptimizerFile)));
        Assert.Contains("\"epochs_done\": 0", File.ReadAllText(Path.Combine(package, "train.py")));
        foreach (var (args, expected) in new[]
        {
            (new[] { "--format", "pytorch", "--include-preprocessing" }, "error: --include-preprocessing applies to --format onnx"),
            (["--format", "onnx", "--epochs", "3"], "error: --epochs applies to --format pytorch"),
            (["--format", "pytorch", "--epochs", "0"], "error: --epochs: expected at least 1, got 0"),
        })
        {
            var result = Cli(["export", "--model", file, "--out", Path.Combine(_dir, "bad"), .. args]);
            Assert.Equal(2, result.Code);
            Assert.StartsWith(expected, result.Stderr);
        }
    }

    private string Csv()
    {
        string path = Path.Combine(_dir, "points.csv");
        File.WriteAllText(path, "a,b,label\n1,0,1\n0,1,0\n");
        return $"{path},{path}"; // the same file as training and test split
    }
}
