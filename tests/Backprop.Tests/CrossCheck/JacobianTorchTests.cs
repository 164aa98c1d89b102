using System.Diagnostics;
using System.Text;
using System.Text.Json;
using Backprop.Data;
using Backprop.Diagnostics;
using Backprop.Layers;
using Backprop.Losses;
using Backprop.Models;
using Backprop.Tests.Support;
using Xunit.Abstractions;

namespace Backprop.Tests.CrossCheck;

/// <summary>
/// <c>backprop jacobian</c> against torch.autograd.functional.jacobian (tests/torch/jacobian.py, float64) on the
/// cross-check's random networks: every family (so every layer type, training and evaluation mode) with two losses,
/// and for each the Jacobian of the output and of the loss with respect to the input and to the parameters, and every
/// layer's local Jacobian with respect to its input and its parameters.
/// </summary>
public sealed class JacobianTorchTests(ITestOutputHelper output)
{
    private const ulong Seed = 20261126;

    // As the gradient cross-check: both sides compute the same formulas in float64 and differ by rounding only.
    private const double Rel = 1e-9, Abs = 1e-12;

    internal sealed record JacobianCase(string Name, CrossCheckCase Case, JacobianRequest Request);

    /// <summary>The requests: per unit-scale case with the losses mse and cross_entropy, a varying example.</summary>
    internal static IReadOnlyList<JacobianCase> Cases()
    {
        var result = new List<JacobianCase>();
        foreach (var c in CrossCheckCases.Generate(Seed).Where(c => c.Kind == CaseKind.Unit && c.Loss is "mse" or "cross_entropy"))
        {
            var spec = ModelFile.Parse(c.ModelJson, c.Name);
            var model = ModelFile.Build<double>(spec, c.Name);
            int example = result.Count % c.BatchSize;
            void Add(string what, JacobianRequest r) => result.Add(new JacobianCase($"{c.Name}-{what}", c, r with { Example = example }));
            Add("output-input", new JacobianRequest());
            Add("output-params", new JacobianRequest { Wrt = "params" });
            Add("loss-input", new JacobianRequest { Of = JacobianOf.Loss });
            Add("loss-params", new JacobianRequest { Of = JacobianOf.Loss, Wrt = "params" });
            for (int i = 0; i < model.Layers.Count; i++)
            {
                Add($"layer{i}-input", new JacobianRequest { Layer = i });
                if (model.Layers[i].Parameters.Count > 0)
                    Add($"layer{i}-{model.Layers[i].Parameters[^1].Name}", new JacobianRequest { Layer = i, Wrt = $"{i}.{model.Layers[i].Parameters[^1].Name}" });
            }
        }
        return result;
    }

    [Fact]
    public void Float64_jacobians_match_torch_autograd_functional_jacobian()
    {
        var watch = Stopwatch.StartNew();
        var cases = Cases();
        var layerTypes = cases.SelectMany(c => ModelFile.Parse(c.Case.ModelJson, c.Name).Layers.Select(l => l.Type)).ToHashSet();
        var missing = LayerKinds.Names.Where(t => !layerTypes.Contains(t)).ToList();
        Assert.True(missing.Count == 0, $"no Jacobian case uses layer types: {string.Join(", ", missing)}");

        string dir = Directory.CreateTempSubdirectory("backprop-jacobian-torch-").FullName;
        bool keep = true;
        try
        {
            var list = new List<Dictionary<string, object?>>();
            foreach (var c in cases.Select(c => c.Case).DistinctBy(c => c.Name))
            {
                File.WriteAllText(Path.Combine(dir, c.Name + ".model.json"), c.ModelJson);
                File.WriteAllText(Path.Combine(dir, c.Name + ".data.json"), c.DataJson);
            }
            foreach (var c in cases)
                list.Add(new()
                {
                    ["name"] = c.Name, ["model"] = Path.Combine(dir, c.Case.Name + ".model.json"), ["data"] = Path.Combine(dir, c.Case.Name + ".data.json"),
                    ["loss"] = c.Case.Loss, ["mode"] = c.Case.Mode, ["example"] = c.Request.Example,
                    ["of"] = c.Request.Of == JacobianOf.Loss ? "loss" : "output", ["wrt"] = c.Request.Wrt, ["layer"] = c.Request.Layer,
                });
            string casesFile = Path.Combine(dir, "cases.json");
            File.WriteAllText(casesFile, JsonSerializer.Serialize(list));

            var (stdout, unavailable) = TorchReference.RunScript(Repository.Path("tests", "torch", "jacobian.py"), casesFile, TimeSpan.FromMinutes(5));
            if (stdout is null)
            {
                string message = $"The Jacobian cross-check needs {TorchReference.Python} with torch: {unavailable}";
                if (string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase)) Assert.Fail(message);
                output.WriteLine("SKIPPED (not in CI): " + message);
                keep = false;
                return;
            }
            using var doc = JsonDocument.Parse(stdout);
            var failures = new List<string>();
            double worst = 0;
            foreach (var c in cases)
            {
                var torch = doc.RootElement.GetProperty(c.Name);
                if (torch.TryGetProperty("error", out var refused)) { failures.Add($"{c.Name}: jacobian.py: {refused.GetString()}"); continue; }
                var expected = torch.GetProperty("values").EnumerateArray().Select(row => row.EnumerateArray().Select(v => v.GetDouble()).ToArray()).ToArray();
                var model = ModelFile.Build<double>(ModelFile.Parse(c.Case.ModelJson, c.Name), c.Name);
                if (c.Case.Mode == "eval") model.Eval();
                var batch = DataFile.Parse<double>(c.Case.DataJson, c.Name, model.InputShape);
                var j = Jacobian.Compute(model, batch, c.Request, LossFunctions.Create<double>(c.Case.Loss));
                if (expected.Length != j.Rows || expected.Any(r => r.Length != j.Columns))
                {
                    failures.Add($"{c.Name}: engine {j.Rows} × {j.Columns}, torch {expected.Length} × {expected.FirstOrDefault()?.Length}");
                    continue;
                }
                for (int r = 0; r < j.Rows; r++)
                    for (int col = 0; col < j.Columns; col++)
                    {
                        double a = j[r, col], b = expected[r][col], error = Math.Abs(a - b), scale = Math.Max(Math.Abs(a), Math.Abs(b));
                        if (scale > 0) worst = Math.Max(worst, error / Math.Max(scale, Abs / Rel));
                        if (!(error <= Rel * scale + Abs) && failures.Count < 20)
                            failures.Add($"{c.Name}: [{j.RowLabels[r]}, {j.ColumnLabels[col]}] engine {a:R}, torch {b:R}");
                    }
            }
            output.WriteLine($"{cases.Count} Jacobians (seed {Seed}); worst relative error {worst:E2}; {watch.Elapsed.TotalSeconds:F1} s");
            keep = failures.Count > 0;
            Assert.True(failures.Count == 0, $"the engine's Jacobians disagree with torch (files kept in {dir}):\n" + string.Join("\n", failures));
        }
        finally
        {
            if (!keep) Directory.Delete(dir, recursive: true);
        }
    }
}
