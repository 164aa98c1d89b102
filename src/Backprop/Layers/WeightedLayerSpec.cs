using System.Text;

namespace Backprop.Layers;

/// <summary>
/// The description of a layer with a weight and an optional bias (linear and the convolutions): its file entry ends
/// with "init", "bias_init", the values of "weight", and "bias" as values or false.
/// </summary>
public abstract record WeightedLayerSpec(bool Bias) : LayerSpec
{
    /// <summary>The fields every weighted layer's entry may have besides its arguments.</summary>
    protected static readonly string[] ParameterFields = ["bias", "weight", "init", "bias_init"];

    /// <summary>[("weight", weightShape), ("bias", [outputs])], without the bias when there is none.</summary>
    protected IReadOnlyList<(string Name, int[] Shape)> Parameters(int[] weightShape) =>
        Bias ? [("weight", weightShape), ("bias", [weightShape[0]])] : [("weight", weightShape)];

    protected sealed override void WriteParameters(StringBuilder sb, string? valueIndent)
    {
        if (Init is { } init) Field(sb, "init", init.ToJson());
        if (BiasInit is { } biasInit) Field(sb, "bias_init", biasInit.ToJson());
        if (valueIndent is not null && Values.TryGetValue("weight", out var w))
            sb.Append(',').Append(valueIndent).Append("\"weight\": ").Append(NumberFormat.Nested(w.Values, w.Shape, NumberFormat.RoundTrip));
        if (!Bias) Field(sb, "bias", "false");
        else if (valueIndent is not null && Values.TryGetValue("bias", out var b))
            sb.Append(',').Append(valueIndent).Append("\"bias\": ").Append(NumberFormat.Nested(b.Values, b.Shape, NumberFormat.RoundTrip));
    }
}
