namespace Backprop.Diagnostics;

/// <summary>How far one tensor's analytic gradient is from the central-difference estimate.</summary>
public sealed record GradientCheckEntry(string Name, int[] Shape, double MaxAbsoluteError, double MaxRelativeError, bool Passed);
