using Backprop.Diagnostics;
using Backprop.IO;
using SkiaSharp;

namespace Backprop.Visualization;

/// <summary>The pictures of <see cref="ClassVisualization"/>: one dream, or several in a labelled grid, as PNG.</summary>
public static class DreamImages
{
    /// <summary>
    /// Writes one dream as a PNG, each pixel a <paramref name="zoom"/>×<paramref name="zoom"/> block (zoom 1 gives the
    /// model-size image, which <c>backprop predict --image</c> reads back). See <see cref="ToBitmap"/> for the colours.
    /// </summary>
    public static void SaveImage(DreamResult dream, string path, int zoom)
    {
        ArgumentNullException.ThrowIfNull(dream);
        if (zoom < 1) throw new ArgumentOutOfRangeException(nameof(zoom), zoom, "expected at least 1");
        using var bitmap = ToBitmap(dream);
        using var surface = SKSurface.Create(new SKImageInfo(dream.Width * zoom, dream.Height * zoom, SKColorType.Rgba8888, SKAlphaType.Premul));
        DrawZoomed(surface.Canvas, bitmap, 0, 0, zoom);
        Save(surface, path);
    }

    /// <summary>
    /// Writes dreams side by side as one PNG, at most <paramref name="columns"/> to a row, each zoomed (nearest
    /// neighbour) with its label centred underneath, on white.
    /// </summary>
    public static void SaveGrid(IReadOnlyList<DreamResult> dreams, IReadOnlyList<string> labels, string path, int zoom, int columns = 5)
    {
        ArgumentNullException.ThrowIfNull(dreams);
        ArgumentNullException.ThrowIfNull(labels);
        if (dreams.Count == 0 || labels.Count != dreams.Count) throw new ArgumentException($"expected as many labels as dreams (≥ 1), got {labels.Count} for {dreams.Count}");
        if (zoom < 1) throw new ArgumentOutOfRangeException(nameof(zoom), zoom, "expected at least 1");
        int tileW = dreams.Max(d => d.Width) * zoom, tileH = dreams.Max(d => d.Height) * zoom;
        const int gap = 12, labelHeight = 22;
        float fontSize = 13;
        int cols = Math.Min(Math.Max(1, columns), dreams.Count), rows = (dreams.Count + cols - 1) / cols;
        int cellW = Math.Max(tileW, 90) + gap, cellH = tileH + labelHeight + gap;
        using var surface = SKSurface.Create(new SKImageInfo(cols * cellW + gap, rows * cellH + gap, SKColorType.Rgba8888, SKAlphaType.Premul));
        var canvas = surface.Canvas;
        canvas.Clear(SKColors.White);
        using var typeface = SKTypeface.FromFamilyName(Charts.SansFont);
        using var font = new SKFont(typeface, fontSize);
        using var ink = new SKPaint { Color = SKColors.Black, IsAntialias = true };
        for (int i = 0; i < dreams.Count; i++)
        {
            int x = gap + (i % cols) * cellW, y = gap + (i / cols) * cellH;
            using var bitmap = ToBitmap(dreams[i]);
            int left = x + (cellW - gap - dreams[i].Width * zoom) / 2;
            DrawZoomed(canvas, bitmap, left, y, zoom);
            canvas.DrawText(labels[i], x + (cellW - gap) / 2f, y + tileH + labelHeight - 6, SKTextAlign.Center, font, ink);
        }
        Save(surface, path);
    }

    /// <summary>
    /// The image as a bitmap: one channel as grey, three as RGB, otherwise the mean over channels as grey. Values in
    /// [0, 1] map to 0..255 as they are; an image that leaves [0, 1] (no clamping) is stretched from
    /// [min(0, lowest), max(1, highest)] so that nothing is cut off.
    /// </summary>
    public static SKBitmap ToBitmap(DreamResult dream)
    {
        ArgumentNullException.ThrowIfNull(dream);
        int h = dream.Height, w = dream.Width, c = dream.Channels, plane = h * w;
        double lo = Math.Min(0, dream.Image.Min()), hi = Math.Max(1, dream.Image.Max());
        byte Byte(double v) => (byte)Math.Clamp(Math.Round((v - lo) / (hi - lo) * 255), 0, 255);
        var bitmap = new SKBitmap(new SKImageInfo(w, h, SKColorType.Rgba8888, SKAlphaType.Opaque));
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
            {
                int p = y * w + x;
                SKColor colour;
                if (c == 3) colour = new SKColor(Byte(dream.Image[p]), Byte(dream.Image[plane + p]), Byte(dream.Image[2 * plane + p]));
                else
                {
                    double sum = 0;
                    for (int k = 0; k < c; k++) sum += dream.Image[k * plane + p];
                    byte g = Byte(sum / c);
                    colour = new SKColor(g, g, g);
                }
                bitmap.SetPixel(x, y, colour);
            }
        return bitmap;
    }

    private static void DrawZoomed(SKCanvas canvas, SKBitmap bitmap, int left, int top, int zoom)
    {
        using var image = SKImage.FromBitmap(bitmap);
        canvas.DrawImage(image, new SKRect(left, top, left + bitmap.Width * zoom, top + bitmap.Height * zoom), new SKSamplingOptions(SKFilterMode.Nearest));
    }

    private static void Save(SKSurface surface, string path)
    {
        using var snapshot = surface.Snapshot();
        using var data = snapshot.Encode(SKEncodedImageFormat.Png, 100);
        AtomicFile.WriteAllBytes(path, data.AsSpan());
    }
}
