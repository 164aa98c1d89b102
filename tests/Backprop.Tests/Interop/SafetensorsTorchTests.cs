using System.Diagnostics;
using System.Text.Json;
using Backprop.IO;
using Backprop.Models;
using Backprop.Tensors;
using Xunit.Abstractions;

using Backprop.Tests.Support;

namespace Backprop.Tests.Interop;

/// <summary>
/// PyTorch reads Backprop's checkpoints and Backprop reads PyTorch's: tests/torch/load_safetensors.py builds the
/// equivalent torch.nn.Sequential from the model file, loads the safetensors file with load_state_dict(strict=True)
/// and runs the same input; the outputs must agree to 1e-5 (float32). It also writes a torch-initialised state_dict
/// and its outputs, which Backprop loads with LoadInto and must reproduce.
/// Needs /usr/bin/python3 with torch and numpy (Debian's python3-torch): without them the test fails when CI=true
/// and otherwise passes with a note.
/// </summary>
public sealed class SafetensorsTorchTests(ITestOutputHelper output) : IDisposable
{
    private const string Python = PythonProcess.Path;
    private const double Tolerance = 1e-5;

    private readonly string _dir = Directory.CreateTempSubdirectory("backprop-safetensors-torch-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static readonly Lazy<string?> Unavailable = new(() => PythonProcess.TorchUnavailable);

    private static (int Code, string Stdout, string Stderr) Run(IEnumerable<string> arguments, TimeSpan timeout) => PythonProcess.Run(arguments, timeout);

    /// <summary>False (after failing on CI, or writing a note elsewhere) when python3 with torch is not there.</summary>
    private bool TorchAvailable()
    {
        if (Unavailable.Value is not { } why) return true;
        if (Environment.GetEnvironmentVariable("CI") == "true") Assert.Fail($"PyTorch cross-check needs torch on CI: {why}");
        output.WriteLine($"skipped: {why}");
        return false;
    }

    private static string Script()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            string candidate = Path.Combine(dir.FullName, "tests", "torch", "load_safetensors.py");
            if (File.Exists(candidate)) return candidate;
        }
        throw new FileNotFoundException($"tests/torch/load_safetensors.py not found above {AppContext.BaseDirectory}");
    }

    private static void AssertClose(Tensor<float> expected, float[] actual, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < actual.Length; i++)
        {
            double e = expected[i], a = actual[i];
            Assert.True(Math.Abs(e - a) <= Tolerance * Math.Max(1, Math.Abs(e)), $"{what}: element {i}: Backprop {e:R}, torch {a:R}");
        }
    }

    /// <summary>Batch normalisation (running statistics and num_batches_tracked are state_dict entries) and dropout.</summary>
    private const string BatchNormModel = """
        {"input": [2, 5, 5], "layers": [
          {"type": "conv2d", "out_channels": 3, "kernel_size": 3, "padding": 1, "bias": false},
          {"type": "batchnorm2d"}, {"type": "relu"}, {"type": "dropout", "p": 0.5}, {"type": "flatten"},
          {"type": "linear", "out": 4}, {"type": "batchnorm1d", "momentum": null, "affine": false}, {"type": "tanh"},
          {"type": "linear", "out": 3}]}
        """;

    [Theory]
    [InlineData("mlp", SafetensorsModelTests.Mlp)]
    [InlineData("cnn", SafetensorsModelTests.Cnn)]
    [InlineData("conv1d", SafetensorsModelTests.Conv1d)]
    [InlineData("batchnorm", BatchNormModel)]
    public void Torch_loads_the_checkpoint_and_computes_the_same_outputs(string name, string json)
    {
        if (!TorchAvailable()) return;
        var model = SafetensorsModelTests.Build<float>(json);
        var rng = new Rng(2024);
        int[] shape = Tensor.Batched(5, model.InputShape);
        var x = Tensor<float>.FromDoubles(Enumerable.Range(0, Tensor.SizeOf(shape)).Select(_ => rng.Uniform(-2, 2)).ToArray(), shape);

        string modelPath = Path.Combine(_dir, $"{name}.json"), weights = Path.Combine(_dir, $"{name}.safetensors"), input = Path.Combine(_dir, "input.safetensors");
        AtomicFile.WriteAllText(modelPath, ModelFile.Write(model));
        // Two steps in training mode move the running statistics off their initial values; both sides then run in evaluation mode.
        model.Forward(x);
        model.Forward(x);
        model.Eval();
        Safetensors.SaveModel(weights, model);
        Safetensors.Save(input, [("x", x)]);

        var (code, stdout, stderr) = Run([Script(), modelPath, weights, input, _dir], TimeSpan.FromMinutes(5));
        Assert.True(code == 0, $"python exited with {code}:\n{stderr}");

        // Backprop's checkpoint in torch: the printed outputs.
        var expected = model.Forward(x);
        using var doc = JsonDocument.Parse(stdout);
        int[] torchShape = doc.RootElement.GetProperty("shape").EnumerateArray().Select(e => e.GetInt32()).ToArray();
        float[] torchY = doc.RootElement.GetProperty("y").EnumerateArray().Select(e => (float)e.GetDouble()).ToArray();
        Assert.Equal(expected.Shape, torchShape);
        AssertClose(expected, torchY, $"{name}: torch with Backprop's weights");

        // The same outputs in a file written by torch's side, read by Backprop: bit for bit what was printed.
        var outFile = Safetensors.Read(Path.Combine(_dir, "output.safetensors"));
        Assert.StartsWith("torch ", outFile.Metadata["producer"]);
        Assert.Equal(torchShape, outFile.Get<float>("y").Shape);
        Assert.Equal(torchY, outFile.Get<float>("y").Data);

        // torch's own initialisation, written by torch's side, loaded into Backprop: the same outputs as torch computed.
        var fromTorch = SafetensorsModelTests.Build<float>(json, seed: 1);
        Safetensors.LoadInto(Path.Combine(_dir, "torch_model.safetensors"), fromTorch);
        fromTorch.Eval();
        var torchOut = Safetensors.Read(Path.Combine(_dir, "torch_output.safetensors")).Get<float>("y");
        Assert.Equal(torchShape, torchOut.Shape);
        AssertClose(fromTorch.Forward(x), torchOut.Data, $"{name}: Backprop with torch's weights");
        output.WriteLine($"{name}: {expected.Length} outputs agree with torch to {Tolerance}");
    }
}
