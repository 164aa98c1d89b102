using Backprop.Diagnostics;
using Backprop.Examples;

namespace Backprop.Tests.Diagnostics;

/// <summary>
/// Seed 003, problem 2, reproduced by the engine: every number of the solution sheet to its four decimals, and the
/// same numbers to full double precision against the closed-form chain rule written out independently below.
/// </summary>
public class Seed003GoldenTests
{
    private static readonly WorkedSolution Solution = Solve();

    private static WorkedSolution Solve()
    {
        var p = Problem.FromExample<double>("seed003");
        return WorkedSolution.Solve(p.Model, p.Loss, p.Batch, p.LearningRate);
    }

    // The sheet's network by hand, in our [out][in] layout: z1 = W1·x + b1, H = σ(z1), z2 = W2·H + b2, ŷ = softmax(z2), L = ½‖ŷ − y‖².
    private sealed class ByHand
    {
        public readonly double[] H, Yhat, GradW2, GradB2, GradW1, GradB1;
        public readonly double Loss;

        public ByHand(double[,] w1, double[] b1, double[,] w2, double[] b2)
        {
            double[] x = [1, 0], y = [0, 1];
            static double Sigma(double z) => 1 / (1 + Math.Exp(-z));
            H = [Sigma(w1[0, 0] * x[0] + w1[0, 1] * x[1] + b1[0]), Sigma(w1[1, 0] * x[0] + w1[1, 1] * x[1] + b1[1])];
            double z0 = w2[0, 0] * H[0] + w2[0, 1] * H[1] + b2[0], z1 = w2[1, 0] * H[0] + w2[1, 1] * H[1] + b2[1];
            double e0 = Math.Exp(z0), e1 = Math.Exp(z1);
            Yhat = [e0 / (e0 + e1), e1 / (e0 + e1)];
            Loss = 0.5 * ((Yhat[0] - y[0]) * (Yhat[0] - y[0]) + (Yhat[1] - y[1]) * (Yhat[1] - y[1]));
            double[] dy = [Yhat[0] - y[0], Yhat[1] - y[1]];
            // Softmax Jacobian: ∂ŷk/∂zi = ŷk(δki − ŷi).
            GradB2 = [Yhat[0] * (1 - Yhat[0]) * dy[0] - Yhat[1] * Yhat[0] * dy[1], -Yhat[0] * Yhat[1] * dy[0] + Yhat[1] * (1 - Yhat[1]) * dy[1]];
            GradW2 = [GradB2[0] * H[0], GradB2[0] * H[1], GradB2[1] * H[0], GradB2[1] * H[1]];
            double[] dH = [w2[0, 0] * GradB2[0] + w2[1, 0] * GradB2[1], w2[0, 1] * GradB2[0] + w2[1, 1] * GradB2[1]];
            GradB1 = [dH[0] * H[0] * (1 - H[0]), dH[1] * H[1] * (1 - H[1])];
            GradW1 = [GradB1[0] * x[0], GradB1[0] * x[1], GradB1[1] * x[0], GradB1[1] * x[1]];
        }
    }

    private static readonly ByHand Before = new(new double[,] { { 3, 4 }, { 6, 5 } }, [1, -6], new double[,] { { 2, 4 }, { 3, 3 } }, [-1, -2]);

    private static void Sheet(double[] expected, double[] actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++) Assert.Equal(expected[i], Math.Round(actual[i], expected[i] == 0.982 ? 3 : 4));
    }

    private static void Exact(double[] expected, double[] actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) <= 1e-15 * Math.Max(1, Math.Abs(expected[i])),
                $"element {i}: engine {actual[i]:R}, by hand {expected[i]:R}");
    }

    private static double[] Grad(string name) => Solution.Backward.SelectMany(b => b.ParameterGrads).Single(g => g.Name == name).Grad.Values;

    private static double[] After(string name) => Solution.Updates.Single(u => u.Name == name).After.Values;

    [Fact]
    public void Forward_pass_matches_the_sheet()
    {
        Sheet([0.982, 0.5], Solution.Forward[1].Output.Values);
        Sheet([0.6267, 0.3733], Solution.Forward[3].Output.Values);
        Exact(Before.H, Solution.Forward[1].Output.Values);
        Exact(Before.Yhat, Solution.Forward[3].Output.Values);
    }

    [Fact]
    public void Loss_and_its_gradient_match_the_sheet()
    {
        Assert.Equal(0.3927, Math.Round(Solution.Loss, 4));
        Exact([Before.Loss], [Solution.Loss]);
        Sheet([0.6267, -0.6267], Solution.LossGrad.Values);
    }

    [Fact]
    public void Gradients_match_the_sheet_in_out_by_in_layout()
    {
        Sheet([0.2880, 0.1466, -0.2880, -0.1466], Grad("2.weight"));
        Sheet([0.2932, -0.2932], Grad("2.bias"));
        Sheet([-0.0052, 0, 0.0733, 0], Grad("0.weight"));
        Sheet([-0.0052, 0.0733], Grad("0.bias"));
        Sheet([-0.2932, 0.2932], Solution.Backward.Single(b => b.Index == 2).InputGrad.Values); // ∇H, eq. 21
        Exact(Before.GradW2, Grad("2.weight"));
        Exact(Before.GradB2, Grad("2.bias"));
        Exact(Before.GradW1, Grad("0.weight"));
        Exact(Before.GradB1, Grad("0.bias"));
    }

    [Fact]
    public void Update_matches_the_sheet()
    {
        Sheet([3.0026, 4, 5.9633, 5], After("0.weight"));
        Sheet([1.0026, -6.0367], After("0.bias"));
        Sheet([1.8560, 3.9267, 3.1440, 3.0733], After("2.weight"));
        Sheet([-1.1466, -1.8534], After("2.bias"));
        Exact([3 - 0.5 * Before.GradW1[0], 4 - 0.5 * Before.GradW1[1], 6 - 0.5 * Before.GradW1[2], 5 - 0.5 * Before.GradW1[3]], After("0.weight"));
        Exact([-1 - 0.5 * Before.GradB2[0], -2 - 0.5 * Before.GradB2[1]], After("2.bias"));
    }

    [Fact]
    public void Loss_after_the_update_matches_both_cases_of_the_sheet()
    {
        var w1 = After("0.weight");
        var w2 = After("2.weight");
        var both = new ByHand(new double[,] { { w1[0], w1[1] }, { w1[2], w1[3] } }, After("0.bias"), new double[,] { { w2[0], w2[1] }, { w2[2], w2[3] } }, After("2.bias"));
        var lastOnly = new ByHand(new double[,] { { 3, 4 }, { 6, 5 } }, [1, -6], new double[,] { { w2[0], w2[1] }, { w2[2], w2[3] } }, After("2.bias"));

        // Case 1: both layers updated.
        Sheet([0.9821, 0.4817], both.H);
        Sheet([0.4633, 0.5367], Solution.After!.Output.Values);
        Assert.Equal(0.2146, Math.Round(Solution.After.Loss, 4));
        Exact([both.Loss], [Solution.After.Loss]);

        // Case 2: only the output layer updated.
        Assert.Equal(2, Solution.LastLayerOnly);
        Sheet([0.4672, 0.5328], Solution.AfterLastLayerOnly!.Output.Values);
        Assert.Equal(0.2183, Math.Round(Solution.AfterLastLayerOnly.Loss, 4));
        Exact([lastOnly.Loss], [Solution.AfterLastLayerOnly.Loss]);
    }

    [Fact]
    public void Text_trace_shows_the_sheet_numbers()
    {
        string text = WorkedSolutionWriter.Text(Solution, 4);
        foreach (var s in new[] { "0.9820, 0.5000", "0.6267, 0.3733", "0.3927", "[[0.2880, 0.1466], [-0.2880, -0.1466]]", "[-1.1466, -1.8534]", "0.2146", "0.2183" })
            Assert.Contains(s, text);
    }

    [Fact]
    public void Solving_leaves_the_model_unchanged()
    {
        var p = Problem.FromExample<double>("seed003");
        string before = Backprop.Models.ModelFile.Write(p.Model);
        WorkedSolution.Solve(p.Model, p.Loss, p.Batch, 0.5);
        Assert.Equal(before, Backprop.Models.ModelFile.Write(p.Model));
    }
}
