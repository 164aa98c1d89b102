namespace Backprop.Diagnostics;

/// <summary>
/// How much of a worked solution a reader is shown. <see cref="MaxEntries"/>: a tensor of more values is written as a
/// preview (its shape, min, mean and max, and its first <see cref="PreviewRows"/> rows and <see cref="PreviewColumns"/>
/// columns with ⋯ and ⋮ for the rest), so that a large model stays a page one can read and a browser can typeset.
/// <see cref="Hidden"/>: a gradient a quiz asks for, dL/d(a parameter's state_dict name) or dL/dx (<see cref="Input"/>),
/// written as "?" wherever it would show: its own line, the update that subtracts it and the weight that update gives,
/// the chain rule's outer product or layer 0's downstream gradient.
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

    /// <summary>Whether the gradient of <paramref name="quantity"/> (a parameter's name, or <see cref="Input"/>) is hidden.</summary>
    public bool Hides(string quantity) => Hidden == quantity;

    /// <summary>Whether dL/d(input) of layer <paramref name="layer"/> is hidden: layer 0's is dL/dx.</summary>
    public bool HidesInputGradientOf(int layer) => layer == 0 && Hides(Input);
}
