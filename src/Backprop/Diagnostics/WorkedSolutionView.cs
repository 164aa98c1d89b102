namespace Backprop.Diagnostics;

/// <summary>
/// How much of a worked solution a reader is shown. <see cref="MaxEntries"/>: a tensor of more values is written as a
/// preview (its shape, min, mean and max, and its first <see cref="PreviewRows"/> rows and <see cref="PreviewColumns"/>
/// columns with ⋯ and ⋮ for the rest), so that a large model stays a page one can read and a browser can typeset.
/// <see cref="Hidden"/>: a gradient a quiz asks for, dL/d(a parameter's state_dict name) or dL/dx (<see cref="Input"/>),
/// written as "?" wherever it would show: its own line, the update that subtracts it and the weight that update gives,
/// the chain rule's outer product or layer 0's downstream gradient. A hidden bias hides more: dL/d(i.bias) is layer i's
/// upstream gradient δ summed over the batch (and positions), and every gradient the backward pass computes from δ can
/// give it back (dL/d(i.weight) = δᵀh, so for one example δ_j = dL/dW_jk / h_k; layer i's dL/d(input) = δ·W, so
/// δ = dL/d(input)·W⁻¹; and so on down), so the backward pass from layer i's output down to x is hidden
/// (<see cref="HidesGradientOf"/>), while what the student works δ from, the gradients above it, stays shown.
/// </summary>
public sealed record WorkedSolutionView(int MaxEntries = int.MaxValue, string? Hidden = null)
{
    /// <summary>Every value of every tensor, nothing hidden: what <c>trace</c> prints.</summary>
    public static WorkedSolutionView Full { get; } = new();

    /// <summary>The name that stands for the input x, whose gradient is layer 0's dL/d(input).</summary>
    public const string Input = "x";

    public const int PreviewRows = 4, PreviewColumns = 6;

    /// <summary>Whether <paramref name="v"/> is written as a preview rather than in full.</summary>
    public bool Elides(TensorValue v) => v.Values.Length > MaxEntries;

    /// <summary>How many of <paramref name="v"/>'s rows and columns (as a rows × columns matrix) are written: all, or a preview's first ones.</summary>
    public (int Rows, int Columns) Shown(TensorValue v, int rows, int columns) =>
        Elides(v) ? (Math.Min(rows, PreviewRows), Math.Min(columns, PreviewColumns)) : (rows, columns);

    /// <summary>
    /// Whether the gradient of <paramref name="quantity"/> (a parameter's name, or <see cref="Input"/>) is hidden: the
    /// quiz's own, or with a hidden bias of layer i, x's and those of the parameters of layers i and below.
    /// </summary>
    public bool Hides(string quantity) =>
        Hidden == quantity || HiddenBiasLayer is int i && (quantity == Input || LayerOf(quantity) is int j && j <= i);

    /// <summary>
    /// Whether dL/dh⁽ᵏ⁾ is hidden, the gradient with respect to layer k's input and layer k − 1's output (the loss's
    /// dL/dŷ when k is the number of layers): h⁽⁰⁾ is x, hidden with dL/dx; with a hidden bias of layer i, every
    /// k ≤ i + 1.
    /// </summary>
    public bool HidesGradientOf(int k) => k == 0 ? Hides(Input) : HiddenBiasLayer is int i && k <= i + 1;

    // The layer whose bias the quiz hides ("2.bias": 2), or null.
    private int? HiddenBiasLayer => Hidden is { } h && h.EndsWith(".bias", StringComparison.Ordinal) ? LayerOf(h) : null;

    // The layer of a parameter's state_dict name ("2.weight": 2), or null.
    private static int? LayerOf(string name) =>
        name.IndexOf('.') is int dot and > 0 && int.TryParse(name.AsSpan(0, dot), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int i) ? i : null;
}
