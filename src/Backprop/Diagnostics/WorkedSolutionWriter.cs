using System.Text;

namespace Backprop.Diagnostics;

/// <summary>Lays out a <see cref="WorkedSolution"/> as plain text, as Markdown with LaTeX matrices, or as JSON.</summary>
public static class WorkedSolutionWriter
{
    public static readonly IReadOnlyList<string> Formats = ["text", "markdown", "json"];

    public static string Write(WorkedSolution s, string format, int digits) => format switch
    {
        "text" => Text(s, digits),
        "markdown" => Markdown(s, digits),
        "json" => Json(s),
        _ => throw new BackpropException($"unknown trace format '{format}'; expected one of: {string.Join(", ", Formats)}"),
    };

    // One layout serves text and Markdown; only how a heading and a tensor are written differs. The view says which
    // tensors are written as previews and which gradient is hidden.
    private sealed class Style(bool markdown, int digits, WorkedSolutionView view)
    {
        private readonly Func<double, string> _number = NumberFormat.Fixed(digits);

        public readonly StringBuilder Out = new();

        public WorkedSolutionView View => view;

        public void Heading(string text)
        {
            if (markdown) Out.Append("\n### ").Append(text).Append("\n\n");
            else Out.Append('\n').Append(text).Append('\n').Append('-', text.Length).Append('\n');
        }

        public void Sub(string text)
        {
            if (markdown) Out.Append("**").Append(text).Append("**\n\n");
            else Out.Append(text).Append('\n');
        }

        public void Line(string text) => Out.Append(markdown ? "" : "    ").Append(text).Append(markdown ? "\n\n" : "\n");

        /// <summary>A labelled tensor: nested brackets in text, a LaTeX matrix in Markdown; "?" when <paramref name="hidden"/>.</summary>
        public void Value(string label, string latexLabel, TensorValue v, string? prefix = null, bool hidden = false)
        {
            if (!markdown)
            {
                Line($"{label} = {prefix}{(hidden ? HiddenText : Nested(v))}");
                return;
            }
            Out.Append("$$").Append(latexLabel).Append(" = ").Append(prefix is null ? "" : Latex(prefix)).Append(hidden ? HiddenLatex : Matrix(v)).Append("$$\n\n");
        }

        public string Matrix(TensorValue v) => LatexMatrix(v, _number, view);

        public string N(double v) => _number(v);

        public string Nested(TensorValue v) => view.Elides(v) ? TextPreview(v, _number, view) : NumberFormat.Nested(v.Values, v.Shape, _number);

        private static string Latex(string s) => s.Replace("η", "\\eta").Replace("·", " \\cdot ").Replace("−", "-");
    }

    /// <summary>What stands for a hidden gradient: in text, and in LaTeX.</summary>
    public const string HiddenText = "? (hidden by the quiz)", HiddenLatex = "\\boxed{?}";

    /// <summary>
    /// A tensor as a LaTeX bmatrix, as the Markdown worked solution writes it: rows × last dimension, higher-rank tensors
    /// stacked row-major, numbers with <paramref name="digits"/> decimals; a preview when <paramref name="view"/> elides it.
    /// </summary>
    public static string LatexMatrix(TensorValue v, int digits, WorkedSolutionView? view = null) =>
        LatexMatrix(v, NumberFormat.Fixed(digits), view ?? WorkedSolutionView.Full);

    private static string LatexMatrix(TensorValue v, Func<double, string> number, WorkedSolutionView view)
    {
        var (rows, cols) = RowsAndColumns(v);
        bool elided = view.Elides(v);
        var (shownRows, shownColumns) = view.Shown(v, rows, cols);
        bool moreRows = shownRows < rows, moreColumns = shownColumns < cols;
        var sb = new StringBuilder(elided ? "\\underbrace{\\begin{bmatrix}" : "\\begin{bmatrix}");
        for (int r = 0; r < shownRows; r++)
        {
            if (r > 0) sb.Append(" \\\\ ");
            for (int c = 0; c < shownColumns; c++) sb.Append(c > 0 ? " & " : " ").Append(number(v.Values[r * cols + c]));
            if (moreColumns) sb.Append(" & \\cdots");
        }
        if (moreRows)
        {
            sb.Append(" \\\\ ");
            for (int c = 0; c < shownColumns; c++) sb.Append(c > 0 ? " & " : " ").Append("\\vdots");
            if (moreColumns) sb.Append(" & \\ddots");
        }
        sb.Append(" \\end{bmatrix}");
        if (!elided) return sb.ToString();
        var (min, mean, max) = v.Statistics();
        string shape = v.Shape.Length == 0 ? "1" : string.Join(" \\times ", v.Shape);
        return sb.Append($"}}_{{{shape}:\\ \\min = {number(min)},\\ \\operatorname{{mean}} = {number(mean)},\\ \\max = {number(max)}}}").ToString();
    }

    /// <summary>
    /// A tensor too large to write in full, in one line: "300×2704, 811200 values (min …, mean …, max …): [[a, b, …, ⋯],
    /// …, ⋮]", its first rows (of the last dimension) and columns; a vector is "300 values (…): [a, b, …, ⋯]".
    /// </summary>
    private static string TextPreview(TensorValue v, Func<double, string> number, WorkedSolutionView view)
    {
        var (rows, cols) = RowsAndColumns(v);
        var (shownRows, shownColumns) = view.Shown(v, rows, cols);
        var (min, mean, max) = v.Statistics();
        string Row(int r) => "[" + string.Join(", ", Enumerable.Range(0, shownColumns).Select(c => number(v.Values[r * cols + c])))
            + (shownColumns < cols ? ", ⋯]" : "]");
        string preview = v.Shape.Length <= 1 ? Row(0)
            : "[" + string.Join(", ", Enumerable.Range(0, shownRows).Select(Row)) + (shownRows < rows ? ", ⋮]" : "]");
        string shape = v.Shape.Length <= 1 ? "" : $"{string.Join("×", v.Shape)}, ";
        return $"{shape}{v.Values.Length} values (min {number(min)}, mean {number(mean)}, max {number(max)}): {preview}";
    }

    // A tensor as a matrix: its last dimension as columns, every other dimension stacked into rows.
    private static (int Rows, int Columns) RowsAndColumns(TensorValue v)
    {
        int cols = v.Shape.Length == 0 ? 1 : v.Shape[^1];
        return (cols == 0 ? 0 : v.Values.Length / cols, cols);
    }

    public static string Text(WorkedSolution s, int digits) => Text(s, digits, WorkedSolutionView.Full);

    public static string Markdown(WorkedSolution s, int digits) => Markdown(s, digits, WorkedSolutionView.Full);

    /// <summary>The text as <paramref name="view"/> shows it: large tensors as previews, a hidden gradient as "?".</summary>
    public static string Text(WorkedSolution s, int digits, WorkedSolutionView view) => Layout(s, new Style(false, digits, view), false);

    /// <summary>The Markdown as <paramref name="view"/> shows it: large tensors as previews, a hidden gradient as "?".</summary>
    public static string Markdown(WorkedSolution s, int digits, WorkedSolutionView view) => Layout(s, new Style(true, digits, view), true);

    private static string Layout(WorkedSolution s, Style w, bool markdown)
    {
        string Code(string text) => markdown ? $"`{text}`" : text;
        w.Out.Append(markdown ? "## Worked solution\n\n" : "Worked solution\n===============\n");
        w.Line($"Model: {Code(System.Text.RegularExpressions.Regex.Replace(s.Model, @"\s+", " "))}");
        w.Line($"Loss: {Code(s.LossName)}" + (s.LearningRate is double lr ? $"; learning rate η = {NumberFormat.RoundTrip(lr)}" : "") +
            (s.SinglePrecision ? "; float32 arithmetic" : "; float64 arithmetic"));
        w.Line(s.Layout == WorkedSolutionLayout.Sheet
            ? "Layout as on the sheets: rows are examples; a linear layer's weight is [in][out] and computes x·W + b."
            : "Layout as in PyTorch: rows are examples; a linear layer's weight is [out][in] and computes x·Wᵀ + b.");
        w.Value("x", "x", s.X);
        w.Value("y", "y", s.Y);

        w.Heading("Forward pass");
        foreach (var f in s.Forward)
        {
            w.Sub($"Layer {f.Index}: {f.Layer}");
            w.Value("input", $"h^{{({f.Index})}}", f.Input);
            foreach (var (name, value) in f.Parameters)
                w.Value(name, $"\\mathrm{{{name}}}", value);
            foreach (var (label, latex, value) in f.Details)
                w.Value(label, latex, value);
            w.Value("output", $"h^{{({f.Index + 1})}}", f.Output);
        }

        w.Heading("Loss");
        w.Line($"L = {s.LossName}(ŷ, y) = {w.N(s.Loss)}");
        w.Value("dL/dŷ", "\\frac{\\partial L}{\\partial \\hat{y}}", s.LossGrad, hidden: w.View.HidesGradientOf(s.Forward.Count));

        w.Heading("Backward pass");
        foreach (var b in s.Backward)
        {
            w.Sub($"Layer {b.Index}: {b.Layer}");
            w.Value("upstream dL/d(output)", $"\\frac{{\\partial L}}{{\\partial h^{{({b.Index + 1})}}}}", b.Upstream, hidden: w.View.HidesGradientOf(b.Index + 1));
            if (b.Local is { Kind: "elementwise" } e)
                w.Value("local derivative f'(input)", $"f'(h^{{({b.Index})}})", e.Value);
            else if (b.Local is { } j)
                w.Value("Jacobian d(output)/d(input)", $"\\frac{{\\partial h^{{({b.Index + 1})}}}}{{\\partial h^{{({b.Index})}}}}", j.Value);
            foreach (var (name, grad) in b.ParameterGrads)
                w.Value($"dL/d({name})", $"\\nabla_{{\\mathrm{{{name}}}}} L", grad, hidden: w.View.Hides(name));
            w.Value("dL/d(input)", $"\\frac{{\\partial L}}{{\\partial h^{{({b.Index})}}}}", b.InputGrad, hidden: w.View.HidesGradientOf(b.Index));
        }

        if (s.LearningRate is double eta)
        {
            w.Heading($"Update (SGD, η = {NumberFormat.RoundTrip(eta)}): θ ← θ − η·∇θ");
            foreach (var u in s.Updates)
            {
                // A hidden gradient hides the weight it gives too: (before − after)/η would be the answer.
                bool hidden = w.View.Hides(u.Name);
                if (markdown)
                    w.Out.Append("$$\\mathrm{").Append(u.Name).Append("} = ").Append(w.Matrix(u.Before)).Append(" - ")
                        .Append(NumberFormat.RoundTrip(eta)).Append(" \\cdot ").Append(hidden ? HiddenLatex : w.Matrix(u.Grad))
                        .Append(" = ").Append(hidden ? HiddenLatex : w.Matrix(u.After)).Append("$$\n\n");
                else
                    w.Line($"{u.Name} = {w.Nested(u.Before)} − {NumberFormat.RoundTrip(eta)}·{(hidden ? "?" : w.Nested(u.Grad))} = {(hidden ? HiddenText : w.Nested(u.After))}");
            }
            w.Heading("After the update");
            if (s.After is { } a)
            {
                w.Value("output ŷ", "\\hat{y}", a.Output);
                w.Line($"loss = {w.N(a.Loss)} (before the update: {w.N(s.Loss)})");
            }
            if (s.AfterLastLayerOnly is { } l)
            {
                w.Line($"Updating only layer {s.LastLayerOnly} (the earlier layers keep their weights):");
                w.Value("output ŷ", "\\hat{y}", l.Output);
                w.Line($"loss = {w.N(l.Loss)}");
            }
        }
        return w.Out.ToString();
    }

    /// <summary>
    /// Every value at full precision (shortest round-trip), for programs and tests. JSON has no NaN or infinity: a
    /// solution holding one is refused, naming the first in the order of computation (text and markdown show them).
    /// </summary>
    public static string Json(WorkedSolution s)
    {
        CheckFinite(s);
        var f = NumberFormat.RoundTripIn(s.SinglePrecision);
        string T(TensorValue v) => NumberFormat.Nested(v.Values, v.Shape, f);
        static string Str(string v) => System.Text.Json.JsonSerializer.Serialize(v);
        string Grads(IReadOnlyList<(string Name, TensorValue Grad)> grads) => "{" + string.Join(", ", grads.Select(g => $"{Str(g.Name)}: {T(g.Grad)}")) + "}";
        string Re(Recomputed? r) => r is null ? "null" : $"{{\"output\": {T(r.Output)}, \"loss\": {f(r.Loss)}}}";
        var sb = new StringBuilder();
        sb.Append("{\n  \"model\": ").Append(Str(s.Model)).Append(",\n  \"loss_name\": ").Append(Str(s.LossName));
        sb.Append(",\n  \"precision\": ").Append(s.SinglePrecision ? "\"f32\"" : "\"f64\"");
        // PyTorch's layout is the default and is not named, so that the JSON of the default stays as it always was.
        if (s.Layout != WorkedSolutionLayout.Torch) sb.Append(",\n  \"layout\": ").Append(Str(s.Layout));
        sb.Append(",\n  \"x\": ").Append(T(s.X)).Append(",\n  \"y\": ").Append(T(s.Y));
        sb.Append(",\n  \"forward\": [");
        sb.Append(string.Join(",", s.Forward.Select(x =>
            $"\n    {{\"index\": {x.Index}, \"layer\": {Str(x.Layer)}, \"input\": {T(x.Input)}, \"parameters\": {Grads(x.Parameters)}, " +
            (x.Details.Count == 0 ? "" : $"\"details\": {Grads(x.Details.Select(d => (d.Label, d.Value)).ToList())}, ") + $"\"output\": {T(x.Output)}}}")));
        sb.Append("\n  ],\n  \"loss\": ").Append(f(s.Loss)).Append(",\n  \"loss_grad\": ").Append(T(s.LossGrad));
        sb.Append(",\n  \"backward\": [");
        sb.Append(string.Join(",", s.Backward.Select(b =>
            $"\n    {{\"index\": {b.Index}, \"layer\": {Str(b.Layer)}, \"upstream\": {T(b.Upstream)}, " +
            (b.Local is null ? "\"local\": null" : $"\"local\": {{\"kind\": {Str(b.Local.Kind)}, \"value\": {T(b.Local.Value)}}}") +
            $", \"grads\": {Grads(b.ParameterGrads)}, \"input_grad\": {T(b.InputGrad)}}}")));
        sb.Append("\n  ],\n  \"learning_rate\": ").Append(s.LearningRate is double lr ? NumberFormat.RoundTrip(lr) : "null");
        sb.Append(",\n  \"updates\": [");
        sb.Append(string.Join(",", s.Updates.Select(u =>
            $"\n    {{\"name\": {Str(u.Name)}, \"before\": {T(u.Before)}, \"grad\": {T(u.Grad)}, \"after\": {T(u.After)}}}")));
        sb.Append(s.Updates.Count > 0 ? "\n  ]" : "]");
        sb.Append(",\n  \"after\": ").Append(Re(s.After));
        sb.Append(",\n  \"last_layer_only\": ").Append(s.LastLayerOnly?.ToString() ?? "null");
        sb.Append(",\n  \"after_last_layer_only\": ").Append(Re(s.AfterLastLayerOnly));
        sb.Append("\n}\n");
        return sb.ToString();
    }

    private static void CheckFinite(WorkedSolution s)
    {
        if (FirstNonFinite(s) is string first)
            throw new BackpropException($"trace --format json: {first}, which JSON cannot hold (--format text or markdown shows every value)");
    }

    /// <summary>
    /// "the output of layers[0] is Infinity at [0, 1]": the first NaN or infinity of the solution in the order of
    /// computation, or null when every value is finite (and so the JSON can hold the solution).
    /// </summary>
    public static string? FirstNonFinite(WorkedSolution s) =>
        Values(s).Select(v => v.Value.FirstNonFinite() is string first ? $"{v.What} is {first}" : null).FirstOrDefault(m => m is not null);

    // Every value JSON must hold, named, in the order of computation.
    private static IEnumerable<(string What, TensorValue Value)> Values(WorkedSolution s)
    {
        foreach (var step in s.Forward)
        {
            foreach (var (name, value) in step.Parameters) yield return (name, value);
            yield return ($"the output of layers[{step.Index}]", step.Output);
        }
        yield return ("the loss", TensorValue.Scalar(s.Loss));
        yield return ("dL/dŷ", s.LossGrad);
        foreach (var step in s.Backward)
        {
            if (step.Local is not null) yield return ($"the local derivative of layers[{step.Index}]", step.Local.Value);
            foreach (var (name, grad) in step.ParameterGrads) yield return ($"the gradient of {name}", grad);
            yield return ($"dL/d(input) of layers[{step.Index}]", step.InputGrad);
        }
        foreach (var u in s.Updates) yield return ($"{u.Name} after the update", u.After);
        foreach (var (label, r) in new[] { ("after the update", s.After), ("after updating the last layer only", s.AfterLastLayerOnly) })
            if (r is not null)
            {
                yield return ($"the output {label}", r.Output);
                yield return ($"the loss {label}", TensorValue.Scalar(r.Loss));
            }
    }
}
