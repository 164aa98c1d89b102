using System.Diagnostics;
using System.Text.Json;
using Backprop.Cli;
using Backprop.Data;
using Backprop.IO;
using Backprop.Tensors;
using Backprop.Tests.CrossCheck;
using Backprop.Tests.Support;
using Backprop.Training;
using Xunit.Abstractions;
using Backprop.Runs;

namespace Backprop.Tests.Interop;

/// <summary>
/// docs/interop.md's PyTorch snippet, run as written: the python block after the "tested by" marker loads a trained
/// model folder (runs/latest, relative to its working directory) into an nn.Sequential and prepares raw inputs as
/// training did; appended lines print its outputs for inputs written by Backprop, which must equal Backprop's
/// (float32) to 1e-5 relative with a 1e-6 absolute floor. Needs /usr/bin/python3 with torch (Debian's
/// python3-torch): without it the test fails when CI=true and otherwise passes with a note.
/// </summary>
public sealed class InteropDocsTests(ITestOutputHelper output) : IDisposable
{
    private const string Python = PythonProcess.Path;
    private const string Marker = "<!-- tested by tests/Backprop.Tests/Interop/InteropDocsTests.cs -->";

    private readonly string _dir = Directory.CreateTempSubdirectory("backprop-interop-docs-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>The first ```python block after the marker in docs/interop.md.</summary>
    public static string TorchSnippet()
    {
        string doc = File.ReadAllText(Path.Combine(Repository.Root, "docs", "interop.md"));
        int marker = doc.IndexOf(Marker, StringComparison.Ordinal);
        Assert.True(marker >= 0, $"docs/interop.md has no '{Marker}'");
        int start = doc.IndexOf("```python\n", marker, StringComparison.Ordinal) + "```python\n".Length;
        int end = doc.IndexOf("\n```", start, StringComparison.Ordinal);
        return doc[start..end] + "\n";
    }

    [Fact]
    public void The_torch_snippet_in_the_docs_loads_a_trained_model_and_computes_its_outputs()
    {
        string snippet = TorchSnippet();
        if (PythonProcess.TorchUnavailable is not null)
        {
            if (Environment.GetEnvironmentVariable("CI") == "true") Assert.Fail($"the docs' PyTorch snippet needs {Python} with torch (python3-torch) on CI");
            output.WriteLine($"skipped: {Python} with torch and numpy not found");
            return;
        }

        // A trained model folder with most layer types (BatchNorm and Dropout too), standardised inputs: runs/latest, where the snippet looks.
        string data = SyntheticIdx.Write(Path.Combine(_dir, "data"));
        string modelJson = Path.Combine(_dir, "model.json");
        File.WriteAllText(modelJson, """
            {"input": [1, 6, 6], "layers": [
              {"type": "conv2d", "out_channels": 3, "kernel_size": 3, "padding": 1}, {"type": "batchnorm2d"}, {"type": "relu", "scale": 2},
              {"type": "maxpool2d", "kernel_size": 2}, {"type": "avgpool2d", "kernel_size": [2, 1], "stride": 1},
              {"type": "flatten"}, {"type": "linear", "out": 12}, {"type": "gelu"}, {"type": "dropout", "p": 0.3},
              {"type": "linear", "out": 8, "bias": false}, {"type": "batchnorm1d", "affine": false, "momentum": null},
              {"type": "softplus", "beta": 2}, {"type": "linear", "out": 8},
              {"type": "leaky_relu", "negative_slope": 0.1}, {"type": "linear", "out": 8}, {"type": "tanh"},
              {"type": "linear", "out": 3}]}
            """);
        string run = Path.Combine(_dir, "runs", "latest");
        var stderr = new StringWriter();
        Assert.True(Program.Run(["train", "--model", modelJson, "--dataset", data, "--epochs", "1", "--standardize", "--out", run], new StringWriter(), stderr) == 0, stderr.ToString());

        var test = DatasetSource.Load(data, DataSplit.Test);
        int[] shape = Tensor.Batched(20, test.ExampleShape);
        var raw = new Tensor<float>(test.Features.AsSpan(0, Tensor.SizeOf(shape)).ToArray(), shape);
        Safetensors.Save(Path.Combine(_dir, "x.safetensors"), [("x", raw)]);
        var trained = TrainedModel.Load(run);
        trained.Prepare(test);
        var expected = trained.Model.Forward(new Tensor<float>(test.Features.AsSpan(0, Tensor.SizeOf(shape)).ToArray(), shape));

        string script = Path.Combine(_dir, "snippet.py");
        File.WriteAllText(script, snippet + """

            x, _ = load_safetensors("x.safetensors")
            with torch.no_grad():
                print(json.dumps(model(prepare(x["x"])).flatten().tolist()))
            """);
        var (code, stdout, errors) = Run([script], _dir);
        Assert.True(code == 0, $"the snippet failed:\n{errors}");
        float[] actual = JsonSerializer.Deserialize<float[]>(stdout)!;
        Assert.Equal(expected.Length, actual.Length);
        double maxAbs = 0;
        for (int i = 0; i < actual.Length; i++)
        {
            double e = expected.Data[i], diff = Math.Abs(e - actual[i]);
            Assert.True(diff <= 1e-5 * Math.Abs(e) + 1e-6, $"element {i}: Backprop {e:R}, torch {actual[i]:R}");
            maxAbs = Math.Max(maxAbs, diff);
        }
        output.WriteLine($"the docs' snippet: {actual.Length} outputs agree with Backprop, max |difference| {maxAbs:E2}");
    }

    private static (int Code, string Stdout, string Stderr) Run(IReadOnlyList<string> arguments, string workingDirectory) =>
        PythonProcess.Run(arguments, TimeSpan.FromMinutes(5), workingDirectory);
}
