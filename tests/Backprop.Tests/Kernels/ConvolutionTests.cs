using System.Globalization;
using Backprop.Kernels;
using Backprop.Tests.Support;
using CsCheck;

namespace Backprop.Tests.Kernels;

public class ConvolutionTests
{
    public sealed record Case(WindowGeometry G, double[] Image, double[] Col)
    {
        public override string ToString() => string.Create(CultureInfo.InvariantCulture,
            $"{G}\n  image = {Values.Format(Image)}\n  col = {Values.Format(Col)}");
    }

    private static readonly Gen<Case> Cases =
        from c in Gen.Int[1, 3]
        from kh in Gen.Int[1, 3]
        from kw in Gen.Int[1, 3]
        from sh in Gen.Int[1, 3]
        from sw in Gen.Int[1, 3]
        from ph in Gen.Int[0, 2]
        from pw in Gen.Int[0, 2]
        from extraH in Gen.Int[0, 4]
        from extraW in Gen.Int[0, 4]
        let g = new WindowGeometry(c, Math.Max(1, kh - 2 * ph) + extraH, Math.Max(1, kw - 2 * pw) + extraW, kh, kw, sh, sw, ph, pw)
        from image in LayerGens.Value.Array[g.ImageSize]
        from col in LayerGens.Value.Array[g.PatchSize * g.OutPixels]
        select new Case(g, image, col);

    [Fact]
    public void Im2Col_puts_each_patch_in_a_column()
    {
        Cases.Sample(c =>
        {
            var g = c.G;
            var col = new double[g.PatchSize * g.OutPixels];
            Convolution.Im2Col<double>(c.Image, g, col);
            for (int ch = 0; ch < g.Channels; ch++)
                for (int ky = 0; ky < g.KernelHeight; ky++)
                    for (int kx = 0; kx < g.KernelWidth; kx++)
                        for (int oy = 0; oy < g.OutHeight; oy++)
                            for (int ox = 0; ox < g.OutWidth; ox++)
                            {
                                int iy = oy * g.StrideHeight - g.PadHeight + ky, ix = ox * g.StrideWidth - g.PadWidth + kx;
                                bool inside = iy >= 0 && iy < g.Height && ix >= 0 && ix < g.Width;
                                double expected = inside ? c.Image[(ch * g.Height + iy) * g.Width + ix] : 0;
                                int row = (ch * g.KernelHeight + ky) * g.KernelWidth + kx;
                                Assert.Equal(expected, col[row * g.OutPixels + oy * g.OutWidth + ox]);
                            }
        }, iter: 100);
    }

    /// <summary>⟨Im2Col(x), c⟩ = ⟨x, Col2Im(c)⟩: the backward scatter is exactly the transpose of the forward gather, and it adds.</summary>
    [Fact]
    public void Col2ImAdd_is_the_adjoint_of_Im2Col_and_accumulates()
    {
        Cases.Sample(c =>
        {
            var g = c.G;
            var col = new double[g.PatchSize * g.OutPixels];
            Convolution.Im2Col<double>(c.Image, g, col);
            double left = col.Zip(c.Col, (u, v) => u * v).Sum();

            var image = new double[g.ImageSize];
            Convolution.Col2ImAdd<double>(c.Col, g, image);
            double right = image.Zip(c.Image, (u, v) => u * v).Sum();
            double scale = col.Zip(c.Col, (u, v) => Math.Abs(u * v)).Sum();
            Assert.True(Math.Abs(left - right) <= 1e-13 * (1 + scale), $"⟨im2col x, c⟩ = {left:R}, ⟨x, col2im c⟩ = {right:R}\n{c}");

            var again = (double[])image.Clone();
            Convolution.Col2ImAdd<double>(c.Col, g, again);
            Numeric.AssertClose("col2im twice", image.Select(v => 2 * v).ToArray(), again, 1e-15, c);
        }, iter: 100);
    }

    [Fact]
    public void Output_size_drops_the_ragged_edge()
    {
        // 5 + 2·1 − 3 = 4 → 4/2 + 1 = 3 rows; 6 + 0 − 2 = 4 → 4/3 + 1 = 2 columns (one column of the input unused).
        var g = new WindowGeometry(2, 5, 6, 3, 2, 2, 3, 1, 0);
        Assert.Equal(3, g.OutHeight);
        Assert.Equal(2, g.OutWidth);
        Assert.Equal(6, g.OutPixels);
        Assert.Equal(12, g.PatchSize);
        Assert.Equal(60, g.ImageSize);
    }
}
