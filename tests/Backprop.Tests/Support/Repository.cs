namespace Backprop.Tests.Support;

/// <summary>The checkout the tests run from, for tests that read its docs, scripts and sources.</summary>
public static class Repository
{
    /// <summary>The folder holding Backprop.sln.</summary>
    public static string Root { get; } = Find();

    private static string Find()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(System.IO.Path.Combine(dir.FullName, "Backprop.sln"))) return dir.FullName;
        throw new InvalidOperationException("Backprop.sln not found above " + AppContext.BaseDirectory);
    }

    /// <summary>A path below the root, from its parts ("docs", "worked-solution.md").</summary>
    public static string Path(params string[] parts) => System.IO.Path.Combine([Root, .. parts]);
}
