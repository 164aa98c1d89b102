namespace Backprop.Data;

/// <summary>
/// Epoch orders for training: a pure function of (count, seed, epoch), so that a run resumed at epoch e sees exactly
/// the orders an uninterrupted run would have seen, on every machine.
/// </summary>
public static class Shuffle
{
    /// <summary>
    /// Fills <paramref name="order"/> with a permutation of 0 .. order.Length − 1: the identity, then Fisher–Yates
    /// (for i = n−1 down to 1: swap order[i] with order[j], j = rng.NextInt(i + 1)) with a <see cref="Rng"/> seeded by
    /// <see cref="EpochSeed"/>(seed, epoch). Every epoch gets an independent stream.
    /// </summary>
    public static void Permutation(Span<int> order, ulong seed, int epoch)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(epoch);
        Permute(order, new Rng(EpochSeed(seed, epoch)));
    }

    /// <summary>Allocating form of <see cref="Permutation(Span{int}, ulong, int)"/>.</summary>
    public static int[] Permutation(int count, ulong seed, int epoch)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        var order = new int[count];
        Permutation(order, seed, epoch);
        return order;
    }

    /// <summary>
    /// The generator seed of one epoch: Mix(seed ⊕ Mix(epoch + 0x5EED_0000_0000_0001)), Mix being SplitMix64's
    /// finaliser. Part of the reproducibility contract: do not change it.
    /// </summary>
    public static ulong EpochSeed(ulong seed, int epoch) => Mix(seed ^ Mix((ulong)epoch + 0x5EED_0000_0000_0001UL));

    /// <summary>Identity followed by Fisher–Yates with the given generator.</summary>
    internal static void Permute(Span<int> order, Rng rng)
    {
        for (int i = 0; i < order.Length; i++) order[i] = i;
        for (int i = order.Length - 1; i > 0; i--)
        {
            int j = rng.NextInt(i + 1);
            (order[i], order[j]) = (order[j], order[i]);
        }
    }

    internal static ulong Mix(ulong z)
    {
        z += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
