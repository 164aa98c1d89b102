namespace Backprop.Experiments;

/// <summary>
/// One iteration of both loops. Losses are those of the iteration's forward pass (before its update). For the buggy
/// loop, <see cref="BuggyW1Deviation"/> = ‖dW1 it used − true dW1‖ / ‖true dW1‖ and <see cref="BuggyW1Cosine"/> the
/// cosine between them, the true gradient taken at the buggy loop's own weights of that iteration.
/// </summary>
public sealed record UpdateOrderEpoch(int Epoch, double CorrectLoss, double BuggyLoss, double BuggyW1Deviation, double BuggyW1Cosine);
