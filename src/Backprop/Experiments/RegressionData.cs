namespace Backprop.Experiments;

/// <summary>
/// A regression data set: X [Count, Features] row-major and y [Count]. <see cref="Create"/> draws X ~ N(0, 1) and
/// sets y = |x1| − x2 + x3/2 (needs 3 features), which a ReLU network without biases can represent exactly
/// (|x| = ReLU(x) + ReLU(−x)).
/// </summary>
public sealed record RegressionData(double[] X, double[] Y, int Count, int Features)
{
    public static RegressionData Create(int count, Rng rng)
    {
        if (count < 1) throw new BackpropException($"examples: expected at least 1, got {count}");
        var x = new double[count * 3];
        var y = new double[count];
        for (int n = 0; n < count; n++)
        {
            for (int i = 0; i < 3; i++) x[n * 3 + i] = rng.Normal();
            y[n] = Math.Abs(x[n * 3]) - x[n * 3 + 1] + 0.5 * x[n * 3 + 2];
        }
        return new RegressionData(x, y, count, 3);
    }
}
