namespace Backprop.Tests.Numerics;

/// <summary>
/// The one softmax, log-sum-exp and argmax, held bit for bit against the copies they replaced (the softmax layer's
/// forward, cross-entropy's log-sum-exp, the trainer's and the multiclass perceptron's argmax), kept here verbatim.
/// </summary>
public class VectorFunctionsTests
{
    // Layers/Softmax.cs Forward, one row, before it called VectorFunctions.Softmax.
    private static void OldSoftmax<T>(ReadOnlySpan<T> x, Span<T> y) where T : System.Numerics.IFloatingPointIeee754<T>
    {
        int f = x.Length;
        T max = x[0];
        for (int i = 1; i < f; i++) if (x[i] > max) max = x[i];
        T sum = T.Zero;
        for (int i = 0; i < f; i++) { y[i] = T.Exp(x[i] - max); sum += y[i]; }
        for (int i = 0; i < f; i++) y[i] /= sum;
    }

    // CrossEntropyLoss<T>.LogSumExp, before it moved.
    private static T OldLogSumExp<T>(ReadOnlySpan<T> z) where T : System.Numerics.IFloatingPointIeee754<T>
    {
        T max = z[0];
        for (int c = 1; c < z.Length; c++) if (z[c] > max) max = z[c];
        T sum = T.Zero;
        for (int c = 0; c < z.Length; c++) sum += T.Exp(z[c] - max);
        return max + T.Log(sum);
    }

    // Trainer<T>.ArgMax and MulticlassPerceptron.ArgMax (the same loop), before they called VectorFunctions.ArgMax.
    private static int OldArgMax<T>(ReadOnlySpan<T> scores) where T : System.Numerics.INumber<T>
    {
        int best = 0;
        for (int c = 1; c < scores.Length; c++) if (scores[c] > scores[best]) best = c;
        return best;
    }

    private static float[] RandomRow(Random rng, int length, double scale)
    {
        var x = new float[length];
        for (int i = 0; i < length; i++) x[i] = (float)((rng.NextDouble() * 2 - 1) * scale);
        if (rng.Next(4) == 0 && length > 1) x[rng.Next(length)] = x[rng.Next(length)]; // ties
        return x;
    }

    [Fact]
    public void Softmax_log_sum_exp_and_argmax_equal_the_copies_they_replaced_bit_for_bit()
    {
        var rng = new Random(11);
        for (int trial = 0; trial < 2000; trial++)
        {
            var x = RandomRow(rng, 1 + rng.Next(12), Math.Pow(10, rng.Next(-3, 4)));
            var xd = Array.ConvertAll(x, v => (double)v);
            float[] expected = new float[x.Length], actual = new float[x.Length];
            OldSoftmax<float>(x, expected);
            VectorFunctions.Softmax<float>(x, actual);
            Assert.Equal(expected, actual);
            double[] expectedD = new double[x.Length], actualD = new double[x.Length];
            OldSoftmax<double>(xd, expectedD);
            VectorFunctions.Softmax<double>(xd, actualD);
            Assert.Equal(expectedD, actualD);
            Assert.Equal(OldLogSumExp<float>(x), VectorFunctions.LogSumExp<float>(x));
            Assert.Equal(OldLogSumExp<double>(xd), VectorFunctions.LogSumExp<double>(xd));
            Assert.Equal(OldArgMax<float>(x), VectorFunctions.ArgMax<float>(x));
            Assert.Equal(OldArgMax<double>(xd), VectorFunctions.ArgMax<double>(xd));
        }
    }

    [Fact]
    public void Softmax_is_a_distribution_that_does_not_overflow_and_may_write_in_place()
    {
        double[] x = [1000, 999, -1000];
        var y = new double[3];
        VectorFunctions.Softmax<double>(x, y);
        Assert.Equal(1 / (1 + Math.Exp(-1)), y[0], 1e-15);
        Assert.Equal(Math.Exp(-1) / (1 + Math.Exp(-1)), y[1], 1e-15);
        Assert.Equal(0, y[2]);
        VectorFunctions.Softmax<double>(x, x);
        Assert.Equal(y, x);
        Assert.Equal(1000 + Math.Log(1 + Math.Exp(-1)), VectorFunctions.LogSumExp<double>([1000, 999, -1000]), 1e-12);
    }

    [Fact]
    public void ArgMax_takes_the_first_of_equal_scores_and_max_the_first_largest()
    {
        Assert.Equal(1, VectorFunctions.ArgMax<double>([0, 3, 1, 3]));
        Assert.Equal(0, VectorFunctions.ArgMax<float>([2f]));
        Assert.Equal(3.0, VectorFunctions.Max<double>([0, 3, 1, 3]));
        double[] e = new double[2];
        Assert.Equal(1 + Math.Exp(-1), VectorFunctions.ExpSum<double>([2, 1], 2, e));
        Assert.Equal([1, Math.Exp(-1)], e);
    }
}
