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
}
