using Backprop.Data;
using CsCheck;

namespace Backprop.Tests.Data;

public class PreprocessingTests
{
    [Fact]
    public void ScaleToUnit_divides_by_max()
    {
        var d = new Dataset([0, 51, 255, 128], [2], [0, 0], 1);
        Preprocessing.ScaleToUnit(d);
        Assert.Equal([0f, 51f / 255f, 1f, 128f / 255f], d.Features);
        Preprocessing.ScaleToUnit(d, 0.5f);
        Assert.Equal(2f, d.Features[2]);
        Assert.Throws<ArgumentOutOfRangeException>(() => Preprocessing.ScaleToUnit(d, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => Preprocessing.ScaleToUnit(d, float.NaN));
    }

    [Fact]
    public void Standardize_uses_the_population_statistics_and_only_centres_constant_features()
    {
        // Feature 0: 1, 3, 5 → μ = 3, σ = √(8/3); feature 1 constant 10 → σ = 0.
        var train = new Dataset([1, 10, 3, 10, 5, 10], [2], [0, 1, 0], 2);
        var (mean, std) = Preprocessing.Standardize(train);
        Assert.Equal([3f, 10f], mean);
        Assert.Equal((float)Math.Sqrt(8.0 / 3), std[0]);
        Assert.Equal(0f, std[1]);
        float z = (float)(2 / Math.Sqrt(8.0 / 3));
        Assert.Equal(-z, train.Features[0], 6);
        Assert.Equal(0f, train.Features[2]);
        Assert.Equal(z, train.Features[4], 6);
        Assert.Equal([0f, 0f, 0f], new[] { train.Features[1], train.Features[3], train.Features[5] });

        // The training statistics applied to other data; the constant feature is centred, not scaled.
        var test = new Dataset([3 + (float)Math.Sqrt(8.0 / 3), 13], [2], [1], 2);
        Preprocessing.Standardize(test, mean, std);
        Assert.Equal(1f, test.Features[0], 6);
        Assert.Equal(3f, test.Features[1]);
    }

    [Fact]
    public void Standardize_gives_mean_0_and_std_1_per_feature()
    {
        Gen.Select(Gen.Int[2, 40], Gen.Int[1, 6], Gen.Float[-1000, 1000].Array[240]).Sample((n, f, pool) =>
        {
            var features = new float[n * f];
            for (int i = 0; i < features.Length; i++) features[i] = pool[i % pool.Length] + i % 3;
            var d = new Dataset(features, [f], new int[n], 1);
            var (_, std) = Preprocessing.Standardize(d);
            for (int j = 0; j < f; j++)
            {
                double sum = 0, squares = 0;
                for (int i = 0; i < n; i++) sum += d.Features[i * f + j];
                double m = sum / n;
                for (int i = 0; i < n; i++) squares += (d.Features[i * f + j] - m) * (d.Features[i * f + j] - m);
                double s = Math.Sqrt(squares / n);
                if (Math.Abs(m) > 1e-4) return false;
                if (std[j] > 0.01f && Math.Abs(s - 1) > 1e-4) return false; // the pool makes σ in the hundreds
            }
            return true;
        });
    }

    [Fact]
    public void Standardize_refuses_mismatched_or_bad_statistics()
    {
        var d = new Dataset([1, 2], [2], [0], 1);
        Assert.Throws<BackpropException>(() => Preprocessing.Standardize(d, [0f], [1f]));
        Assert.Throws<BackpropException>(() => Preprocessing.Standardize(d, [0f, 0f], [1f, -1f]));
        Assert.Throws<BackpropException>(() => Preprocessing.Standardize(d, [float.NaN, 0f], [1f, 1f]));
        Assert.Throws<ArgumentException>(() => Preprocessing.Standardize(new Dataset([], [2], [], 1)));
    }

    private static Dataset Numbered(int n)
    {
        var features = new float[2 * n];
        var labels = new int[n];
        for (int i = 0; i < n; i++)
        {
            features[2 * i] = i;
            features[2 * i + 1] = -i;
            labels[i] = i % 3;
        }
        return new Dataset(features, [2], labels, 3, ["a", "b", "c"]);
    }

    [Fact]
    public void Split_is_seeded_disjoint_complete_and_keeps_the_order()
    {
        var d = Numbered(101);
        var (train, validation) = Preprocessing.Split(d, 0.2, 5);
        Assert.Equal(81, train.Count);
        Assert.Equal(20, validation.Count); // round(20.2)
        Assert.Equal(["a", "b", "c"], validation.ClassNames);

        var ids = new List<int>();
        foreach (var part in new[] { train, validation })
        {
            int previous = -1;
            for (int i = 0; i < part.Count; i++)
            {
                int id = (int)part.Features[2 * i];
                Assert.True(id > previous, "original order kept");
                Assert.Equal(-id, part.Features[2 * i + 1]);
                Assert.Equal(id % 3, part.Labels[i]);
                previous = id;
                ids.Add(id);
            }
        }
        ids.Sort();
        Assert.Equal(Enumerable.Range(0, 101), ids);

        var (train2, validation2) = Preprocessing.Split(d, 0.2, 5);
        Assert.Equal(train.Features, train2.Features);
        Assert.Equal(validation.Labels, validation2.Labels);
        var (_, other) = Preprocessing.Split(d, 0.2, 6);
        Assert.NotEqual(validation.Features, other.Features);
    }

    [Fact]
    public void Split_edge_fractions()
    {
        var d = Numbered(10);
        var (train, validation) = Preprocessing.Split(d, 0, 1);
        Assert.Equal(10, train.Count);
        Assert.Equal(0, validation.Count);
        Assert.Equal(5, Preprocessing.Split(d, 0.45, 1).Validation.Count); // 4.5 rounds away from zero
        Assert.Equal(9, Preprocessing.Split(d, 0.9, 1).Validation.Count);
        Assert.Throws<BackpropException>(() => Preprocessing.Split(d, 0.96, 1)); // would leave no training example
        Assert.Throws<BackpropException>(() => Preprocessing.Split(d, 1, 1));
        Assert.Throws<BackpropException>(() => Preprocessing.Split(d, -0.1, 1));
        Assert.Throws<BackpropException>(() => Preprocessing.Split(d, double.NaN, 1));
    }
}
