namespace Backprop.Tests.Support;

/// <summary>Measures what a piece of code allocates on the calling thread once it is warm.</summary>
public static class Allocations
{
    /// <summary>
    /// Runs <paramref name="action"/> once to warm it up, then <paramref name="tries"/> more times, and returns the
    /// fewest bytes any one try allocated. The runtime sometimes allocates on the test thread once (tiered JIT
    /// recompiling a hot loop, a type loaded late): that shows in one try only, while the code's own allocations show
    /// in every try, so the minimum is zero exactly when the code allocates nothing.
    /// </summary>
    /// <param name="counter">The byte count to difference; default: this thread's allocations.</param>
    public static long Fewest(Action action, Func<long>? counter = null, int tries = 5)
    {
        counter ??= GC.GetAllocatedBytesForCurrentThread;
        action();
        long fewest = long.MaxValue;
        for (int t = 0; t < tries; t++)
        {
            long before = counter();
            action();
            fewest = Math.Min(fewest, counter() - before);
        }
        return fewest;
    }
}
