using Backprop.Cli;
using Backprop.Tests.Support;

namespace Backprop.Tests;

/// <summary>Documentation whose examples are program output stays what the program prints.</summary>
public class DocsTests
{
    [Fact]
    public void Worked_solution_doc_is_what_trace_prints()
    {
        string doc = File.ReadAllText(Repository.Path("docs", "worked-solution.md"));
        var stdout = new StringWriter();
        Assert.Equal(0, Program.Run(["trace", "--example", "seed003", "--format", "markdown"], stdout, new StringWriter()));
        string body = doc[doc.IndexOf("## Worked solution", StringComparison.Ordinal)..];
        Assert.Equal(stdout.ToString(), body);
    }

    /// <summary>Every "$ backprop ..." block of docs/summary.md is followed by exactly what that command prints.</summary>
    [Fact]
    public void Summary_doc_examples_are_what_summary_prints() => AssertConsoleBlocks("summary.md", minimum: 2);

    /// <summary>Every ```console block of docs/jacobian.md: "$ backprop ARGS" and what the command prints, exactly.</summary>
    [Fact]
    public void Jacobian_doc_examples_are_what_the_command_prints() => AssertConsoleBlocks("jacobian.md", minimum: 10);

    [Fact]
    public void Explore_doc_shows_what_trace_layout_sheet_prints_and_its_commands_parse()
    {
        string doc = File.ReadAllText(Repository.Path("docs", "explore.md"));
        var stdout = new StringWriter();
        Assert.Equal(0, Program.Run(["trace", "--example", "seed003", "--layout", "sheet"], stdout, new StringWriter()));
        int start = doc.IndexOf("```\nLayer 2:", StringComparison.Ordinal) + 4;
        string excerpt = doc[start..doc.IndexOf("```", start, StringComparison.Ordinal)];
        Assert.Contains(excerpt, stdout.ToString());
        // Every 'backprop ...' command of the doc is one the CLI accepts (explore's with --help, since it would serve).
        foreach (string line in doc.Split('\n').Where(l => l.StartsWith("backprop ", StringComparison.Ordinal)))
        {
            var args = line["backprop ".Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries).ToList();
            if (args[0] == "explore") args.Add("--help");
            var error = new StringWriter();
            Assert.True(Program.Run([.. args], new StringWriter(), error) == 0, $"{line}: {error}");
        }
        string readme = File.ReadAllText(Repository.Path("README.md"));
        foreach (string image in new[] { "explore-backward.png", "explore-quiz.png", "explore-quiz-hidden.png", "explore-graph.png", "explore-large.png" })
        {
            Assert.True(File.Exists(Repository.Path("docs", "images", image)), image);
            Assert.Contains($"images/{image}", doc);
        }
        foreach (string image in new[] { "explore-backward.png", "explore-quiz.png", "explore-graph.png", "explore-large.png" })
            Assert.Contains($"(docs/images/{image})", readme);
    }

    /// <summary>Each ```console block of docs/NAME is "$ backprop ARGS" and then exactly what the command prints.</summary>
    private static void AssertConsoleBlocks(string name, int minimum)
    {
        string doc = File.ReadAllText(Repository.Path("docs", name));
        var blocks = System.Text.RegularExpressions.Regex.Matches(doc, "```console\n\\$ backprop (.*)\n((?:.|\n)*?)```");
        Assert.True(blocks.Count >= minimum, $"only {blocks.Count} examples in docs/{name}");
        foreach (System.Text.RegularExpressions.Match block in blocks)
        {
            string[] args = block.Groups[1].Value.Split(' ');
            var stdout = new StringWriter();
            var stderr = new StringWriter();
            Assert.True(Program.Run(args, stdout, stderr) == 0, $"backprop {block.Groups[1].Value}: {stderr}");
            Assert.Equal(stdout.ToString(), block.Groups[2].Value);
        }
    }
}
