namespace Backprop.Experiments;

/// <summary>
/// The first SGD step of a run: the example, the engine's gradient, and the closed forms of 2.1 and 2.2 at the same
/// point.
/// </summary>
public sealed record MiniCnnStep(double[] X, double Y, MiniCnnParameters Weights, MiniCnnForward Forward,
    MiniCnnParameters EngineGradient, MiniCnnParameters ClosedFormGradient);
