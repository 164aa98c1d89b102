namespace Backprop.Learners;

/// <summary>
/// Logistic regression in the tanh form of seed 001 (1.4.3): ŷ = tanh(a), a = b + wᵀx, y ∈ {−1, +1}, trained by
/// w ← w + η(y − ŷ)x, b ← b + η(y − ŷ).
/// <para>
/// <b>Its loss, a cross-entropy</b> in the "probabilities" p = (1 + ŷ)/2 and t = (1 + y)/2:
/// <code>
/// ℓ(a; y) = −[ (1+y)/2 · ln((1+ŷ)/2) + (1−y)/2 · ln((1−ŷ)/2) ] = ln(1 + e^(−2y·a))   (y = ±1).
/// </code>
/// Derivation: the rule is w ← w − η ∂ℓ/∂w with ∂ℓ/∂w = (∂ℓ/∂a)·x when ∂ℓ/∂a = −(y − ŷ) = tanh(a) − y.
/// Integrating in a: ℓ = ln cosh(a) − y·a + c. Since tanh(a) = 2σ(2a) − 1, p = (1 + ŷ)/2 = σ(2a) and
/// 1 − p = σ(−2a); then −[t ln p + (1 − t) ln(1 − p)] = t·softplus(−2a) + (1 − t)·softplus(2a), whose derivative is
/// −2t·σ(−2a) + 2(1 − t)·σ(2a) = 2σ(2a) − 2t = (1 + ŷ) − (1 + y) = ŷ − y, as required; it equals
/// ln cosh(a) − y·a + ln 2 and is the c that makes ℓ → 0 as y·a → ∞. So the rule takes exactly −η∇ℓ (κ = 1).
/// For y = ±1 this is the logistic loss of seed 000 (problem 2) at the doubled margin 2y·a. (Half the squared
/// error ½(y − tanh a)² would not do: its ∂/∂a is −(y − ŷ)(1 − ŷ²), with a factor 1 − ŷ² the rule lacks.)
/// </para>
/// <para>
/// The same model as <see cref="LogisticRegression"/>: P(y = +1 | x) = (1 + ŷ)/2 = σ(2a), so (w, b) here predicts
/// what (2w, 2b) predicts there, and since y − ŷ = 2(t − p) the tanh rule with step η moves (2w, 2b) as the sigmoid
/// rule with step 4η does.
/// </para>
/// <para>ℓ is computed as t·softplus(−2a) + (1 − t)·softplus(2a), which never overflows and also accepts soft targets y ∈ [−1, 1].</para>
/// </summary>
public sealed class TanhLogisticRegression(int dimension) : LinearUnit(dimension)
{
    public override string Name => "logistic-tanh";

    /// <summary>ŷ = tanh(a).</summary>
    public override double Output(double a) => Math.Tanh(a);

    /// <summary>ℓ = −[(1+y)/2 · ln((1+ŷ)/2) + (1−y)/2 · ln((1−ŷ)/2)].</summary>
    public override double Loss(double a, double y)
    {
        double t = (1 + y) / 2;
        return t * Softplus(-2 * a) + (1 - t) * Softplus(2 * a);
    }

    /// <summary>∂ℓ/∂a = tanh(a) − y.</summary>
    public override double LossDerivative(double a, double y) => Math.Tanh(a) - y;
}
