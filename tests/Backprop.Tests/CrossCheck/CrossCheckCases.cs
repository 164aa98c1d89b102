using System.Globalization;
using System.Text;
using Backprop.Data;
using Backprop.Examples;
using Backprop.Layers;
using Backprop.Losses;
using Backprop.Models;
using Backprop.Tensors;

namespace Backprop.Tests.CrossCheck;

/// <summary>Where a case comes from, which decides what it is checked against.</summary>
internal enum CaseKind
{
    /// <summary>Random network and batch with inputs of size about 1.</summary>
    Unit,
    /// <summary>The same families with inputs 5 to 20 times larger: saturated sigmoids, softplus past its threshold, large margins and logits.</summary>
    Wide,
    /// <summary>Written by hand to sit exactly on the conventions: ReLU'(0), ties in max-pool and in the multiclass perceptron, hinge kinks, BCE clamps.</summary>
    Edge,
}

/// <summary>One network, batch and loss, as the files the engine and the torch reference both read.</summary>
/// <param name="Name">Unique, usable as a file name: "017-mlp-relu-scaled-hinge".</param>
/// <param name="ModelJson">Written by <see cref="ModelFile.Write{T}(Sequential{T})"/>, so every weight is explicit.</param>
/// <param name="KinkMargin">How far the batch stays from every kink of the network and loss (see <see cref="CrossCheckCases.KinkMargin"/>); 0 for edge cases, which sit on kinks on purpose.</param>
/// <param name="Float32">Whether float32 is held to float64 on this case: not the wide ones (see <see cref="CrossCheckCases.Generate"/>) nor one edge case.</param>
internal sealed record CrossCheckCase(
    string Name, CaseKind Kind, string Family, string Loss, string ModelJson, string DataJson, int BatchSize, double KinkMargin, bool Float32,
    string Mode = "train");

/// <summary>
/// Networks covering every layer type and every loss, from a fixed seed. Each family of architectures is paired with
/// each loss, the network ending in what the loss needs: a sigmoid for bce, one output for the ±1 losses, ≥ 2 scores
/// for the class-index losses. Weights are PyTorch's default initialisation (drawn with the engine's own generator),
/// inputs are normal with a random scale, batches have 1 to 4 examples. Then a few hand-written edge cases.
/// </summary>
internal static class CrossCheckCases
{
    /// <summary>The element-wise activations; each has an MLP family of its own and the conv families draw from them.</summary>
    public static readonly IReadOnlyList<string> Activations =
        ["relu", "relu-scaled", "leaky_relu", "sigmoid", "tanh", "softplus", "gelu", "identity"];

    public static readonly IReadOnlyList<string> Families =
        [.. Activations.Select(a => "mlp-" + a), "conv1d", "conv2d-maxpool", "conv2d-avgpool", "softmax",
         "mlp-batchnorm-train", "mlp-batchnorm-eval", "conv2d-batchnorm-train", "conv2d-batchnorm-eval",
         "conv1d-batchnorm-train", "conv1d-batchnorm-eval"];

    /// <summary>
    /// Batches closer than this (times the input scale) to a kink (a ReLU input near 0, a max-pool near-tie, a margin
    /// at a hinge, the softplus threshold) are redrawn. Float64 vs torch would not need it (both round within about
    /// 1e-16 of each other), but float32 perturbs pre-activations by about 1e-7 relative, and a kink crossed between
    /// the two precisions changes a derivative by O(1). Random values land this close with probability about 1e-4 per element.
    /// </summary>
    public const double MinKinkMargin = 1e-4;

    /// <summary>
    /// bce cases are redrawn when a predicted probability p is within this of 0 or 1. BCE's gradient divides by
    /// p(1 − p), and 1 − p computed from a p that is off by one rounding (torch's sigmoid and ours use different exp
    /// routines) is off by about 1e-16 / (1 − p) relative: within 1e-6 of 1 that would exceed the 1e-9 tolerance
    /// through no fault of either side. Exact saturation (p = 0 or 1, where the clamps act) is an edge case instead.
    /// </summary>
    public const double MinBceDistance = 1e-6;

    /// <summary>
    /// All cases: every family with every loss at unit scale, again at wide scale, then the edge cases.
    /// The wide cases are checked against torch in float64 only. In float32 they mostly agree with float64, but
    /// saturation makes float32 lose accuracy relative to O(1) quantities rather than to the small results: a
    /// probability within 6e-8 of 1 rounds to 1, so 1 − p (softmax, cross-entropy) becomes 0, and a sigmoid rounds
    /// to exactly 1 from x ≈ 17 (float64: 37), after which BCE's log clamp and 1e-12 floor act in float32 but not in
    /// float64 and the two differ by orders of magnitude. That is float32's range, not an error of the engine.
    /// </summary>
    public static IReadOnlyList<CrossCheckCase> Generate(ulong seed)
    {
        var rng = new Rng(seed);
        var cases = new List<CrossCheckCase>();
        foreach (var kind in new[] { CaseKind.Unit, CaseKind.Wide })
            foreach (string family in Families)
                foreach (string loss in LossFunctions.Names)
                    cases.Add(Make($"{cases.Count:D3}-{family}-{loss}{(kind == CaseKind.Wide ? "-wide" : "")}", kind, family, loss, rng));
        foreach (var (name, loss, model, data, float32) in EdgeCases.All.Concat(NonFiniteCases.All))
        {
            var built = ModelFile.Build<double>(ModelFile.Parse(model, name), name);
            var lossFunction = LossFunctions.Create<double>(loss);
            int n = Problem.CheckTargets(DataFile.Parse<double>(data, name, built.InputShape), built, lossFunction, name).X.Shape[0]; // also checks that the engine accepts it
            cases.Add(new CrossCheckCase($"{cases.Count:D3}-edge-{name}", CaseKind.Edge, "edge", loss, ModelFile.Write(built), data, n, 0, float32));
        }
        return cases;
    }

    private static CrossCheckCase Make(string name, CaseKind kind, string family, string lossName, Rng rng)
    {
        var loss = LossFunctions.Create<double>(lossName);
        for (int attempt = 0; attempt < 100; attempt++)
        {
            var spec = Architecture(family, lossName, loss.Target, rng);
            var model = ModelFile.Build<double>(spec, name);
            string mode = family.EndsWith("-eval", StringComparison.Ordinal) ? "eval" : "train";
            if (mode == "eval") model.Eval();
            // Batch statistics (training mode, or nothing tracked) need two values per channel: batchnorm1d refuses a batch of one, as torch does.
            int n = family.Contains("batchnorm", StringComparison.Ordinal) ? 2 + rng.NextInt(3) : 1 + rng.NextInt(4);
            double xScale = kind == CaseKind.Wide ? rng.Uniform(5, 20) : rng.Uniform(0.5, 2.0);
            var x = new Tensor<double>(Tensor.Batched(n, model.InputShape));
            for (int i = 0; i < x.Length; i++) x[i] = xScale * rng.Normal();
            var y = Target(loss.Target, model.OutputShape, n, rng);
            var batch = new Batch<double>(x, y);
            loss.CheckTarget(model.OutputShape, y, n, name);
            double margin = KinkMargin(model, loss, batch);
            if (margin < MinKinkMargin * xScale) continue;
            if (lossName == "bce" && model.Forward(x).Data.Any(p => Math.Min(p, 1 - p) < MinBceDistance)) continue;
            string data = "{\"x\": " + NumberFormat.Nested(x.Data, x.Shape, NumberFormat.RoundTrip) +
                          ",\n \"y\": " + NumberFormat.Nested(y.Data, y.Shape, NumberFormat.RoundTrip) + "}\n";
            // Written after the passes above: in training mode they moved the running statistics, which the file then holds for both sides.
            return new CrossCheckCase(name, kind, family, lossName, ModelFile.Write(model), data, n, margin, Float32: kind == CaseKind.Unit, mode);
        }
        throw new InvalidOperationException($"{name}: no batch clear of kinks in 100 draws");
    }

    // ---- architectures ----

    private sealed class Builder(int[] input, Rng rng)
    {
        public readonly List<LayerSpec> Layers = [];
        public readonly Rng Rng = rng;

        public int[] Shape => ModelFile.Build<double>(Spec(), "shape").OutputShape;

        public ModelSpec Spec() => new() { Input = input, Seed = Rng.NextUInt64() >> 40, Layers = [.. Layers] };

        public void Add(LayerSpec layer) => Layers.Add(layer);

        public bool Bias() => Rng.NextInt(4) != 0;

        public int Between(int low, int high) => low + Rng.NextInt(high - low + 1);

        public T Pick<T>(params T[] options) => options[Rng.NextInt(options.Length)];
    }

    private static ModelSpec Architecture(string family, string lossName, TargetKind target, Rng rng)
    {
        Builder b;
        bool flatOutput = true, softmaxHead = family == "softmax";
        switch (family)
        {
            case "conv1d":
            {
                b = new Builder([1 + rng.NextInt(3), 4 + rng.NextInt(9)], rng);
                int convs = b.Between(1, 2);
                for (int i = 0; i < convs; i++)
                {
                    int length = b.Shape[1], padding = b.Between(0, 2);
                    int kernel = b.Between(1, Math.Min(5, length + 2 * padding));
                    b.Add(new Conv1d(b.Between(1, 4), kernel, b.Between(1, 3), padding, b.Bias()));
                    if (b.Rng.NextInt(5) != 0) b.Add(Activation(b.Pick([.. Activations]), b));
                }
                flatOutput = b.Rng.NextInt(5) < 3; // value and probability losses also see an unflattened [N, C, L] output
                break;
            }
            case "conv2d-maxpool" or "conv2d-avgpool":
            {
                b = new Builder([1 + rng.NextInt(3), 5 + rng.NextInt(5), 5 + rng.NextInt(5)], rng);
                bool max = family == "conv2d-maxpool";
                AddConv2d(b);
                bool actFirst = b.Rng.NextInt(2) == 0;
                string act = b.Pick([.. Activations]);
                if (actFirst) b.Add(Activation(act, b));
                AddPool(b, max);
                if (!actFirst) b.Add(Activation(act, b));
                if (b.Rng.NextInt(2) == 0)
                {
                    AddConv2d(b);
                    if (b.Rng.NextInt(2) == 0) AddPool(b, max);
                    b.Add(Activation(b.Pick([.. Activations]), b));
                }
                flatOutput = b.Rng.NextInt(5) < 3;
                break;
            }
            case "mlp-batchnorm-train" or "mlp-batchnorm-eval":
            {
                // linear, batchnorm1d, activation, dropout (p = 0 in training mode: torch's masks are not ours)
                bool training = family.EndsWith("-train", StringComparison.Ordinal);
                b = new Builder([1 + rng.NextInt(6)], rng);
                int hidden = b.Between(1, 2);
                for (int i = 0; i < hidden; i++)
                {
                    b.Add(new Linear(b.Between(2, 6), !training && b.Bias()));
                    b.Add(BatchNormOf(b, training, twoD: false));
                    b.Add(Activation(b.Pick([.. Activations]), b));
                    if (b.Rng.NextInt(2) == 0) b.Add(new Dropout(training ? 0 : b.Pick(0.0, 0.3, 0.5, 1.0)));
                }
                break;
            }
            case "conv2d-batchnorm-train" or "conv2d-batchnorm-eval":
            {
                bool training = family.EndsWith("-train", StringComparison.Ordinal);
                b = new Builder([1 + rng.NextInt(3), 4 + rng.NextInt(4), 4 + rng.NextInt(4)], rng);
                AddConv2d(b, bias: !training);
                b.Add(BatchNormOf(b, training, twoD: true));
                b.Add(Activation(b.Pick([.. Activations]), b));
                if (b.Rng.NextInt(2) == 0) AddPool(b, b.Rng.NextInt(2) == 0);
                b.Add(new Dropout(training ? 0 : b.Pick(0.0, 0.5)));
                flatOutput = b.Rng.NextInt(5) < 3;
                break;
            }
            case "conv1d-batchnorm-train" or "conv1d-batchnorm-eval":
            {
                // batchnorm1d on [C, L] (statistics over the batch and the length), and half the time a softmax head
                bool training = family.EndsWith("-train", StringComparison.Ordinal);
                b = new Builder([1 + rng.NextInt(3), 3 + rng.NextInt(6)], rng);
                int length = b.Shape[1], padding = b.Between(0, 1);
                b.Add(new Conv1d(b.Between(1, 4), b.Between(1, Math.Min(3, length + 2 * padding)), 1, padding, !training && b.Bias()));
                b.Add(BatchNormOf(b, training, twoD: false));
                b.Add(Activation(b.Pick([.. Activations]), b));
                b.Add(new Dropout(training ? 0 : b.Pick(0.0, 0.5)));
                flatOutput = b.Rng.NextInt(5) < 3;
                softmaxHead = b.Rng.NextInt(2) == 0;
                break;
            }
            default:
            {
                // mlp-<activation>, or softmax: an MLP with random activations and a softmax head.
                string? act = family.StartsWith("mlp-", StringComparison.Ordinal) ? family[4..] : null;
                b = new Builder([1 + rng.NextInt(6)], rng);
                int hidden = b.Between(act is null ? 0 : 1, 3);
                for (int i = 0; i < hidden; i++)
                {
                    b.Add(new Linear(b.Between(2, 6), b.Bias()));
                    b.Add(Activation(act ?? b.Pick([.. Activations]), b));
                }
                break;
            }
        }

        bool softmax = softmaxHead;
        bool needsFlat = softmax || target is TargetKind.ClassIndices or TargetKind.Signs || flatOutput;
        if (needsFlat && b.Shape.Length > 1) b.Add(new Flatten());
        bool flat = b.Shape.Length == 1;
        switch (target)
        {
            case TargetKind.ClassIndices:
                b.Add(new Linear(b.Between(2, 5), b.Bias()));
                if (softmax) b.Add(new Softmax());
                break;
            case TargetKind.Signs:
                if (softmax)
                {
                    // softmax over one feature is constant 1, so put it before the single output.
                    b.Add(new Linear(b.Between(2, 4), b.Bias()));
                    b.Add(new Softmax());
                }
                b.Add(new Linear(1, b.Bias()));
                break;
            default:
                // Values (mse, sse, half_sse) and probabilities: bce reads them from a sigmoid (or softmax),
                // bce_with_logits from the raw output.
                if (flat) b.Add(new Linear(b.Between(softmax ? 2 : 1, 4), b.Bias()));
                if (softmax) b.Add(new Softmax());
                else if (lossName == "bce") b.Add(new Sigmoid());
                break;
        }
        return b.Spec();
    }

    /// <summary>
    /// A batch normalisation of the current shape with random arguments and values: weight, bias and running
    /// statistics given (running_var in [0.5, 2]), num_batches_tracked 0 to 3, which the cumulative average (momentum null) reads.
    /// </summary>
    private static LayerSpec BatchNormOf(Builder b, bool training, bool twoD)
    {
        int c = b.Shape[0];
        double eps = b.Pick(1e-5, 1e-3, 0.1);
        double? momentum = b.Pick<double?>(0.1, null, 0.5, 1.0);
        bool affine = b.Rng.NextInt(4) != 0, track = b.Rng.NextInt(4) != 0;
        var values = new Dictionary<string, (double[] Values, int[] Shape)>();
        double[] Draw(Func<double> f) => Enumerable.Range(0, c).Select(_ => f()).ToArray();
        if (affine)
        {
            values["weight"] = (Draw(() => b.Rng.Uniform(0.5, 2) * (b.Rng.NextInt(4) == 0 ? -1 : 1)), [c]);
            values["bias"] = (Draw(() => b.Rng.Normal()), [c]);
        }
        if (track)
        {
            values["running_mean"] = (Draw(() => b.Rng.Normal()), [c]);
            values["running_var"] = (Draw(() => b.Rng.Uniform(0.5, 2)), [c]);
            values["num_batches_tracked"] = ([b.Rng.NextInt(4)], []);
        }
        return twoD
            ? new BatchNorm2d(eps, momentum, affine, track) { Values = values }
            : new BatchNorm1d(eps, momentum, affine, track) { Values = values };
    }

    // A bias just before batch normalisation with batch statistics has a gradient of exactly 0 (the batch mean takes
    // any constant away): float32 gets it as a cancellation of terms of the size of dy, so leave it out there, as
    // PyTorch models do (bias=False before BatchNorm).
    private static void AddConv2d(Builder b, bool bias = true)
    {
        int[] s = b.Shape;
        int ph = b.Between(0, 1), pw = b.Pick(ph, b.Between(0, 1));
        int maxKw = Math.Min(3, s[2] + 2 * pw);
        int kh = b.Between(1, Math.Min(3, s[1] + 2 * ph)), kw = b.Pick(Math.Min(kh, maxKw), b.Between(1, maxKw)); // square or not
        int sh = b.Between(1, 2), sw = b.Pick(sh, b.Between(1, 2));
        b.Add(new Conv2d(b.Between(1, 4), (kh, kw), (sh, sw), (ph, pw), bias && b.Bias()));
    }

    private static void AddPool(Builder b, bool max)
    {
        int[] s = b.Shape;
        if (s[1] < 2 || s[2] < 2) return;
        int maxKw = Math.Min(3, s[2]);
        int kh = b.Between(2, Math.Min(3, s[1])), kw = b.Pick(Math.Min(kh, maxKw), b.Between(1, maxKw));
        // Stride as the kernel (the default), or smaller so that windows overlap and gradients add up.
        int[] stride = b.Pick<int[]>([kh, kw], [1, 1], [1, kw], [kh, 1]);
        b.Add(max ? new MaxPool2d((kh, kw), (stride[0], stride[1])) : new AvgPool2d((kh, kw), (stride[0], stride[1])));
    }

    private static LayerSpec Activation(string kind, Builder b) => kind switch
    {
        "relu" => new ReLU(),
        "relu-scaled" => new ReLU(b.Pick(5.0, 0.5, 2.5, -1.5)),
        "leaky_relu" => new LeakyReLU(b.Pick(0.01, 0.1, 0.3, -0.2)),
        // Small thresholds put some inputs past them, where softplus switches to the identity (as torch does).
        "softplus" => new Softplus(b.Pick(1.0, 0.5, 2.0, 3.0, -1.0), b.Pick(20.0, 1.0, 2.5)),
        "sigmoid" => new Sigmoid(),
        "tanh" => new Tanh(),
        "gelu" => new GELU(),
        "identity" => new Identity(),
        _ => throw new ArgumentException($"unknown activation {kind}"),
    };

    // ---- targets ----

    private static Tensor<double> Target(TargetKind kind, int[] outputShape, int n, Rng rng)
    {
        switch (kind)
        {
            case TargetKind.Values:
            {
                var y = new Tensor<double>(Tensor.Batched(n, outputShape));
                for (int i = 0; i < y.Length; i++) y[i] = rng.Normal();
                return y;
            }
            case TargetKind.Probabilities:
            {
                var y = new Tensor<double>(Tensor.Batched(n, outputShape));
                bool hard = rng.NextInt(2) == 0;
                for (int i = 0; i < y.Length; i++) y[i] = hard ? rng.NextInt(2) : rng.NextDouble();
                return y;
            }
            case TargetKind.ClassIndices:
            {
                var y = new Tensor<double>(n);
                for (int i = 0; i < n; i++) y[i] = rng.NextInt(outputShape[0]);
                return y;
            }
            default:
            {
                var y = new Tensor<double>(n);
                for (int i = 0; i < n; i++) y[i] = rng.NextInt(2) == 0 ? -1 : 1;
                return y;
            }
        }
    }

    // ---- kinks ----

    /// <summary>
    /// The smallest distance, over the batch, from a point where the network or loss is not differentiable or
    /// switches formula: |x| at ReLU and leaky ReLU inputs, |βx − threshold| at softplus, the gap between the two
    /// largest values of a max-pool window, |m| and |1 − m| for the perceptron and hinge margins, and the gaps
    /// that choose the multiclass perceptron's rival and decide whether it is active. Exact max-pool ties are not
    /// counted: they come from ReLU zeros (whose gradient is 0 whichever wins) or from windows over padding (equal
    /// in every precision), and the first maximum wins them in the engine and in torch alike.
    /// </summary>
    public static double KinkMargin(Sequential<double> model, Loss<double> loss, Batch<double> batch)
    {
        double margin = double.PositiveInfinity;
        var x = batch.X;
        foreach (var layer in model.Layers)
        {
            switch (layer)
            {
                case ReLU<double> or LeakyReLU<double>:
                    foreach (double v in x.Data) margin = Math.Min(margin, Math.Abs(v));
                    break;
                case Softplus<double> s:
                    foreach (double v in x.Data) margin = Math.Min(margin, Math.Abs(v * s.Beta - s.Threshold));
                    break;
                case MaxPool2d<double> p:
                    margin = Math.Min(margin, MaxPoolGap(x, p));
                    break;
            }
            x = layer.Forward(x);
        }
        double[] o = x.Data, y = batch.Y.Data;
        int n = batch.X.Shape[0], f = x.ExampleSize;
        switch (loss.Name)
        {
            case "perceptron" or "hinge":
                double kink = loss.Name == "perceptron" ? 0 : 1;
                for (int i = 0; i < n; i++) margin = Math.Min(margin, Math.Abs(y[i] * o[i] - kink));
                break;
            case "multiclass_perceptron":
                for (int i = 0; i < n; i++)
                {
                    var s = o.AsSpan(i * f, f).ToArray();
                    int label = (int)y[i];
                    var rivals = Enumerable.Range(0, f).Where(c => c != label).Select(c => s[c]).OrderDescending().ToArray();
                    margin = Math.Min(margin, Math.Abs(rivals[0] - s[label]));
                    if (rivals.Length > 1 && rivals[0] > s[label] - MinKinkMargin) margin = Math.Min(margin, rivals[0] - rivals[1]);
                }
                break;
        }
        return margin;
    }

    private static double MaxPoolGap(Tensor<double> x, MaxPool2d<double> p)
    {
        double gap = double.PositiveInfinity;
        int planes = x.Shape[0] * x.Shape[1], h = x.Shape[2], w = x.Shape[3];
        int ho = (h - p.KernelSize.H) / p.Stride.H + 1, wo = (w - p.KernelSize.W) / p.Stride.W + 1;
        for (int plane = 0; plane < planes; plane++)
            for (int oy = 0; oy < ho; oy++)
                for (int ox = 0; ox < wo; ox++)
                {
                    double top = double.NegativeInfinity, second = double.NegativeInfinity;
                    for (int ky = 0; ky < p.KernelSize.H; ky++)
                        for (int kx = 0; kx < p.KernelSize.W; kx++)
                        {
                            double v = x[(plane * h + oy * p.Stride.H + ky) * w + ox * p.Stride.W + kx];
                            if (v > top) { second = top; top = v; }
                            else if (v > second && v != top) second = v;
                        }
                    if (second > double.NegativeInfinity) gap = Math.Min(gap, top - second);
                }
        return gap;
    }

    /// <summary>A one-line summary of a case for test output.</summary>
    public static string Describe(CrossCheckCase c)
    {
        var spec = ModelFile.Parse(c.ModelJson, c.Name);
        var sb = new StringBuilder();
        sb.Append(c.Name).Append(": N=").Append(c.BatchSize).Append(", input [").Append(string.Join(", ", spec.Input)).Append("], ");
        sb.Append(string.Join(" → ", spec.Layers.Select(l => l.Type)));
        sb.Append(", kink margin ").Append(c.KinkMargin.ToString("G3", CultureInfo.InvariantCulture));
        return sb.ToString();
    }
}
