namespace Backprop.Learners;

/// <summary>One epoch's figures.</summary>
/// <param name="Epoch">1-based.</param>
/// <param name="Epochs">The most epochs the run may take.</param>
/// <param name="Mistakes">Examples the learner got wrong when it visited them, before their update (null for a regression set).</param>
/// <param name="Loss">The mean loss over the training set after the epoch.</param>
/// <param name="Examples">n.</param>
public sealed record EpochReport(int Epoch, int Epochs, int? Mistakes, double Loss, int Examples);
