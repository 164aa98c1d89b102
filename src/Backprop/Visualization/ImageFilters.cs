using System.Numerics;

namespace Backprop.Visualization;

/// <summary>
/// The image operations of <see cref="ClassVisualization"/>, on planar images [C, H, W] held in spans (row-major, one
/// channel after another): a separable Gaussian blur, a circular shift (jitter) and bilinear resizing
/// (<see cref="BilinearResize{T}"/>). None allocates; scratch space is passed in.
/// </summary>
public static class ImageFilters
{
    /// <summary>
    /// The largest σ (pixels) of <see cref="GaussianKernel{T}"/>: its kernel has 6001 entries, and a blur that wide
    /// already averages any image this library draws (σ = 1e9 would ask for a kernel of 6·10⁹ entries).
    /// </summary>
    public const double MaxSigma = 1000;

    /// <summary>
    /// The normalised 1-D Gaussian g[i] ∝ exp(−i² / 2σ²) for i = −r..r with r = ⌈3σ⌉ (at least 1), so Σ g = 1.
    /// </summary>
    public static T[] GaussianKernel<T>(double sigma) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (!(sigma > 0) || !(sigma <= MaxSigma)) throw new ArgumentOutOfRangeException(nameof(sigma), sigma, $"expected 0 < σ ≤ {MaxSigma}");
        int r = Math.Max(1, (int)Math.Ceiling(3 * sigma));
        var weights = new double[2 * r + 1];
        double sum = 0;
        for (int i = -r; i <= r; i++) sum += weights[i + r] = Math.Exp(-i * i / (2 * sigma * sigma));
        var kernel = new T[weights.Length];
        for (int i = 0; i < kernel.Length; i++) kernel[i] = T.CreateChecked(weights[i] / sum);
        return kernel;
    }

    /// <summary>
    /// Blurs every channel of <paramref name="image"/> [C, H, W] in place with the separable <paramref name="kernel"/>
    /// (odd length 2r + 1): rows first, then columns. Past the border the edge pixel repeats (clamp-to-edge), which
    /// works for any radius and keeps a constant image constant. <paramref name="scratch"/> holds H·W values.
    /// </summary>
    public static void GaussianBlur<T>(Span<T> image, int channels, int height, int width, ReadOnlySpan<T> kernel, Span<T> scratch)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int r = kernel.Length / 2, plane = height * width;
        for (int c = 0; c < channels; c++)
        {
            var x = image.Slice(c * plane, plane);
            // along rows: scratch[y, j] = Σ_i k[i] · x[y, clamp(j + i − r)]
            for (int y = 0; y < height; y++)
                for (int j = 0; j < width; j++)
                {
                    T sum = T.Zero;
                    for (int i = 0; i < kernel.Length; i++) sum += kernel[i] * x[y * width + Math.Clamp(j + i - r, 0, width - 1)];
                    scratch[y * width + j] = sum;
                }
            // along columns: x[y, j] = Σ_i k[i] · scratch[clamp(y + i − r), j]
            for (int y = 0; y < height; y++)
                for (int j = 0; j < width; j++)
                {
                    T sum = T.Zero;
                    for (int i = 0; i < kernel.Length; i++) sum += kernel[i] * scratch[Math.Clamp(y + i - r, 0, height - 1) * width + j];
                    x[y * width + j] = sum;
                }
        }
    }

    /// <summary>
    /// destination[c, y, x] = source[c, (y − dy) mod H, (x − dx) mod W]: every channel shifted down by dy and right by
    /// dx, wrapping around (torch.roll). Rolling by (−dy, −dx) undoes it and is also its transpose, so the
    /// gradient through a roll is the gradient rolled back.
    /// </summary>
    public static void Roll<T>(ReadOnlySpan<T> source, Span<T> destination, int channels, int height, int width, int dy, int dx)
    {
        int plane = height * width;
        dy = ((dy % height) + height) % height;
        dx = ((dx % width) + width) % width;
        for (int c = 0; c < channels; c++)
            for (int y = 0; y < height; y++)
            {
                var from = source.Slice(c * plane + ((y - dy + height) % height) * width, width);
                var to = destination.Slice(c * plane + y * width, width);
                // to[x] = from[(x − dx) mod W]: two contiguous pieces
                from[(width - dx)..].CopyTo(to[..dx]);
                from[..(width - dx)].CopyTo(to[dx..]);
            }
    }

    /// <summary>Sum over pixels of squared differences between horizontal and vertical neighbours: the image's high-frequency energy.</summary>
    public static double NeighbourEnergy<T>(ReadOnlySpan<T> image, int channels, int height, int width) where T : unmanaged, IFloatingPointIeee754<T>
    {
        double sum = 0;
        int plane = height * width;
        for (int c = 0; c < channels; c++)
            for (int y = 0; y < height; y++)
                for (int x = 0; x < width; x++)
                {
                    double v = double.CreateChecked(image[c * plane + y * width + x]);
                    if (x + 1 < width) { double d = double.CreateChecked(image[c * plane + y * width + x + 1]) - v; sum += d * d; }
                    if (y + 1 < height) { double d = double.CreateChecked(image[c * plane + (y + 1) * width + x]) - v; sum += d * d; }
                }
        return sum;
    }
}

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
