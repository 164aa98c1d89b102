using System.Numerics;

namespace Backprop.Diagnostics;

/// <summary>
/// Bilinear resizing of [C, h, w] to [C, H, W] with PyTorch's <c>interpolate(mode="bilinear", align_corners=False)</c>
/// geometry: output pixel (Y, X) samples the input at y = (Y + ½)·h/H − ½, x = (X + ½)·w/W − ½, clamped to the image,
/// from its four neighbours. The weights are computed once per pair of sizes.
/// <see cref="Backward"/> is the transpose (each output gradient goes back to the four input pixels with the same
/// weights), which is dL/d(input) for a loss of the resized image.
/// </summary>
public sealed class BilinearResize<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    // Per output row: the two input rows and the weight of the second; the same per output column.
    private readonly int[] _y0, _y1, _x0, _x1;
    private readonly T[] _wy, _wx;

    public BilinearResize(int inHeight, int inWidth, int outHeight, int outWidth)
    {
        if (inHeight < 1 || inWidth < 1 || outHeight < 1 || outWidth < 1)
            throw new ArgumentException($"bilinear resize from {inHeight}x{inWidth} to {outHeight}x{outWidth}: sizes must be ≥ 1");
        InHeight = inHeight;
        InWidth = inWidth;
        OutHeight = outHeight;
        OutWidth = outWidth;
        (_y0, _y1, _wy) = Axis(inHeight, outHeight);
        (_x0, _x1, _wx) = Axis(inWidth, outWidth);
    }

    public int InHeight { get; }
    public int InWidth { get; }
    public int OutHeight { get; }
    public int OutWidth { get; }

    private static (int[] I0, int[] I1, T[] W) Axis(int inSize, int outSize)
    {
        var i0 = new int[outSize];
        var i1 = new int[outSize];
        var w = new T[outSize];
        double scale = (double)inSize / outSize;
        for (int o = 0; o < outSize; o++)
        {
            double s = Math.Max(0, (o + 0.5) * scale - 0.5); // PyTorch clamps negative source coordinates to 0
            int lo = Math.Min((int)s, inSize - 1);
            i0[o] = lo;
            i1[o] = Math.Min(lo + 1, inSize - 1);
            w[o] = T.CreateChecked(s - lo);
        }
        return (i0, i1, w);
    }

    /// <summary>input [C, h, w] → output [C, H, W].</summary>
    public void Forward(ReadOnlySpan<T> input, Span<T> output, int channels)
    {
        int inPlane = InHeight * InWidth, outPlane = OutHeight * OutWidth;
        for (int c = 0; c < channels; c++)
        {
            var x = input.Slice(c * inPlane, inPlane);
            var y = output.Slice(c * outPlane, outPlane);
            for (int oy = 0; oy < OutHeight; oy++)
            {
                int r0 = _y0[oy] * InWidth, r1 = _y1[oy] * InWidth;
                T wy = _wy[oy];
                for (int ox = 0; ox < OutWidth; ox++)
                {
                    int c0 = _x0[ox], c1 = _x1[ox];
                    T wx = _wx[ox];
                    T top = x[r0 + c0] + wx * (x[r0 + c1] - x[r0 + c0]);
                    T bottom = x[r1 + c0] + wx * (x[r1 + c1] - x[r1 + c0]);
                    y[oy * OutWidth + ox] = top + wy * (bottom - top);
                }
            }
        }
    }

    /// <summary>outputGrad [C, H, W] → inputGrad [C, h, w] (overwritten, not accumulated).</summary>
    public void Backward(ReadOnlySpan<T> outputGrad, Span<T> inputGrad, int channels)
    {
        int inPlane = InHeight * InWidth, outPlane = OutHeight * OutWidth;
        inputGrad[..(channels * inPlane)].Clear();
        for (int c = 0; c < channels; c++)
        {
            var dx = inputGrad.Slice(c * inPlane, inPlane);
            var dy = outputGrad.Slice(c * outPlane, outPlane);
            for (int oy = 0; oy < OutHeight; oy++)
            {
                int r0 = _y0[oy] * InWidth, r1 = _y1[oy] * InWidth;
                T wy = _wy[oy];
                for (int ox = 0; ox < OutWidth; ox++)
                {
                    // in the forward pass this was: y = (1−wy)·((1−wx)·x00 + wx·x01) + wy·((1−wx)·x10 + wx·x11)
                    int c0 = _x0[ox], c1 = _x1[ox];
                    T wx = _wx[ox], g = dy[oy * OutWidth + ox];
                    T gTop = (T.One - wy) * g, gBottom = wy * g;
                    dx[r0 + c0] += (T.One - wx) * gTop;
                    dx[r0 + c1] += wx * gTop;
                    dx[r1 + c0] += (T.One - wx) * gBottom;
                    dx[r1 + c1] += wx * gBottom;
                }
            }
        }
    }
}
