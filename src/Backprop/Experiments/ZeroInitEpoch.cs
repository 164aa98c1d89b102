namespace Backprop.Experiments;

/// <summary>One iteration: the loss of its forward pass and every hidden unit's statistics (weights before its update, the gradients it used).</summary>
public sealed record ZeroInitEpoch(int Epoch, double Loss, IReadOnlyList<HiddenUnitStats> Units);
