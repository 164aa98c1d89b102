using System.Numerics;
using Backprop.Layers;
using Backprop.Tensors;

namespace Backprop.Optimizers;

/// <summary>
/// Adam, exactly torch.optim.Adam (1.13, amsgrad off). For each parameter p with gradient g, at step t
/// (η = <see cref="Optimizer{T}.LearningRate"/>, λ = weight decay):
/// <code>
/// g  = g + λ·p                       (when λ ≠ 0: L2 penalty added to the gradient)   fma(p, λ, g)
/// m  = β₁·m + (1 − β₁)·g                                               fma(g, 1 − β₁, m·β₁)
/// v  = β₂·v + (1 − β₂)·g·g                                             fma((1 − β₂)·g, g, v·β₂)
/// bias_correction1 = 1 − β₁ᵗ,   bias_correction2 = 1 − β₂ᵗ             (in double)
/// step_size = η / bias_correction1                                     (in double)
/// denom = √v / √bias_correction2 + ε
/// p  = p − step_size·m / denom                                         p + ((−step_size)·m) / denom
/// </code>
/// The right-hand column is how each line rounds (see <see cref="Optimizer{T}"/>).
/// Defaults as PyTorch's: η = 1e-3, β = (0.9, 0.999), ε = 1e-8, λ = 0. State: "&lt;name&gt;.exp_avg" (m) and
/// "&lt;name&gt;.exp_avg_sq" (v); t is <see cref="Optimizer{T}.StepCount"/>.
/// </summary>
public sealed class Adam<T> : AdamOptimizer<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>As torch.optim.Adam(params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0); parameters named by position.</summary>
    public Adam(IReadOnlyList<Parameter<T>> parameters, double learningRate = 1e-3, double beta1 = 0.9, double beta2 = 0.999, double eps = 1e-8, double weightDecay = 0)
        : base(parameters, learningRate, beta1, beta2, eps, weightDecay, decoupled: false) { }

    /// <summary>As torch.optim.Adam over a model's <c>NamedParameters</c>.</summary>
    public Adam(IReadOnlyList<(string Name, Parameter<T> Parameter)> parameters, double learningRate = 1e-3, double beta1 = 0.9, double beta2 = 0.999, double eps = 1e-8, double weightDecay = 0)
        : base(parameters, learningRate, beta1, beta2, eps, weightDecay, decoupled: false) { }
}

/// <summary>
/// AdamW, exactly torch.optim.AdamW (1.13, amsgrad off): Adam with decoupled weight decay. For each parameter p with
/// gradient g, at step t (η = <see cref="Optimizer{T}.LearningRate"/>, λ = weight decay):
/// <code>
/// p  = p·(1 − η·λ)                   (1 − η·λ computed in double)
/// m  = β₁·m + (1 − β₁)·g                                               fma(g, 1 − β₁, m·β₁)
/// v  = β₂·v + (1 − β₂)·g·g                                             fma((1 − β₂)·g, g, v·β₂)
/// bias_correction1 = 1 − β₁ᵗ,   bias_correction2 = 1 − β₂ᵗ             (in double)
/// step_size = η / bias_correction1                                     (in double)
/// denom = √v / √bias_correction2 + ε
/// p  = p − step_size·m / denom                                         p + ((−step_size)·m) / denom
/// </code>
/// The right-hand column is how each line rounds (see <see cref="Optimizer{T}"/>).
/// Defaults as PyTorch's: η = 1e-3, β = (0.9, 0.999), ε = 1e-8, λ = 0.01. State: "&lt;name&gt;.exp_avg" (m) and
/// "&lt;name&gt;.exp_avg_sq" (v).
/// </summary>
public sealed class AdamW<T> : AdamOptimizer<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>As torch.optim.AdamW(params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2); parameters named by position.</summary>
    public AdamW(IReadOnlyList<Parameter<T>> parameters, double learningRate = 1e-3, double beta1 = 0.9, double beta2 = 0.999, double eps = 1e-8, double weightDecay = 0.01)
        : base(parameters, learningRate, beta1, beta2, eps, weightDecay, decoupled: true) { }

    /// <summary>As torch.optim.AdamW over a model's <c>NamedParameters</c>.</summary>
    public AdamW(IReadOnlyList<(string Name, Parameter<T> Parameter)> parameters, double learningRate = 1e-3, double beta1 = 0.9, double beta2 = 0.999, double eps = 1e-8, double weightDecay = 0.01)
        : base(parameters, learningRate, beta1, beta2, eps, weightDecay, decoupled: true) { }
}

/// <summary>
/// What <see cref="Adam{T}"/> and <see cref="AdamW{T}"/> share: the hyperparameters, the moment buffers and the
/// update; they differ only in where the weight decay acts (<c>decoupled</c>) and its default.
/// </summary>
public abstract class AdamOptimizer<T> : Optimizer<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly AdamMoments<T> _moments;
    private readonly bool _decoupled;

    private protected AdamOptimizer(IReadOnlyList<Parameter<T>> parameters, double learningRate, double beta1, double beta2, double eps, double weightDecay, bool decoupled)
        : base(parameters, learningRate) => (_moments, _decoupled) = (new AdamMoments<T>(AddState, beta1, beta2, eps, weightDecay), decoupled);

    private protected AdamOptimizer(IReadOnlyList<(string Name, Parameter<T> Parameter)> parameters, double learningRate, double beta1, double beta2, double eps, double weightDecay, bool decoupled)
        : base(parameters, learningRate) => (_moments, _decoupled) = (new AdamMoments<T>(AddState, beta1, beta2, eps, weightDecay), decoupled);

    public double Beta1 => _moments.Beta1;
    public double Beta2 => _moments.Beta2;
    public double Eps => _moments.Eps;

    /// <summary>λ ≥ 0: Adam adds λ·p to the gradient before the moments (L2 penalty); AdamW decays p·(1 − η·λ) before the step.</summary>
    public double WeightDecay => _moments.WeightDecay;

    protected override void Update(int step) => _moments.Update(Parameters, LearningRate, step, _decoupled);
}

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
