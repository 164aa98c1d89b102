using Backprop.Data;
using CsCheck;

namespace Backprop.Tests.Data;

public class ShuffleTests
{
    private static bool IsPermutation(ReadOnlySpan<int> order)
    {
        var seen = new bool[order.Length];
        foreach (int i in order)
        {
            if ((uint)i >= (uint)order.Length || seen[i]) return false;
            seen[i] = true;
        }
        return true;
    }

    [Fact]
    public void Every_result_is_a_permutation()
    {
        Gen.Select(Gen.Int[0, 3000], Gen.ULong, Gen.Int[0, 10_000]).Sample((n, seed, epoch) =>
        {
            var order = new int[n];
            order.AsSpan().Fill(-1);
            Shuffle.Permutation(order, seed, epoch);
            return IsPermutation(order);
        });
    }

    [Fact]
    public void Same_seed_and_epoch_give_the_same_order_and_the_buffer_contents_do_not_matter()
    {
        Gen.Select(Gen.Int[0, 500], Gen.ULong, Gen.Int[0, 100]).Sample((n, seed, epoch) =>
        {
            var a = new int[n];
            var b = new int[n];
            b.AsSpan().Fill(12345);
            Shuffle.Permutation(a, seed, epoch);
            Shuffle.Permutation(b, seed, epoch);
            return a.AsSpan().SequenceEqual(b);
        });
    }

    [Fact]
    public void Different_epochs_and_seeds_give_different_orders()
    {
        var first = Shuffle.Permutation(1000, 42, 0);
        for (int epoch = 1; epoch < 50; epoch++)
            Assert.False(first.AsSpan().SequenceEqual(Shuffle.Permutation(1000, 42, epoch)), $"epoch {epoch}");
        Assert.False(first.AsSpan().SequenceEqual(Shuffle.Permutation(1000, 43, 0)));
        // Seeds that differ like consecutive epochs must not reproduce each other's orders.
        Assert.False(Shuffle.Permutation(1000, 42, 1).AsSpan().SequenceEqual(Shuffle.Permutation(1000, 43, 0)));
    }

    [Fact]
    public void The_order_is_pinned_across_versions()
    {
        // The reproducibility contract: a run resumed with a later build must see the same orders. The expected order
        // was computed independently by a Python transcription of xoshiro256**, Rng.NextInt and Shuffle.EpochSeed.
        Assert.Equal(Pinned, Shuffle.Permutation(12, 2024, 3));
    }

    private static readonly int[] Pinned = [7, 2, 0, 6, 4, 9, 5, 8, 10, 1, 11, 3];

    [Fact]
    public void All_orders_of_three_are_about_equally_likely()
    {
        var counts = new Dictionary<int, int>();
        var order = new int[3];
        const int Epochs = 60_000;
        for (int epoch = 0; epoch < Epochs; epoch++)
        {
            Shuffle.Permutation(order, 7, epoch);
            int key = order[0] * 100 + order[1] * 10 + order[2];
            counts[key] = counts.GetValueOrDefault(key) + 1;
        }
        Assert.Equal(6, counts.Count);
        foreach (var (key, count) in counts)
            Assert.InRange(count, 9_500, 10_500); // expected 10000, σ ≈ 91
    }

    [Fact]
    public void Tiny_and_negative_arguments()
    {
        Assert.Empty(Shuffle.Permutation(0, 1, 0));
        Assert.Equal([0], Shuffle.Permutation(1, 1, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => Shuffle.Permutation(new int[3], 1, -1));
        Assert.Throws<ArgumentOutOfRangeException>(() => Shuffle.Permutation(-1, 1, 0));
    }
}
