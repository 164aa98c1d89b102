using System.Diagnostics;
using System.Numerics;
using System.Text;
using Backprop.Diagnostics;
using Backprop.Examples;
using Backprop.Losses;
using Backprop.Layers;
using Backprop.Models;
using Xunit.Abstractions;

namespace Backprop.Tests.CrossCheck;

/// <summary>
/// An independent check of every hand-written forward and backward pass against PyTorch autograd
/// (tests/torch/reference.py, float64), on random networks of every layer type with every loss; and of the
/// float32 engine against the float64 one on the same networks. See tests/torch/README.md.
/// </summary>
public sealed class TorchCrossCheckTests(ITestOutputHelper output)
{
    /// <summary>Fixed, so a failure names a case that can be rebuilt and rerun by hand.</summary>
    private const ulong Seed = 20261126;

    // Both sides compute the same formulas in float64, so they differ by rounding only: a few ulps per operation,
    // far below 1e-9 relative. The 1e-12 floor covers entries that cancel to (nearly) 0, where the absolute error
    // (about 1e-16 times the size of the terms) is all that is meaningful.
    private const double F64Rel = 1e-9, F64Abs = 1e-12;

    // float32 rounds the weights and inputs on load (relative 6e-8) and every operation after; through a few layers
    // that stays near 1e-6 relative (measured: 5e-6 at worst), so 1e-4 leaves a wide margin while a wrong derivative
    // is off by O(1). An entry that is a sum which cancels has a float32 error relative not to itself but to its
    // terms (about u·Σ|terms|), and the terms are of the size of the tensor's largest entries. So the floor is
    // 1e-6·max(1, largest |entry| of that tensor): some 16 float32 roundings (u = 6e-8) of the terms, never less than
    // 1e-6 for tensors that are small because they cancel as a whole. Measured: cancelling entries are off by
    // 1.3e-8 of their tensor's largest entry at worst.
    private const double F32Rel = 1e-4, F32Abs = 1e-6;

    private static readonly TimeSpan ReferenceTimeout = TimeSpan.FromMinutes(5);

    [Fact]
    public void Float64_engine_matches_torch_autograd()
    {
        var watch = Stopwatch.StartNew();
        var cases = CrossCheckCases.Generate(Seed);
        CheckCoverage(cases);
        using var folder = new CaseFolder(cases);

        var outcome = TorchReference.Run(folder.CasesFile, ReferenceTimeout);
        if (outcome.Results is null)
        {
            string message = $"The PyTorch cross-check needs {TorchReference.Python} with torch: {outcome.Unavailable}\n" +
                             "Install Debian's python3-torch (apt-get install python3-torch, or run scripts/setup.sh).";
            if (string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase))
                Assert.Fail(message + "\nCI=true: the cross-check must run in CI, so this is a failure, not a skip.");
            output.WriteLine("SKIPPED (not in CI): " + message);
            folder.Keep = false;
            return;
        }

        var agreement = new Agreement("float64 engine vs torch", "engine", "torch", F64Rel, F64Abs);
        var errors = new List<string>();
        foreach (var c in cases)
        {
            if (!outcome.Results.TryGetValue(c.Name, out var reference)) { errors.Add($"{c.Name}: no result from reference.py"); continue; }
            if (reference.Result is null) { errors.Add($"{c.Name}: reference.py: {reference.Error}"); continue; }
            agreement.Compare(c.Name, RunEngine<double>(folder, c), reference.Result);
        }

        output.WriteLine($"{cases.Count} cases (seed {Seed}); reference.py took {outcome.Elapsed.TotalSeconds:F1} s, the whole test {watch.Elapsed.TotalSeconds:F1} s");
        output.WriteLine(agreement.Summary());
        folder.Keep = errors.Count > 0 || agreement.Failures > 0;
        Assert.True(errors.Count == 0, $"reference.py could not run {errors.Count} cases (files kept in {folder.Path}):\n" + string.Join("\n", errors));
        Assert.True(agreement.Failures == 0, $"the engine disagrees with torch (files kept in {folder.Path}):\n" + agreement.FailureReport());
    }

    [Fact]
    public void Float32_engine_matches_float64_engine()
    {
        var watch = Stopwatch.StartNew();
        var cases = CrossCheckCases.Generate(Seed);
        using var folder = new CaseFolder(cases);
        var agreement = new Agreement("float32 engine vs float64 engine", "f32", "f64", F32Rel, F32Abs, floorScalesWithTensor: true);
        var checkedCases = cases.Where(c => c.Float32).ToList();
        foreach (var c in checkedCases) agreement.Compare(c.Name, RunEngine<float>(folder, c), RunEngine<double>(folder, c));
        output.WriteLine($"{checkedCases.Count} of {cases.Count} cases (seed {Seed}; not the wide ones, see CrossCheckCases.Generate); {watch.Elapsed.TotalSeconds:F1} s");
        output.WriteLine(agreement.Summary());
        folder.Keep = agreement.Failures > 0;
        Assert.True(agreement.Failures == 0, $"float32 disagrees with float64 (files kept in {folder.Path}):\n" + agreement.FailureReport());
    }

    [Fact]
    public void Cases_are_clear_of_kinks_and_cover_every_layer_and_loss()
    {
        var cases = CrossCheckCases.Generate(Seed);
        CheckCoverage(cases.Where(c => c.Kind == CaseKind.Unit).ToList());
        CheckCoverage(cases.Where(c => c.Kind == CaseKind.Wide).ToList());
        Assert.True(cases.Count >= 60, $"only {cases.Count} cases");
        Assert.All(cases.Where(c => c.Kind != CaseKind.Edge), c => Assert.True(c.KinkMargin >= CrossCheckCases.MinKinkMargin, c.Name));
        foreach (var c in cases) output.WriteLine(CrossCheckCases.Describe(c));
    }

    /// <summary>The engine on the case's files, as `backprop grad` would print it, read back.</summary>
    private static GradResult RunEngine<T>(CaseFolder folder, CrossCheckCase c) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var p = Problem.FromFiles<T>(folder.ModelFile(c), folder.DataFile(c), c.Loss);
        if (c.Mode == "eval") p.Model.Eval();
        return GradResult.Parse(GradientReport.Compute(p.Model, p.Loss, p.Batch, allowNonFinite: true).ToJson(), $"engine {c.Name}");
    }

    /// <summary>Fails when a layer type or loss is added to the library but not to the generator.</summary>
    private static void CheckCoverage(IReadOnlyList<CrossCheckCase> cases)
    {
        var layerTypes = cases.SelectMany(c => ModelFile.Parse(c.ModelJson, c.Name).Layers.Select(l => l.Type)).ToHashSet();
        var missingLayers = LayerKinds.Names.Where(t => !layerTypes.Contains(t)).ToList();
        Assert.True(missingLayers.Count == 0, $"no cross-check case uses layer types: {string.Join(", ", missingLayers)}");
        var missingLosses = LossFunctions.Names.Where(l => cases.All(c => c.Loss != l)).ToList();
        Assert.True(missingLosses.Count == 0, $"no cross-check case uses losses: {string.Join(", ", missingLosses)}");
        bool scaled = cases.Any(c => ModelFile.Parse(c.ModelJson, c.Name).Layers.Any(l => l is ReLU { Scale: not 1.0 }));
        Assert.True(scaled, "no cross-check case uses a scaled relu");
        foreach (string mode in new[] { "train", "eval" })
            Assert.True(cases.Any(c => c.Mode == mode && ModelFile.Parse(c.ModelJson, c.Name).Layers.Any(l => l is BatchNorm)), $"no {mode} case with batch normalisation");
    }

    /// <summary>A temporary folder with each case's model and data file and cases.json for reference.py; deleted unless kept.</summary>
    private sealed class CaseFolder : IDisposable
    {
        public CaseFolder(IReadOnlyList<CrossCheckCase> cases)
        {
            Path = Directory.CreateTempSubdirectory("backprop-torch-").FullName;
            var list = new StringBuilder("[\n");
            for (int i = 0; i < cases.Count; i++)
            {
                var c = cases[i];
                File.WriteAllText(ModelFile(c), c.ModelJson);
                File.WriteAllText(DataFile(c), c.DataJson);
                list.Append(i == 0 ? "  " : ",\n  ").Append(System.Text.Json.JsonSerializer.Serialize(new Dictionary<string, string>
                {
                    ["name"] = c.Name, ["model"] = ModelFile(c), ["data"] = DataFile(c), ["loss"] = c.Loss, ["mode"] = c.Mode,
                }));
            }
            list.Append("\n]\n");
            CasesFile = System.IO.Path.Combine(Path, "cases.json");
            File.WriteAllText(CasesFile, list.ToString());
        }

        public string Path { get; }
        public string CasesFile { get; }
        /// <summary>Kept until a test says it passed, so that files behind a failure or an exception stay for rerunning by hand.</summary>
        public bool Keep { get; set; } = true;

        public string ModelFile(CrossCheckCase c) => System.IO.Path.Combine(Path, c.Name + ".model.json");
        public string DataFile(CrossCheckCase c) => System.IO.Path.Combine(Path, c.Name + ".data.json");

        public void Dispose()
        {
            if (!Keep) Directory.Delete(Path, recursive: true);
        }
    }
}
