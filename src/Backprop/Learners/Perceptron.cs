namespace Backprop.Learners;

/// <summary>
/// Rosenblatt's perceptron (seed 001, 1.4.1): ŷ = sign(a), a = b + wᵀx, with sign(0) = 0, y ∈ {−1, +1}, trained by
/// w ← w + η(y − ŷ)x, b ← b + η(y − ŷ).
/// <para>
/// <b>Its loss, the perceptron criterion</b> ℓ(a; y) = max(0, −y·a). Derivation from the rule: where ŷ = y the factor
/// y − ŷ is 0 and nothing changes; on a mistake ŷ = −y, so y − ŷ = 2y and w ← w + 2ηy·x. Reading the rule as
/// w ← w − κη ∂ℓ/∂w with ∂ℓ/∂w = (∂ℓ/∂a)·x asks for ∂ℓ/∂a = −y where y·a &lt; 0 and ∂ℓ/∂a = 0 where y·a &gt; 0.
/// Integrating in a: ℓ = −y·a + c₁ on the wrong side and ℓ = c₂ on the right side; continuity at a = 0 and ℓ = 0
/// for a correct prediction give c₁ = c₂ = 0, so ℓ = max(0, −y·a). Its gradient on a mistake is −y·x, so the rule
/// takes −2η∇ℓ: <b>κ = 2</b>. It is gradient descent on the criterion with step 2η, or on 2·max(0, −y·a) with step η.
/// Starting from w = 0, b = 0 every parameter is a sum of ±2η·x terms, so η only scales (w, b): the mistakes and
/// predictions do not depend on η.
/// </para>
/// <para>
/// At the kink a = 0, sign(0) = 0 gives y − ŷ = y and the step ηy·x: −2η times −½y·x, the midpoint of the
/// subdifferential {−s·y·x : s ∈ [0, 1]} of ℓ there. It counts as a mistake (so the first example, seen with w = 0,
/// always is one); <see cref="LossDerivative"/> returns 0 there, as <see cref="Losses.PerceptronLoss{T}"/> does.
/// </para>
/// </summary>
/// <example><code>
/// var p = new Perceptron(dimension: 2);
/// OnlineTraining.Train(p, SyntheticData.Blobs(200, 2, new Rng(0)), new OnlineTrainingOptions { Epochs = 20 });
/// </code></example>
public sealed class Perceptron(int dimension) : LinearUnit(dimension)
{
    public override string Name => "perceptron";

    public override double StepScale => 2;

    public override bool UpdatesOnlyOnMistakes => true;

    /// <summary>ŷ = sign(a) ∈ {−1, 0, +1} (0 only at a = 0).</summary>
    public override double Output(double a) => Math.Sign(a);

    /// <summary>ℓ = max(0, −y·a).</summary>
    public override double Loss(double a, double y) => Math.Max(0, -y * a);

    /// <summary>∂ℓ/∂a = −y where y·a &lt; 0, else 0 (0 at the kink).</summary>
    public override double LossDerivative(double a, double y) => y * a < 0 ? -y : 0;

    /// <summary>A mistake is ŷ ≠ y: the wrong side, or a = 0.</summary>
    protected override bool IsMistake(double a, int label) => a == 0 || base.IsMistake(a, label);
}
