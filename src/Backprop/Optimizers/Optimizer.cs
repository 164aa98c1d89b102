using System.Numerics;
using Backprop.Layers;
using Backprop.Tensors;

namespace Backprop.Optimizers;

/// <summary>
/// Updates parameters in place from their accumulated gradients, as a torch.optim optimiser with one parameter group.
/// <para>
/// <see cref="Step"/> reads each parameter's <see cref="Parameter{T}.Grad"/> and writes its
/// <see cref="Parameter{T}.Value"/>; it never clears gradients (call <see cref="ZeroGrad"/>) and allocates nothing:
/// every state buffer (momentum, moment estimates) is allocated once, in the constructor, with the shape of its
/// parameter. Hyperparameters are read as doubles (scalar formulas such as bias corrections are evaluated in double,
/// as torch evaluates them in Python) and rounded to <typeparamref name="T"/> once per step.
/// </para>
/// <para>
/// Element arithmetic is done in <typeparamref name="T"/> in the order of torch's ops, and rounds where ATen's CPU
/// kernels round: <c>x.add_(y, alpha=a)</c> and <c>x.addcmul_(y, z, value=a)</c> are a fused multiply-add
/// (fma(y, a, x), fma(a·y, z, x)), as ATen's vectorised kernels compute them on x86-64 with AVX2/AVX-512; every
/// other operation rounds once. <see cref="IFloatingPointIeee754{TSelf}.FusedMultiplyAdd"/> is exact on every
/// machine, so results do not depend on the CPU; they equal torch 1.13's bit for bit where torch fuses (the
/// cross-check tests report how many values are bit-identical) and to a few ulps where it does not.
/// </para>
/// <para>
/// Checkpoints: <see cref="State"/> and <see cref="StepCount"/> are everything that changes as the optimiser runs.
/// Restoring them with <see cref="LoadState"/> into an optimiser built with the same parameters and
/// hyperparameters (and the same <see cref="LearningRate"/>, which a schedule sets per epoch) continues bit for bit
/// as if never interrupted.
/// </para>
/// </summary>
public abstract class Optimizer<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly Parameter<T>[] _parameters;
    private readonly string[] _names;
    private readonly List<(string Suffix, Tensor<T>[] Buffers)> _state = [];
    private double _learningRate;

    /// <summary>
    /// Optimises <paramref name="parameters"/>, naming them by position ("0", "1", ...) in <see cref="State"/>, as
    /// torch's optimizer state_dict does.
    /// </summary>
    protected Optimizer(IReadOnlyList<Parameter<T>> parameters, double learningRate)
        : this(ByPosition(parameters), learningRate)
    {
    }

    /// <summary>Optimises a model's <c>NamedParameters</c>; state entries are named "0.weight.exp_avg" and so on.</summary>
    protected Optimizer(IReadOnlyList<(string Name, Parameter<T> Parameter)> parameters, double learningRate)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        _parameters = new Parameter<T>[parameters.Count];
        _names = new string[parameters.Count];
        var seenParameters = new HashSet<Parameter<T>>(ReferenceEqualityComparer.Instance);
        var seenNames = new HashSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < parameters.Count; i++)
        {
            var (name, parameter) = parameters[i];
            ArgumentNullException.ThrowIfNull(parameter);
            if (string.IsNullOrEmpty(name)) throw new ArgumentException($"parameter {i} has no name", nameof(parameters));
            if (!seenParameters.Add(parameter)) throw new ArgumentException($"parameter '{name}' appears more than once", nameof(parameters));
            if (!seenNames.Add(name)) throw new ArgumentException($"two parameters are named '{name}'", nameof(parameters));
            _parameters[i] = parameter;
            _names[i] = name;
        }
        LearningRate = learningRate;
    }

    /// <summary>The parameters being optimised, in the order given.</summary>
    public IReadOnlyList<Parameter<T>> Parameters => _parameters;

    /// <summary>The parameters' names as used in <see cref="State"/>.</summary>
    public IReadOnlyList<string> ParameterNames => _names;

    /// <summary>η, read at every <see cref="Step"/>; a learning-rate schedule sets it before each epoch. Must be finite and ≥ 0.</summary>
    public double LearningRate
    {
        get => _learningRate;
        set
        {
            if (!(value >= 0) || !double.IsFinite(value))
                throw new ArgumentOutOfRangeException(nameof(LearningRate), value, "the learning rate must be a finite number ≥ 0");
            _learningRate = value;
        }
    }

    /// <summary>Steps taken so far (torch's state "step"); the first <see cref="Step"/> is step 1.</summary>
    public int StepCount { get; private set; }

    /// <summary>One update of every parameter from its current gradient.</summary>
    public void Step()
    {
        int step = StepCount + 1;
        Update(step);
        StepCount = step;
    }

    /// <summary>Clears every parameter's gradient.</summary>
    public void ZeroGrad()
    {
        foreach (var p in _parameters) p.Grad.Clear();
    }

    /// <summary>
    /// A copy of every state buffer, named "&lt;parameter name&gt;.&lt;buffer&gt;" ("0.weight.momentum_buffer",
    /// "0.weight.exp_avg", "0.weight.exp_avg_sq"), parameter by parameter in order and, within one, in the order
    /// torch's state_dict lists them. Buffers are listed (zero-filled) before the first step too; <see cref="StepCount"/>
    /// says whether they have been used. Save both for a checkpoint.
    /// </summary>
    public IReadOnlyList<(string Name, Tensor<T> Tensor)> State()
    {
        var result = new List<(string, Tensor<T>)>(_parameters.Length * _state.Count);
        for (int i = 0; i < _parameters.Length; i++)
            foreach (var (suffix, buffers) in _state) result.Add(($"{_names[i]}.{suffix}", buffers[i].Clone()));
        return result;
    }

    /// <summary>
    /// Restores what <see cref="State"/> and <see cref="StepCount"/> returned (in any order of entries). Every
    /// expected entry must be present exactly once with its parameter's shape, and nothing else; otherwise a
    /// <see cref="BackpropException"/> names the entry, and nothing is changed. Values are copied.
    /// </summary>
    public void LoadState(IReadOnlyList<(string Name, Tensor<T> Tensor)> state, int stepCount)
    {
        ArgumentNullException.ThrowIfNull(state);
        if (stepCount < 0) throw new BackpropException($"optimizer state: step count must be ≥ 0, got {stepCount}");
        var expected = new Dictionary<string, Tensor<T>>(StringComparer.Ordinal);
        for (int i = 0; i < _parameters.Length; i++)
            foreach (var (suffix, buffers) in _state) expected.Add($"{_names[i]}.{suffix}", buffers[i]);
        var given = new Dictionary<string, Tensor<T>>(StringComparer.Ordinal);
        foreach (var (name, tensor) in state)
        {
            if (!expected.TryGetValue(name, out var target))
                throw new BackpropException(expected.Count == 0
                    ? $"optimizer state: unexpected entry '{name}'; {GetType().Name} with these settings keeps no state"
                    : $"optimizer state: unexpected entry '{name}'; expected: {string.Join(", ", expected.Keys)}");
            if (!given.TryAdd(name, tensor)) throw new BackpropException($"optimizer state: entry '{name}' appears more than once");
            if (tensor is null || !tensor.HasShape(target.Shape))
                throw new BackpropException($"optimizer state: '{name}' has shape {(tensor is null ? "null" : Tensor.Format(tensor.Shape))}, expected {Tensor.Format(target.Shape)}");
        }
        foreach (var name in expected.Keys)
            if (!given.ContainsKey(name)) throw new BackpropException($"optimizer state: missing entry '{name}'");
        foreach (var (name, target) in expected) target.CopyFrom(given[name]);
        StepCount = stepCount;
    }

    /// <summary>Allocates one zero-filled buffer per parameter, listed in <see cref="State"/> as "&lt;name&gt;.<paramref name="suffix"/>".</summary>
    protected Tensor<T>[] AddState(string suffix)
    {
        var buffers = new Tensor<T>[_parameters.Length];
        for (int i = 0; i < buffers.Length; i++) buffers[i] = new Tensor<T>((int[])_parameters[i].Value.Shape.Clone());
        _state.Add((suffix, buffers));
        return buffers;
    }

    /// <summary>Updates every parameter in place; <paramref name="step"/> is this step's number, 1 for the first.</summary>
    protected abstract void Update(int step);

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> unless <paramref name="ok"/>; for hyperparameter checks.</summary>
    protected static void Require(bool ok, string name, double value, string message)
    {
        if (!ok) throw new ArgumentOutOfRangeException(name, value, message);
    }

    private static (string, Parameter<T>)[] ByPosition(IReadOnlyList<Parameter<T>> parameters)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        var named = new (string, Parameter<T>)[parameters.Count];
        for (int i = 0; i < named.Length; i++) named[i] = (i.ToString(System.Globalization.CultureInfo.InvariantCulture), parameters[i]);
        return named;
    }
}
