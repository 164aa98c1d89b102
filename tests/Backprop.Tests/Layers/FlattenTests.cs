using Backprop.Layers;
using Backprop.Tensors;
using Backprop.Tests.Support;
using CsCheck;

namespace Backprop.Tests.Layers;

public class FlattenTests
{
    [Fact]
    public void Keeps_row_major_order_and_restores_the_shape_on_the_way_back() =>
        LayerGens.ByType["flatten"].Sample(c =>
        {
            Numeric.AssertForwardMatches(c, [Tensor.SizeOf(c.Recipe.InputShape)], c.Input);
            var layer = c.Build<double>();
            layer.Forward(c.X<double>());
            var dx = layer.Backward(c.R<double>());
            Assert.Equal(c.InputBatchShape, dx.Shape);
            Assert.Equal(c.Upstream, dx.ToDoubleArray());
        }, iter: 100);

    [Fact]
    public void Three_dimensional_example()
    {
        var flatten = new Flatten<double>([2, 1, 2]);
        Assert.Equal([4], flatten.OutputShape);
        var y = flatten.Forward(new Tensor<double>([1.0, 2, 3, 4, 5, 6, 7, 8], 2, 2, 1, 2));
        Assert.Equal([2, 4], y.Shape);
        Assert.Equal([1.0, 2, 3, 4, 5, 6, 7, 8], y.ToDoubleArray());
    }
}
