using System.Globalization;
using System.Numerics.Tensors;

namespace Backprop.Learners;

/// <summary>
/// A kernel k(x, x') = φ(x)ᵀφ(x'), an inner product of feature maps that are never computed (seed 000, 1.3).
/// Build one with <see cref="Linear"/>, <see cref="Polynomial"/> or <see cref="Rbf"/>, or derive your own.
/// </summary>
public abstract class Kernel
{
    /// <summary>For kernels of your own: override <see cref="Name"/> and <see cref="Evaluate"/>.</summary>
    protected Kernel() { }

    /// <summary>"linear", "poly" or "rbf" (the CLI's <c>--kernel</c>).</summary>
    public abstract string Name { get; }

    /// <summary>k(a, b) for two vectors of the same length.</summary>
    public abstract double Evaluate(ReadOnlySpan<double> a, ReadOnlySpan<double> b);

    /// <summary>k(x, x') = xᵀx' (φ = identity: the kernel perceptron is then the primal one).</summary>
    public static Kernel Linear() => new LinearKernel();

    /// <summary>
    /// k(x, x') = (scale·xᵀx' + offset)^degree: every monomial of the features up to the degree (all of exactly that
    /// degree when offset = 0). Degree 2 separates XOR (x₁x₂ is a feature) and concentric circles (x₁² + x₂² is).
    /// </summary>
    /// <param name="degree">An integer p ≥ 1.</param>
    /// <param name="scale">γ &gt; 0 (default 1).</param>
    /// <param name="offset">c ≥ 0 (default 1).</param>
    public static Kernel Polynomial(int degree, double scale = 1, double offset = 1)
    {
        if (degree < 1) throw new BackpropException($"kernel degree: expected an integer ≥ 1, got {degree}");
        if (!(scale > 0) || !double.IsFinite(scale)) throw new BackpropException($"kernel scale: expected a finite number > 0, got {Format(scale)}");
        if (!(offset >= 0) || !double.IsFinite(offset)) throw new BackpropException($"kernel offset: expected a finite number ≥ 0, got {Format(offset)}");
        return new PolynomialKernel(degree, scale, offset);
    }

    /// <summary>
    /// The Gaussian (radial basis function) kernel k(x, x') = exp(−γ‖x − x'‖²): an infinite-dimensional φ; with γ
    /// large enough every finite set of distinct points is separable.
    /// </summary>
    /// <param name="gamma">γ &gt; 0.</param>
    public static Kernel Rbf(double gamma)
    {
        if (!(gamma > 0) || !double.IsFinite(gamma)) throw new BackpropException($"kernel gamma: expected a finite number > 0, got {Format(gamma)}");
        return new RbfKernel(gamma);
    }

    /// <summary>
    /// γ = 1 / (d · Var(X)), Var over all n·d feature values of <paramref name="data"/> (scikit-learn's
    /// <c>gamma='scale'</c>): ‖x − x'‖² then is about 2/γ for two typical points, so k is neither ≈ 0 nor ≈ 1.
    /// 1/d when the features do not vary.
    /// </summary>
    public static double DefaultGamma(LearnerData data)
    {
        ArgumentNullException.ThrowIfNull(data);
        double mean = 0, m2 = 0;
        long n = 0;
        foreach (double v in data.Features)
        {
            n++;
            double delta = v - mean;
            mean += delta / n;
            m2 += delta * (v - mean);
        }
        double variance = n == 0 ? 0 : m2 / n;
        return variance > 0 ? 1.0 / (data.Dimension * variance) : 1.0 / data.Dimension;
    }

    private protected static string Format(double v) => v.ToString("G6", CultureInfo.InvariantCulture);

    private sealed class LinearKernel : Kernel
    {
        public override string Name => "linear";

        public override double Evaluate(ReadOnlySpan<double> a, ReadOnlySpan<double> b) => TensorPrimitives.Dot(a, b);

        public override string ToString() => "linear kernel xᵀx'";
    }

    private sealed class PolynomialKernel(int degree, double scale, double offset) : Kernel
    {
        public override string Name => "poly";

        public override double Evaluate(ReadOnlySpan<double> a, ReadOnlySpan<double> b)
        {
            double u = scale * TensorPrimitives.Dot(a, b) + offset, result = u;
            for (int p = 1; p < degree; p++) result *= u;
            return result;
        }

        public override string ToString() => $"polynomial kernel ({Format(scale)}·xᵀx' + {Format(offset)})^{degree}";
    }

    private sealed class RbfKernel(double gamma) : Kernel
    {
        public override string Name => "rbf";

        public override double Evaluate(ReadOnlySpan<double> a, ReadOnlySpan<double> b)
        {
            double distance = TensorPrimitives.Distance(a, b);
            return Math.Exp(-gamma * distance * distance);
        }

        public override string ToString() => $"RBF kernel exp(−{Format(gamma)}·‖x − x'‖²)";
    }
}
