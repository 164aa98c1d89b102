using System.Numerics;
using Backprop.Layers;

namespace Backprop.Optimizers;

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
