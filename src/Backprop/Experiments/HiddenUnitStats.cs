namespace Backprop.Experiments;

/// <summary>
/// Hidden unit j at one iteration: the mean and standard deviation (population) of its incoming weights W1[:, j], its
/// outgoing weight W2[j], the L2 norm of dL/dW1[:, j], |dL/dW2[j]|, and the largest |O1[:, j]| over the batch.
/// </summary>
public sealed record HiddenUnitStats(double MeanW1, double StdW1, double W2, double GradNormW1, double GradAbsW2, double MaxOutput);
