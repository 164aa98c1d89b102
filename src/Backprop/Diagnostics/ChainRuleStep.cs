namespace Backprop.Diagnostics;

/// <summary>
/// The chain rule at one layer of the backward pass, for one example k, with the numbers put in:
/// upstream × local = downstream, as row vectors, dL/dh⁽ⁱ⁾ = dL/dh⁽ⁱ⁺¹⁾ · ∂h⁽ⁱ⁺¹⁾/∂h⁽ⁱ⁾.
/// <see cref="Kind"/> says what the local Jacobian is: "linear" (it is W, [out][in]), "elementwise" (a diagonal
/// diag(f'(h))), "softmax" (diag(s) − s sᵀ), "jacobian" (any other layer). <see cref="Jacobian"/> is null when it is
/// larger than <see cref="ChainRule.MaxJacobianEntries"/>. For a layer with a weight matrix, <see cref="OuterProducts"/>
/// holds dL/dW = δᵀ·h, the outer product of the upstream gradient δ [N, out] and the layer's input h [N, in], summed
/// over the batch. <see cref="Latex"/> is one display per line: the chain rule, then each outer product.
/// </summary>
public sealed record ChainRuleStep(
    int Index, string Layer, string Kind, int Example,
    TensorValue Upstream, TensorValue? Jacobian, TensorValue Downstream,
    IReadOnlyList<(string Name, TensorValue Delta, TensorValue Input, TensorValue Product)> OuterProducts,
    IReadOnlyList<string> Latex);
