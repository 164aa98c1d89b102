namespace Backprop.Experiments;

public sealed record ZeroInitResult(ZeroInitOptions Options, IReadOnlyList<ZeroInitRun> Runs);
