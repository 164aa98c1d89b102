using Backprop.Cli;
using Backprop.Tests.Support;
using SkiaSharp;

namespace Backprop.Tests.Experiments;

/// <summary>Runs the CLI in-process and checks the pictures it writes.</summary>
internal static class ExperimentCli
{
    public static (int Code, string Stdout, string Stderr) Run(params string[] args) => CliRun.Run(args);

    /// <summary>Runs a command that must succeed (exit 0, nothing on stderr) and returns its stdout.</summary>
    public static string Ok(params string[] args) => CliRun.Ok(args);

    /// <summary>Runs a command that must be refused as bad input: exit 2, one "error: " line naming <paramref name="fragment"/>, nothing on stdout.</summary>
    public static void BadInput(string fragment, params string[] args)
    {
        var (code, stdout, stderr) = Run(args);
        Assert.True(code == ExitCodes.BadInput, $"backprop {string.Join(' ', args)} exited {code}: {stderr}");
        Assert.Equal("", stdout);
        Assert.StartsWith("error: ", stderr);
        Assert.Single(stderr.TrimEnd('\n', '\r').Split('\n'));
        Assert.Contains(fragment, stderr);
    }

    /// <summary>The file is a PNG that decodes to <paramref name="width"/> × <paramref name="height"/> pixels and is not blank.</summary>
    public static void AssertPng(string path, int width, int height)
    {
        using var bitmap = SKBitmap.Decode(path);
        Assert.NotNull(bitmap);
        Assert.Equal(width, bitmap.Width);
        Assert.Equal(height, bitmap.Height);
        var colours = new HashSet<SKColor>();
        for (int y = 0; y < bitmap.Height; y += 3)
            for (int x = 0; x < bitmap.Width; x += 3) colours.Add(bitmap.GetPixel(x, y));
        Assert.True(colours.Count > 10, $"{path} has only {colours.Count} colours");
    }
}
