namespace Backprop.Experiments;

public sealed record LossDerivationResult(LossDerivationOptions Options, IReadOnlyList<LossDerivationRow> Rows);
