namespace Backprop.Learners;

/// <summary>
/// Adaline, the least-mean-squares (Widrow–Hoff) rule (seed 001, 1.4.2): ŷ = a = b + wᵀx, trained by
/// w ← w + η(y − ŷ)x, b ← b + η(y − ŷ). Targets: real values, or ±1 for the two classes (then the predicted class
/// is 1 where a &gt; 0).
/// <para>
/// <b>Its loss, half the squared error</b> ℓ(a; y) = ½(y − a)². Derivation: the rule is w ← w − η ∂ℓ/∂w with
/// ∂ℓ/∂w = (∂ℓ/∂a)·x when ∂ℓ/∂a = −(y − ŷ) = a − y. Integrating in a: ℓ = ½(a − y)² + c, and c = 0 makes ℓ vanish at
/// a perfect fit. So the rule takes exactly −η∇ℓ (κ = 1): stochastic gradient descent on ½(y − ŷ)², whose minimiser
/// over a training set is the least-squares solution (<see cref="LeastSquares"/>). With a constant η the online rule
/// ends up near that solution, within a distance that shrinks with η; full-batch steps
/// (<see cref="LinearUnit.BatchStep"/>) converge to it for η &lt; 2/λ_max((1/n)X̃ᵀX̃), X̃ = [X 1].
/// </para>
/// </summary>
/// <example><code>
/// var unit = new Adaline(dimension: 1);
/// OnlineTraining.Train(unit, SyntheticData.Line(200, new Rng(0)), new OnlineTrainingOptions { Epochs = 20, LearningRate = 0.01 });
/// </code></example>
public sealed class Adaline(int dimension) : LinearUnit(dimension)
{
    public override string Name => "adaline";

    protected override bool AcceptsRealTargets => true;

    /// <summary>ŷ = a.</summary>
    public override double Output(double a) => a;

    /// <summary>ℓ = ½(y − a)².</summary>
    public override double Loss(double a, double y) => 0.5 * (y - a) * (y - a);

    /// <summary>∂ℓ/∂a = a − y.</summary>
    public override double LossDerivative(double a, double y) => a - y;
}
