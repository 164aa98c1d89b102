namespace Backprop.Diagnostics;

/// <summary>
/// A Jacobian of one example: <see cref="Values"/> is [rows × columns], row-major, each row and column labelled
/// ("ŷ₁", "x₂", "0.weight[1,0]"), with notes on its structure computed from the numbers (diagonal, rank, rows summing
/// to 0, equal to a weight). In <see cref="JacobianLayout.Torch"/> layout rows are outputs and columns inputs.
/// </summary>
public sealed record JacobianMatrix(
    JacobianRequest Request, string Title, IReadOnlyList<string> RowLabels, IReadOnlyList<string> ColumnLabels,
    double[] Values, IReadOnlyList<string> Structure, bool SinglePrecision)
{
    public int Rows => RowLabels.Count;

    public int Columns => ColumnLabels.Count;

    public double this[int row, int column] => Values[row * Columns + column];

    /// <summary>The values as a [rows, columns] tensor value, for writers.</summary>
    public TensorValue AsTensor() => new(Values, [Rows, Columns]);
}
