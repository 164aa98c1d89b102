namespace Backprop.Losses;

/// <summary>What a loss expects as its target <c>y</c>.</summary>
public enum TargetKind
{
    /// <summary>The same shape as the network output (regression).</summary>
    Values,
    /// <summary>The same shape as the output, each in [0, 1] (binary cross-entropy).</summary>
    Probabilities,
    /// <summary>One integer class index per example, shape [N], in [0, classes).</summary>
    ClassIndices,
    /// <summary>One label per example, shape [N], each −1 or +1; the output must be [N, 1].</summary>
    Signs,
}
