namespace Backprop.Diagnostics;

/// <summary>
/// A Jacobian against central differences (f(v + h) − f(v − h)) / 2h, column by column, in float64. An entry passes
/// when |analytic − numeric| ≤ <see cref="GradientCheck.AbsoluteTolerance"/> + <see cref="GradientCheck.RelativeTolerance"/>·max(|analytic|, |numeric|).
/// </summary>
public sealed record JacobianCheck(JacobianMatrix Analytic, JacobianMatrix Numeric, double Step,
    double MaxAbsoluteError, double MaxRelativeError, bool Passed);
