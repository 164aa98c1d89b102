using System.Numerics;
using Backprop.Layers;
using Backprop.Tensors;

namespace Backprop.Optimizers;

/// <summary>
/// Stochastic gradient descent with optional momentum, exactly torch.optim.SGD (1.13). For each parameter p with
/// gradient g, at step t (η = <see cref="Optimizer{T}.LearningRate"/>, μ = momentum, τ = dampening, λ = weight decay):
/// <code>
/// d = g + λ·p                        (when λ ≠ 0)                     fma(p, λ, g)
/// b = d                              (t = 1: the first momentum step copies d, without dampening)
/// b = μ·b + (1 − τ)·d                (t > 1)                          fma(d, 1 − τ, μ·b)
/// d = d + μ·b   if nesterov,  d = b  otherwise     (when μ ≠ 0)      fma(b, μ, d)
/// p = p − η·d                                                         fma(d, −η, p)
/// </code>
/// The right-hand column is how each line rounds (see <see cref="Optimizer{T}"/>).
/// State: "&lt;name&gt;.momentum_buffer" (b) when μ ≠ 0, none otherwise.
/// </summary>
public sealed class SGD<T> : Optimizer<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly Tensor<T>[]? _momentumBuffers;

    /// <summary>As torch.optim.SGD(params, lr, momentum=0, dampening=0, weight_decay=0, nesterov=False); parameters named by position.</summary>
    public SGD(IReadOnlyList<Parameter<T>> parameters, double learningRate, double momentum = 0, double dampening = 0, double weightDecay = 0, bool nesterov = false)
        : base(parameters, learningRate)
    {
        (Momentum, Dampening, WeightDecay, Nesterov) = Checked(momentum, dampening, weightDecay, nesterov);
        if (momentum != 0) _momentumBuffers = AddState("momentum_buffer");
    }

    /// <summary>As torch.optim.SGD over a model's <c>NamedParameters</c>.</summary>
    public SGD(IReadOnlyList<(string Name, Parameter<T> Parameter)> parameters, double learningRate, double momentum = 0, double dampening = 0, double weightDecay = 0, bool nesterov = false)
        : base(parameters, learningRate)
    {
        (Momentum, Dampening, WeightDecay, Nesterov) = Checked(momentum, dampening, weightDecay, nesterov);
        if (momentum != 0) _momentumBuffers = AddState("momentum_buffer");
    }

    /// <summary>μ ≥ 0.</summary>
    public double Momentum { get; }

    /// <summary>τ: the share of the gradient left out of the momentum buffer (not applied on the first step).</summary>
    public double Dampening { get; }

    /// <summary>λ ≥ 0: L2 penalty, added to the gradient as λ·p.</summary>
    public double WeightDecay { get; }

    /// <summary>Nesterov momentum (needs μ &gt; 0 and τ = 0).</summary>
    public bool Nesterov { get; }

    protected override void Update(int step)
    {
        T negLr = T.CreateChecked(-LearningRate);
        T wd = T.CreateChecked(WeightDecay);
        T mu = T.CreateChecked(Momentum);
        T keep = T.CreateChecked(1 - Dampening);
        bool decay = WeightDecay != 0, first = step == 1;
        for (int i = 0; i < Parameters.Count; i++)
        {
            Span<T> p = Parameters[i].Value.Span;
            ReadOnlySpan<T> g = Parameters[i].Grad.Span;
            if (_momentumBuffers is null)
            {
                for (int j = 0; j < p.Length; j++)
                {
                    T d = decay ? T.FusedMultiplyAdd(p[j], wd, g[j]) : g[j];
                    p[j] = T.FusedMultiplyAdd(d, negLr, p[j]);
                }
                continue;
            }
            Span<T> buf = _momentumBuffers[i].Span;
            int start = 0;
            if (!decay && !Nesterov && Vector.IsHardwareAccelerated && (typeof(T) == typeof(float) || typeof(T) == typeof(double)))
                start = MomentumVectors(p, g, buf, first, mu, keep, negLr);
            for (int j = start; j < p.Length; j++)
            {
                T d = decay ? T.FusedMultiplyAdd(p[j], wd, g[j]) : g[j];
                T b = first ? d : T.FusedMultiplyAdd(d, keep, buf[j] * mu);
                buf[j] = b;
                d = Nesterov ? T.FusedMultiplyAdd(b, mu, d) : b;
                p[j] = T.FusedMultiplyAdd(d, negLr, p[j]);
            }
        }
    }

    /// <summary>
    /// The plain momentum update (no weight decay, no Nesterov: the training default) a vector at a time, with the same
    /// operations per element as the scalar loop (a fused multiply-add rounds once either way), so the same bits.
    /// Returns how many leading elements it did.
    /// </summary>
    private static int MomentumVectors(Span<T> p, ReadOnlySpan<T> g, Span<T> buf, bool first, T mu, T keep, T negLr)
    {
        int w = Vector<T>.Count, j = 0;
        Vector<T> vmu = new(mu), vkeep = new(keep), vlr = new(negLr);
        for (; j + w <= p.Length; j += w)
        {
            var d = new Vector<T>(g[j..]);
            var b = first ? d : Fma(d, vkeep, new Vector<T>(buf[j..]) * vmu);
            b.CopyTo(buf[j..]);
            Fma(b, vlr, new Vector<T>(p[j..])).CopyTo(p[j..]);
        }
        return j;
    }

    /// <summary>x·y + z rounded once, lane by lane (float or double).</summary>
    private static Vector<T> Fma(Vector<T> x, Vector<T> y, Vector<T> z) => typeof(T) == typeof(float)
        ? Vector.FusedMultiplyAdd(Vector.As<T, float>(x), Vector.As<T, float>(y), Vector.As<T, float>(z)).As<float, T>()
        : Vector.FusedMultiplyAdd(Vector.As<T, double>(x), Vector.As<T, double>(y), Vector.As<T, double>(z)).As<double, T>();

    private static (double, double, double, bool) Checked(double momentum, double dampening, double weightDecay, bool nesterov)
    {
        Require(momentum >= 0 && double.IsFinite(momentum), nameof(momentum), momentum, "momentum must be a finite number ≥ 0");
        Require(double.IsFinite(dampening), nameof(dampening), dampening, "dampening must be finite");
        Require(weightDecay >= 0 && double.IsFinite(weightDecay), nameof(weightDecay), weightDecay, "weight decay must be a finite number ≥ 0");
        if (nesterov && (momentum <= 0 || dampening != 0))
            throw new ArgumentException("Nesterov momentum needs momentum > 0 and dampening 0", nameof(nesterov));
        return (momentum, dampening, weightDecay, nesterov);
    }
}
