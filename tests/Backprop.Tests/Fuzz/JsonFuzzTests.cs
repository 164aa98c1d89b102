using System.Text;
using System.Text.Json;
using Backprop.Cli;
using Backprop.Models;
using Backprop.Tests.Data;
using Xunit.Abstractions;

namespace Backprop.Tests.Fuzz;

/// <summary>
/// <c>backprop grad</c> in-process on mutated model and data files: edits of the JSON tree (huge, negative,
/// non-finite, mistyped or deeply nested values, dropped and unknown fields) and of its bytes (NaN and Infinity
/// literals, truncation, stray brackets, invalid UTF-8), and models generated with absurd sizes. Every case ends in
/// exit code 0 (the edit left a valid problem) or 2 with exactly one "error: " line and nothing on stdout.
/// </summary>
public sealed class JsonFuzzTests(ITestOutputHelper output) : IDisposable
{
    private readonly TempFiles _files = new();

    public void Dispose() => _files.Dispose();

    /// <summary>Valid problems: a model, a data file that fits it and a loss.</summary>
    private static readonly (string Model, string Data, string Loss)[] Seeds =
    [
        ("""
         {"input": [2], "seed": 3, "layers": [
           {"type": "linear", "out": 3, "weight": [[1, 2], [3, 4], [5, 6]], "bias": [0, 0.5, 0]},
           {"type": "sigmoid"},
           {"type": "linear", "out": 2, "weight": [[1, 2, 3], [4, 5, 6]], "bias": false}]}
         """, """{"x": [[1, 0], [0.5, -2]], "y": [[0, 1], [1, 0]]}""", "mse"),
        ("""
         {"input": [1, 4, 4], "layers": [
           {"type": "conv2d", "out_channels": 2, "kernel_size": [2, 2], "stride": 1, "padding": 1, "init": {"name": "kaiming_normal", "mode": "fan_in", "nonlinearity": "relu"}},
           {"type": "relu", "scale": 2}, {"type": "maxpool2d", "kernel_size": 2}, {"type": "avgpool2d", "kernel_size": 1},
           {"type": "flatten"}, {"type": "linear", "out": 3, "bias_init": "zeros"}]}
         """, """{"x": [[[[1, 2, 3, 4], [5, 6, 7, 8], [9, 10, 11, 12], [13, 14, 15, 16]]]], "y": [2]}""", "cross_entropy"),
        ("""
         {"input": [2, 5], "seed": 1, "layers": [
           {"type": "conv1d", "out_channels": 2, "kernel_size": 3, "bias": [0.1, -0.1], "init": "xavier_uniform"},
           {"type": "leaky_relu", "negative_slope": 0.1}, {"type": "flatten"}, {"type": "softplus", "beta": 2, "threshold": 10},
           {"type": "linear", "out": 1, "init": {"name": "uniform", "a": -1, "b": 1}}, {"type": "tanh"}]}
         """, """{"x": [[[1, 2, 3, 4, 5], [0, 1, 0, 1, 0]], [[0, 0, 0, 0, 1], [1, 1, 1, 1, 1]]], "y": [1, -1]}""", "hinge"),
        ("""
         {"input": [3], "layers": [{"type": "gelu"}, {"type": "linear", "out": 2, "init": {"name": "normal", "std": 0.5}}, {"type": "identity"}, {"type": "softmax"}]}
         """, """{"x": [[1, 2, 3]], "y": [[0.25, 0.75]]}""", "bce"),
    ];

    /// <summary>
    /// A model of random layers whose sizes are tiny or absurd (up to 2²⁴ a field), without values. Models whose
    /// parameters would take between 64 MB and all the machine's memory are drawn again: they are legitimate, and
    /// building them would only make the fuzzer slow. Those smaller are built; those larger must be refused.
    /// </summary>
    private static string AbsurdModel(Rng rng)
    {
        while (true)
        {
            string model = RandomLayers(rng);
            long bytes;
            try
            {
                bytes = MemoryEstimate.Model(ModelFile.Layout(ModelFile.Parse(model, "model"), "model"), 8);
            }
            catch (BackpropException)
            {
                return model;
            }
            if (bytes < 64 << 20 || bytes / 2 > MemoryEstimate.Available) return model;
        }
    }

    private static string RandomLayers(Rng rng)
    {
        int Size() => rng.NextInt(3) switch { 0 => 1 + rng.NextInt(4), 1 => 1 << (10 + rng.NextInt(15)), _ => (1 << 24) - rng.NextInt(2) };
        int Small() => 1 + rng.NextInt(8);
        var input = rng.NextInt(3) switch { 0 => new[] { Size() }, 1 => [Small(), Size()], _ => new[] { Small(), Small(), Size() } };
        var layers = new List<string>();
        int rank = input.Length;
        for (int i = 0, n = 1 + rng.NextInt(4); i < n; i++)
        {
            string layer = rng.NextInt(6) switch
            {
                0 => $"{{\"type\": \"linear\", \"out\": {Size()}}}",
                1 => $"{{\"type\": \"conv2d\", \"out_channels\": {Size()}, \"kernel_size\": {1 + rng.NextInt(3)}, \"padding\": {Size()}, \"stride\": {1 + rng.NextInt(2)}}}",
                2 => $"{{\"type\": \"conv1d\", \"out_channels\": {Size()}, \"kernel_size\": {1 + rng.NextInt(3)}, \"padding\": {Size()}}}",
                3 => $"{{\"type\": \"maxpool2d\", \"kernel_size\": {1 + rng.NextInt(3)}}}",
                4 => "{\"type\": \"flatten\"}",
                _ => "{\"type\": \"relu\"}",
            };
            layers.Add(layer);
        }
        return $"{{\"input\": [{string.Join(", ", input)}], \"layers\": [{string.Join(", ", layers)}]}}";
    }

    /// <summary>
    /// Bytes the model declares it needs for <paramref name="data"/>'s batch (parameters, gradients, convolution
    /// buffers, every layer's output and input gradient), by the library's own layout: 0 for an invalid model, the
    /// parameters and gradients alone when the data is invalid.
    /// </summary>
    private static long Declared(string model, string data, bool single)
    {
        ModelLayout layout;
        try
        {
            layout = ModelFile.Layout(ModelFile.Parse(model, "model"), "model");
        }
        catch (BackpropException)
        {
            return 0;
        }
        // The model is built (parameters and gradients) before the data file is read.
        long bytes = MemoryEstimate.Model(layout, single ? 4 : 8);
        try
        {
            using var doc = JsonDocument.Parse(data, new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip });
            int n = doc.RootElement.GetProperty("x").GetArrayLength();
            return Math.Max(bytes, MemoryEstimate.Training(layout, single ? 4 : 8, Math.Max(1, n), optimizerSlots: 0).Total);
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or KeyNotFoundException or ArgumentException)
        {
            return bytes;
        }
    }

    private void Fuzz(string name, int defaultCases, Func<Rng, (byte[] Model, byte[] Data, string Loss, string What, bool MustRefuse)> make)
    {
        var fuzz = new Fuzzer(output, name, defaultCases);
        string modelPath = Path.Combine(_files.Directory, "model.json"), dataPath = Path.Combine(_files.Directory, "data.json");
        for (int i = 0; i < fuzz.Count; i++)
        {
            var rng = fuzz.CaseRng(i);
            var (model, data, loss, what, mustRefuse) = make(rng);
            File.WriteAllBytes(modelPath, model);
            File.WriteAllBytes(dataPath, data);
            bool single = rng.NextInt(3) == 0;
            byte[] input = [.. model, (byte)'\n', .. data];
            long declared = Declared(Encoding.UTF8.GetString(model), Encoding.UTF8.GetString(data), single);
            // More than the machine has: the library must refuse it up front. Between 256 MB and that, the files
            // describe a legitimately large problem (a layer of 2²⁴ outputs, whose gradients 'grad' would print):
            // running it would measure the machine, not the reader, so such a case is counted and skipped.
            if (declared > MemoryEstimate.Available) mustRefuse = true;
            else if (declared > 256 << 20)
            {
                fuzz.Skip();
                continue;
            }
            // The JSON text is read as UTF-16 (2 bytes a character), parsed into a document (a 12-byte row per token,
            // and a token takes at least 2 bytes), collected into lists of doubles (8 bytes a number) and copied into
            // tensors; the report prints every number of the output and gradients (about 25 characters each). 64 times
            // the files plus 64 times what the model declares for the batch, and 16 MB for the command line parser,
            // bound all of that with room; more means a size was trusted that neither file pays for.
            long allowed = 64 * (input.Length + Math.Min(declared, 256 << 20)) + (16 << 20);
            string[] args = ["grad", "--model", modelPath, "--data", dataPath, "--loss", loss, "--precision", single ? "f32" : "f64"];
            fuzz.Run(i, what, input, allowed, () =>
            {
                var stdout = new StringWriter();
                var stderr = new StringWriter();
                int code = Program.Run(args, stdout, stderr);
                string err = stderr.ToString();
                return code switch
                {
                    ExitCodes.Ok when err.Length == 0 && stdout.ToString().StartsWith("{\"loss\": ", StringComparison.Ordinal) && IsFiniteJson(stdout.ToString()) => Fuzzer.Outcome.Ok,
                    ExitCodes.BadInput when stdout.ToString().Length == 0 && err.StartsWith("error: ", StringComparison.Ordinal)
                        && err.IndexOfAny(['\n', '\r']) == err.Length - 1 => Fuzzer.Outcome.Refused(err[7..].TrimEnd('\n')),
                    _ => throw new InvalidOperationException($"exit code {code}\nstdout: {stdout}\nstderr: {err}"),
                };
            }, mustRefuse);
        }
        fuzz.Finish();
    }

    /// <summary>
    /// Whether a report that exits 0 is valid JSON whose every number is one (issue 15: NaN and infinities were printed
    /// as bare words with exit code 0; now they are refused, so a success holds numbers only).
    /// </summary>
    private static bool IsFiniteJson(string text)
    {
        try
        {
            using var doc = JsonDocument.Parse(text);
            return AllNumbers(doc.RootElement);
        }
        catch (JsonException)
        {
            return false;
        }

        static bool AllNumbers(JsonElement e) => e.ValueKind switch
        {
            JsonValueKind.Object => e.EnumerateObject().All(p => AllNumbers(p.Value)),
            JsonValueKind.Array => e.EnumerateArray().All(AllNumbers),
            JsonValueKind.Number => double.IsFinite(e.GetDouble()),
            _ => false,
        };
    }

    private static byte[] Edit(string json, Rng rng) =>
        rng.NextInt(3) == 0
            ? Mutator.Bytes(Encoding.UTF8.GetBytes(json), rng, 3, Mutator.Utf8(Mutator.TextTokens))
            : Encoding.UTF8.GetBytes(Mutator.Json(json, rng, 2));

    private static byte[] Utf8(string s) => Encoding.UTF8.GetBytes(s);

    [Fact]
    public void Mutated_model_files_give_exit_code_0_or_2()
    {
        Fuzz("model-json", 1000, rng =>
        {
            var (model, data, loss) = Seeds[rng.NextInt(Seeds.Length)];
            return rng.NextInt(4) == 0
                ? (Utf8(AbsurdModel(rng)), Utf8(data), loss, "absurd sizes", false)
                : (Edit(model, rng), Utf8(data), loss, "edits", false);
        });
    }

    [Fact]
    public void Mutated_data_files_give_exit_code_0_or_2()
    {
        Fuzz("data-json", 1000, rng =>
        {
            var (model, data, loss) = Seeds[rng.NextInt(Seeds.Length)];
            return (Utf8(model), Edit(data, rng), loss, "edits", false);
        });
    }
}
