namespace Backprop.Experiments;

/// <summary>
/// One initialisation scheme over training. <see cref="MaxUnitSpread"/> is the largest difference between two hidden
/// units' weights or gradients (|W1[i, j] − W1[i, j′]|, |W2[j] − W2[j′]|, and the same for dW1, dW2) at any
/// iteration: exactly 0 means the units stayed identical copies. <see cref="MaxAbsGradient"/> is the largest
/// |dL/dW| of any weight at any iteration, <see cref="MaxAbsHiddenOutput"/> the largest |O1|.
/// </summary>
public sealed record ZeroInitRun(string Scheme, IReadOnlyList<ZeroInitEpoch> Epochs, double FinalLoss,
    double MaxUnitSpread, double MaxAbsGradient, double MaxAbsHiddenOutput);
