using System.Numerics;
using Backprop.Tensors;

namespace Backprop.Data;

/// <summary>
/// Random changes to a batch of training images x [N, C, H, W], made in place after the batch is copied: a mirror
/// left to right with probability ½, then a shift by (dy, dx), each drawn uniformly from [−MaxShift, MaxShift]
/// (torchvision's RandomCrop(size, padding=MaxShift) is the same distribution), moving in zeros: the background of
/// images scaled to [0, 1]. (Per-pixel standardisation would give each position its own statistics, which a flip or a
/// shift would carry to another position, so training refuses that combination.) Each example draws, in this order, its flip (if on) and its dy and dx (if on) from the
/// given stream, so a run is a pure function of its seed. After the first batch nothing is allocated.
/// </summary>
public sealed class ImageAugmentation<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly T[] _scratch;
    private readonly int _channels, _height, _width;

    /// <param name="exampleShape">[C, H, W] of one image.</param>
    /// <param name="flipHorizontally">Mirror each image left to right with probability ½.</param>
    /// <param name="maxShift">Shift each image by up to this many pixels along each axis; 0: no shifts.</param>
    public ImageAugmentation(int[] exampleShape, bool flipHorizontally, int maxShift)
    {
        ArgumentNullException.ThrowIfNull(exampleShape);
        if (exampleShape.Length != 3)
            throw new BackpropException($"--flip and --shift need image examples [channels, height, width], not {Tensor.Format(exampleShape)}");
        (_channels, _height, _width) = (exampleShape[0], exampleShape[1], exampleShape[2]);
        if (maxShift < 0 || maxShift >= Math.Min(_height, _width))
            throw new BackpropException($"--shift: expected 0 to {Math.Min(_height, _width) - 1} pixels for {_height}×{_width} images, got {maxShift}");
        int size = _channels * _height * _width;
        FlipHorizontally = flipHorizontally;
        MaxShift = maxShift;
        _scratch = new T[size];
    }

    public bool FlipHorizontally { get; }
    public int MaxShift { get; }

    /// <summary>Augments every example of <paramref name="x"/> [N, C, H, W] in place with draws from <paramref name="rng"/>.</summary>
    public void Apply(Tensor<T> x, Rng rng)
    {
        int size = _scratch.Length;
        if (x.Rank != 4 || x.ExampleSize != size)
            throw new BackpropException($"image augmentation: expected a batch [N, {_channels}, {_height}, {_width}], got {Tensor.Format(x.Shape)}");
        for (int n = 0; n < x.Shape[0]; n++)
        {
            var image = x.Span.Slice(n * size, size);
            if (FlipHorizontally && rng.NextDouble() < 0.5)
                for (int row = 0; row < _channels * _height; row++) image.Slice(row * _width, _width).Reverse();
            if (MaxShift > 0)
            {
                int dy = rng.NextInt(2 * MaxShift + 1) - MaxShift, dx = rng.NextInt(2 * MaxShift + 1) - MaxShift;
                if (dy != 0 || dx != 0) Shift(image, dy, dx);
            }
        }
    }

    // out[c, h, w] = in[c, h − dy, w − dx] where that lies inside the image, else 0.
    private void Shift(Span<T> image, int dy, int dx)
    {
        image.CopyTo(_scratch);
        image.Clear();
        int rows = _height - Math.Abs(dy), columns = _width - Math.Abs(dx);
        int fromRow = Math.Max(0, -dy), toRow = Math.Max(0, dy), fromColumn = Math.Max(0, -dx), toColumn = Math.Max(0, dx);
        for (int c = 0; c < _channels; c++)
        {
            int plane = c * _height * _width;
            for (int r = 0; r < rows; r++)
                _scratch.AsSpan(plane + (fromRow + r) * _width + fromColumn, columns)
                    .CopyTo(image.Slice(plane + (toRow + r) * _width + toColumn, columns));
        }
    }
}
