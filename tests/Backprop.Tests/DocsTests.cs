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
    public void Summary_doc_examples_are_what_summary_prints()
    {
        string doc = File.ReadAllText(Repository.Path("docs", "summary.md"));
        var blocks = System.Text.RegularExpressions.Regex.Matches(doc, @"```console\n\$ backprop (.*)\n((?:.|\n)*?)```");
        Assert.True(blocks.Count >= 2, "docs/summary.md should show the vgg table and a JSON example");
        foreach (System.Text.RegularExpressions.Match block in blocks)
        {
            var stdout = new StringWriter();
            string[] args = block.Groups[1].Value.Split(' ');
            Assert.Equal(0, Program.Run(args, stdout, new StringWriter()));
            Assert.Equal(stdout.ToString(), block.Groups[2].Value);
        }
    }
}
