namespace Backprop.Diagnostics;

/// <summary>
/// Notes on a Jacobian's structure, computed from its numbers: zero, the identity, diagonal, symmetric, rows or columns
/// summing to 0, equal to a matrix the model predicts (a weight, a product of weights, softmax's diag(s) − s sᵀ), and
/// its numerical rank. Two numbers count as equal within 1e-12 (float32: 1e-5) of the matrix's largest entry, and
/// elimination's pivots count towards the rank when larger than that times max(rows, columns).
/// </summary>
internal static class JacobianStructure
{
    /// <summary>A matrix the Jacobian may equal: its name ("0.weight"), values [rows × columns] and why it would.</summary>
    public sealed record Candidate(string Name, double[] Values, int Rows, int Columns, string Why);

    /// <summary>Rank is computed when rows·columns·min(rows, columns) stays below this (Gaussian elimination's cost).</summary>
    private const double MaxRankWork = 2e9;

    public static IReadOnlyList<string> Describe(double[] v, int rows, int columns, bool single, bool sheet, bool outputByInput, IReadOnlyList<Candidate> candidates)
    {
        var notes = new List<string>();
        double maxAbs = 0;
        foreach (double x in v)
        {
            if (!double.IsFinite(x)) return ["not finite: holds NaN or infinity"];
            maxAbs = Math.Max(maxAbs, Math.Abs(x));
        }
        if (maxAbs == 0) return ["zero: no row depends on any column here (rank 0)"];
        double tol = (single ? 1e-5 : 1e-12) * maxAbs;
        bool Zero(double x) => Math.Abs(x) <= tol;

        if (rows == columns && rows > 1)
        {
            bool diagonal = true, symmetric = true, identity = true;
            for (int r = 0; r < rows; r++)
                for (int c = 0; c < columns; c++)
                {
                    double x = v[r * columns + c];
                    if (r == c) identity &= Math.Abs(x - 1) <= tol;
                    else
                    {
                        diagonal &= Zero(x);
                        identity &= Zero(x);
                        symmetric &= Math.Abs(x - v[c * columns + r]) <= tol;
                    }
                }
            if (identity) notes.Add("the identity: each output is its input");
            else if (diagonal) notes.Add("diagonal: output j depends on input j only, as for an element-wise map");
            else if (symmetric) notes.Add("symmetric");
        }

        // For outputs by inputs: summed over the inputs (torch layout: along a row), moving every input by the same
        // amount changes nothing; summed over the outputs (along a column), no input changes the outputs' sum.
        // Softmax has both. (Sums over parameters, or of a loss's one row, mean nothing of the kind.)
        var (rowWord, columnWord) = sheet ? ("column", "row") : ("row", "column");
        int outputs = sheet ? columns : rows, inputs = sheet ? rows : columns;
        if (outputByInput && inputs > 1 && Sums(v, rows, columns, overInputs: true, sheet, tol))
            notes.Add($"every {rowWord} sums to 0: moving every input by the same amount leaves the outputs as they are (as softmax)");
        if (outputByInput && outputs > 1 && Sums(v, rows, columns, overInputs: false, sheet, tol))
            notes.Add($"every {columnWord} sums to 0: no input changes the sum of the outputs (softmax's sum to 1)");

        foreach (var candidate in candidates)
        {
            if (candidate.Rows != rows || candidate.Columns != columns) continue;
            bool equal = true;
            for (int i = 0; i < v.Length && equal; i++) equal = Math.Abs(v[i] - candidate.Values[i]) <= tol;
            if (equal) notes.Add($"equal to {candidate.Name}: {candidate.Why}");
        }

        int min = Math.Min(rows, columns);
        if ((double)rows * columns * min <= MaxRankWork)
        {
            int rank = Rank(v, rows, columns, Math.Max(rows, columns) * tol);
            notes.Add(rank == min ? $"rank {rank}: full rank" : $"rank {rank} of a possible {min}");
        }
        return notes;
    }

    private static bool Sums(double[] v, int rows, int columns, bool overInputs, bool sheet, double tol)
    {
        // In torch layout the inputs run along a row; in sheet layout down a column.
        bool alongRow = overInputs != sheet;
        int outer = alongRow ? rows : columns, inner = alongRow ? columns : rows;
        for (int a = 0; a < outer; a++)
        {
            double sum = 0, abs = 0;
            for (int b = 0; b < inner; b++)
            {
                double x = alongRow ? v[a * columns + b] : v[b * columns + a];
                sum += x;
                abs += Math.Abs(x);
            }
            if (abs == 0 || Math.Abs(sum) > tol * inner) return false; // a zero line says nothing
        }
        return true;
    }

    /// <summary>The number of pivots above <paramref name="tol"/> in Gaussian elimination with partial pivoting.</summary>
    private static int Rank(double[] values, int rows, int columns, double tol)
    {
        var a = (double[])values.Clone();
        int rank = 0;
        for (int c = 0; c < columns && rank < rows; c++)
        {
            int pivot = rank;
            for (int r = rank + 1; r < rows; r++)
                if (Math.Abs(a[r * columns + c]) > Math.Abs(a[pivot * columns + c])) pivot = r;
            if (Math.Abs(a[pivot * columns + c]) <= tol) continue;
            if (pivot != rank)
                for (int k = c; k < columns; k++) (a[pivot * columns + k], a[rank * columns + k]) = (a[rank * columns + k], a[pivot * columns + k]);
            for (int r = rank + 1; r < rows; r++)
            {
                double f = a[r * columns + c] / a[rank * columns + c];
                if (f == 0) continue;
                for (int k = c; k < columns; k++) a[r * columns + k] -= f * a[rank * columns + k];
            }
            rank++;
        }
        return rank;
    }
}
