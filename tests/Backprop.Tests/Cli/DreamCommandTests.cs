using Backprop.Cli;
using Backprop.Tests.Visualization;
using SkiaSharp;

namespace Backprop.Tests.Cli;

/// <summary>backprop dream end to end on the small synthetic model: PNGs that decode, determinism, and bad input.</summary>
public sealed class DreamCommandTests(DreamModelFixture models) : IClassFixture<DreamModelFixture>, IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("backprop-dream-cli-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static (int Code, string Out, string Err) Run(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        int code = Program.Run(args, stdout, stderr);
        return (code, stdout.ToString(), stderr.ToString());
    }

    private string Model => models.Dir(DreamModelFixture.Plain);

    // The defaults are for 28×28 images; on 6×6 ones the jitter and the gradient blur are scaled down.
    private static readonly string[] Small = ["--jitter", "0", "--grad-blur", "0.5", "--octaves", "2"];

    [Fact]
    public void One_class_is_written_as_a_zoomed_png_that_predict_reads_back_as_the_class()
    {
        string png = Path.Combine(_dir, "class1.png");
        var (code, stdout, stderr) = Run(["dream", "--model", Model, "--class", "1", .. Small, "--out", png]);
        Assert.True(code == 0, stderr);
        Assert.Matches(@"^class 1: logit -?\d+\.\d+ -> \d+\.\d+, probability (0\.99\d\d|1\.0000)\n", stdout.ReplaceLineEndings("\n"));
        using (var bitmap = SKBitmap.Decode(png))
        {
            Assert.NotNull(bitmap);
            Assert.Equal((108, 108), (bitmap.Width, bitmap.Height)); // 6×6 pixels, each 18×18 (about 112 across)
        }

        // At --zoom 1 the PNG is the model-size image: the ordinary predict path classifies it as the class.
        string small = Path.Combine(_dir, "small.png");
        Assert.Equal(0, Run(["dream", "--model", Model, "--class", "1", .. Small, "--zoom", "1", "--out", small]).Code);
        using (var bitmap = SKBitmap.Decode(small)) Assert.Equal((6, 6), (bitmap.Width, bitmap.Height));
        var predict = Run("predict", "--model", Model, "--image", small);
        Assert.True(predict.Code == 0, predict.Err);
        Assert.StartsWith("example 0: predicted 1", predict.Out);
    }

    [Fact]
    public void Class_all_writes_a_labelled_grid()
    {
        string png = Path.Combine(_dir, "all.png");
        var (code, stdout, stderr) = Run("dream", "--model", Model, "--class", "all", "--steps", "60", "--octaves", "2", "--out", png);
        Assert.True(code == 0, stderr);
        var lines = stdout.ReplaceLineEndings("\n").TrimEnd().Split('\n');
        Assert.Equal(4, lines.Length);
        for (int k = 0; k < 3; k++) Assert.StartsWith($"class {k}: logit ", lines[k]);
        Assert.Equal($"wrote {png}", lines[3]);
        using var bitmap = SKBitmap.Decode(png);
        Assert.NotNull(bitmap);
        // Three tiles of 108 px in a row, with room for the labels underneath.
        Assert.True(bitmap.Width >= 3 * 108 && bitmap.Height > 108 + 15, $"{bitmap.Width}×{bitmap.Height}");
        var colours = new HashSet<SKColor>();
        for (int y = 0; y < bitmap.Height; y++)
            for (int x = 0; x < bitmap.Width; x++) colours.Add(bitmap.GetPixel(x, y));
        Assert.True(colours.Count > 20, $"only {colours.Count} colours");
    }

    [Fact]
    public void Layer_and_unit_dream_a_hidden_channel_and_unit_all_draws_every_channel()
    {
        string png = Path.Combine(_dir, "unit.png");
        var (code, stdout, stderr) = Run("dream", "--model", Model, "--layer", "1", "--unit", "2", "--out", png);
        Assert.True(code == 0, stderr);
        Assert.StartsWith("unit 2: layer 1 (relu) mean activation ", stdout);
        string grid = Path.Combine(_dir, "units.png");
        (code, stdout, stderr) = Run("dream", "--model", Model, "--layer", "0", "--unit", "all", "--steps", "30", "--out", grid);
        Assert.True(code == 0, stderr);
        Assert.Equal(4, stdout.ReplaceLineEndings("\n").TrimEnd().Split('\n').Length);
        using var bitmap = SKBitmap.Decode(grid);
        Assert.True(bitmap.Width >= 3 * 108);
    }

    [Fact]
    public void The_same_seed_writes_the_same_bytes()
    {
        string a = Path.Combine(_dir, "a.png"), b = Path.Combine(_dir, "b.png"), c = Path.Combine(_dir, "c.png");
        string[] args = ["dream", "--model", Model, "--class", "2", "--jitter", "2", "--octaves", "2", "--grad-blur", "0.5", "--seed", "4"];
        Assert.Equal(0, Run([.. args, "--out", a]).Code);
        Assert.Equal(0, Run([.. args, "--out", b]).Code);
        Assert.Equal(File.ReadAllBytes(a), File.ReadAllBytes(b));
        Assert.Equal(0, Run([.. args[..^1], "5", "--out", c]).Code);
        Assert.NotEqual(File.ReadAllBytes(a), File.ReadAllBytes(c));
    }

    [Fact]
    public void Class_names_label_the_grid_and_select_a_class()
    {
        string png = Path.Combine(_dir, "named.png");
        var (code, stdout, stderr) = Run("dream", "--model", Model, "--class", "column", "--names", "row,column,diagonal", "--steps", "20", "--out", png);
        Assert.True(code == 0, stderr);
        Assert.StartsWith("class 1 column: logit ", stdout);
    }

    [Theory]
    [InlineData("--class 3", "--class: '3' is not a class of this model; expected 0 to 2")]
    [InlineData("--class boot", "--class: 'boot' is not a class of this model")]
    [InlineData("--layer 7 --unit 0", "--layer: 7 is out of range; the model has layers 0 to 6")]
    [InlineData("--layer -1 --unit 0", "--layer: -1 is out of range")]
    [InlineData("--layer 0 --unit 3", "--unit: '3' is not a unit of layer 0 (conv2d, output [3, 6, 6]); expected 0 to 2 or all")]
    [InlineData("--layer 0", "--layer needs --unit")]
    [InlineData("--class 0 --layer 0 --unit 0", "give --class, or --layer with --unit, not both")]
    [InlineData("", "give --class K (or all), or --layer L with --unit U")]
    [InlineData("--class 0 --steps 0", "--steps: expected at least 1, got 0")]
    [InlineData("--class 0 --octave-scale 0.5", "--octave-scale: expected a number > 1")]
    [InlineData("--class 0 --lr abc", "--lr: expected a number, got 'abc'")]
    [InlineData("--class 0 --names a,b", "--names: 2 names given")]
    [InlineData("--class 0 --zoom 0", "--zoom: expected 1 to 64, got 0")]
    public void Bad_input_is_one_line_and_exit_code_2(string extra, string expected)
    {
        string[] args = ["dream", "--model", Model, .. extra.Split(' ', StringSplitOptions.RemoveEmptyEntries), "--out", Path.Combine(_dir, "x.png")];
        var (code, stdout, stderr) = Run(args);
        Assert.Equal(2, code);
        Assert.Equal("", stdout);
        Assert.StartsWith("error: ", stderr);
        Assert.Contains(expected, stderr);
        Assert.Single(stderr.TrimEnd().Split('\n'));
        Assert.False(File.Exists(Path.Combine(_dir, "x.png")));
    }

    [Fact]
    public void A_missing_model_folder_or_a_wrong_extension_is_one_line_and_exit_code_2()
    {
        var (code, _, stderr) = Run("dream", "--model", Path.Combine(_dir, "nowhere"), "--class", "0", "--out", Path.Combine(_dir, "x.png"));
        Assert.Equal(2, code);
        Assert.Contains("no such model folder", stderr);
        Assert.Single(stderr.TrimEnd().Split('\n'));
        (code, _, stderr) = Run("dream", "--model", Model, "--class", "0", "--out", Path.Combine(_dir, "x.jpg"));
        Assert.Equal(2, code);
        Assert.Contains("--out: expected FILE.png", stderr);
    }
}
