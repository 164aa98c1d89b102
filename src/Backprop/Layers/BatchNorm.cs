using System.Numerics;
using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;
using Backprop.Kernels;
using System.Text;
using Backprop.Tensors;

namespace Backprop.Layers;

/// <summary>
/// The description of a batch normalisation (<see cref="BatchNorm1d"/>, <see cref="BatchNorm2d"/>), with PyTorch's
/// constructor arguments: <c>"eps"</c> (1e-5), <c>"momentum"</c> (0.1; null for a cumulative average), <c>"affine"</c>
/// (true: a weight γ and a bias β per channel), <c>"track_running_stats"</c> (true: running_mean, running_var and
/// num_batches_tracked are kept), and optionally the values of <c>"weight"</c>, <c>"bias"</c>, <c>"running_mean"</c>,
/// <c>"running_var"</c> and <c>"num_batches_tracked"</c>. The number of channels is the input's first dimension.
/// Without values, weight is 1, bias 0, running_mean 0 and running_var 1, as PyTorch initialises them (nothing is drawn).
/// </summary>
public abstract record BatchNorm(double Eps, double? Momentum, bool Affine, bool TrackRunningStats) : LayerSpec
{
    /// <summary>The fields of a batch normalisation's entry.</summary>
    protected static readonly string[] Fields =
        ["type", "eps", "momentum", "affine", "track_running_stats", "weight", "bias", "running_mean", "running_var", "num_batches_tracked"];

    private static readonly string[] ValueNames = ["weight", "bias", "running_mean", "running_var", "num_batches_tracked"];

    public sealed override bool DrawsInitialValues => false;

    /// <summary>Reads the arguments and values, refusing what PyTorch would compute nonsense from (a negative eps, a running variance ≤ 0).</summary>
    protected static (double Eps, double? Momentum, bool Affine, bool Track, IReadOnlyDictionary<string, (double[] Values, int[] Shape)> Values) Read(LayerFields f)
    {
        double eps = f.Number("eps", 1e-5);
        if (eps < 0) throw f.Error("eps", $"must be ≥ 0 (it is added to the variance under the square root), got {NumberFormat.RoundTrip(eps)}");
        double? momentum = f.NumberOrNull("momentum", 0.1);
        if (momentum is double m && !(m >= 0 && m <= 1))
            throw f.Error("momentum", $"must be in [0, 1] (the weight of each new batch in the running statistics) or null (a cumulative average), got {NumberFormat.RoundTrip(m)}");
        bool affine = f.Boolean("affine", true), track = f.Boolean("track_running_stats", true);
        var values = f.Values(ValueNames);
        foreach (string name in ValueNames[..2])
            if (!affine && values.ContainsKey(name)) throw f.Error(name, "the layer has no weight and bias (\"affine\": false)");
        foreach (string name in ValueNames[2..])
            if (!track && values.ContainsKey(name)) throw f.Error(name, "the layer keeps no running statistics (\"track_running_stats\": false)");
        foreach (string name in ValueNames[2..])
            if (values.TryGetValue(name, out var given) && BufferProblem<double>(name, given.Values) is string problem)
                throw f.Error(name, problem);
        if (values.TryGetValue("num_batches_tracked", out var count) && count.Shape.Length != 0)
            throw f.Error("num_batches_tracked", "expected one whole number ≥ 0 (the count of batches seen in training mode)");
        return (eps, momentum, affine, track, values);
    }

    /// <summary>
    /// Why these values cannot be the buffer <paramref name="buffer"/> ("running_var" or a state_dict name such as
    /// "3.running_var": a variance ≤ 0 or NaN; "num_batches_tracked": not a whole number ≥ 0), or null when they can. Model files, safetensors files and
    /// checkpoints all go through this one rule, since a bad value would turn every later running statistic into NaN.
    /// </summary>
    public static string? BufferProblem<T>(string buffer, ReadOnlySpan<T> values) where T : IFloatingPointIeee754<T>
    {
        buffer = buffer[(buffer.LastIndexOf('.') + 1)..];
        for (int k = 0; k < values.Length; k++)
        {
            T v = values[k];
            if (buffer == "running_var" && !(v > T.Zero))
                return $"element {k} is {Shown(v)}, but a variance must be > 0";
            if (buffer == "num_batches_tracked" && (!(v >= T.Zero) || T.Floor(v) != v || v > T.CreateChecked(1L << 53)))
                return $"{Shown(v)} is not a count: expected one whole number ≥ 0 (the count of batches seen in training mode)";
        }
        return null;

        static string Shown(T v) => v is float f ? NumberFormat.RoundTrip(f) : NumberFormat.RoundTrip(double.CreateChecked(v));
    }

    /// <summary>Same shape out; weight and bias [channels] when affine; the running statistics when tracked.</summary>
    protected LayerLayout Layout(int[] inputShape)
    {
        int c = inputShape[0];
        return new LayerLayout(Type, inputShape, inputShape, Affine ? [("weight", [c]), ("bias", [c])] : [], 0)
        {
            // In evaluation mode y = x·scale + shift per channel: one multiply-add per element.
            MultiplyAdds = Tensor.SizeOf(inputShape),
            Buffers = TrackRunningStats ? [("running_mean", [c]), ("running_var", [c]), ("num_batches_tracked", [])] : [],
        };
    }

    protected sealed override void WriteArguments(StringBuilder sb)
    {
        Field(sb, "eps", Number(Eps));
        Field(sb, "momentum", Momentum is double m ? Number(m) : "null");
        Field(sb, "affine", Affine ? "true" : "false");
        Field(sb, "track_running_stats", TrackRunningStats ? "true" : "false");
    }

    protected sealed override void WriteParameters(StringBuilder sb, string? valueIndent)
    {
        if (valueIndent is null) return;
        foreach (string name in ValueNames)
            if (Values.TryGetValue(name, out var v))
                sb.Append(',').Append(valueIndent).Append('"').Append(name).Append("\": ").Append(NumberFormat.Nested(v.Values, v.Shape, NumberFormat.RoundTrip));
    }
}

/// <summary>
/// Batch normalisation over [N, C, S...] (S: the positions of one channel, none for batchnorm1d on [N, C]), as
/// PyTorch 1.13 computes it. Each channel c is normalised over its m = N·S values:
/// <code>
/// x̂ = (x − μ_c) / √(σ²_c + eps),   y = γ_c · x̂ + β_c
/// </code>
/// In training mode μ and σ² are the batch's (σ² biased, Σ(x − μ)²/m), and the running statistics follow
/// running ← (1 − momentum)·running + momentum·batch, with the unbiased variance Σ(x − μ)²/(m − 1) for running_var
/// (momentum null: the factor is 1/num_batches_tracked, a cumulative average); num_batches_tracked counts the
/// batches. In evaluation mode μ and σ² are running_mean and running_var (or the batch's when they are not tracked).
/// Backward with batch statistics, where every x of a channel moves μ and σ²:
/// dx = γ/√(σ² + eps) · (dy − mean(dy) − x̂ · mean(dy · x̂)); with running statistics, dx = γ/√(σ² + eps) · dy.
/// Both: dγ += Σ dy · x̂, dβ += Σ dy.
/// </summary>
public abstract class BatchNorm<T> : Layer<T>, IParallelJob where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly T _eps;
    private readonly T[] _mean, _variance, _invStd;
    private readonly IReadOnlyList<Parameter<T>> _parameters;
    private readonly IReadOnlyList<Buffer<T>> _buffers;
    private Tensor<T>? _input, _output, _normalized, _outputGrad, _inputGrad;
    private bool _batchStatistics, _backward;
    private T _factor;

    protected BatchNorm(int[] shape, double eps, double? momentum, bool affine, bool trackRunningStats) : base(shape, shape)
    {
        int c = shape[0];
        NumFeatures = c;
        Eps = eps;
        Momentum = momentum;
        _eps = T.CreateChecked(eps);
        _mean = new T[c];
        _variance = new T[c];
        _invStd = new T[c];
        if (affine)
        {
            Weight = new Parameter<T>("weight", new Tensor<T>(c));
            Weight.Value.Fill(T.One);
            Bias = new Parameter<T>("bias", new Tensor<T>(c));
        }
        if (trackRunningStats)
        {
            RunningMean = new Buffer<T>("running_mean", new Tensor<T>(c));
            RunningVar = new Buffer<T>("running_var", new Tensor<T>(c));
            RunningVar.Value.Fill(T.One);
            NumBatchesTracked = new Buffer<T>("num_batches_tracked", new Tensor<T>(Array.Empty<int>()), isCount: true);
        }
        _parameters = Weight is null ? [] : [Weight, Bias!];
        _buffers = RunningMean is null ? [] : [RunningMean, RunningVar!, NumBatchesTracked!];
    }

    public int NumFeatures { get; }
    public double Eps { get; }
    public double? Momentum { get; }
    public Parameter<T>? Weight { get; }
    public Parameter<T>? Bias { get; }
    public Buffer<T>? RunningMean { get; }
    public Buffer<T>? RunningVar { get; }
    public Buffer<T>? NumBatchesTracked { get; }
    public override IReadOnlyList<Parameter<T>> Parameters => _parameters;
    public override IReadOnlyList<Buffer<T>> Buffers => _buffers;

    /// <summary>Whether the last forward pass normalised with the batch's statistics (training mode, or nothing tracked).</summary>
    public bool UsedBatchStatistics => _batchStatistics;

    /// <summary>The mean μ per channel that the last forward pass used (the batch's or the running one).</summary>
    public ReadOnlySpan<T> LastMean => _mean;

    /// <summary>The variance σ² per channel that the last forward pass used (the batch's, biased, or the running one).</summary>
    public ReadOnlySpan<T> LastVariance => _variance;

    public override Tensor<T> Forward(Tensor<T> input)
    {
        // input [N, C, S...] -> output [N, C, S...]
        _input = input;
        int c = NumFeatures, n = input.Shape[0], s = input.ExampleSize / c, m = n * s;
        _batchStatistics = Training || RunningMean is null;
        if (_batchStatistics && m < 2)
            throw new BackpropException($"{Type}: expected more than 1 value per channel in training mode, got input {Tensor.Format(input.Shape)}: " +
                "a batch of one example has no batch statistics to normalise with (PyTorch refuses it too); use a batch of 2 or more, or evaluation mode");
        _factor = T.Zero;
        if (Training && NumBatchesTracked is not null)
        {
            Span<T> count = NumBatchesTracked.Value.Span;
            count[0] += T.One;
            _factor = Momentum is double momentum ? T.CreateChecked(momentum) : T.One / count[0];
        }
        _output = Tensor.Reuse(ref _output, input.Shape);
        _normalized = Tensor.Reuse(ref _normalized, input.Shape);
        _backward = false;
        RunChannels(input.Length);
        return _output;
    }

    public override Tensor<T> Backward(Tensor<T> outputGrad)
    {
        // outputGrad [N, C, S...] -> inputGrad [N, C, S...]; in the forward pass this was: y = γ·x̂ + β, x̂ = (x − μ)·invstd
        if (_input is null) throw new InvalidOperationException($"{Type}: Backward called before Forward");
        _outputGrad = outputGrad;
        _inputGrad = Tensor.Reuse(ref _inputGrad, outputGrad.Shape);
        _backward = true;
        RunChannels(outputGrad.Length);
        return _inputGrad;
    }

    // One piece per channel: a channel's numbers come out the same whichever thread computes them.
    private void RunChannels(int length)
    {
        if (length < ElementwiseJob.PieceSize)
            for (int ch = 0; ch < NumFeatures; ch++) ((IParallelJob)this).Execute(ch);
        else WorkerPool.Run(this, NumFeatures);
    }

    void IParallelJob.Execute(int ch)
    {
        if (_backward) BackwardChannel(ch);
        else ForwardChannel(ch);
    }

    private void ForwardChannel(int ch)
    {
        var input = _input!;
        int c = NumFeatures, n = input.Shape[0], s = input.ExampleSize / c;
        ReadOnlySpan<T> x = input.Span;
        Span<T> xhat = _normalized!.Span, y = _output!.Span;
        T size = T.CreateChecked(n * s);
        T mean, variance;
        if (_batchStatistics)
        {
            T sum = T.Zero;
            for (int i = 0; i < n; i++) sum += TensorPrimitives.Sum(x.Slice((i * c + ch) * s, s));
            mean = sum / size;
            // two passes, as PyTorch: Σ(x − μ)², not Σx² − mμ², which cancels when |μ| ≫ σ
            T squares = T.Zero;
            for (int i = 0; i < n; i++)
            {
                var centred = xhat.Slice((i * c + ch) * s, s);
                TensorPrimitives.Subtract(x.Slice((i * c + ch) * s, s), mean, centred);
                squares += TensorPrimitives.SumOfSquares<T>(centred);
            }
            variance = squares / size;
            if (Training && RunningMean is not null)
            {
                Span<T> rm = RunningMean.Value.Span, rv = RunningVar!.Value.Span;
                rm[ch] = (T.One - _factor) * rm[ch] + _factor * mean;
                rv[ch] = (T.One - _factor) * rv[ch] + _factor * (squares / (size - T.One));
            }
        }
        else
        {
            mean = RunningMean!.Value[ch];
            variance = RunningVar!.Value[ch];
            for (int i = 0; i < n; i++) TensorPrimitives.Subtract(x.Slice((i * c + ch) * s, s), mean, xhat.Slice((i * c + ch) * s, s));
        }
        T invStd = T.One / T.Sqrt(variance + _eps);
        (_mean[ch], _variance[ch], _invStd[ch]) = (mean, variance, invStd);
        T gamma = Weight is null ? T.One : Weight.Value[ch], beta = Bias is null ? T.Zero : Bias.Value[ch];
        for (int i = 0; i < n; i++)
        {
            var at = xhat.Slice((i * c + ch) * s, s);
            var outputs = y.Slice((i * c + ch) * s, s);
            TensorPrimitives.Multiply(at, invStd, at);
            TensorPrimitives.Multiply(at, gamma, outputs);
            TensorPrimitives.Add(outputs, beta, outputs);
        }
    }

    private void BackwardChannel(int ch)
    {
        var outputGrad = _outputGrad!;
        int c = NumFeatures, n = outputGrad.Shape[0], s = outputGrad.ExampleSize / c;
        T size = T.CreateChecked(n * s);
        ReadOnlySpan<T> xhat = _normalized!.Span, dy = outputGrad.Span;
        Span<T> dx = _inputGrad!.Span;
        T sumDy = T.Zero, sumDyXhat = T.Zero;
        for (int i = 0; i < n; i++)
        {
            int at = (i * c + ch) * s;
            sumDy += TensorPrimitives.Sum(dy.Slice(at, s));
            sumDyXhat += TensorPrimitives.Dot(dy.Slice(at, s), xhat.Slice(at, s));
        }
        if (Weight is not null)
        {
            Weight.Grad.Span[ch] += sumDyXhat;
            Bias!.Grad.Span[ch] += sumDy;
        }
        T scale = (Weight is null ? T.One : Weight.Value[ch]) * _invStd[ch];
        // With batch statistics, μ and σ² depend on every x of the channel: subtract the mean of dy and the part along x̂.
        T meanDy = _batchStatistics ? sumDy / size : T.Zero, meanDyXhat = _batchStatistics ? sumDyXhat / size : T.Zero;
        for (int i = 0; i < n; i++)
        {
            int at = (i * c + ch) * s;
            var d = dx.Slice(at, s);
            // dx = scale·(dy − mean(dy) − x̂·mean(dy·x̂))
            TensorPrimitives.MultiplyAdd(xhat.Slice(at, s), -meanDyXhat, dy.Slice(at, s), d);
            TensorPrimitives.Subtract(d, meanDy, d);
            TensorPrimitives.Multiply(d, scale, d);
        }
    }
}
