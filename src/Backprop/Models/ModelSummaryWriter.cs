using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Backprop.Tensors;

namespace Backprop.Models;

/// <summary>
/// Lays out a <see cref="ModelSummary"/> as a plain-text table (torchinfo's layout: rules of '=', one row per layer,
/// the totals under it), as a Markdown table, or as JSON.
/// </summary>
public static class ModelSummaryWriter
{
    public static readonly IReadOnlyList<string> Formats = ["text", "markdown", "json"];

    public static string Write(ModelSummary s, string format) => format switch
    {
        "text" => Text(s),
        "markdown" => Markdown(s),
        "json" => Json(s),
        _ => throw new BackpropException($"unknown summary format '{format}'; expected one of: {string.Join(", ", Formats)}"),
    };

    private static readonly string[] Headers = ["#", "layer", "output shape", "parameters", "buffers", "multiply-adds", "activations"];

    // The first two columns are text, left-aligned; the shape too; the numbers after it right-aligned.
    private const int TextColumns = 3;

    /// <summary>A layer as PyTorch prints a module: <c>conv2d(out_channels=32, kernel_size=3, stride=1, padding=1)</c>.</summary>
    /// Exponents are written as Python writes them (eps=1e-05, not the model file's 1E-05).
    public static string Describe(ModelSummaryRow row) =>
        $"{row.Type}({Regex.Replace(Regex.Replace(row.Arguments, "\"([A-Za-z_]+)\": ", "$1="), @"(\d)E([+-]?\d)", "$1e$2")})";

    /// <summary>123,456: counts with thousands separators, as torchinfo and Keras print them.</summary>
    private static string Count(long n) => n.ToString("N0", CultureInfo.InvariantCulture);

    /// <summary>12,345,678 (12.3 M): a large count with its size in millions or billions.</summary>
    private static string Large(long n) => n switch
    {
        >= 1_000_000_000 => $"{Count(n)} ({(n / 1e9).ToString("0.#", CultureInfo.InvariantCulture)} G)",
        >= 1_000_000 => $"{Count(n)} ({(n / 1e6).ToString("0.#", CultureInfo.InvariantCulture)} M)",
        _ => Count(n),
    };

    private static string Shape(ModelSummary s, int[] exampleShape) => Tensor.Format(Tensor.Batched(s.BatchSize, exampleShape));

    private static List<string[]> Cells(ModelSummary s)
    {
        var rows = s.Layers.Select(l => new[]
        {
            l.Index.ToString(CultureInfo.InvariantCulture), Describe(l), Shape(s, l.OutputShape), Count(l.Parameters), Count(l.Buffers),
            Count(l.MultiplyAdds), MemoryEstimate.Format(l.ActivationBytes),
        }).ToList();
        rows.Add(["", "total", Shape(s, s.OutputShape), Count(s.Parameters), Count(s.Buffers), Count(s.MultiplyAdds),
            MemoryEstimate.Format(s.ActivationBytes)]);
        return rows;
    }

    /// <summary>The lines under the table: totals in words and the memory of a training step.</summary>
    private static IEnumerable<string> Totals(ModelSummary s)
    {
        long bytes = TrainingMemory.Saturate((Int128)s.Parameters * ModelSummary.ElementSize);
        yield return $"parameters: {Count(s.Parameters)}, all trainable ({MemoryEstimate.Format(bytes)} as float32)";
        yield return $"buffers: {Count(s.Buffers)} ({MemoryEstimate.Format(TrainingMemory.Saturate((Int128)s.Buffers * ModelSummary.ElementSize))}), saved with the weights, not trained";
        yield return $"multiply-adds (forward pass): {Large(s.MultiplyAdds)} per example, {Large(s.BatchMultiplyAdds)} for a batch of {s.BatchSize}";
        yield return $"a training step keeps about {MemoryEstimate.Format(s.Memory.Total)} (float32): {s.Memory}";
        yield return "(activations: each layer's output and input gradient, the input batch and the loss gradient; "
            + "an optimizer adds one copy of the parameters for SGD with momentum, two for Adam)";
    }

    private static string Header(ModelSummary s) =>
        $"{s.Source}: input {Shape(s, s.InputShape)}, output {Shape(s, s.OutputShape)}, {s.Layers.Count} {(s.Layers.Count == 1 ? "layer" : "layers")}, batch size {s.BatchSize}; "
        + "multiply-adds per example, activations for the batch (float32)";

    public static string Text(ModelSummary s)
    {
        var rows = Cells(s);
        int[] widths = Headers.Select((h, c) => rows.Select(r => r[c].Length).Append(h.Length).Max()).ToArray();
        int total = widths.Sum() + 2 * (widths.Length - 1);
        var sb = new StringBuilder();
        void Row(string[] cells) => sb.Append(string.Join("  ", cells.Select((cell, c) => c < TextColumns ? cell.PadRight(widths[c]) : cell.PadLeft(widths[c]))).TrimEnd()).Append('\n');
        void Rule(char ch) => sb.Append(ch, total).Append('\n');
        sb.Append(Header(s)).Append('\n');
        Rule('=');
        Row([.. Headers]);
        Rule('=');
        foreach (var r in rows.Take(rows.Count - 1)) Row(r);
        Rule('-');
        Row(rows[^1]);
        Rule('=');
        foreach (string line in Totals(s)) sb.Append(line).Append('\n');
        return sb.ToString();
    }

    public static string Markdown(ModelSummary s)
    {
        var sb = new StringBuilder("## Model summary\n\n");
        sb.Append(Header(s)).Append("\n\n");
        sb.Append("| ").Append(string.Join(" | ", Headers)).Append(" |\n");
        sb.Append("|").Append(string.Join("|", Headers.Select((_, c) => c < TextColumns ? "---" : "---:"))).Append("|\n");
        var rows = Cells(s);
        for (int i = 0; i < rows.Count; i++)
        {
            var r = rows[i];
            bool totalRow = i == rows.Count - 1;
            string layer = totalRow ? "**total**" : $"`{r[1]}`";
            sb.Append("| ").Append(string.Join(" | ", r.Select((cell, c) => c == 1 ? layer : cell))).Append(" |\n");
        }
        sb.Append('\n');
        foreach (string line in Totals(s)) sb.Append("- ").Append(line).Append('\n');
        return sb.ToString();
    }

    // Quotes and non-ASCII as they are ("architecture 'vgg'", not "\u0027vgg\u0027"): the output is printed, not embedded in HTML.
    private static readonly JsonSerializerOptions Relaxed = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static string Json(ModelSummary s)
    {
        static string Ints(int[] v) => "[" + string.Join(", ", v) + "]";
        var sb = new StringBuilder("{\n");
        sb.Append("  \"source\": ").Append(JsonSerializer.Serialize(s.Source, Relaxed)).Append(",\n");
        sb.Append("  \"input\": ").Append(Ints(s.InputShape)).Append(",\n");
        sb.Append("  \"output\": ").Append(Ints(s.OutputShape)).Append(",\n");
        sb.Append("  \"batch_size\": ").Append(s.BatchSize).Append(",\n");
        sb.Append("  \"layers\": [");
        for (int i = 0; i < s.Layers.Count; i++)
        {
            var l = s.Layers[i];
            sb.Append(i == 0 ? "\n    " : ",\n    ")
                .Append($"{{\"index\": {l.Index}, \"type\": \"{l.Type}\", \"arguments\": {{{l.Arguments}}}, \"output_shape\": {Ints(l.OutputShape)}, ")
                .Append($"\"parameters\": {l.Parameters}, \"buffers\": {l.Buffers}, \"multiply_adds\": {l.MultiplyAdds}, \"activation_bytes\": {l.ActivationBytes}}}");
        }
        sb.Append(s.Layers.Count > 0 ? "\n  ],\n" : "],\n");
        sb.Append($"  \"totals\": {{\"parameters\": {s.Parameters}, \"buffers\": {s.Buffers}, \"multiply_adds\": {s.MultiplyAdds}, \"batch_multiply_adds\": {s.BatchMultiplyAdds}}},\n");
        var m = s.Memory;
        sb.Append($"  \"memory\": {{\"element_bytes\": {ModelSummary.ElementSize}, \"parameters\": {m.Parameters}, \"gradients\": {m.Gradients}, \"scratch\": {m.Scratch}, \"activations\": {m.Activations}, \"total\": {m.Total}}}\n");
        sb.Append("}\n");
        return sb.ToString();
    }
}
