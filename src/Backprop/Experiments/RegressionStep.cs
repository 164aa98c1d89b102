namespace Backprop.Experiments;

/// <summary>One pass of the sheet's loop: the loss, the hidden layer's A1 and O1, and the gradients it used.</summary>
public sealed record RegressionStep(double Loss, double[] A1, double[] O1, double[] DW1, double[] DW2);
