using SkiaSharp;

namespace Backprop.Visualization;

/// <summary>
/// Reads images as model inputs. The one file in Data that decodes images (with SkiaSharp, which the engine gets
/// through ScottPlot today), so that it can move with the image library when the engine drops it.
/// </summary>
public static class PngImage
{
    /// <summary>
    /// Reads a PNG as grayscale 0..255 values (0.299 R + 0.587 G + 0.114 B), row by row; its size must be the model's
    /// [1, H, W] input.
    /// </summary>
    public static float[] ReadGrayscale(string path, int[] inputShape)
    {
        if (!File.Exists(path)) throw new BackpropException($"{path}: no such file");
        using var bitmap = SKBitmap.Decode(path) ?? throw new BackpropException($"{path}: not a readable PNG image");
        if (inputShape.Length != 3 || inputShape[0] != 1 || bitmap.Height != inputShape[1] || bitmap.Width != inputShape[2])
            throw new BackpropException($"{path}: image is {bitmap.Width}x{bitmap.Height}, but the model expects input [{string.Join(", ", inputShape)}] (one channel, height × width)");
        var values = new float[bitmap.Width * bitmap.Height];
        for (int r = 0; r < bitmap.Height; r++)
            for (int c = 0; c < bitmap.Width; c++)
            {
                var px = bitmap.GetPixel(c, r);
                values[r * bitmap.Width + c] = 0.299f * px.Red + 0.587f * px.Green + 0.114f * px.Blue;
            }
        return values;
    }
}
