using System.Reflection;

namespace Backprop.Architectures;

/// <summary>The built-in architectures, kept as model files in src/Backprop/Architectures (mlp, cnn, vgg) and embedded in the library.</summary>
public static class Architecture
{
    public static readonly IReadOnlyList<string> Names = ["mlp", "cnn", "vgg"];

    /// <summary>The model file text of a built-in architecture (no parameter values: they are initialised from the seed).</summary>
    public static string ModelText(string name)
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream($"Backprop.Architectures.{name}.json")
            ?? throw new BackpropException($"unknown architecture '{name}'; expected one of: {string.Join(", ", Names)}");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
