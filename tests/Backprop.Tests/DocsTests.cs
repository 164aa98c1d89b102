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
    /// <summary>Every ```console block of docs/jacobian.md: "$ backprop ARGS" and what the command prints, exactly.</summary>
    [Fact]
    public void Jacobian_doc_examples_are_what_the_command_prints()
    {
        string doc = File.ReadAllText(Repository.Path("docs", "jacobian.md"));
        var blocks = System.Text.RegularExpressions.Regex.Matches(doc, "```console\n\\$ backprop (.*)\n((?:.|\n)*?)```");
        Assert.True(blocks.Count >= 10, $"only {blocks.Count} examples in docs/jacobian.md");
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
