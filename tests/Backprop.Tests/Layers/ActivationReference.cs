using System.Numerics;
using Backprop.Layers;
using Backprop.Tensors;
using Backprop.Tests.Support;
using CsCheck;

namespace Backprop.Tests.Layers;

/// <summary>Shared check for element-wise layers: Forward against f applied to each input by the test.</summary>
internal static class ActivationReference
{
    public static void AssertForwardMatches(string type, Func<LayerRecipe, double, double> f, int iterations = 100) =>
        LayerGens.ByType[type].Sample(c =>
            Numeric.AssertForwardMatches(c, c.Recipe.InputShape, c.Input.Select(x => f(c.Recipe, x)).ToArray()), iter: iterations);

    /// <summary>Runs x through the layer, then dy back, and returns (y, dx) as doubles.</summary>
    public static (double[] Y, double[] Dx) Run<T>(Layer<T> layer, double[] x, double[] dy)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var y = layer.Forward(Tensor<T>.FromDoubles(x, 1, x.Length)).ToDoubleArray();
        var dx = layer.Backward(Tensor<T>.FromDoubles(dy, 1, dy.Length)).ToDoubleArray();
        return (y, dx);
    }
}
