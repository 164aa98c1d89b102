namespace Backprop.Experiments;

public sealed record MiniCnnResult(MiniCnnOptions Options, string Model, MiniCnnParameters Initial, MiniCnnParameters Final,
    MiniCnnStep FirstStep, IReadOnlyList<MiniCnnEpoch> Epochs);
