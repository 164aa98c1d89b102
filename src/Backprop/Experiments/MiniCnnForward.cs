namespace Backprop.Experiments;

/// <summary>One example through the network by the sheet's equations: a = (a1, a2), o = (o1, o2), ŷ and ℓ.</summary>
public sealed record MiniCnnForward(double A1, double A2, double O1, double O2, double Prediction, double Loss);
