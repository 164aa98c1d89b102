namespace Backprop.Experiments;

/// <summary>The mini CNN's four parameters (the sheet's names), or their gradients.</summary>
public sealed record MiniCnnParameters(double W1, double W2, double V1, double V2)
{
    public double MaxAbsDifference(MiniCnnParameters o) =>
        new[] { W1 - o.W1, W2 - o.W2, V1 - o.V1, V2 - o.V2 }.Max(Math.Abs);
}
