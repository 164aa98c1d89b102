namespace Backprop.Diagnostics;

/// <summary>
/// The two ways of writing a linear layer's weight: PyTorch's [out][in] (y = x·Wᵀ + b, the engine's own) and the
/// solution sheets' [in][out] (y = x·W + b; seed 003 prints ∇W² this way). <see cref="ToSheet"/> transposes every
/// matrix (rank-2) parameter of a worked solution, its gradient and its update; nothing else changes, so the numbers
/// are the same ones, only placed as the sheet places them.
/// </summary>
public static class WorkedSolutionLayout
{
    public const string Torch = "torch", Sheet = "sheet";

    public static readonly IReadOnlyList<string> Names = [Torch, Sheet];

    /// <summary>The solution in the layout <paramref name="layout"/> names ("torch" returns it unchanged).</summary>
    public static WorkedSolution In(WorkedSolution s, string layout) => Check(layout) == Sheet ? ToSheet(s) : s;

    /// <summary>The layout's name, or a <see cref="BackpropException"/> when it names none.</summary>
    public static string Check(string layout) => Names.Contains(layout) ? layout
        : throw new BackpropException($"unknown layout '{layout}'; expected one of: {string.Join(", ", Names)}");

    public static WorkedSolution ToSheet(WorkedSolution s)
    {
        if (s.Layout == Sheet) return s;
        return s with
        {
            Layout = Sheet,
            Forward = s.Forward.Select(f => f with { Parameters = f.Parameters.Select(p => (p.Name, Transpose(p.Value))).ToList() }).ToList(),
            Backward = s.Backward.Select(b => b with { ParameterGrads = b.ParameterGrads.Select(p => (p.Name, Transpose(p.Grad))).ToList() }).ToList(),
            Updates = s.Updates.Select(u => u with { Before = Transpose(u.Before), Grad = Transpose(u.Grad), After = Transpose(u.After) }).ToList(),
        };
    }

    /// <summary>A matrix transposed; a tensor of any other rank as it is.</summary>
    public static TensorValue Transpose(TensorValue v)
    {
        if (v.Shape.Length != 2) return v;
        int rows = v.Shape[0], cols = v.Shape[1];
        var t = new double[v.Values.Length];
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < cols; c++)
                t[c * rows + r] = v.Values[r * cols + c];
        return new TensorValue(t, [cols, rows]);
    }
}
