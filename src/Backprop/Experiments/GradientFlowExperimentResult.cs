namespace Backprop.Experiments;

public sealed record GradientFlowExperimentResult(ulong Seed, double[] X, double Y, IReadOnlyList<DeepNetworkRun> Runs);
