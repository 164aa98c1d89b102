namespace Backprop.Learners;

/// <summary>
/// Logistic regression in the usual sigmoid form: ŷ = σ(a) = 1/(1 + e^(−a)), a = b + wᵀx, with <b>targets
/// t ∈ {0, 1}</b> (class 1 ↦ 1, class 0 ↦ 0; from ±1 labels t = (1 + y)/2), trained by the same rule
/// w ← w + η(t − ŷ)x, b ← b + η(t − ŷ).
/// <para>
/// <b>Its loss, binary cross-entropy</b> ℓ(a; t) = −[t ln ŷ + (1 − t) ln(1 − ŷ)] = ln(1 + e^(−y·a)) with y = 2t − 1:
/// the logistic loss of seed 000 (problem 2, <see cref="Losses.LogisticLoss{T}"/>). Derivation: the rule is
/// w ← w − η ∂ℓ/∂w when ∂ℓ/∂a = σ(a) − t; integrating in a, ℓ = t·softplus(−a) + (1 − t)·softplus(a) + c (because
/// d softplus(a)/da = σ(a) and d softplus(−a)/da = −σ(−a) = σ(a) − 1), and c = 0 makes ℓ → 0 on confident correct
/// predictions. So the rule takes exactly −η∇ℓ (κ = 1).
/// </para>
/// <para>
/// Why targets 0/1 and not ±1 here: ŷ ∈ (0, 1) can never reach −1, and with t = −1 the rule's loss would be
/// softplus(a) + a, whose derivative σ(a) + 1 is never 0: the weights would grow without bound. (The tanh form,
/// <see cref="TanhLogisticRegression"/>, is the one for ±1 labels.)
/// </para>
/// </summary>
public sealed class LogisticRegression(int dimension) : LinearUnit(dimension)
{
    public override string Name => "logistic";

    /// <summary>t = 1 for class 1, 0 for class 0.</summary>
    public override double Target(bool positiveClass) => positiveClass ? 1 : 0;

    /// <summary>ŷ = σ(a).</summary>
    public override double Output(double a) => SpecialFunctions.Logistic(a);

    /// <summary>ℓ = −[t ln σ(a) + (1 − t) ln(1 − σ(a))] = t·softplus(−a) + (1 − t)·softplus(a).</summary>
    public override double Loss(double a, double t) => t * Softplus(-a) + (1 - t) * Softplus(a);

    /// <summary>∂ℓ/∂a = σ(a) − t.</summary>
    public override double LossDerivative(double a, double t) => SpecialFunctions.Logistic(a) - t;
}
