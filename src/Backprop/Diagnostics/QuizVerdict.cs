namespace Backprop.Diagnostics;

/// <summary>
/// The verdict on a student's answer for one entry of a gradient: whether it is right to the tolerance, the expected
/// value, and for a wrong answer the likely slip it matches (null when it matches none): "sign", "transposed",
/// "missing 1/N", "forgotten activation derivative", "softmax as elementwise", with a sentence saying it.
/// </summary>
public sealed record QuizVerdict(bool Correct, double Expected, double Answer, string? Slip, string Message);
