using System.Numerics;
using Backprop.Layers;
using Backprop.Tensors;

namespace Backprop.Optimizers;

/// <summary>The moment buffers and the update shared by <see cref="Adam{T}"/> and <see cref="AdamW{T}"/>.</summary>
internal sealed class AdamMoments<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly Tensor<T>[] _expAvg, _expAvgSq;

    public AdamMoments(Func<string, Tensor<T>[]> addState, double beta1, double beta2, double eps, double weightDecay)
    {
        Check(beta1 >= 0 && beta1 < 1, nameof(beta1), beta1, "β₁ must be in [0, 1)");
        Check(beta2 >= 0 && beta2 < 1, nameof(beta2), beta2, "β₂ must be in [0, 1)");
        Check(eps >= 0 && double.IsFinite(eps), nameof(eps), eps, "ε must be a finite number ≥ 0");
        Check(weightDecay >= 0 && double.IsFinite(weightDecay), nameof(weightDecay), weightDecay, "weight decay must be a finite number ≥ 0");
        (Beta1, Beta2, Eps, WeightDecay) = (beta1, beta2, eps, weightDecay);
        // State order as in torch's state_dict: exp_avg, then exp_avg_sq.
        _expAvg = addState("exp_avg");
        _expAvgSq = addState("exp_avg_sq");
    }

    public double Beta1 { get; }
    public double Beta2 { get; }
    public double Eps { get; }
    public double WeightDecay { get; }

    public void Update(IReadOnlyList<Parameter<T>> parameters, double learningRate, int step, bool decoupled)
    {
        // Scalars in double as torch computes them in Python, then rounded to T once.
        double biasCorrection1 = 1 - Math.Pow(Beta1, step);
        double biasCorrection2 = 1 - Math.Pow(Beta2, step);
        double stepSize = learningRate / biasCorrection1;
        T negStepSize = T.CreateChecked(-stepSize);
        T bc2Sqrt = T.CreateChecked(Math.Sqrt(biasCorrection2));
        T eps = T.CreateChecked(Eps);
        T b1 = T.CreateChecked(Beta1), oneMinusB1 = T.CreateChecked(1 - Beta1);
        T b2 = T.CreateChecked(Beta2), oneMinusB2 = T.CreateChecked(1 - Beta2);
        T wd = T.CreateChecked(WeightDecay);
        T shrink = T.CreateChecked(1 - learningRate * WeightDecay);
        bool coupledDecay = !decoupled && WeightDecay != 0, decoupledDecay = decoupled && WeightDecay != 0;
        for (int i = 0; i < parameters.Count; i++)
        {
            Span<T> p = parameters[i].Value.Span;
            ReadOnlySpan<T> grad = parameters[i].Grad.Span;
            Span<T> m = _expAvg[i].Span, v = _expAvgSq[i].Span;
            for (int j = 0; j < p.Length; j++)
            {
                T g = grad[j];
                if (decoupledDecay) p[j] = p[j] * shrink;
                else if (coupledDecay) g = T.FusedMultiplyAdd(p[j], wd, g);
                m[j] = T.FusedMultiplyAdd(g, oneMinusB1, m[j] * b1);
                v[j] = T.FusedMultiplyAdd(oneMinusB2 * g, g, v[j] * b2);
                T denom = T.Sqrt(v[j]) / bc2Sqrt + eps;
                p[j] = p[j] + negStepSize * m[j] / denom;
            }
        }
    }

    private static void Check(bool ok, string name, double value, string message)
    {
        if (!ok) throw new ArgumentOutOfRangeException(name, value, message);
    }
}
