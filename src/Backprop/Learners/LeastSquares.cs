namespace Backprop.Learners;

/// <summary>
/// The least-squares fit of an affine function, the point <see cref="Adaline"/> heads for: (w, b) minimising
/// Σ_i (y_i − b − wᵀx_i)², from the normal equations X̃ᵀX̃ θ = X̃ᵀy with X̃ = [X 1] and θ = [w; b].
/// </summary>
public static class LeastSquares
{
    /// <summary>
    /// Solves the normal equations by a Cholesky factorisation of X̃ᵀX̃ ((d+1)², float64). Returns null when X̃ᵀX̃ is
    /// singular (a pivot below 1e-12 times the largest diagonal entry): the solution is then not unique.
    /// </summary>
    /// <param name="data">The examples x_i.</param>
    /// <param name="target">y_i for example i.</param>
    public static (double[] Weights, double Bias)? Fit(LearnerData data, Func<int, double> target)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(target);
        int d = data.Dimension, m = d + 1;
        var a = new double[m * m];   // X̃ᵀX̃, [m, m]
        var rhs = new double[m];     // X̃ᵀy, [m]
        for (int i = 0; i < data.Count; i++)
        {
            var x = data.Row(i);
            double y = target(i);
            for (int r = 0; r < m; r++)
            {
                double xr = r < d ? x[r] : 1;
                if (xr == 0) continue;
                rhs[r] += xr * y;
                for (int c = 0; c <= r; c++) a[r * m + c] += xr * (c < d ? x[c] : 1);
            }
        }
        double largest = 0;
        for (int r = 0; r < m; r++) largest = Math.Max(largest, a[r * m + r]);
        // A = LLᵀ in the lower triangle of a.
        for (int j = 0; j < m; j++)
        {
            double diagonal = a[j * m + j];
            for (int k = 0; k < j; k++) diagonal -= a[j * m + k] * a[j * m + k];
            if (!(diagonal > 1e-12 * largest)) return null;
            double l = Math.Sqrt(diagonal);
            a[j * m + j] = l;
            for (int r = j + 1; r < m; r++)
            {
                double v = a[r * m + j];
                for (int k = 0; k < j; k++) v -= a[r * m + k] * a[j * m + k];
                a[r * m + j] = v / l;
            }
        }
        // L z = rhs, then Lᵀ θ = z.
        var theta = (double[])rhs.Clone();
        for (int r = 0; r < m; r++)
        {
            for (int k = 0; k < r; k++) theta[r] -= a[r * m + k] * theta[k];
            theta[r] /= a[r * m + r];
        }
        for (int r = m - 1; r >= 0; r--)
        {
            for (int k = r + 1; k < m; k++) theta[r] -= a[k * m + r] * theta[k];
            theta[r] /= a[r * m + r];
        }
        return (theta[..d], theta[d]);
    }
}
