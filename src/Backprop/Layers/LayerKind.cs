using System.Text.Json;
using Backprop.IO;

namespace Backprop.Layers;

/// <summary>
/// A layer type as model files know it: its name, the fields its entry may have (for the "unknown field" message, in
/// the order it lists them) and how an entry is read into its <see cref="LayerSpec"/>. Each layer file declares its
/// own (<c>Linear.Definition</c>); <see cref="LayerKinds"/> lists them.
/// </summary>
public sealed class LayerKind(string name, IReadOnlyList<string> fields, Func<LayerFields, LayerSpec> read)
{
    /// <summary>The value of "type" in a model file.</summary>
    public string Name { get; } = name;

    /// <summary>Every field an entry may have, "type" first.</summary>
    public IReadOnlyList<string> Fields { get; } = fields;

    /// <summary>Reads one "layers" entry of this type; <paramref name="where"/> ("model.json: layers[2]") starts every error.</summary>
    public LayerSpec Read(JsonElement entry, string where)
    {
        JsonInput.AllowOnly(entry, $"{where} ({Name})", Fields);
        return read(new LayerFields(entry, where, Name));
    }

    public override string ToString() => Name;
}
