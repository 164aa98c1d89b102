using Backprop.Visualization;
using Backprop.Diagnostics;

namespace Backprop.Tests.Visualization;

/// <summary>The image operations behind dreaming: blur, roll and bilinear resizing with its transpose.</summary>
public sealed class ImageFiltersTests
{
    private static double[] Noise(int n, ulong seed)
    {
        var rng = new Rng(seed);
        return Enumerable.Range(0, n).Select(_ => rng.Uniform(0, 1)).ToArray();
    }

    [Fact]
    public void The_Gaussian_kernel_is_normalised_and_three_sigma_wide()
    {
        var k = ImageFilters.GaussianKernel<double>(1.0);
        Assert.Equal(7, k.Length);
        Assert.Equal(1, k.Sum(), 12);
        Assert.Equal(k[0], k[^1]);
        Assert.Equal(3, ImageFilters.GaussianKernel<double>(0.2).Length); // at least radius 1
        Assert.Throws<ArgumentOutOfRangeException>(() => ImageFilters.GaussianKernel<double>(0));
    }

    [Fact]
    public void Blur_keeps_a_constant_image_and_lowers_the_energy_of_noise()
    {
        var kernel = ImageFilters.GaussianKernel<double>(1.0);
        var scratch = new double[25];
        var constant = Enumerable.Repeat(0.3, 50).ToArray();
        ImageFilters.GaussianBlur<double>(constant, 2, 5, 5, kernel, scratch);
        Assert.All(constant, v => Assert.Equal(0.3, v, 12));

        var noise = Noise(50, 1);
        double before = ImageFilters.NeighbourEnergy<double>(noise, 2, 5, 5);
        ImageFilters.GaussianBlur<double>(noise, 2, 5, 5, kernel, scratch);
        Assert.True(ImageFilters.NeighbourEnergy<double>(noise, 2, 5, 5) < 0.25 * before);
    }

    [Fact]
    public void Roll_shifts_with_wrap_around_and_the_opposite_roll_undoes_it()
    {
        // one channel 2×3: [[0 1 2], [3 4 5]]
        double[] x = [0, 1, 2, 3, 4, 5];
        var y = new double[6];
        ImageFilters.Roll<double>(x, y, 1, 2, 3, 1, 1);
        Assert.Equal([5, 3, 4, 2, 0, 1], y); // as torch.roll(x, (1, 1), (0, 1))
        var back = new double[6];
        ImageFilters.Roll<double>(y, back, 1, 2, 3, -1, -1);
        Assert.Equal(x, back);
        ImageFilters.Roll<double>(x, y, 1, 2, 3, 0, -4); // −4 ≡ 2 (mod 3)
        Assert.Equal([1, 2, 0, 4, 5, 3], y);
    }

    [Fact]
    public void Bilinear_resize_matches_PyTorch_geometry()
    {
        // torch.nn.functional.interpolate(torch.tensor([[[[0., 1.], [2., 3.]]]]), size=(4, 4), mode="bilinear", align_corners=False)
        double[] expected =
        [
            0.0, 0.25, 0.75, 1.0,
            0.5, 0.75, 1.25, 1.5,
            1.5, 1.75, 2.25, 2.5,
            2.0, 2.25, 2.75, 3.0,
        ];
        var y = new double[16];
        new BilinearResize<double>(2, 2, 4, 4).Forward([0, 1, 2, 3], y, 1);
        Assert.Equal(expected, y);
        var same = new double[6];
        new BilinearResize<double>(2, 3, 2, 3).Forward([1, 2, 3, 4, 5, 6], same, 1);
        Assert.Equal([1, 2, 3, 4, 5, 6], same);
    }

    [Theory]
    [InlineData(3, 3, 6, 6)]
    [InlineData(4, 5, 7, 9)]
    [InlineData(6, 6, 4, 4)]
    public void Bilinear_backward_is_the_transpose_of_forward(int h, int w, int outH, int outW)
    {
        // ⟨R x, g⟩ = ⟨x, Rᵀ g⟩ for random x and g, two channels
        var resize = new BilinearResize<double>(h, w, outH, outW);
        var x = Noise(2 * h * w, 2);
        var g = Noise(2 * outH * outW, 3);
        var rx = new double[g.Length];
        var rtg = new double[x.Length];
        resize.Forward(x, rx, 2);
        resize.Backward(g, rtg, 2);
        Assert.Equal(rx.Zip(g, (a, b) => a * b).Sum(), x.Zip(rtg, (a, b) => a * b).Sum(), 12);
    }
}
