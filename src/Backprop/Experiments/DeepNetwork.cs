namespace Backprop.Experiments;

/// <summary>One network of the experiment: wiring, activation h, and the hidden units (layer, unit), 1-based, made dead.</summary>
public sealed record DeepNetwork(string Name, Wiring Wiring, string Activation, IReadOnlyList<(int Layer, int Unit)> DeadUnits);
