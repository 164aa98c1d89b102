namespace Backprop.Examples;

/// <summary>
/// One change to a problem: <see cref="Target"/> names what changes and <see cref="Index"/> which entry (row-major,
/// one index per dimension). Targets: a parameter or buffer by its state_dict name (<c>0.weight</c>, <c>2.bias</c>,
/// <c>1.running_mean</c>) with <see cref="Value"/>; <c>x</c> and <c>y</c> (an input or target entry) with
/// <see cref="Value"/>; <c>lr</c> with <see cref="Value"/> (no index); <c>mode</c> with <see cref="Text"/>
/// <c>train</c> or <c>eval</c> (no index).
/// </summary>
/// <example><code>new ProblemEdit("0.weight", [1, 0], 2.5)   // W¹ row 1, column 0 (PyTorch's [out][in]) becomes 2.5</code></example>
public sealed record ProblemEdit(string Target, int[] Index, double? Value, string? Text = null);
