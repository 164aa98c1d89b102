using Backprop.Diagnostics;

namespace Backprop.Experiments;

/// <summary>
/// Both loops at one learning rate: the first iteration's gradients checked against central differences (both loops
/// start from the same weights), the per-iteration record, the losses after the last update, and the iteration at
/// which the buggy loop's loss stopped being finite (null if it never did; it is not stepped after that).
/// </summary>
public sealed record UpdateOrderRun(
    double LearningRate, IReadOnlyList<GradientCheckEntry> CorrectCheck, IReadOnlyList<GradientCheckEntry> BuggyCheck,
    IReadOnlyList<UpdateOrderEpoch> Epochs, double FinalCorrectLoss, double FinalBuggyLoss, int? BuggyDivergedAt);
