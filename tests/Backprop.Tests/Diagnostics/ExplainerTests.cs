using Backprop.Autodiff;
using Backprop.Cli;
using Backprop.Data;
using Backprop.Diagnostics;
using Backprop.Examples;
using Backprop.Models;

namespace Backprop.Tests.Diagnostics;

/// <summary>
/// The library pieces behind 'backprop explore': editing a problem, writing it back as files, the sheet layout,
/// finite differences of one entry, the quiz's slips, the chain rule per backward step and the graph's nodes.
/// </summary>
public class ExplainerTests
{
    private static Problem<double> Seed003() => Problem.FromExample<double>("seed003");

    [Fact]
    public void An_edit_changes_one_entry_of_a_copy()
    {
        var p = Seed003();
        var edited = ProblemEditor.Apply(p, [new ProblemEdit("2.weight", [0, 1], 1.5), new ProblemEdit("x", [0, 1], 0.25), new ProblemEdit("lr", [], 0.1), new ProblemEdit("mode", [], null, "eval")]);
        Assert.Equal(1.5, edited.Model.NamedParameters[2].Parameter.Value[1]);
        Assert.Equal(4, p.Model.NamedParameters[2].Parameter.Value[1]);
        Assert.Equal(0.25, edited.Batch.X[1]);
        Assert.Equal(0, p.Batch.X[1]);
        Assert.Equal(0.1, edited.LearningRate);
        Assert.False(edited.Model.Training);
    }

    [Theory]
    [InlineData("9.weight", "[0, 0]", "unknown target")]
    [InlineData("0.weight", "[2, 0]", "outside shape [2, 2]")]
    [InlineData("0.weight", "[0]", "has 1 dimension(s)")]
    public void A_bad_edit_is_refused_naming_it(string target, string index, string message)
    {
        int[] i = index.Trim('[', ']').Split(',').Select(s => int.Parse(s)).ToArray();
        var e = Assert.Throws<BackpropException>(() => ProblemEditor.Apply(Seed003(), [new ProblemEdit(target, i, 1)]));
        Assert.Contains(message, e.Message);
        Assert.Contains(target, e.Message);
        Assert.Contains("finite", Assert.Throws<BackpropException>(() => ProblemEditor.Apply(Seed003(), [new ProblemEdit("x", [0, 0], double.NaN)])).Message);
        Assert.Contains("'train' or 'eval'", Assert.Throws<BackpropException>(() => ProblemEditor.Apply(Seed003(), [new ProblemEdit("mode", [], null, "test")])).Message);
    }

    [Fact]
    public void Written_files_load_back_as_the_same_problem_and_the_command_reproduces_its_trace()
    {
        var edited = ProblemEditor.Apply(Seed003(), [new ProblemEdit("0.weight", [1, 0], -2.5), new ProblemEdit("y", [0, 0], 0.5)]);
        var files = ProblemFiles.Of(edited);
        string dir = Directory.CreateTempSubdirectory("backprop-files").FullName;
        try
        {
            File.WriteAllText(Path.Combine(dir, "model.json"), files.ModelJson);
            File.WriteAllText(Path.Combine(dir, "data.json"), files.DataJson);
            Assert.Equal("backprop trace --model model.json --data data.json --loss half_sse --lr 0.5", files.Command);
            var args = files.Command.Split(' ').Skip(1).Select(a => a.EndsWith(".json") ? Path.Combine(dir, a) : a).Concat(["--format", "json"]).ToArray();
            var stdout = new StringWriter();
            Assert.Equal(0, Program.Run(args, stdout, new StringWriter()));
            Assert.Equal(WorkedSolutionWriter.Json(WorkedSolution.Solve(edited.Model, edited.Loss, edited.Batch, edited.LearningRate)), stdout.ToString());
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    [Fact]
    public void Sheet_layout_prints_seed003s_gradient_of_W2_as_the_sheet_does()
    {
        var p = Seed003();
        var s = WorkedSolution.Solve(p.Model, p.Loss, p.Batch, p.LearningRate);
        var sheet = WorkedSolutionLayout.ToSheet(s);
        var torch = s.Backward.Single(b => b.Index == 2).ParameterGrads[0].Grad;
        var transposed = sheet.Backward.Single(b => b.Index == 2).ParameterGrads[0].Grad;
        Assert.Equal([2, 2], transposed.Shape);
        for (int r = 0; r < 2; r++)
            for (int c = 0; c < 2; c++)
                Assert.Equal(torch.Values[r * 2 + c], transposed.Values[c * 2 + r]);
        string text = WorkedSolutionWriter.Text(sheet, 4);
        // The sheet: ∇W² = [[0.2880, −0.2880], [0.1466, −0.1466]] (rows: hidden units, columns: outputs).
        Assert.Contains("dL/d(2.weight) = [[0.2880, -0.2880], [0.1466, -0.1466]]", text);
        Assert.Contains("[in][out]", text);
        Assert.Contains("\"layout\": \"sheet\"", WorkedSolutionWriter.Json(sheet));
        Assert.DoesNotContain("\"layout\"", WorkedSolutionWriter.Json(s));
        var stdout = new StringWriter();
        Assert.Equal(0, Program.Run(["trace", "--example", "seed003", "--layout", "sheet"], stdout, new StringWriter()));
        Assert.Equal(text, stdout.ToString());
    }

    [Theory]
    [InlineData("seed003", "0.weight")]
    [InlineData("seed003", "2.bias")]
    [InlineData("seed000-cnn", "0.weight")]
    [InlineData("seed001-regression", "x")]
    public void A_probe_agrees_with_backprop_and_the_nudge_with_its_prediction(string example, string name)
    {
        var p = Problem.FromExample<double>(example);
        int[] index = name == "x" ? new int[p.Batch.X.Rank] : new int[p.Model.NamedParameters.First(q => q.Name == name).Parameter.Value.Rank];
        var probe = FiniteDifferenceProbe.Run(p.Model, p.Loss, p.Batch, name, index, epsilon: 1e-4);
        Assert.True(probe.Passed, $"{probe}");
        Assert.True(Math.Abs(probe.ActualDelta - probe.PredictedDelta) <= 1e-6 + 1e-2 * Math.Abs(probe.PredictedDelta), $"{probe}");
    }

    [Fact]
    public void A_probe_of_a_dropout_model_in_training_mode_is_not_noisy()
    {
        var spec = ModelFile.Parse("""{"input": [4], "seed": 7, "layers": [{"type": "linear", "out": 6}, {"type": "relu"}, {"type": "dropout", "p": 0.5}, {"type": "linear", "out": 2}]}""", "model");
        var model = ModelFile.Build<double>(spec, "model");
        var batch = DataFile.Parse<double>("""{"x": [[1, -2, 0.5, 3], [0.1, 0.2, -0.3, 0.4]], "y": [[1, 0], [0, 1]]}""", "data", [4]);
        foreach (var (name, p) in model.NamedParameters)
            for (int i = 0; i < Math.Min(4, p.Value.Length); i++)
            {
                int[] index = p.Value.Rank == 2 ? [i / p.Value.Shape[1], i % p.Value.Shape[1]] : [i];
                Assert.True(FiniteDifferenceProbe.Run(model, Backprop.Losses.LossFunctions.Create<double>("mse"), batch, name, index).Passed, $"{name}{string.Join(",", index)}");
            }
    }

    [Fact]
    public void The_quiz_marks_right_and_names_each_slip()
    {
        var p = Seed003();
        var s = WorkedSolution.Solve(p.Model, p.Loss, p.Batch, p.LearningRate);
        var w2 = s.Backward.Single(b => b.Index == 2).ParameterGrads[0].Grad.Values; // [[0.2880, 0.1466], [-0.2880, -0.1466]]
        Assert.True(QuizChecker.Check(p.Model, p.Loss, p.Batch, "2.weight", [0, 1], 0.1466).Correct);
        Assert.Equal("sign", QuizChecker.Check(p.Model, p.Loss, p.Batch, "2.weight", [0, 1], -w2[1]).Slip);
        Assert.Equal("transposed", QuizChecker.Check(p.Model, p.Loss, p.Batch, "2.weight", [0, 1], w2[2]).Slip);
        Assert.Null(QuizChecker.Check(p.Model, p.Loss, p.Batch, "2.weight", [0, 1], 12.5).Slip);

        // Softmax as element-wise: dL/dz = (ŷ − y) ⊙ ŷ(1 − ŷ), then dL/dW²[0,1] = that · H[1].
        double y0 = s.Forward[3].Output.Values[0], h1 = s.Forward[2].Input.Values[1];
        double elementwise = (y0 - 0) * y0 * (1 - y0) * h1;
        var v = QuizChecker.Check(p.Model, p.Loss, p.Batch, "2.weight", [0, 1], elementwise);
        Assert.Equal("softmax as elementwise", v.Slip);
        Assert.Contains("diag(s) − s sᵀ", v.Message);

        // Forgetting the sigmoid's derivative: dL/dW¹[0,0] = dL/dH[0] · x[0] instead of dL/dH[0]·σ'(z)·x[0].
        double dH0 = s.Backward.Single(b => b.Index == 1).Upstream.Values[0];
        Assert.Equal("forgotten activation derivative", QuizChecker.Check(p.Model, p.Loss, p.Batch, "0.weight", [0, 0], dH0 * 1).Slip);
    }

    [Fact]
    public void The_quiz_names_a_missing_one_over_N_of_a_mean_loss()
    {
        var p = Problem.FromExample<double>("seed004-batch");
        // The same network and batch under the mean squared error, a mean over the batch's N examples.
        var problem = new Problem<double>(p.Model, Backprop.Losses.LossFunctions.Create<double>("mse"), p.Batch, null);
        var report = GradientReport.Compute(problem.Model.Clone(), problem.Loss, problem.Batch);
        var g = report.Grads[0].Grad;
        int flat = Array.FindIndex(g.Values, x => Math.Abs(x) > 1e-3);
        int[] index = [flat / g.Shape[1], flat % g.Shape[1]];
        var v = QuizChecker.Check(problem.Model, problem.Loss, problem.Batch, "0.weight", index, g.Values[flat] * problem.Batch.X.Shape[0]);
        Assert.Equal("missing 1/N", v.Slip);
    }

    [Fact]
    public void The_chain_rule_shows_W_a_diagonal_and_softmaxs_jacobian_with_the_numbers()
    {
        var p = Seed003();
        var steps = ChainRule.Compute(p.Model, p.Loss, p.Batch);
        Assert.Equal([3, 2, 1, 0], steps.Select(s => s.Index));
        var softmax = steps[0];
        Assert.Equal("softmax", softmax.Kind);
        var s = p.Model.Clone().Forward(p.Batch.X).ToDoubleArray();
        for (int i = 0; i < 2; i++)
            for (int j = 0; j < 2; j++)
                Assert.Equal((i == j ? s[i] : 0) - s[i] * s[j], softmax.Jacobian!.Values[i * 2 + j], 15);
        var linear = steps[1];
        Assert.Equal("linear", linear.Kind);
        Assert.Equal([2.0, 4, 3, 3], linear.Jacobian!.Values);
        var sigmoid = steps[2];
        Assert.Equal("elementwise", sigmoid.Kind);
        Assert.Equal(0, sigmoid.Jacobian!.Values[1]);
        Assert.Equal(0, sigmoid.Jacobian!.Values[2]);
        foreach (var step in steps)
            for (int c = 0; c < step.Downstream.Values.Length; c++)
            {
                double sum = 0;
                for (int r = 0; r < step.Upstream.Values.Length; r++) sum += step.Upstream.Values[r] * step.Jacobian!.Values[r * step.Downstream.Values.Length + c];
                Assert.Equal(step.Downstream.Values[c], sum, 12);
            }
        var report = GradientReport.Compute(p.Model.Clone(), p.Loss, p.Batch);
        Assert.Equal(report.Grads[2].Grad.Values, linear.OuterProducts.Single().Product.Values);
        Assert.Contains("\\operatorname{diag}(s) - s s^\\top", softmax.Latex.Single());
        Assert.Contains("\\begin{bmatrix} 2.0000 & 4.0000 \\\\  3.0000 & 3.0000 \\end{bmatrix}", linear.Latex[0]);
        Assert.Contains("\\nabla_{\\mathrm{2.weight}} L", linear.Latex[1]);
    }

    [Fact]
    public void A_view_previews_large_tensors_and_hides_the_quizs_gradient_and_what_would_give_it_away()
    {
        var p = Seed003();
        var s = WorkedSolution.Solve(p.Model, p.Loss, p.Batch, p.LearningRate);
        // A preview: shape, statistics, then the values (all of them here: 2 × 2 is within the preview's rows and columns).
        string text = WorkedSolutionWriter.Text(s, 4, new WorkedSolutionView(MaxEntries: 3, Hidden: "2.weight"));
        Assert.Contains("    0.weight = 2×2, 4 values (min 3.0000, mean 4.5000, max 6.0000): [[3.0000, 4.0000], [6.0000, 5.0000]]\n", text);
        Assert.Contains("    0.bias = [1.0000, -6.0000]\n", text);
        // The hidden gradient, and the weight its update gives, are '?'.
        Assert.Contains("    dL/d(2.weight) = ? (hidden by the quiz)\n", text);
        Assert.Contains("    2.weight = 2×2, 4 values (min 2.0000, mean 3.0000, max 4.0000): [[2.0000, 4.0000], [3.0000, 3.0000]] − 0.5·? = ? (hidden by the quiz)\n", text);
        Assert.Contains("    dL/d(2.bias) = [0.2932, -0.2932]\n", text);
        string markdown = WorkedSolutionWriter.Markdown(s, 4, new WorkedSolutionView(MaxEntries: 3, Hidden: "2.weight"));
        Assert.Contains("$$\\nabla_{\\mathrm{2.weight}} L = \\boxed{?}$$", markdown);
        Assert.Contains("$$\\mathrm{0.weight} = \\underbrace{\\begin{bmatrix} 3.0000 & 4.0000 \\\\  6.0000 & 5.0000 \\end{bmatrix}}_{2 \\times 2:\\ \\min = 3.0000,\\ \\operatorname{mean} = 4.5000,\\ \\max = 6.0000}", markdown);
        // dL/dx is layer 0's dL/d(input), and only that one is hidden.
        var lines = WorkedSolutionWriter.Text(s, 4, new WorkedSolutionView(Hidden: "x")).Split('\n');
        Assert.Equal("    dL/d(input) = ? (hidden by the quiz)", Assert.Single(lines, l => l.Contains("hidden")));
        Assert.Equal(3, lines.Count(l => l.StartsWith("    dL/d(input) = [[", StringComparison.Ordinal)));
        var chain = ChainRule.Compute(p.Model, p.Loss, p.Batch, view: new WorkedSolutionView(Hidden: "x"));
        Assert.Contains("= \\underbrace{\\boxed{?}}_{\\partial L / \\partial h^{(0)}}", chain.Single(c => c.Index == 0).Latex[0]);
    }

    [Fact]
    public void Graph_nodes_carry_local_derivatives_and_the_chain_that_reaches_them()
    {
        var e = ExpressionParser.Parse("a = x*y + z; b = (x + x)*a; w = a*b", ExpressionParser.ParseInputs("x=1,y=2,z=3", "at"), "expr", "at");
        e.Output.Backward();
        var nodes = ComputationGraph.Nodes(e.Output);
        var x = nodes.Single(n => n.Label == "x");
        Assert.Equal(90, x.Grad);
        Assert.Equal(90, x.Chain.Sum(c => c.Product));
        var sum = nodes.Single(n => n.Op == "+" && n.Local.Count == 1);  // x + x
        Assert.Equal(2, sum.Local.Single().Derivative);
        var w = nodes.Single(n => n.Label == "w");
        Assert.Equal(50, w.Value);
        Assert.Equal(1, w.Grad);
        Assert.Equal(nodes.Count, nodes.Select(n => n.Id).Distinct().Count());
        Assert.Equal(90, e.Inputs[0].Grad); // the gradients are left as they were
    }
}
