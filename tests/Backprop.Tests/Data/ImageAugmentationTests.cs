using Backprop.Data;
using Backprop.Tensors;
using Backprop.Training;
using Backprop.Tests.Support;

namespace Backprop.Tests.Data;

public class ImageAugmentationTests
{
    // Batch [N, C, H, W] with every value distinct, so any misplaced pixel shows.
    private static Tensor<double> Batch(int n, int c, int h, int w)
    {
        var x = new Tensor<double>(n, c, h, w);
        for (int i = 0; i < x.Length; i++) x.Span[i] = i + 1;
        return x;
    }

    // The documented transform, index by index: flip (w → W−1−w) first, then out[c, h, w] = in[c, h − dy, w − dx]
    // inside the image, else 0.
    private static double[] Reference(double[] image, int c, int h, int w, bool flip, int dy, int dx)
    {
        double At(int ch, int r, int col) => image[(ch * h + r) * w + (flip ? w - 1 - col : col)];
        var result = new double[image.Length];
        for (int ch = 0; ch < c; ch++)
            for (int r = 0; r < h; r++)
                for (int col = 0; col < w; col++)
                {
                    int i = (ch * h + r) * w + col, sr = r - dy, sc = col - dx;
                    result[i] = sr >= 0 && sr < h && sc >= 0 && sc < w ? At(ch, sr, sc) : 0;
                }
        return result;
    }

    [Theory]
    [InlineData(true, 0)]
    [InlineData(false, 1)]
    [InlineData(false, 2)]
    [InlineData(true, 3)]
    public void Each_example_is_flipped_and_shifted_by_its_documented_draws(bool flip, int maxShift)
    {
        const int n = 40, c = 2, h = 5, w = 7;
        var augmentation = new ImageAugmentation<double>([c, h, w], flip, maxShift);
        var x = Batch(n, c, h, w);
        var original = x.ToDoubleArray();
        augmentation.Apply(x, new Rng(11));

        var replay = new Rng(11);
        int size = c * h * w, changed = 0;
        for (int e = 0; e < n; e++)
        {
            bool mirrored = flip && replay.NextDouble() < 0.5;
            int dy = maxShift > 0 ? replay.NextInt(2 * maxShift + 1) - maxShift : 0;
            int dx = maxShift > 0 ? replay.NextInt(2 * maxShift + 1) - maxShift : 0;
            var expected = Reference(original.AsSpan(e * size, size).ToArray(), c, h, w, mirrored, dy, dx);
            var actual = x.ToDoubleArray().AsSpan(e * size, size).ToArray();
            Assert.True(expected.SequenceEqual(actual), $"example {e}: flip {mirrored}, shift ({dy}, {dx})");
            if (mirrored || dy != 0 || dx != 0) changed++;
        }
        Assert.InRange(changed, n / 4, n); // the draws do change most examples
    }

    [Fact]
    public void Every_shift_in_range_occurs_and_none_outside()
    {
        // A single lit pixel in the middle of a 9×9 image shows the shift each example got.
        const int n = 2000, size = 9, middle = 4, maxShift = 2;
        var x = new Tensor<float>(n, 1, size, size);
        for (int e = 0; e < n; e++) x.Span[e * size * size + middle * size + middle] = 1;
        new ImageAugmentation<float>([1, size, size], false, maxShift).Apply(x, new Rng(3));
        var seen = new int[2 * maxShift + 1, 2 * maxShift + 1];
        for (int e = 0; e < n; e++)
        {
            int at = x.Span.Slice(e * size * size, size * size).IndexOf(1f);
            int dy = at / size - middle, dx = at % size - middle;
            Assert.InRange(dy, -maxShift, maxShift);
            Assert.InRange(dx, -maxShift, maxShift);
            seen[dy + maxShift, dx + maxShift]++;
        }
        // 25 offsets, 80 expected each: every one is drawn, none far from uniform.
        foreach (int count in seen) Assert.InRange(count, 40, 130);
    }

    [Theory]
    [InlineData(true, 0)]
    [InlineData(false, 2)]
    public void Standardising_with_flips_or_shifts_is_refused(bool flip, int shift) =>
        Assert.Contains("--standardize cannot be combined with --flip or --shift",
            Assert.Throws<BackpropException>(() => new TrainingOptions { Standardize = true, FlipHorizontally = flip, MaxShift = shift }.Validate()).Message);

    [Fact]
    public void Applying_allocates_nothing()
    {
        var augmentation = new ImageAugmentation<float>([1, 28, 28], true, 2);
        var x = new Tensor<float>(64, 1, 28, 28);
        var rng = new Rng(1);
        Assert.Equal(0, Allocations.Fewest(() => augmentation.Apply(x, rng)));
    }

    [Theory]
    [InlineData(new[] { 1, 28, 28 }, 28, "--shift: expected 0 to 27 pixels for 28×28 images, got 28")]
    [InlineData(new[] { 1, 28, 28 }, -1, "--shift: expected 0 to 27 pixels")]
    [InlineData(new[] { 784 }, 1, "--flip and --shift need image examples [channels, height, width], not [784]")]
    public void Bad_settings_are_named(int[] shape, int maxShift, string message) =>
        Assert.Contains(message, Assert.Throws<BackpropException>(() => new ImageAugmentation<float>(shape, false, maxShift)).Message);

    [Fact]
    public void A_batch_of_the_wrong_shape_is_refused() =>
        Assert.Contains("expected a batch [N, 1, 4, 4], got [2, 1, 4, 5]",
            Assert.Throws<BackpropException>(() => new ImageAugmentation<float>([1, 4, 4], true, 1).Apply(new Tensor<float>(2, 1, 4, 5), new Rng(1))).Message);
}
