namespace Backprop.Experiments;

/// <summary>
/// Seed 000, practice problem 1b: the corrected loop of <see cref="ReluRegressionNet"/> from three initialisations,
/// on the same data as update-order. "small random" (scheme 1, N(0, 1)·0.01) breaks the symmetry between hidden units;
/// "zeros" (scheme 2) gives A1 = 0, so O1 = 0 and ReLU′(0) = 0: dW2 = O1ᵀ·dA2 = 0 and dW1 = Xᵀ[(dA2·W2ᵀ) ⊙ 0] = 0,
/// and nothing ever changes (every hidden unit dead, the output stuck at 0); "constant" (every weight c ≠ 0) gives
/// every hidden unit the same incoming weights, hence the same activations and the same gradients, so the units stay
/// identical copies for all of training and the network acts like one hidden unit.
/// </summary>
public static class ZeroInitExperiment
{
    public static readonly IReadOnlyList<string> Schemes = ["small random", "zeros", "constant"];

    public static ReluRegressionNet InitialNet(string scheme, ZeroInitOptions options)
    {
        var rng = new Rng(options.Seed);
        return scheme switch
        {
            "small random" => ReluRegressionNet.Create(3, options.Hidden, () => rng.Normal() * options.RandomScale),
            "zeros" => ReluRegressionNet.Create(3, options.Hidden, () => 0.0),
            "constant" => ReluRegressionNet.Create(3, options.Hidden, () => options.Constant),
            _ => throw new BackpropException($"unknown scheme '{scheme}'; expected one of: {string.Join(", ", Schemes)}"),
        };
    }

    public static ZeroInitResult Run(ZeroInitOptions options)
    {
        options.Validate();
        var data = UpdateOrderExperiment.Data(new UpdateOrderOptions { Seed = options.Seed, Examples = options.Examples });
        return new ZeroInitResult(options, Schemes.Select(s => Train(s, InitialNet(s, options), data, options)).ToList());
    }

    private static ZeroInitRun Train(string scheme, ReluRegressionNet net, RegressionData data, ZeroInitOptions options)
    {
        int h = net.Hidden, d = net.Inputs;
        var epochs = new List<ZeroInitEpoch>();
        double spread = 0, maxGrad = 0, maxOutput = 0;
        for (int epoch = 1; epoch <= options.Epochs; epoch++)
        {
            var w1 = (double[])net.W1.Clone();
            var w2 = (double[])net.W2.Clone();
            var step = net.Step(data, options.LearningRate, UpdateOrder.Correct);
            var units = new HiddenUnitStats[h];
            for (int j = 0; j < h; j++)
            {
                double mean = 0, squares = 0, grad = 0, output = 0;
                for (int i = 0; i < d; i++) mean += w1[i * h + j] / d;
                for (int i = 0; i < d; i++)
                {
                    squares += (w1[i * h + j] - mean) * (w1[i * h + j] - mean);
                    grad += step.DW1[i * h + j] * step.DW1[i * h + j];
                }
                for (int e = 0; e < data.Count; e++) output = Math.Max(output, Math.Abs(step.O1[e * h + j]));
                units[j] = new HiddenUnitStats(mean, Math.Sqrt(squares / d), w2[j], Math.Sqrt(grad), Math.Abs(step.DW2[j]), output);
                maxOutput = Math.Max(maxOutput, output);
            }
            spread = Math.Max(spread, Math.Max(Spread(w1, w2, d, h), Spread(step.DW1, step.DW2, d, h)));
            maxGrad = Math.Max(maxGrad, Math.Max(step.DW1.Max(Math.Abs), step.DW2.Max(Math.Abs)));
            epochs.Add(new ZeroInitEpoch(epoch, step.Loss, units));
        }
        return new ZeroInitRun(scheme, epochs, net.Loss(data), spread, maxGrad, maxOutput);
    }

    /// <summary>max over i, j, j′ of |m1[i, j] − m1[i, j′]| and over j, j′ of |m2[j] − m2[j′]|.</summary>
    private static double Spread(double[] m1, double[] m2, int d, int h)
    {
        double spread = m2.Max() - m2.Min();
        for (int i = 0; i < d; i++)
        {
            var row = m1.AsSpan(i * h, h);
            double lo = double.PositiveInfinity, hi = double.NegativeInfinity;
            foreach (double v in row) { lo = Math.Min(lo, v); hi = Math.Max(hi, v); }
            spread = Math.Max(spread, hi - lo);
        }
        return spread;
    }
}
