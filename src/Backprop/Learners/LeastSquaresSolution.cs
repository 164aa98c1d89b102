namespace Backprop.Learners;

/// <summary>(w, b) minimising the squared error, and its mean loss ½(y − b − wᵀx)² over the training set.</summary>
public sealed record LeastSquaresSolution(double[] Weights, double Bias, double Loss);
