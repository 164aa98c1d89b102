using System.Numerics;
using Backprop.Data;
using Backprop.Layers;
using Backprop.Models;
using Backprop.Tensors;
using Backprop.Training;

namespace Backprop.Diagnostics;

/// <summary>
/// What <see cref="ClassVisualization.Dream{T}"/> maximises: a class logit, or the mean activation of one unit (a
/// feature, or a channel averaged over its positions) at the output of a hidden layer.
/// </summary>
public sealed record DreamTarget
{
    private DreamTarget(int? layer, int unit)
    {
        Layer = layer;
        Unit = unit;
    }

    /// <summary>The layer whose output holds the unit (0-based, as in state_dict names); null for a class logit.</summary>
    public int? Layer { get; }

    /// <summary>The class, or the unit: an index into the first dimension of the layer's output (the channel of [C, H, W]).</summary>
    public int Unit { get; }

    public bool IsClass => Layer is null;

    /// <summary>The logit of class <paramref name="k"/> (the input of a final softmax layer, if the model has one).</summary>
    public static DreamTarget Class(int k) => new(null, k);

    /// <summary>Unit or channel <paramref name="unit"/> at the output of layer <paramref name="layer"/>.</summary>
    public static DreamTarget HiddenUnit(int layer, int unit) => new(layer, unit);

    public override string ToString() => IsClass ? $"class {Unit}" : $"layer {Layer} unit {Unit}";
}

/// <summary>The settings of <see cref="ClassVisualization.Dream{T}"/>; the defaults give readable Fashion-MNIST pictures.</summary>
public sealed record DreamOptions
{
    /// <summary>Gradient steps in all, shared out evenly over the octaves.</summary>
    public int Steps { get; init; } = 200;

    /// <summary>The step size: each step moves the image by LearningRate · g / rms(g), so pixels change by about this much.</summary>
    public double LearningRate { get; init; } = 0.02;

    /// <summary>Each step rolls the model-size image by a random shift in [−Jitter, Jitter] pixels on each axis; 0 = off.</summary>
    public int Jitter { get; init; } = 2;

    /// <summary>σ (pixels) of the Gaussian blur applied to the image every <see cref="BlurEvery"/> steps; 0 = off.</summary>
    public double Blur { get; init; }

    public int BlurEvery { get; init; } = 4;

    /// <summary>σ (pixels) of the Gaussian blur applied to the gradient at every step; 0 = off.</summary>
    public double GradientBlur { get; init; } = 1.5;

    /// <summary>L2 decay: after every step the image becomes (1 − Decay) · image; 0 = off.</summary>
    public double Decay { get; init; } = 0.01;

    /// <summary>Scales to optimise at, coarsest first; the last is the model's input size.</summary>
    public int Octaves { get; init; } = 3;

    /// <summary>Each octave is this factor larger than the one before (&gt; 1).</summary>
    public double OctaveScale { get; init; } = 1.4;

    /// <summary>Clamp the image to [0, 1] after every step.</summary>
    public bool Clamp { get; init; } = true;

    /// <summary>Seeds the starting noise and the jitter.</summary>
    public ulong Seed { get; init; }

    /// <summary>Checks every option, naming it as the CLI does.</summary>
    public void Validate()
    {
        static void Check(bool ok, string what)
        {
            if (!ok) throw new BackpropException(what);
        }
        Check(Steps >= 1, $"--steps: expected at least 1, got {Steps}");
        Check(LearningRate > 0 && double.IsFinite(LearningRate), $"--lr: expected a number > 0, got {LearningRate}");
        Check(Jitter >= 0, $"--jitter: expected 0 or more pixels, got {Jitter}");
        Check(Blur >= 0 && Blur <= ImageFilters.MaxSigma, $"--blur: expected σ from 0 to {ImageFilters.MaxSigma} pixels, got {Blur}");
        Check(BlurEvery >= 1, $"--blur-every: expected at least 1 step, got {BlurEvery}");
        Check(GradientBlur >= 0 && GradientBlur <= ImageFilters.MaxSigma, $"--grad-blur: expected σ from 0 to {ImageFilters.MaxSigma} pixels, got {GradientBlur}");
        Check(Decay >= 0 && Decay < 1, $"--decay: expected a number in [0, 1), got {Decay}");
        Check(Octaves >= 1 && Octaves <= 20, $"--octaves: expected 1 to 20, got {Octaves}");
        Check(OctaveScale > 1 && double.IsFinite(OctaveScale), $"--octave-scale: expected a number > 1, got {OctaveScale}");
        Check(Octaves <= Steps, $"--octaves: {Octaves} octaves need at least as many steps, got {Steps}");
    }
}

/// <summary>
/// The outcome of a dream: the image in pixel space ([C, H, W] at the model's input size, in [0, 1] for image models),
/// the objective (the logit, or the unit's mean activation) at the start and the end, and for a class the model's
/// probabilities for the final image. <c>Objectives</c> holds the objective at each step, on the jittered image the
/// step used; <c>OctaveSizes</c> the (height, width) optimised at each octave, coarsest first.
/// </summary>
public sealed record DreamResult(
    DreamTarget Target, double[] Image, int Channels, int Height, int Width,
    double StartObjective, double FinalObjective, double[]? Probabilities,
    double[] Objectives, IReadOnlyList<(int Height, int Width)> OctaveSizes);

/// <summary>
/// Class visualisation by gradient descent on the input (Simonyan et al. 2013; seed 001, 2.2): starting from faint
/// noise, minimise L(x) = −a(x), where a is a class logit or the mean activation of a hidden unit, by moving the image x
/// against dL/dx, which the model's own <c>Backward</c> passes compute. The regularisers that make the pictures
/// readable (Yosinski et al. 2015; Mordvintsev et al. 2015) are options: jitter, blurring the image or the gradient,
/// L2 decay, clamping to [0, 1], and several scales (octaves).
/// <para>
/// One step, with the image x [C, h, w] in pixel space (what the model's <see cref="DataPreparation"/> makes of the raw
/// data before any standardisation: [0, 1] for images):
/// <code>
/// u = resize(x) to the model's H×W (bilinear; skipped at the last octave)
/// v = roll(u, dy, dx)             (dy, dx uniform in [−jitter, jitter], seeded)
/// z = (v − μ) / σ                 (only if the model was trained with --standardize)
/// a = mean(layer_L(...layer_0(z))[unit])
/// dL/dz = model backward of dL/da = −1;  dL/dv = dL/dz / σ;  dL/du = roll(dL/dv, −dy, −dx);  g = resizeᵀ(dL/du)
/// g = blur(g)                     (--grad-blur)
/// x ← x − lr · g / rms(g)         (normalised step: lr is the typical pixel change, whatever the model's scale)
/// x ← (1 − decay) · x;  x ← blur(x) every N steps;  x ← clamp(x, 0, 1)
/// </code>
/// Octaves are coarse to fine: with n octaves the image starts at the model size divided by scaleⁿ⁻¹ (rounded), is
/// optimised through the model (bilinear upsampling in front of it), is resized bilinearly to the next size, and so on;
/// the last octave optimises the full-size image directly. The steps are shared out evenly, the finest octave taking
/// any remainder.
/// </para>
/// <para>Deterministic: the same model, options and seed give the same image bit for bit.</para>
/// </summary>
public static class ClassVisualization
{
    /// <summary>Amplitude of the starting noise around mid-grey: x₀ = 0.5 + U(−a, a) per pixel.</summary>
    public const double StartNoise = 0.05;

    /// <summary>Runs the optimisation (see the class remarks). The model's parameter gradients are left zeroed.</summary>
    public static DreamResult Dream<T>(Sequential<T> model, DataPreparation? preparation, DreamTarget target, DreamOptions options)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var dreamer = new InputGradient<T>(model, preparation, target);
        int c = dreamer.Channels;
        var sizes = OctaveSizes(dreamer.Height, dreamer.Width, options.Octaves, options.OctaveScale);
        var rng = new Rng(Shuffle.Mix(options.Seed ^ 0xD4EA11UL));

        var (h, w) = sizes[0];
        var image = new T[c * h * w];
        for (int i = 0; i < image.Length; i++) image[i] = T.CreateChecked(0.5 + rng.Uniform(-StartNoise, StartNoise));
        double start = dreamer.Objective(image, h, w);

        T[] imageKernel = options.Blur > 0 ? ImageFilters.GaussianKernel<T>(options.Blur) : [];
        T[] gradKernel = options.GradientBlur > 0 ? ImageFilters.GaussianKernel<T>(options.GradientBlur) : [];
        T keep = T.CreateChecked(1 - options.Decay);
        var objectives = new double[options.Steps];
        int done = 0;
        for (int octave = 0; octave < sizes.Count; octave++)
        {
            (h, w) = sizes[octave];
            if (image.Length != c * h * w)
            {
                var (ph, pw) = sizes[octave - 1];
                var larger = new T[c * h * w];
                new BilinearResize<T>(ph, pw, h, w).Forward(image, larger, c);
                image = larger;
            }
            var grad = new T[image.Length];
            var scratch = new T[h * w];
            int steps = (int)((long)options.Steps * (octave + 1) / sizes.Count - (long)options.Steps * octave / sizes.Count);
            for (int step = 0; step < steps; step++)
            {
                int dy = 0, dx = 0;
                if (options.Jitter > 0)
                {
                    dy = rng.NextInt(2 * options.Jitter + 1) - options.Jitter;
                    dx = rng.NextInt(2 * options.Jitter + 1) - options.Jitter;
                }
                objectives[done++] = dreamer.Gradient(image, h, w, dy, dx, grad);
                if (gradKernel.Length > 0) ImageFilters.GaussianBlur<T>(grad, c, h, w, gradKernel, scratch);

                double squares = 0;
                foreach (T g in grad) squares += double.CreateChecked(g * g);
                double rms = Math.Sqrt(squares / grad.Length);
                T rate = rms > 0 ? T.CreateChecked(options.LearningRate / rms) : T.Zero;
                for (int i = 0; i < image.Length; i++) image[i] = (image[i] - rate * grad[i]) * keep;

                if (imageKernel.Length > 0 && (step + 1) % options.BlurEvery == 0)
                    ImageFilters.GaussianBlur<T>(image, c, h, w, imageKernel, scratch);
                if (options.Clamp)
                    for (int i = 0; i < image.Length; i++) image[i] = T.Clamp(image[i], T.Zero, T.One);
            }
        }

        double final = dreamer.Objective(image, h, w);
        double[]? probabilities = target.IsClass ? dreamer.Probabilities(image) : null;
        model.ZeroGrad();
        var pixels = new double[image.Length];
        for (int i = 0; i < image.Length; i++) pixels[i] = double.CreateChecked(image[i]);
        return new DreamResult(target, pixels, c, h, w, start, final, probabilities, objectives, sizes);
    }

    /// <summary>
    /// The (height, width) of each octave, coarsest first: the last is (<paramref name="height"/>, <paramref name="width"/>),
    /// each one before it is the next divided by <paramref name="scale"/>, rounded, and at least 1.
    /// </summary>
    public static IReadOnlyList<(int Height, int Width)> OctaveSizes(int height, int width, int octaves, double scale)
    {
        if (octaves < 1) throw new ArgumentOutOfRangeException(nameof(octaves), octaves, "expected at least 1");
        if (!(scale > 1)) throw new ArgumentOutOfRangeException(nameof(scale), scale, "expected a factor > 1");
        var sizes = new (int, int)[octaves];
        double h = height, w = width;
        for (int o = octaves - 1; o >= 0; o--)
        {
            sizes[o] = (Math.Max(1, (int)Math.Round(h, MidpointRounding.AwayFromZero)), Math.Max(1, (int)Math.Round(w, MidpointRounding.AwayFromZero)));
            h /= scale;
            w /= scale;
        }
        return sizes;
    }

    /// <summary>Nearest-neighbour zoom that makes an image of this size about <paramref name="target"/> pixels across (at least 1).</summary>
    public static int AutoZoom(int height, int width, int target = 112) => Math.Max(1, target / Math.Max(height, width));
}

/// <summary>
/// The objective a(x) of <see cref="ClassVisualization"/> and dL/dx for L = −a, for an image x [C, h, w] in pixel
/// space: resize to the model's input size, roll, standardise as the model's data were, then the model's
/// <c>Forward</c> up to the target layer and its <c>Backward</c> from it. Every buffer is allocated once (a new
/// image size allocates its resize tables), so the steps of a dream allocate nothing.
/// </summary>
public sealed class InputGradient<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly Sequential<T> _model;
    private readonly int _layer, _unit, _unitOffset, _unitCount;
    private readonly T[]? _mean, _divisor;
    private readonly Tensor<T> _input;
    private readonly T[] _full, _fullGrad;
    private readonly Tensor<T> _upstream;
    private BilinearResize<T>? _resize;

    public InputGradient(Sequential<T> model, DataPreparation? preparation, DreamTarget target)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(target);
        _model = model;
        var shape = model.InputShape;
        (Channels, Height, Width) = shape.Length switch
        {
            3 => (shape[0], shape[1], shape[2]),
            1 when IsSquare(shape[0]) => (1, (int)Math.Round(Math.Sqrt(shape[0])), (int)Math.Round(Math.Sqrt(shape[0]))),
            _ => throw new BackpropException($"dreaming needs a model of images, with input [C, H, W] (or [F] with F a square); this model's input is {Tensor.Format(shape)}"),
        };
        var layers = model.Layers;
        if (layers.Count == 0) throw new BackpropException("the model has no layers");
        if (target.Layer is int l)
        {
            if (l < 0 || l >= layers.Count) throw new BackpropException($"layer {l} is out of range: the model has layers 0 to {layers.Count - 1}");
            _layer = l;
        }
        else
        {
            // Maximise the logit, not the probability: a final softmax is left out.
            _layer = layers[^1] is Softmax<T> && layers.Count > 1 ? layers.Count - 2 : layers.Count - 1;
            if (layers[_layer].OutputShape.Length != 1)
                throw new BackpropException($"the model's output is {Tensor.Format(layers[_layer].OutputShape)}; a class needs an output of K logits");
        }
        var outShape = layers[_layer].OutputShape;
        int units = outShape.Length == 0 ? 1 : outShape[0];
        if (target.Unit < 0 || target.Unit >= units)
            throw new BackpropException(target.IsClass
                ? $"class {target.Unit} is out of range: the model has {units} classes, 0 to {units - 1}"
                : $"unit {target.Unit} is out of range: layer {_layer} ({layers[_layer].Type}) has {units} {(outShape.Length > 1 ? "channels" : "units")}, 0 to {units - 1}");
        _unit = target.Unit;
        _unitCount = Tensor.SizeOf(outShape) / units;
        _unitOffset = _unit * _unitCount;
        LayerIndex = _layer;

        int size = Channels * Height * Width;
        if (preparation is { Mean: not null, Std: not null })
        {
            if (preparation.Mean.Length != size || preparation.Std.Length != size)
                throw new BackpropException($"preprocessing has statistics for {preparation.Mean.Length} features, but the model's input has {size}");
            _mean = new T[size];
            _divisor = new T[size];
            for (int i = 0; i < size; i++)
            {
                _mean[i] = T.CreateChecked(preparation.Mean[i]);
                _divisor[i] = T.CreateChecked(preparation.Std[i] == 0 ? 1f : preparation.Std[i]); // as Preprocessing.Standardize
            }
        }
        _input = new Tensor<T>(Tensor.Batched(1, shape));
        _upstream = new Tensor<T>(Tensor.Batched(1, outShape));
        _full = new T[size];
        _fullGrad = new T[size];
    }

    public int Channels { get; }
    public int Height { get; }
    public int Width { get; }

    /// <summary>The layer whose output holds the target (for a class: the logits).</summary>
    public int LayerIndex { get; }

    private static bool IsSquare(int n)
    {
        int r = (int)Math.Round(Math.Sqrt(n));
        return r * r == n;
    }

    /// <summary>a(x) for the image [C, h, w], neither shifted nor differentiated.</summary>
    public double Objective(ReadOnlySpan<T> image, int height, int width) => Forward(image, height, width, 0, 0);

    /// <summary>
    /// a(x) for the image [C, h, w] rolled by (dy, dx) at the model's size, and <paramref name="lossGradient"/> [C, h, w]
    /// = dL/dx for L = −a(x).
    /// </summary>
    public double Gradient(ReadOnlySpan<T> image, int height, int width, int dy, int dx, Span<T> lossGradient)
    {
        double a = Forward(image, height, width, dy, dx);
        // dL/d(activation): L = −(1/n) Σ_{positions of the unit} activation
        _upstream.Clear();
        _upstream.Span.Slice(_unitOffset, _unitCount).Fill(-T.One / T.CreateChecked(_unitCount));
        Tensor<T> g = _model.Backward(_upstream, from: _layer);

        // in the forward pass this was: z = (v − μ) / σ, so dL/dv = dL/dz / σ; then v = roll(u, dy, dx) is undone
        Span<T> dv = g.Span;
        if (_divisor is not null)
            for (int i = 0; i < dv.Length; i++) dv[i] /= _divisor[i];
        bool resized = height != Height || width != Width;
        Span<T> du = resized ? _fullGrad : lossGradient;
        ImageFilters.Roll<T>(dv, du, Channels, Height, Width, -dy, -dx);
        if (resized) Resize(height, width).Backward(_fullGrad, lossGradient, Channels);
        return a;
    }

    /// <summary>The model's class probabilities for the image at the model's size (softmax of the logits).</summary>
    public double[] Probabilities(ReadOnlySpan<T> image)
    {
        Prepare(image, Height, Width, 0, 0);
        var output = _model.Forward(_input);
        var p = new double[output.Length];
        if (_model.Layers[^1] is Softmax<T>)
        {
            for (int i = 0; i < p.Length; i++) p[i] = double.CreateChecked(output[i]);
            return p;
        }
        double max = double.NegativeInfinity, sum = 0;
        for (int i = 0; i < p.Length; i++) max = Math.Max(max, double.CreateChecked(output[i]));
        for (int i = 0; i < p.Length; i++) sum += p[i] = Math.Exp(double.CreateChecked(output[i]) - max);
        for (int i = 0; i < p.Length; i++) p[i] /= sum;
        return p;
    }

    private double Forward(ReadOnlySpan<T> image, int height, int width, int dy, int dx)
    {
        Prepare(image, height, width, dy, dx);
        var x = _model.Forward(_input, upTo: _layer);
        double sum = 0;
        foreach (T v in x.Span.Slice(_unitOffset, _unitCount)) sum += double.CreateChecked(v);
        return sum / _unitCount;
    }

    // image [C, h, w] → u [C, H, W] (resize) → v = roll(u) → z = (v − μ) / σ in _input
    private void Prepare(ReadOnlySpan<T> image, int height, int width, int dy, int dx)
    {
        int size = Channels * Height * Width;
        if (image.Length != Channels * height * width)
            throw new ArgumentException($"image has {image.Length} values, expected {Channels}x{height}x{width}", nameof(image));
        ReadOnlySpan<T> u = image;
        if (height != Height || width != Width)
        {
            Resize(height, width).Forward(image, _full, Channels);
            u = _full;
        }
        Span<T> z = _input.Span[..size];
        ImageFilters.Roll(u, z, Channels, Height, Width, dy, dx);
        if (_mean is not null && _divisor is not null)
            for (int i = 0; i < size; i++) z[i] = (z[i] - _mean[i]) / _divisor[i];
    }

    private BilinearResize<T> Resize(int height, int width)
    {
        if (_resize is null || _resize.InHeight != height || _resize.InWidth != width)
            _resize = new BilinearResize<T>(height, width, Height, Width);
        return _resize;
    }
}
