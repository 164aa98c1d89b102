namespace Backprop.Experiments;

/// <summary>
/// The chain rule of (b) checked on a pass, l = 1 … 151: dL/do⁽ˡ⁾ against W⁽ˡ⁺¹⁾ᵀ·(h′(a⁽ˡ⁺¹⁾) ⊙ dL/do⁽ˡ⁺¹⁾) computed
/// from the recorded a, W and dL/do (for two chains W is diagonal, so per chain dL/do_k⁽ˡ⁾ = w_k⁽ˡ⁺¹⁾·h′(a_k⁽ˡ⁺¹⁾)·dL/do_k⁽ˡ⁺¹⁾).
/// <see cref="MaxRelativeDifference"/> is the largest |engine − formula| / |formula| (0 where both are 0);
/// <see cref="MaxNormRatio"/> the largest ‖dL/do⁽ˡ⁾‖ / ‖dL/do⁽ˡ⁺¹⁾‖; <see cref="MaxDerivative"/> the largest h′(a) at
/// any node.
/// </summary>
public sealed record ChainRuleCheck(double MaxRelativeDifference, double MaxNormRatio, double MaxDerivative);
