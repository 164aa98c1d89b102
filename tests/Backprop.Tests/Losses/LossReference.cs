using System.Numerics;
using Backprop.Losses;
using Backprop.Tensors;
using Backprop.Tests.Support;
using CsCheck;

namespace Backprop.Tests.Losses;

/// <summary>Shared check: a loss's Forward against a formula written out by the test, on random cases.</summary>
internal static class LossReference
{
    public static void AssertForwardMatches(string name, Func<LossCase, double> reference) =>
        LossGens.ByName[name].Sample(c =>
        {
            double expected = reference(c);
            double actual = c.Create<double>().Forward(c.Prediction<double>(), c.Target<double>());
            Numeric.AssertClose(name, [expected], [actual], 1e-13, c);
        }, iter: 100);

    /// <summary>Row n of the predictions.</summary>
    public static double[] Row(LossCase c, int n) => c.PredictionValues.AsSpan(n * c.Features, c.Features).ToArray();

    public static (double Value, double[] Grad) Run<T>(string name, double[] prediction, int[] predictionShape, double[] target, int[] targetShape)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var loss = LossFunctions.Create<T>(name);
        T value = loss.Forward(Tensor<T>.FromDoubles(prediction, predictionShape), Tensor<T>.FromDoubles(target, targetShape));
        return (double.CreateChecked(value), loss.Backward().ToDoubleArray());
    }
}
