using Backprop.Data;
using Backprop.Visualization;
using SkiaSharp;

namespace Backprop.Tests.Data;

public class PngImageTests
{
    private static string WritePng(TempFiles files, string name, int width, int height, Func<int, int, SKColor> color)
    {
        using var bitmap = new SKBitmap(width, height, SKColorType.Rgba8888, SKAlphaType.Unpremul);
        for (int r = 0; r < height; r++)
            for (int c = 0; c < width; c++) bitmap.SetPixel(c, r, color(r, c));
        using var data = bitmap.Encode(SKEncodedImageFormat.Png, 100);
        return files.Write(name, data.ToArray());
    }

    [Fact]
    public void A_png_is_read_row_by_row_as_luma()
    {
        using var files = new TempFiles();
        string png = WritePng(files, "a.png", 3, 2, (r, c) => new SKColor((byte)(10 * r + c), (byte)(100 + c), (byte)(200 - r)));
        var values = PngImage.ReadGrayscale(png, [1, 2, 3]);
        Assert.Equal(6, values.Length);
        for (int r = 0; r < 2; r++)
            for (int c = 0; c < 3; c++)
                Assert.Equal(0.299f * (10 * r + c) + 0.587f * (100 + c) + 0.114f * (200 - r), values[r * 3 + c]);
    }

    [Fact]
    public void The_size_must_be_the_models_one_channel_input()
    {
        using var files = new TempFiles();
        string png = WritePng(files, "a.png", 3, 2, (_, _) => SKColors.White);
        var e = Assert.Throws<BackpropException>(() => PngImage.ReadGrayscale(png, [1, 28, 28]));
        Assert.Contains("image is 3x2, but the model expects input [1, 28, 28]", e.Message);
        Assert.Throws<BackpropException>(() => PngImage.ReadGrayscale(png, [3, 2, 3]));
        Assert.Contains("no such file", Assert.Throws<BackpropException>(() => PngImage.ReadGrayscale(Path.Combine(files.Directory, "none.png"), [1, 2, 3])).Message);
        string text = files.WriteText("b.png", "not an image");
        Assert.Contains("not a PNG image", Assert.Throws<BackpropException>(() => PngImage.ReadGrayscale(text, [1, 2, 3])).Message);
    }
}
