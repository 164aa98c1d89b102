using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Backprop.Kernels;

/// <summary>
/// Small vector loops the layers share. Reductions run in a fixed order that depends on the length alone (not on the
/// alignment of the data, which TensorPrimitives' may follow), so a sum is the same bit for bit on every call.
/// </summary>
internal static class VectorMath
{
    /// <summary>Σ x: four vector accumulators over whole blocks of 4 vectors, a fixed combination, then the tail in order.</summary>
    public static T Sum<T>(ReadOnlySpan<T> x) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ref T r = ref MemoryMarshal.GetReference(x);
        int n = x.Length, i = 0, w = Vector<T>.Count;
        T sum = T.Zero;
        if (Vector.IsHardwareAccelerated && n >= 4 * w)
        {
            Vector<T> s0 = Vector<T>.Zero, s1 = s0, s2 = s0, s3 = s0;
            for (; i + 4 * w <= n; i += 4 * w)
            {
                s0 += Vector.LoadUnsafe(ref r, (nuint)i);
                s1 += Vector.LoadUnsafe(ref r, (nuint)(i + w));
                s2 += Vector.LoadUnsafe(ref r, (nuint)(i + 2 * w));
                s3 += Vector.LoadUnsafe(ref r, (nuint)(i + 3 * w));
            }
            sum = Vector.Sum((s0 + s1) + (s2 + s3));
        }
        for (; i < n; i++) sum += Unsafe.Add(ref r, i);
        return sum;
    }
}
