namespace Backprop.Visualization;

/// <summary>An activation sampled on a grid: x, f(x) from the layer's Forward and f′(x) from its Backward.</summary>
public sealed record ActivationCurve(string Name, double[] X, double[] Y, double[] Derivative);
