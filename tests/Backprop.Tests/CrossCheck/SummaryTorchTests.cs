using System.ComponentModel;
using System.Diagnostics;
using System.Text.Json;
using Backprop.Architectures;
using Backprop.Examples;
using Backprop.Models;
using Backprop.Tests.Support;
using Xunit.Abstractions;

namespace Backprop.Tests.CrossCheck;

/// <summary>
/// backprop summary against PyTorch (tests/torch/summary.py): for random models of every layer type
/// (<see cref="ModelGens"/>), the built-in architectures and the examples, each layer's output shape, parameter and
/// buffer counts are those of the equivalent nn.Sequential, and its multiply-adds those counted from the torch module
/// (Linear in·out, ConvNd output elements · in_channels/groups · kernel, as torchinfo counts a weight). Without python3
/// and torch the test fails when CI=true and otherwise passes with a note, as the other cross-checks do.
/// </summary>
public sealed class SummaryTorchTests(ITestOutputHelper output) : IDisposable
{
    private const int RandomModels = 80;

    private readonly string _dir = Directory.CreateTempSubdirectory("backprop-summary-torch-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static IEnumerable<(string Name, ModelSpec Spec)> Models()
    {
        for (ulong seed = 0; seed < RandomModels; seed++) yield return ($"random-{seed}", ModelGens.Model(seed));
        foreach (string arch in Architecture.Names) yield return ($"arch-{arch}", ModelFile.Parse(Architecture.ModelText(arch), arch));
        foreach (var (name, _) in Problem.Examples)
            yield return ($"example-{name}", ModelFile.Parse(JsonDocument.Parse(Problem.ExampleText(name)).RootElement.GetProperty("model"), name));
    }

    [Fact]
    public void Layers_agree_with_the_equivalent_torch_sequential()
    {
        var summaries = new Dictionary<string, ModelSummary>();
        var cases = new List<object>();
        foreach (var (name, spec) in Models())
        {
            summaries[name] = ModelSummary.Of(spec, name, 2);
            // reference.py builds torch modules from explicit values: write the built model with all of them.
            string path = Path.Combine(_dir, name + ".json");
            File.WriteAllText(path, ModelFile.Write(ModelFile.Build<double>(spec, name)));
            cases.Add(new { name, model = path });
        }
        var (code, stdout, stderr) = RunPython(JsonSerializer.Serialize(cases));
        if (code is null || code == 3)
        {
            string why = code is null ? stderr : $"torch cannot be imported: {stderr.Trim()}";
            if (Environment.GetEnvironmentVariable("CI") == "true") Assert.Fail($"The summary cross-check needs torch on CI: {why}");
            output.WriteLine($"SKIPPED (not in CI): {why}");
            return;
        }
        Assert.True(code == 0, $"summary.py failed ({code}): {stderr}");

        using var doc = JsonDocument.Parse(stdout);
        var errors = new List<string>();
        foreach (var (name, summary) in summaries)
        {
            var result = doc.RootElement.GetProperty(name);
            if (result.TryGetProperty("error", out var error))
            {
                errors.Add($"{name}: torch could not build it: {error.GetString()}");
                continue;
            }
            var layers = result.GetProperty("layers").EnumerateArray().ToList();
            if (layers.Count != summary.Layers.Count)
            {
                errors.Add($"{name}: {summary.Layers.Count} layers here, {layers.Count} in torch");
                continue;
            }
            for (int i = 0; i < layers.Count; i++)
            {
                var ours = summary.Layers[i];
                var torch = layers[i];
                void Same(string what, string expected, string actual)
                {
                    if (expected != actual) errors.Add($"{name}: layers[{i}] ({ours.Type}): {what} {expected} here, {actual} in torch");
                }
                Same("output shape", Tensors.Tensor.Format(ours.OutputShape),
                    Tensors.Tensor.Format(torch.GetProperty("output_shape").EnumerateArray().Select(e => e.GetInt32()).ToArray()));
                Same("parameters", ours.Parameters.ToString(), torch.GetProperty("parameters").GetInt64().ToString());
                Same("buffers", ours.Buffers.ToString(), torch.GetProperty("buffers").GetInt64().ToString());
                Same("multiply-adds", ours.MultiplyAdds.ToString(), torch.GetProperty("multiply_adds").GetInt64().ToString());
            }
        }
        Assert.True(errors.Count == 0, string.Join("\n", errors.Take(20)));
        output.WriteLine($"{summaries.Count} models, {summaries.Values.Sum(s => s.Layers.Count)} layers agree with torch");
    }

    /// <summary>Runs summary.py with <paramref name="input"/> on stdin: exit code (null when python3 cannot be started), stdout, stderr.</summary>
    private static (int? Code, string Stdout, string Stderr) RunPython(string input)
    {
        var start = new ProcessStartInfo(TorchReference.Python)
        {
            RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        start.ArgumentList.Add(Repository.Path("tests", "torch", "summary.py"));
        start.Environment["PYTHONDONTWRITEBYTECODE"] = "1";
        start.Environment["OMP_NUM_THREADS"] = "1";
        Process process;
        try
        {
            process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {TorchReference.Python}");
        }
        catch (Win32Exception e)
        {
            return (null, "", $"{TorchReference.Python} cannot be started ({e.Message})");
        }
        using (process)
        {
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            process.StandardInput.Write(input);
            process.StandardInput.Close();
            if (!process.WaitForExit(TimeSpan.FromMinutes(5)))
            {
                process.Kill(entireProcessTree: true);
                throw new TimeoutException("summary.py did not finish within 5 minutes");
            }
            process.WaitForExit();
            return (process.ExitCode, stdout.Result, stderr.Result);
        }
    }
}
