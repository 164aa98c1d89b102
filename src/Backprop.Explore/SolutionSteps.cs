using System.Text.RegularExpressions;
using Backprop.Diagnostics;

namespace Backprop.Explore;

/// <summary>
/// Cuts a worked solution into the stepper's steps (<see cref="SolutionStep"/>) along the headings that
/// <see cref="WorkedSolutionWriter"/> writes, so that the page shows trace's own text and trace's own LaTeX, as
/// a <see cref="WorkedSolutionView"/> shows them (large tensors as previews, the quiz's gradient hidden).
/// </summary>
public static partial class SolutionSteps
{
    public static IReadOnlyList<SolutionStep> Of(WorkedSolution s, WorkedSolutionView view, int digits = 4)
    {
        var text = Cut(WorkedSolutionWriter.Text(s, digits, view), markdown: false);
        var markdown = Cut(WorkedSolutionWriter.Markdown(s, digits, view), markdown: true);
        return text.Select(t =>
        {
            var latex = markdown.FirstOrDefault(m => m.Id == t.Id)?.Lines ?? [];
            return new SolutionStep(t.Id, t.Title, t.Layer, t.Lines,
                latex.Where(l => l.StartsWith("$$", StringComparison.Ordinal)).Select(l => l.Trim('$')).ToList());
        }).ToList();
    }

    private sealed record Part(string Id, string Title, int? Layer, List<string> Lines);

    private static List<Part> Cut(string solution, bool markdown)
    {
        var parts = new List<Part> { new("problem", "The problem", null, []) };
        var lines = solution.Split('\n');
        string section = "";
        for (int k = 0; k < lines.Length; k++)
        {
            string line = lines[k];
            string? heading = markdown
                ? line.StartsWith("### ", StringComparison.Ordinal) ? line[4..] : null
                : k + 1 < lines.Length && lines[k + 1].Length > 0 && lines[k + 1].Trim('-').Length == 0 && line.Length > 0 && !line.StartsWith(' ') ? line : null;
            if (heading is not null)
            {
                if (!markdown) k++; // the underline
                section = heading;
                string? id = heading switch
                {
                    "Loss" => "loss",
                    _ when heading.StartsWith("Update", StringComparison.Ordinal) => "update",
                    "After the update" => "after",
                    _ => null,
                };
                if (id is not null) parts.Add(new Part(id, heading, null, []));
                continue;
            }
            var layer = LayerLine().Match(markdown ? line.Trim('*') : line);
            if (layer.Success && !line.StartsWith(' ') && section is "Forward pass" or "Backward pass")
            {
                int i = int.Parse(layer.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
                string id = section == "Forward pass" ? $"forward-{i}" : $"backward-{i}";
                parts.Add(new Part(id, $"{section}, layer {i}: {layer.Groups[2].Value}", i, []));
                continue;
            }
            if (line.Trim().Length == 0 || line.StartsWith("## ", StringComparison.Ordinal) || line.Trim('=').Length == 0 || line == "Worked solution") continue;
            parts[^1].Lines.Add(markdown ? line : line.TrimStart());
        }
        return parts;
    }

    [GeneratedRegex(@"^Layer (\d+): (.*)$")]
    private static partial Regex LayerLine();
}
