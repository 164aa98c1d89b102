using System.Numerics;

namespace Backprop.Kernels;

/// <summary>Sizes of a 2-D sliding window over one [C, H, W] image (1-D convolution is the case H = 1, kernel height 1).</summary>
public readonly record struct WindowGeometry(
    int Channels, int Height, int Width, int KernelHeight, int KernelWidth,
    int StrideHeight, int StrideWidth, int PadHeight, int PadWidth)
{
    // Floor division drops a ragged edge, as PyTorch does by default.
    public int OutHeight => (Height + 2 * PadHeight - KernelHeight) / StrideHeight + 1;
    public int OutWidth => (Width + 2 * PadWidth - KernelWidth) / StrideWidth + 1;
    public int OutPixels => OutHeight * OutWidth;
    public int PatchSize => Channels * KernelHeight * KernelWidth;
    public int ImageSize => Channels * Height * Width;
}

/// <summary>
/// Cross-correlation (PyTorch's "convolution") by im2col + GEMM. For one image, the patches become the columns of
/// col [C·kh·kw, Ho·Wo]; then out [O, Ho·Wo] = W [O, C·kh·kw] · col. Backward reuses the same two steps transposed.
/// </summary>
public static class Convolution
{
    /// <summary>col[(c, ky, kx), (oy, ox)] = image[c, oy·s − p + ky, ox·s − p + kx], zero outside the image.</summary>
    public static void Im2Col<T>(ReadOnlySpan<T> image, in WindowGeometry g, Span<T> col) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int ho = g.OutHeight, wo = g.OutWidth, row = 0;
        for (int c = 0; c < g.Channels; c++)
            for (int ky = 0; ky < g.KernelHeight; ky++)
                for (int kx = 0; kx < g.KernelWidth; kx++, row++)
                {
                    Span<T> dst = col.Slice(row * ho * wo, ho * wo);
                    for (int oy = 0; oy < ho; oy++)
                    {
                        int iy = oy * g.StrideHeight - g.PadHeight + ky;
                        for (int ox = 0; ox < wo; ox++)
                        {
                            int ix = ox * g.StrideWidth - g.PadWidth + kx;
                            dst[oy * wo + ox] = (uint)iy < (uint)g.Height && (uint)ix < (uint)g.Width
                                ? image[(c * g.Height + iy) * g.Width + ix]
                                : T.Zero;
                        }
                    }
                }
    }

    /// <summary>The adjoint of <see cref="Im2Col"/>: image[c, iy, ix] += every col entry that was read from it.</summary>
    public static void Col2ImAdd<T>(ReadOnlySpan<T> col, in WindowGeometry g, Span<T> image) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int ho = g.OutHeight, wo = g.OutWidth, row = 0;
        for (int c = 0; c < g.Channels; c++)
            for (int ky = 0; ky < g.KernelHeight; ky++)
                for (int kx = 0; kx < g.KernelWidth; kx++, row++)
                {
                    ReadOnlySpan<T> src = col.Slice(row * ho * wo, ho * wo);
                    for (int oy = 0; oy < ho; oy++)
                    {
                        int iy = oy * g.StrideHeight - g.PadHeight + ky;
                        if ((uint)iy >= (uint)g.Height) continue;
                        for (int ox = 0; ox < wo; ox++)
                        {
                            int ix = ox * g.StrideWidth - g.PadWidth + kx;
                            if ((uint)ix < (uint)g.Width) image[(c * g.Height + iy) * g.Width + ix] += src[oy * wo + ox];
                        }
                    }
                }
    }

    /// <summary>input [N, C, H, W], weight [O, C·kh·kw], bias [O] or empty → output [N, O, Ho·Wo]; col is scratch of PatchSize·OutPixels.</summary>
    public static void Forward<T>(ReadOnlySpan<T> input, int batch, in WindowGeometry g, ReadOnlySpan<T> weight, ReadOnlySpan<T> bias,
        int outChannels, Span<T> output, Span<T> col) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int pixels = g.OutPixels;
        for (int n = 0; n < batch; n++)
        {
            Im2Col(input.Slice(n * g.ImageSize, g.ImageSize), g, col);
            Span<T> outN = output.Slice(n * outChannels * pixels, outChannels * pixels);
            Gemm.Multiply(weight, false, col, false, outN, outChannels, pixels, g.PatchSize, accumulate: false);
            if (bias.IsEmpty) continue;
            for (int o = 0; o < outChannels; o++)
            {
                Span<T> plane = outN.Slice(o * pixels, pixels);
                for (int i = 0; i < pixels; i++) plane[i] += bias[o];
            }
        }
    }

    /// <summary>
    /// Given dL/d(output) [N, O, Ho·Wo]: weightGrad += Σ_n dOut[n]·col[n]ᵀ, biasGrad += Σ over pixels,
    /// inputGrad = Σ col2im(Wᵀ·dOut[n]). col and colGrad are scratch of PatchSize·OutPixels each.
    /// </summary>
    public static void Backward<T>(ReadOnlySpan<T> input, int batch, in WindowGeometry g, ReadOnlySpan<T> weight, int outChannels,
        ReadOnlySpan<T> outputGrad, Span<T> weightGrad, Span<T> biasGrad, Span<T> inputGrad, Span<T> col, Span<T> colGrad)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int pixels = g.OutPixels;
        inputGrad[..(batch * g.ImageSize)].Clear();
        for (int n = 0; n < batch; n++)
        {
            ReadOnlySpan<T> dOut = outputGrad.Slice(n * outChannels * pixels, outChannels * pixels);
            // Recomputing the patches costs far less than the GEMMs and saves keeping N copies of col.
            Im2Col(input.Slice(n * g.ImageSize, g.ImageSize), g, col);
            Gemm.Multiply(dOut, false, col, true, weightGrad, outChannels, g.PatchSize, pixels, accumulate: true);
            if (!biasGrad.IsEmpty)
                for (int o = 0; o < outChannels; o++)
                {
                    T sum = T.Zero;
                    foreach (T v in dOut.Slice(o * pixels, pixels)) sum += v;
                    biasGrad[o] += sum;
                }
            Gemm.Multiply(weight, true, dOut, false, colGrad, g.PatchSize, pixels, outChannels, accumulate: false);
            Col2ImAdd(colGrad, g, inputGrad.Slice(n * g.ImageSize, g.ImageSize));
        }
    }
}
