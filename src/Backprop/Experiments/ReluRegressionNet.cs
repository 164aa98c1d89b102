using Backprop.Diagnostics;

namespace Backprop.Experiments;

/// <summary>
/// Seed 000, practice problem 1: the one-hidden-layer ReLU regression network of the sheet's numpy code, no biases,
/// in the sheet's layout: W1 [inputs, hidden] and W2 [hidden, 1] (row-major), A1 = X·W1, O1 = ReLU(A1), A2 = O1·W2,
/// loss = mean((A2 − y)²). <see cref="Step"/> is the loop body line for line; ReLU′(0) = 0 as <c>relu_derivative</c>
/// (A1 &gt; 0) and the engine's ReLU. The same network in the engine is Linear(inputs, hidden, bias: false) with
/// weight W1ᵀ, ReLU, Linear(hidden, 1, bias: false) with weight W2ᵀ, and the mse loss.
/// </summary>
public sealed class ReluRegressionNet
{
    public ReluRegressionNet(int inputs, int hidden, double[] w1, double[] w2)
    {
        if (inputs < 1 || hidden < 1) throw new BackpropException($"expected at least 1 input and 1 hidden unit, got {inputs} and {hidden}");
        if (w1.Length != inputs * hidden || w2.Length != hidden)
            throw new ArgumentException($"W1 must have {inputs}·{hidden} values and W2 {hidden}");
        Inputs = inputs;
        Hidden = hidden;
        W1 = (double[])w1.Clone();
        W2 = (double[])w2.Clone();
    }

    /// <summary>Every weight from <paramref name="draw"/>, W1 row by row, then W2.</summary>
    public static ReluRegressionNet Create(int inputs, int hidden, Func<double> draw)
    {
        var w1 = new double[inputs * hidden];
        var w2 = new double[hidden];
        for (int i = 0; i < w1.Length; i++) w1[i] = draw();
        for (int j = 0; j < w2.Length; j++) w2[j] = draw();
        return new ReluRegressionNet(inputs, hidden, w1, w2);
    }

    public int Inputs { get; }
    public int Hidden { get; }

    /// <summary>W1[i, j] = W1[i·Hidden + j]: from input i to hidden unit j.</summary>
    public double[] W1 { get; }

    /// <summary>W2[j]: from hidden unit j to the output.</summary>
    public double[] W2 { get; }

    public ReluRegressionNet Clone() => new(Inputs, Hidden, W1, W2);

    /// <summary>mean((A2 − y)²) at the current weights.</summary>
    public double Loss(RegressionData data) => Forward(data).Loss;

    /// <summary>The true gradient at the current weights (back-propagation with the W2 of the forward pass); no update.</summary>
    public RegressionStep Gradients(RegressionData data) => Clone().Step(data, learningRate: 0, UpdateOrder.Correct);

    /// <summary>One iteration of the sheet's training loop, updating W1 and W2 in place; returns what it computed.</summary>
    public RegressionStep Step(RegressionData data, double learningRate, UpdateOrder order)
    {
        CheckFits(data);
        int n = data.Count, d = Inputs, h = Hidden;
        // Forward pass: A1 = X·W1 [n, h], O1 = relu(A1), A2 = O1·W2 [n]; loss = np.mean((A2 − y)²)
        var (loss, a1, o1, a2) = Forward(data);

        // dA2 = 2·(A2 − y)/n; dW2 = O1ᵀ·dA2 [h]
        var dA2 = new double[n];
        for (int e = 0; e < n; e++) dA2[e] = 2 * (a2[e] - data.Y[e]) / n;
        var dW2 = new double[h];
        for (int e = 0; e < n; e++)
            for (int j = 0; j < h; j++) dW2[j] += o1[e * h + j] * dA2[e];

        // The sheet's loop updates W2 here, before back-propagating through it.
        if (order == UpdateOrder.W2First) Update(W2, dW2, learningRate);

        // dO1 = dA2·W2ᵀ [n, h]; dA1 = dO1 ⊙ relu_derivative(A1); dW1 = Xᵀ·dA1 [d, h]
        var dW1 = new double[d * h];
        for (int e = 0; e < n; e++)
            for (int j = 0; j < h; j++)
            {
                double dA1 = a1[e * h + j] > 0 ? dA2[e] * W2[j] : 0;
                for (int i = 0; i < d; i++) dW1[i * h + j] += data.X[e * d + i] * dA1;
            }

        if (order == UpdateOrder.Correct) Update(W2, dW2, learningRate);
        Update(W1, dW1, learningRate);
        return new RegressionStep(loss, a1, o1, dW1, dW2);
    }

    private (double Loss, double[] A1, double[] O1, double[] A2) Forward(RegressionData data)
    {
        CheckFits(data);
        int n = data.Count, d = Inputs, h = Hidden;
        var a1 = new double[n * h];
        var o1 = new double[n * h];
        var a2 = new double[n];
        double sum = 0;
        for (int e = 0; e < n; e++)
        {
            for (int j = 0; j < h; j++)
            {
                double a = 0;
                for (int i = 0; i < d; i++) a += data.X[e * d + i] * W1[i * h + j];
                a1[e * h + j] = a;
                o1[e * h + j] = Math.Max(0, a);
                a2[e] += o1[e * h + j] * W2[j];
            }
            double r = a2[e] - data.Y[e];
            sum += r * r;
        }
        return (sum / n, a1, o1, a2);
    }

    private void CheckFits(RegressionData data)
    {
        if (data.Features != Inputs) throw new ArgumentException($"the data has {data.Features} features, the network {Inputs} inputs");
    }

    private static void Update(double[] w, double[] grad, double learningRate)
    {
        for (int k = 0; k < w.Length; k++) w[k] -= learningRate * grad[k];
    }

    /// <summary>
    /// Compares <paramref name="gradient"/> of the loss with respect to <paramref name="weights"/> (W1 or W2 of this
    /// network) with central differences of <see cref="Loss"/>, with <see cref="GradientCheck"/>'s step and tolerances.
    /// </summary>
    public GradientCheckEntry Check(string name, double[] weights, double[] gradient, RegressionData data)
    {
        double maxAbs = 0, maxRel = 0;
        bool passed = true;
        for (int k = 0; k < weights.Length; k++)
        {
            double original = weights[k];
            weights[k] = original + GradientCheck.DefaultStep;
            double plus = Loss(data);
            weights[k] = original - GradientCheck.DefaultStep;
            double minus = Loss(data);
            weights[k] = original;
            double numeric = (plus - minus) / (2 * GradientCheck.DefaultStep);
            double error = Math.Abs(gradient[k] - numeric), scale = Math.Max(Math.Abs(gradient[k]), Math.Abs(numeric));
            maxAbs = Math.Max(maxAbs, error);
            if (scale > 0) maxRel = Math.Max(maxRel, error / scale);
            if (!(error <= GradientCheck.AbsoluteTolerance + GradientCheck.RelativeTolerance * scale)) passed = false;
        }
        int[] shape = ReferenceEquals(weights, W1) ? [Inputs, Hidden] : [Hidden, 1];
        return new GradientCheckEntry(name, shape, maxAbs, maxRel, passed);
    }
}
