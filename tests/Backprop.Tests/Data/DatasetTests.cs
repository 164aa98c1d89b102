using Backprop.Tests.Support;
using Backprop.Data;

namespace Backprop.Tests.Data;

public class DatasetTests
{
    // 4 examples of shape [1, 1, 3]: example i holds 10i, 10i+1, 10i+2; labels 2, 0, 1, 2.
    internal static Dataset Small() =>
        new([0, 1, 2, 10, 11, 12, 20, 21, 22, 30, 31, 32], [1, 1, 3], [2, 0, 1, 2], 3);

    [Fact]
    public void Derives_count_and_example_size_and_default_names()
    {
        var d = Small();
        Assert.Equal(4, d.Count);
        Assert.Equal(3, d.ExampleSize);
        Assert.Equal([1, 1, 3], d.ExampleShape);
        Assert.Equal(["0", "1", "2"], d.ClassNames);
        Assert.Equal([1, 1, 2], d.ClassCounts());
        Assert.Equal([20f, 21, 22], d.Example(2).ToArray());
    }

    [Fact]
    public void The_constructor_refuses_inconsistent_data()
    {
        Assert.Contains("not a whole number of examples", Assert.Throws<BackpropException>(() => new Dataset([1, 2, 3], [2], [0], 1)).Message);
        Assert.Contains("2 labels for 1 examples", Assert.Throws<BackpropException>(() => new Dataset([1, 2], [2], [0, 0], 1)).Message);
        Assert.Contains("label 3 of example 1 is outside 0..2", Assert.Throws<BackpropException>(() => new Dataset([1, 2], [1], [0, 3], 3)).Message);
        Assert.Contains("label -1", Assert.Throws<BackpropException>(() => new Dataset([1], [1], [-1], 3)).Message);
        Assert.Contains("2 class names for 3 classes", Assert.Throws<BackpropException>(() => new Dataset([1], [1], [0], 3, ["a", "b"])).Message);
        Assert.Contains("dimension < 1", Assert.Throws<BackpropException>(() => new Dataset([], [0], [], 1)).Message);
        Assert.Contains("0 classes", Assert.Throws<BackpropException>(() => new Dataset([1], [1], [0], 0)).Message);
        Assert.Empty(new Dataset([], [5], [], 2).Labels); // an empty dataset is allowed
    }

    [Fact]
    public void Subset_copies_the_chosen_examples_in_order()
    {
        var d = new Dataset([0, 1, 2, 10, 11, 12, 20, 21, 22, 30, 31, 32], [3], [2, 0, 1, 2], 3, ["a", "b", "c"]);
        var s = d.Subset([3, 1, 3]);
        Assert.Equal([30f, 31, 32, 10, 11, 12, 30, 31, 32], s.Features);
        Assert.Equal([2, 0, 2], s.Labels);
        Assert.Equal(["a", "b", "c"], s.ClassNames);
        s.Features[0] = -1;
        Assert.Equal(30f, d.Features[9]);
        Assert.Throws<ArgumentOutOfRangeException>(() => d.Subset([4]));
    }

    [Fact]
    public void CopyBatch_copies_examples_and_labels_as_float_and_double()
    {
        var d = Small();
        int[] order = [3, 0, 2, 1];
        var x = new float[2 * 3];
        var y = new float[2];
        d.CopyBatch<float>(order, 1, 2, x, y);
        Assert.Equal([0f, 1, 2, 20, 21, 22], x);
        Assert.Equal([2f, 1], y);

        var xd = new double[4 * 3 + 5];
        var yd = new double[4 + 1];
        xd.AsSpan().Fill(-7);
        yd.AsSpan().Fill(-7);
        d.CopyBatch<double>(order, 0, 4, xd, yd);
        Assert.Equal([30.0, 31, 32, 0, 1, 2, 20, 21, 22, 10, 11, 12, -7, -7, -7, -7, -7], xd);
        Assert.Equal([2.0, 2, 1, 0, -7], yd);
    }

    [Fact]
    public void CopyBatch_refuses_bad_ranges_and_short_buffers()
    {
        var d = Small();
        int[] order = [0, 1, 2, 3];
        Assert.Throws<ArgumentOutOfRangeException>(() => d.CopyBatch<float>(order, 3, 2, new float[6], new float[2]));
        Assert.Throws<ArgumentOutOfRangeException>(() => d.CopyBatch<float>(order, -1, 1, new float[6], new float[2]));
        Assert.Throws<ArgumentException>(() => d.CopyBatch<float>(order, 0, 2, new float[5], new float[2]));
        Assert.Throws<ArgumentException>(() => d.CopyBatch<float>(order, 0, 2, new float[6], new float[1]));
        Assert.Throws<ArgumentOutOfRangeException>(() => d.CopyBatch<float>([0, 4], 0, 2, new float[6], new float[2]));
    }

    [Fact]
    public void CopyBatch_allocates_nothing()
    {
        var d = new Dataset(new float[1000 * 784], [1, 28, 28], new int[1000], 10);
        var order = Shuffle.Permutation(1000, 1, 0);
        var xf = new float[64 * 784];
        var yf = new float[64];
        var xd = new double[64 * 784];
        var yd = new double[64];
        Assert.Equal(0, Allocations.Fewest(() =>
        {
            for (int start = 0; start + 64 <= 1000; start += 64)
            {
                d.CopyBatch<float>(order, start, 64, xf, yf);
                d.CopyBatch<double>(order, start, 64, xd, yd);
            }
        }));
    }
}
