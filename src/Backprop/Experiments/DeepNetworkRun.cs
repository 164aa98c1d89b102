namespace Backprop.Experiments;

/// <summary>One network's pass on the training example (x, y): the loss, the output o₁⁽¹⁵²⁾ and every layer.</summary>
public sealed record DeepNetworkRun(DeepNetwork Network, double Loss, double Output, IReadOnlyList<DeepLayer> Layers);
