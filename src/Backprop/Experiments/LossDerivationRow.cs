namespace Backprop.Experiments;

/// <summary>One learner's comparison: how far the rule's update is from −κη∇ℓ over the sampled points.</summary>
public sealed record LossDerivationRow(string Learner, string Rule, string Loss, double StepScale, int Compared, int SkippedAtKinks, double MaxDifference, double MaxUpdate);
