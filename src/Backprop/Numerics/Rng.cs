namespace Backprop.Numerics;

/// <summary>
/// A seeded pseudo-random generator (xoshiro256**, seeded through SplitMix64). Ours rather than System.Random
/// so that the same seed gives the same weights, bit for bit, on every .NET version and machine.
/// </summary>
public sealed class Rng
{
    private ulong _s0, _s1, _s2, _s3;

    public Rng(ulong seed)
    {
        ulong x = seed;
        _s0 = SplitMix(ref x);
        _s1 = SplitMix(ref x);
        _s2 = SplitMix(ref x);
        _s3 = SplitMix(ref x);
    }

    /// <summary>
    /// The generator's whole state (four words): saved with a model's buffers and in checkpoints, and restored so that
    /// draws repeat bit for bit (a gradient check's dropout masks, a resumed run).
    /// </summary>
    public ulong[] State
    {
        get => [_s0, _s1, _s2, _s3];
        set
        {
            ArgumentNullException.ThrowIfNull(value);
            if (value.Length != 4) throw new ArgumentException($"an Rng state has 4 words, got {value.Length}", nameof(value));
            if ((value[0] | value[1] | value[2] | value[3]) == 0) throw new ArgumentException("an Rng state of all zeros never leaves zero", nameof(value));
            (_s0, _s1, _s2, _s3) = (value[0], value[1], value[2], value[3]);
        }
    }

    public ulong NextUInt64()
    {
        ulong result = RotateLeft(_s1 * 5, 7) * 9;
        ulong t = _s1 << 17;
        _s2 ^= _s0;
        _s3 ^= _s1;
        _s1 ^= _s2;
        _s0 ^= _s3;
        _s2 ^= t;
        _s3 = RotateLeft(_s3, 45);
        return result;
    }

    /// <summary>Uniform in [0, 1) with 53 random bits.</summary>
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    /// <summary>Uniform in [low, high).</summary>
    public double Uniform(double low, double high) => low + (high - low) * NextDouble();

    /// <summary>Standard normal by the Box–Muller transform (one value per call, so the stream stays simple to reason about).</summary>
    public double Normal()
    {
        double u1 = 1.0 - NextDouble(); // in (0, 1]: log stays finite
        double u2 = NextDouble();
        return Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2.0 * Math.PI * u2);
    }

    /// <summary>Uniform integer in [0, n) without modulo bias.</summary>
    public int NextInt(int n)
    {
        if (n <= 0) throw new ArgumentOutOfRangeException(nameof(n));
        ulong bound = (ulong)n;
        ulong threshold = (0UL - bound) % bound;
        while (true)
        {
            ulong r = NextUInt64();
            if (r >= threshold) return (int)(r % bound);
        }
    }

    private static ulong SplitMix(ref ulong x)
    {
        ulong z = x += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    private static ulong RotateLeft(ulong x, int k) => (x << k) | (x >> (64 - k));
}
