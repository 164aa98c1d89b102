namespace Backprop.Learners;

/// <summary>What a fit ended with.</summary>
/// <param name="Plan">The fit that ran.</param>
/// <param name="Epochs">Each epoch's figures.</param>
/// <param name="TrainCorrect">Training examples classified correctly (null for a regression set).</param>
/// <param name="TestCorrect">Test examples classified correctly (null without a test set, or for regression).</param>
/// <param name="TestLoss">The mean loss on the test set (null without one).</param>
/// <param name="LeastSquares">Adaline only: the least-squares solution and its mean loss ½(y − ŷ)² (null when not unique).</param>
public sealed record FitResult(FitPlan Plan, IReadOnlyList<EpochReport> Epochs, int? TrainCorrect, int? TestCorrect, double? TestLoss,
    LeastSquaresSolution? LeastSquares)
{
    /// <summary>The mean training loss after the last epoch.</summary>
    public double FinalLoss => Epochs[^1].Loss;
}
