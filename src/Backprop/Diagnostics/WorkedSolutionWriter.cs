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

    // One layout serves text and Markdown; only how a heading and a tensor are written differs.
    private sealed class Style(bool markdown, int digits)
    {
        private readonly Func<double, string> _number = NumberFormat.Fixed(digits);

        public readonly StringBuilder Out = new();

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

        /// <summary>A labelled tensor: nested brackets in text, a LaTeX matrix in Markdown.</summary>
        public void Value(string label, string latexLabel, TensorValue v, string? prefix = null)
        {
            if (!markdown)
            {
                Line($"{label} = {prefix}{NumberFormat.Nested(v.Values, v.Shape, _number)}");
                return;
            }
            Out.Append("$$").Append(latexLabel).Append(" = ").Append(prefix is null ? "" : Latex(prefix)).Append(Matrix(v)).Append("$$\n\n");
        }

        public string Matrix(TensorValue v) => LatexMatrix(v, _number);

        public string N(double v) => _number(v);

        public string Nested(TensorValue v) => NumberFormat.Nested(v.Values, v.Shape, _number);

        private static string Latex(string s) => s.Replace("η", "\\eta").Replace("·", " \\cdot ").Replace("−", "-");
    }

    /// <summary>
    /// A tensor as a LaTeX bmatrix, as the Markdown worked solution writes it: rows × last dimension, higher-rank tensors
    /// stacked row-major, numbers with <paramref name="digits"/> decimals.
    /// </summary>
    public static string LatexMatrix(TensorValue v, int digits) => LatexMatrix(v, NumberFormat.Fixed(digits));

    private static string LatexMatrix(TensorValue v, Func<double, string> number)
    {
        int cols = v.Shape.Length == 0 ? 1 : v.Shape[^1];
        int rows = cols == 0 ? 0 : v.Values.Length / cols;
        var sb = new StringBuilder("\\begin{bmatrix}");
        for (int r = 0; r < rows; r++)
        {
            if (r > 0) sb.Append(" \\\\ ");
            for (int c = 0; c < cols; c++) sb.Append(c > 0 ? " & " : " ").Append(number(v.Values[r * cols + c]));
        }
        return sb.Append(" \\end{bmatrix}").ToString();
    }

    public static string Text(WorkedSolution s, int digits) => Layout(s, new Style(false, digits), false);

    public static string Markdown(WorkedSolution s, int digits) => Layout(s, new Style(true, digits), true);

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
        w.Value("dL/dŷ", "\\frac{\\partial L}{\\partial \\hat{y}}", s.LossGrad);

        w.Heading("Backward pass");
        foreach (var b in s.Backward)
        {
            w.Sub($"Layer {b.Index}: {b.Layer}");
            w.Value("upstream dL/d(output)", $"\\frac{{\\partial L}}{{\\partial h^{{({b.Index + 1})}}}}", b.Upstream);
            if (b.Local is { Kind: "elementwise" } e)
                w.Value("local derivative f'(input)", $"f'(h^{{({b.Index})}})", e.Value);
            else if (b.Local is { } j)
                w.Value("Jacobian d(output)/d(input)", $"\\frac{{\\partial h^{{({b.Index + 1})}}}}{{\\partial h^{{({b.Index})}}}}", j.Value);
            foreach (var (name, grad) in b.ParameterGrads)
                w.Value($"dL/d({name})", $"\\nabla_{{\\mathrm{{{name}}}}} L", grad);
            w.Value("dL/d(input)", $"\\frac{{\\partial L}}{{\\partial h^{{({b.Index})}}}}", b.InputGrad);
        }

        if (s.LearningRate is double eta)
        {
            w.Heading($"Update (SGD, η = {NumberFormat.RoundTrip(eta)}): θ ← θ − η·∇θ");
            foreach (var u in s.Updates)
            {
                if (markdown)
                    w.Out.Append("$$\\mathrm{").Append(u.Name).Append("} = ").Append(w.Matrix(u.Before)).Append(" - ")
                        .Append(NumberFormat.RoundTrip(eta)).Append(" \\cdot ").Append(w.Matrix(u.Grad)).Append(" = ").Append(w.Matrix(u.After)).Append("$$\n\n");
                else
                    w.Line($"{u.Name} = {w.Nested(u.Before)} − {NumberFormat.RoundTrip(eta)}·{w.Nested(u.Grad)} = {w.Nested(u.After)}");
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
        static void Check(string what, TensorValue v)
        {
            if (v.FirstNonFinite() is string first)
                throw new BackpropException($"trace --format json: {what} is {first}, which JSON cannot hold (--format text or markdown shows every value)");
        }
        foreach (var step in s.Forward)
        {
            foreach (var (name, value) in step.Parameters) Check(name, value);
            Check($"the output of layers[{step.Index}]", step.Output);
        }
        Check("the loss", TensorValue.Scalar(s.Loss));
        Check("dL/dŷ", s.LossGrad);
        foreach (var step in s.Backward)
        {
            if (step.Local is not null) Check($"the local derivative of layers[{step.Index}]", step.Local.Value);
            foreach (var (name, grad) in step.ParameterGrads) Check($"the gradient of {name}", grad);
            Check($"dL/d(input) of layers[{step.Index}]", step.InputGrad);
        }
        foreach (var u in s.Updates) Check($"{u.Name} after the update", u.After);
        foreach (var (label, r) in new[] { ("after the update", s.After), ("after updating the last layer only", s.AfterLastLayerOnly) })
            if (r is not null)
            {
                Check($"the output {label}", r.Output);
                Check($"the loss {label}", TensorValue.Scalar(r.Loss));
            }
    }
}
