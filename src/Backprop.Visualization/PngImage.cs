using Backprop.IO;
using SkiaSharp;

namespace Backprop.Visualization;

/// <summary>
/// Reads images as model inputs: PNG decoding (SkiaSharp) lives here, above the engine, which has no image library.
/// </summary>
public static class PngImage
{
    /// <summary>
    /// Reads a PNG as grayscale 0..255 values (0.299 R + 0.587 G + 0.114 B), row by row; its size must be the model's [1, H, W] input. The size is read from the
    /// header before anything is decoded (a small file may declare 60000x60000 pixels), and a decode that is not
    /// complete (a truncated file) is refused rather than read as a partly black image.
    /// </summary>
    public static float[] ReadGrayscale(string path, int[] inputShape)
    {
        if (!File.Exists(path)) throw new BackpropException($"{path}: no such file");
        FileKinds.CheckInput(path);
        byte[] bytes;
        try
        {
            long length = new FileInfo(path).Length;
            if (length > MaxImageBytes) throw new BackpropException($"{path}: {length:N0} bytes, over the limit of {MaxImageBytes:N0} bytes for an image");
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new BackpropException($"{path}: cannot read the file: {e.Message}");
        }
        var (width, height) = PngSize(bytes, path);
        if (inputShape.Length != 3 || inputShape[0] != 1 || height != inputShape[1] || width != inputShape[2])
            throw new BackpropException($"{path}: image is {width}x{height}, but the model expects input [{string.Join(", ", inputShape)}] (one channel, height × width)");
        using var codec = SKCodec.Create(new SKMemoryStream(bytes)) ?? throw new BackpropException($"{path}: not a readable PNG image");
        if (codec.Info.Width != width || codec.Info.Height != height)
            throw new BackpropException($"{path}: not a readable PNG image (its header says {width}x{height}, the decoder {codec.Info.Width}x{codec.Info.Height})");
        // The pixel format SKBitmap.Decode chose before (the codec's own, premultiplied), so the values are unchanged.
        var info = codec.Info;
        if (info.AlphaType == SKAlphaType.Unpremul) info.AlphaType = SKAlphaType.Premul;
        using var bitmap = new SKBitmap(info);
        var result = codec.GetPixels(bitmap.Info, bitmap.GetPixels());
        if (result != SKCodecResult.Success)
            throw new BackpropException(result == SKCodecResult.IncompleteInput
                ? $"{path}: the PNG is incomplete (truncated?); its pixels could not all be decoded"
                : $"{path}: not a readable PNG image ({result})");
        var values = new float[width * height];
        for (int r = 0; r < height; r++)
            for (int c = 0; c < width; c++)
            {
                var px = bitmap.GetPixel(c, r);
                values[r * width + c] = 0.299f * px.Red + 0.587f * px.Green + 0.114f * px.Blue;
            }
        return values;
    }

    /// <summary>The largest image file read: 64 MB (a model's input image is a few KB).</summary>
    private const long MaxImageBytes = 64L << 20;

    /// <summary>Width and height from the PNG signature and IHDR chunk, which the format puts first.</summary>
    private static (int Width, int Height) PngSize(byte[] bytes, string path)
    {
        ReadOnlySpan<byte> signature = [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A];
        if (bytes.Length < 24 || !bytes.AsSpan(0, 8).SequenceEqual(signature) || !bytes.AsSpan(12, 4).SequenceEqual("IHDR"u8))
            throw new BackpropException($"{path}: not a PNG image (no PNG signature and IHDR header)");
        uint width = System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(bytes.AsSpan(16)), height = System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(bytes.AsSpan(20));
        if (width is 0 or > int.MaxValue || height is 0 or > int.MaxValue)
            throw new BackpropException($"{path}: the PNG header declares {width}x{height} pixels, not a valid size");
        return ((int)width, (int)height);
    }
}
