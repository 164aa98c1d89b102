namespace Backprop.Experiments;

public sealed record UpdateOrderResult(UpdateOrderOptions Options, IReadOnlyList<UpdateOrderRun> Runs);
