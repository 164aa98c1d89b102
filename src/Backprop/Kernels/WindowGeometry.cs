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

    /// <summary>Whether the kernel fits inside the padded image (at least one output position).</summary>
    public bool Fits => Height + 2 * PadHeight >= KernelHeight && Width + 2 * PadWidth >= KernelWidth;

    /// <summary>The output columns ox whose input column ox·s − p + kx lies inside the image: [lo, hi).</summary>
    internal (int Lo, int Hi) InsideColumns(int kx)
    {
        int lo = Math.Max(0, (PadWidth - kx + StrideWidth - 1) / StrideWidth);
        int last = Width - 1 + PadWidth - kx; // ox·s ≤ last
        int hi = last < 0 ? 0 : Math.Min(OutWidth, last / StrideWidth + 1);
        return (lo, Math.Max(lo, hi));
    }
}
