using System.Text;
using System.Text.Json;

namespace Backprop.Diagnostics;

/// <summary>
/// Lays out Jacobians (one per example) as a labelled text table, as Markdown (a table, a LaTeX matrix when small,
/// the structure notes), as JSON (every number in shortest round-trip form) or as CSV; with their central-difference
/// checks when given.
/// </summary>
public static class JacobianWriter
{
    public static readonly IReadOnlyList<string> Formats = ["text", "markdown", "json", "csv"];

    /// <summary>The largest matrix (entries) Markdown also writes as a LaTeX matrix.</summary>
    public const int MaxLatexEntries = 400;

    /// <summary>
    /// The Jacobians in <paramref name="format"/>. <paramref name="maxEntries"/> bounds Markdown: a larger matrix is
    /// written as its first rows and columns with ⋯ and ⋮ (the table and a LaTeX preview, as
    /// <see cref="WorkedSolutionView"/> writes one), so that a page can show the Jacobian of a large model.
    /// </summary>
    public static string Write(IReadOnlyList<JacobianMatrix> matrices, string format, int digits = 4, int maxEntries = int.MaxValue) =>
        Write(matrices.Select(m => (m, (JacobianCheck?)null)).ToList(), format, digits, maxEntries);

    public static string Write(IReadOnlyList<JacobianCheck> checks, string format, int digits = 4) =>
        Write(checks.Select(c => (c.Analytic, (JacobianCheck?)c)).ToList(), format, digits, int.MaxValue);

    private static string Write(IReadOnlyList<(JacobianMatrix Matrix, JacobianCheck? Check)> items, string format, int digits, int maxEntries) => format switch
    {
        "text" => string.Concat(items.Select((item, i) => (i > 0 ? "\n" : "") + Text(item.Matrix, item.Check, digits))),
        "markdown" => string.Concat(items.Select((item, i) => (i > 0 ? "\n" : "") + Markdown(item.Matrix, item.Check, digits, maxEntries))),
        "json" => Json(items),
        "csv" => Csv(items),
        _ => throw new BackpropException($"unknown jacobian format '{format}'; expected one of: {string.Join(", ", Formats)}"),
    };

    private static string Heading(JacobianMatrix m)
    {
        var r = m.Request;
        string what = r.Layer is int layer ? $"Layer {layer}'s local Jacobian" : "Jacobian";
        string of = r.Of == JacobianOf.Loss ? " (L: the loss of this example alone)" : "";
        return $"{what} {m.Title} of example {r.Example}{of}";
    }

    private static string LayoutLine(JacobianMatrix m)
    {
        string precision = m.SinglePrecision ? "float32" : "float64";
        return m.Request.Layout == JacobianLayout.Torch
            ? $"{m.Rows} × {m.Columns}, {precision}; torch layout (torch.autograd.functional.jacobian): a row per output, a column per input"
            : $"{m.Rows} × {m.Columns}, {precision}; sheet layout (the transpose): a row per input, a column per output";
    }

    private static string CheckLine(JacobianCheck c) =>
        $"central differences (h = {NumberFormat.RoundTrip(c.Step)}): max abs error {c.MaxAbsoluteError:E2}, max rel error {c.MaxRelativeError:E2}: " +
        (c.Passed ? "ok" : $"FAILED (tolerance {GradientCheck.AbsoluteTolerance:G} + {GradientCheck.RelativeTolerance:G}·|J|)");

    public static string Text(JacobianMatrix m, JacobianCheck? check, int digits)
    {
        var number = NumberFormat.Fixed(digits);
        var sb = new StringBuilder();
        sb.Append(Heading(m)).Append('\n').Append(LayoutLine(m)).Append("\n\n");
        var cells = new string[m.Rows + 1][];
        cells[0] = ["", .. m.ColumnLabels];
        for (int r = 0; r < m.Rows; r++)
        {
            cells[r + 1] = new string[m.Columns + 1];
            cells[r + 1][0] = m.RowLabels[r];
            for (int c = 0; c < m.Columns; c++) cells[r + 1][c + 1] = number(m[r, c]);
        }
        var widths = Enumerable.Range(0, m.Columns + 1).Select(c => cells.Max(row => row[c].Length)).ToArray();
        foreach (var row in cells)
        {
            sb.Append(row[0].PadRight(widths[0]));
            for (int c = 1; c < row.Length; c++) sb.Append("  ").Append(row[c].PadLeft(widths[c]));
            sb.Append('\n');
        }
        sb.Append('\n');
        foreach (string note in m.Structure) sb.Append("structure: ").Append(note).Append('\n');
        if (check is not null) sb.Append("check: ").Append(CheckLine(check)).Append('\n');
        return sb.ToString();
    }

    public static string Markdown(JacobianMatrix m, JacobianCheck? check, int digits, int maxEntries = int.MaxValue)
    {
        var number = NumberFormat.Fixed(digits);
        var view = new WorkedSolutionView(maxEntries);
        var matrix = new TensorValue(m.Values, [m.Rows, m.Columns]);
        bool elided = view.Elides(matrix);
        var (rows, columns) = view.Shown(matrix, m.Rows, m.Columns);
        var sb = new StringBuilder();
        sb.Append("### ").Append(Heading(m)).Append("\n\n");
        sb.Append(LayoutLine(m)).Append(".\n\n");
        static string Cell(string s) => s.Replace("|", "\\|");
        bool moreColumns = columns < m.Columns;
        sb.Append("| |").Append(string.Concat(m.ColumnLabels.Take(columns).Select(l => $" {Cell(l)} |"))).Append(moreColumns ? " ⋯ |\n" : "\n");
        sb.Append("|---|").Append(string.Concat(Enumerable.Repeat("---:|", columns + (moreColumns ? 1 : 0)))).Append('\n');
        for (int r = 0; r < rows; r++)
        {
            sb.Append("| ").Append(Cell(m.RowLabels[r])).Append(" |");
            for (int c = 0; c < columns; c++) sb.Append(' ').Append(number(m[r, c])).Append(" |");
            sb.Append(moreColumns ? " ⋯ |\n" : "\n");
        }
        if (rows < m.Rows) sb.Append("| ⋮ |").Append(string.Concat(Enumerable.Repeat(" ⋮ |", columns + (moreColumns ? 1 : 0)))).Append('\n');
        sb.Append('\n');
        if (elided)
            sb.Append("$$").Append(Latex(m.Title)).Append(" = ").Append(WorkedSolutionWriter.LatexMatrix(matrix, digits, view)).Append("$$\n\n");
        else if (m.Values.Length <= MaxLatexEntries)
        {
            sb.Append("$$").Append(Latex(m.Title)).Append(" = \\begin{bmatrix}");
            for (int r = 0; r < m.Rows; r++)
            {
                if (r > 0) sb.Append(" \\\\");
                for (int c = 0; c < m.Columns; c++) sb.Append(c > 0 ? " & " : " ").Append(number(m[r, c]));
            }
            sb.Append(" \\end{bmatrix}$$\n\n");
        }
        foreach (string note in m.Structure) sb.Append("- ").Append(note).Append('\n');
        if (check is not null) sb.Append("- check: ").Append(CheckLine(check)).Append('\n');
        return sb.ToString();
    }

    /// <summary>"∂h⁽²⁾/∂h⁽¹⁾" as <c>\frac{\partial h^{(2)}}{\partial h^{(1)}}</c>; "(∂ŷ/∂θ)ᵀ" with a ^\top.</summary>
    public static string Latex(string title)
    {
        bool transposed = title.StartsWith('(') && title.EndsWith(")ᵀ", StringComparison.Ordinal);
        if (transposed) title = title[1..^2];
        string[] parts = title.Split('/');
        static string Symbol(string s)
        {
            s = s.TrimStart('∂');
            if (s.StartsWith('(') && s.EndsWith(')')) return $"\\mathrm{{{s[1..^1]}}}";
            var sb = new StringBuilder();
            foreach (char ch in s)
            {
                int sup = "⁰¹²³⁴⁵⁶⁷⁸⁹".IndexOf(ch);
                sb.Append(ch switch
                {
                    'ŷ' => "\\hat{y}",
                    'θ' => "\\theta",
                    '⁽' => "^{(",
                    '⁾' => ")}",
                    _ when sup >= 0 => (char)('0' + sup),
                    _ => ch,
                });
            }
            return sb.ToString();
        }
        string frac = $"\\frac{{\\partial {Symbol(parts[0])}}}{{\\partial {Symbol(parts[1])}}}";
        return transposed ? $"\\left({frac}\\right)^\\top" : frac;
    }

    /// <summary>One JSON object per Jacobian (an array of them for several); NaN or infinity is refused, naming the entry.</summary>
    private static string Json(IReadOnlyList<(JacobianMatrix Matrix, JacobianCheck? Check)> items)
    {
        var objects = items.Select(item => JsonObject(item.Matrix, item.Check)).ToList();
        return (items.Count == 1 ? objects[0] : "[\n" + string.Join(",\n", objects) + "\n]") + "\n";
    }

    private static string JsonObject(JacobianMatrix m, JacobianCheck? check)
    {
        CheckFinite(m, "the Jacobian");
        var f = NumberFormat.RoundTripIn(m.SinglePrecision);
        static string Str(string s) => JsonSerializer.Serialize(s, new JsonSerializerOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
        static string Strs(IEnumerable<string> s) => "[" + string.Join(", ", s.Select(Str)) + "]";
        var r = m.Request;
        var sb = new StringBuilder("{");
        sb.Append("\"example\": ").Append(r.Example);
        sb.Append(", \"layer\": ").Append(r.Layer?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "null");
        sb.Append(", \"of\": ").Append(Str(r.Of == JacobianOf.Loss ? "loss" : "output"));
        sb.Append(", \"wrt\": ").Append(Str(r.Wrt));
        sb.Append(", \"layout\": ").Append(Str(r.Layout == JacobianLayout.Sheet ? "sheet" : "torch"));
        sb.Append(", \"precision\": ").Append(Str(m.SinglePrecision ? "f32" : "f64"));
        sb.Append(", \"title\": ").Append(Str(m.Title));
        sb.Append(",\n \"rows\": ").Append(Strs(m.RowLabels));
        sb.Append(",\n \"columns\": ").Append(Strs(m.ColumnLabels));
        sb.Append(",\n \"values\": ").Append(NumberFormat.Nested(m.Values, [m.Rows, m.Columns], f));
        sb.Append(",\n \"structure\": ").Append(Strs(m.Structure));
        if (check is not null)
        {
            CheckFinite(check.Numeric, "the central-difference estimate");
            var g = NumberFormat.RoundTripIn(false);
            sb.Append(",\n \"check\": {\"step\": ").Append(g(check.Step))
                .Append(", \"max_abs_error\": ").Append(g(check.MaxAbsoluteError))
                .Append(", \"max_rel_error\": ").Append(g(check.MaxRelativeError))
                .Append(", \"passed\": ").Append(check.Passed ? "true" : "false")
                .Append(", \"numeric\": ").Append(NumberFormat.Nested(check.Numeric.Values, [m.Rows, m.Columns], g)).Append('}');
        }
        return sb.Append('}').ToString();
    }

    private static void CheckFinite(JacobianMatrix m, string what)
    {
        int at = Array.FindIndex(m.Values, v => !double.IsFinite(v));
        if (at >= 0)
            throw new BackpropException($"jacobian --format json: {what} of example {m.Request.Example} is {NumberFormat.RoundTrip(m.Values[at])} at " +
                $"{m.RowLabels[at / m.Columns]}, {m.ColumnLabels[at % m.Columns]}, which JSON cannot hold (--format text, markdown or csv shows every value)");
    }

    /// <summary>
    /// A header "example,row,&lt;column labels&gt;" and a line per row of each Jacobian; with checks a "matrix" column after
    /// "example" tells the Jacobian ("jacobian") from its central-difference estimate ("central_difference").
    /// </summary>
    private static string Csv(IReadOnlyList<(JacobianMatrix Matrix, JacobianCheck? Check)> items)
    {
        bool checks = items.Any(i => i.Check is not null);
        var sb = new StringBuilder();
        var first = items[0].Matrix;
        sb.Append("example,").Append(checks ? "matrix," : "").Append("row");
        foreach (string label in first.ColumnLabels) sb.Append(',').Append(Quote(label));
        sb.Append('\n');
        foreach (var (m, check) in items)
        {
            var f = NumberFormat.RoundTripIn(m.SinglePrecision);
            void Rows(JacobianMatrix values, string? kind, Func<double, string> format)
            {
                for (int r = 0; r < m.Rows; r++)
                {
                    sb.Append(m.Request.Example).Append(',');
                    if (kind is not null) sb.Append(kind).Append(',');
                    sb.Append(Quote(m.RowLabels[r]));
                    for (int c = 0; c < m.Columns; c++) sb.Append(',').Append(format(values[r, c]));
                    sb.Append('\n');
                }
            }
            Rows(m, checks ? "jacobian" : null, f);
            if (check is not null) Rows(check.Numeric, "central_difference", NumberFormat.RoundTripIn(false));
        }
        return sb.ToString();
    }

    private static string Quote(string s) =>
        s.IndexOfAny([',', '"', '\n', '\r']) < 0 ? s : "\"" + s.Replace("\"", "\"\"") + "\"";
}
