using System.CommandLine;
using Backprop.Experiments;
using Backprop.Visualization;

namespace Backprop.Cli.Commands;

/// <summary>backprop experiment gradient-flow: |dL/dw| at every layer of seed 000's 152-layer network.</summary>
internal static class GradientFlowExperimentCommand
{
    public const string Picture = "gradient-flow.png";

    public static Command Create(TextWriter stdout, TextWriter stderr)
    {
        var seed = ExperimentCommand.Seed();
        var output = ExperimentCommand.Out();
        var command = new Command("gradient-flow",
            "Seed 000, practice 2: the 152-layer network of two chains (and fully connected), sigmoid and ReLU; print |dL/dw₁⁽ˡ⁾| and |dL/dw₂⁽ˡ⁾| "
            + $"for every layer, check the chain rule, and plot them on a log scale to DIR/{Picture}")
        {
            seed, output,
        };
        command.SetAction(parse => CommandRunner.Run(stderr, () =>
        {
            ulong s = ExperimentCommand.SeedValue(parse, seed);
            string path = ExperimentCommand.OutPath(parse, output, Picture);
            var r = GradientFlowExperiment.Run(s);
            Print(r, stdout);
            ExperimentCharts.GradientFlow(r, path);
            stdout.WriteLine($"wrote {path}");
            return ExitCodes.Ok;
        }));
        return command;
    }

    private static void Print(GradientFlowExperimentResult r, TextWriter stdout)
    {
        var sci = ExperimentCommand.Sci;
        stdout.WriteLine($"Gradient flow (seed 000, practice 2): {GradientFlowExperiment.Depth} layers, no biases, L = ½(o₁⁽¹⁵²⁾ − y)², "
            + $"x = ({r.X[0]}, {r.X[1]}), y = {r.Y}, every weight U({GradientFlowExperiment.WeightLow}, {GradientFlowExperiment.WeightHigh}) / fan-in from seed {r.Seed}");
        stdout.WriteLine("A dead unit: the weights into it negated, so its pre-activation is negative. Networks:");
        char letter = 'A';
        foreach (var run in r.Runs) stdout.WriteLine($"  {letter++}: {run.Network.Name} (output {sci(run.Output)}, loss {sci(run.Loss)})");
        stdout.WriteLine("w₁⁽ˡ⁾, w₂⁽ˡ⁾: the chains' weights (fully connected: the diagonal W⁽ˡ⁾[1,1], W⁽ˡ⁾[2,2]); at l = 152 the output node's two weights.");
        stdout.WriteLine();

        var headers = new List<string> { "l" };
        letter = 'A';
        foreach (var _ in r.Runs)
        {
            headers.Add($"{letter} |dL/dw₁|");
            headers.Add($"{letter++} |dL/dw₂|");
        }
        var table = ExperimentCommand.Table(1, [.. headers]);
        for (int l = 0; l < GradientFlowExperiment.Depth; l++)
        {
            var cells = new List<string> { (l + 1).ToString() };
            foreach (var run in r.Runs)
            {
                cells.Add(sci(Math.Abs(run.Layers[l].DLdW1)));
                cells.Add(sci(Math.Abs(run.Layers[l].DLdW2)));
            }
            ExperimentCommand.Row(table, [.. cells]);
        }
        ExperimentCommand.Console(stdout).Write(table);
        stdout.WriteLine();

        letter = 'A';
        foreach (var run in r.Runs)
        {
            var check = GradientFlowExperiment.CheckChainRule(run);
            stdout.WriteLine($"{letter++}: {run.Network.Name}");
            stdout.WriteLine($"  |dL/dw₁⁽¹⁾| = {sci(Math.Abs(run.Layers[0].DLdW1))}, |dL/dw₁⁽¹⁵¹⁾| = {sci(Math.Abs(run.Layers[150].DLdW1))}, "
                + $"|dL/dw₁⁽¹⁵²⁾| = {sci(Math.Abs(run.Layers[151].DLdW1))}; ‖dL/dW⁽¹⁾‖ = {sci(run.Layers[0].WeightGradNorm)}, ‖dL/dW⁽¹⁵¹⁾‖ = {sci(run.Layers[150].WeightGradNorm)}");
            stdout.WriteLine($"  chain rule dL/do⁽ˡ⁾ = W⁽ˡ⁺¹⁾ᵀ(h′(a⁽ˡ⁺¹⁾) ⊙ dL/do⁽ˡ⁺¹⁾), l = 1…151: largest relative difference {sci(check.MaxRelativeDifference)}; "
                + $"largest ‖dL/do⁽ˡ⁾‖/‖dL/do⁽ˡ⁺¹⁾‖ {sci(check.MaxNormRatio)}; largest h′(a) {sci(check.MaxDerivative)}");
            if (run.Network.Wiring == Wiring.TwoChains && run.Network.Activation == "sigmoid")
                for (int unit = 1; unit <= 2; unit++)
                {
                    var (ratio, factor) = GradientFlowExperiment.ChainRatios(run, unit);
                    double worst = 0;
                    for (int i = 0; i < ratio.Length; i++) worst = Math.Max(worst, Math.Abs(ratio[i] - factor[i]) / factor[i]);
                    stdout.WriteLine($"  chain {unit}: |dL/do⁽ˡ⁾| / |dL/do⁽ˡ⁺¹⁾| = |w⁽ˡ⁺¹⁾·h′(a⁽ˡ⁺¹⁾)| to {sci(worst)} (relative); "
                        + $"the factor ranges over [{sci(factor.Min())}, {sci(factor.Max())}], ≤ max w / 4 ≤ {GradientFlowExperiment.WeightHigh / 4}");
                }
            for (int unit = 1; unit <= 2; unit++)
            {
                var zeros = GradientFlowExperiment.ZeroGradientLayers(run, unit);
                if (zeros.Length > 0) stdout.WriteLine($"  dL/dw{(unit == 1 ? "₁" : "₂")} is exactly 0 at {zeros.Length} layer(s): {Ranges(zeros)}");
            }
        }
    }

    // 1, 2, 3, 7 → "1–3, 7"
    private static string Ranges(int[] sorted)
    {
        var parts = new List<string>();
        for (int i = 0; i < sorted.Length;)
        {
            int j = i;
            while (j + 1 < sorted.Length && sorted[j + 1] == sorted[j] + 1) j++;
            parts.Add(i == j ? sorted[i].ToString() : $"{sorted[i]}–{sorted[j]}");
            i = j + 1;
        }
        return string.Join(", ", parts);
    }
}
