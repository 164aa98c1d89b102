using System.Text.RegularExpressions;
using Backprop.Tests.Support;

namespace Backprop.Tests;

/// <summary>
/// Rules of the engine's source tree that the compiler cannot check inside one assembly (docs/architecture.md): which
/// folders may use which, and one public type per file, named after it. Between assemblies the compiler checks.
/// </summary>
public partial class SourceLayoutTests
{
    private static string Engine() => Repository.Path("src", "Backprop");

    private static IEnumerable<(string Path, string Text)> Sources(string folder) =>
        Directory.EnumerateFiles(Path.Combine(Engine(), folder), "*.cs", SearchOption.AllDirectories)
            .Where(p => !p.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}"))
            .Select(p => (Path.GetRelativePath(Engine(), p), File.ReadAllText(p)));

    /// <summary>Lines of <paramref name="text"/> that use namespace Backprop.<paramref name="ns"/>: a using directive or a qualified name.</summary>
    private static IEnumerable<string> Uses(string text, string ns) =>
        text.Split('\n').Where(line => Regex.IsMatch(line, $@"^\s*using\s+Backprop\.{ns}\s*;|(?<![\w.])(Backprop\.)?{ns}\.[A-Z]"));

    [Theory]
    [InlineData("Losses", "Layers")]
    [InlineData("Learners", "Layers")]
    [InlineData("Autodiff", "Layers")]
    [InlineData("Data", "Layers")]
    [InlineData("Tensors", "Layers")]
    [InlineData("Kernels", "Layers")]
    [InlineData("Data", "Losses")]
    [InlineData("Data", "Models")]
    [InlineData("Layers", "Models")]
    [InlineData("Layers", "Training")]
    [InlineData("Models", "Diagnostics")]
    [InlineData("Models", "Training")]
    [InlineData("Tensors", "Kernels")]
    public void A_folder_does_not_use_a_namespace_above_it(string folder, string ns)
    {
        var offenders = Sources(folder).SelectMany(s => Uses(s.Text, ns).Select(line => $"{s.Path}: {line.Trim()}")).ToList();
        Assert.True(offenders.Count == 0, $"{folder} uses Backprop.{ns}:\n" + string.Join("\n", offenders));
    }

    [Fact]
    public void Numerics_uses_no_other_part_of_the_engine()
    {
        foreach (var (path, text) in Sources("Numerics"))
            Assert.DoesNotMatch(new Regex(@"^\s*using\s+Backprop\.", RegexOptions.Multiline), text);
    }

    [Theory]
    [InlineData("Architectures")]
    [InlineData("Autodiff")]
    [InlineData("Data")]
    [InlineData("Examples")]
    [InlineData("Experiments")]
    [InlineData("Initializers")]
    [InlineData("IO")]
    [InlineData("Kernels")]
    [InlineData("Learners")]
    [InlineData("Losses")]
    [InlineData("Numerics")]
    [InlineData("Optimizers")]
    [InlineData("Tensors")]
    [InlineData("Training")]
    public void Each_public_type_is_in_a_file_of_its_name(string folder)
    {
        // Top-level public types only (nested ones are part of their parent); Tensor and Tensor<T> share Tensor.cs.
        foreach (var (path, text) in Sources(folder))
        {
            string file = Path.GetFileNameWithoutExtension(path);
            foreach (Match m in TopLevelPublicType().Matches(text))
                Assert.True(m.Groups[1].Value == file, $"{path} declares public {m.Groups[1].Value}");
        }
    }

    [GeneratedRegex(@"^public\s+(?:(?:sealed|abstract|static|readonly|partial|unsafe)\s+)*(?:class|struct|interface|enum|record(?:\s+struct|\s+class)?|delegate\s+\S+)\s+(\w+)", RegexOptions.Multiline)]
    private static partial Regex TopLevelPublicType();
}
