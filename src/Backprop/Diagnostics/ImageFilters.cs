using System.Numerics;

namespace Backprop.Diagnostics;

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
