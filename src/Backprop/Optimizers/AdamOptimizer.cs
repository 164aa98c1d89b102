using System.Numerics;
using Backprop.Layers;

namespace Backprop.Optimizers;

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
