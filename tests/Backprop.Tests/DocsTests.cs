using Backprop.Cli;

namespace Backprop.Tests;

/// <summary>Documentation whose examples are program output stays what the program prints.</summary>
public class DocsTests
{
    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Backprop.sln"))) return dir.FullName;
        throw new InvalidOperationException("Backprop.sln not found above " + AppContext.BaseDirectory);
    }

    [Fact]
    public void Worked_solution_doc_is_what_trace_prints()
    {
        string doc = File.ReadAllText(Path.Combine(RepositoryRoot(), "docs", "worked-solution.md"));
        var stdout = new StringWriter();
        Assert.Equal(0, Program.Run(["trace", "--example", "seed003", "--format", "markdown"], stdout, new StringWriter()));
        string body = doc[doc.IndexOf("## Worked solution", StringComparison.Ordinal)..];
        Assert.Equal(stdout.ToString(), body);
    }
}
