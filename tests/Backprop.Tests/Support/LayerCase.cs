using System.Globalization;
using System.Numerics;
using Backprop.Layers;
using Backprop.Tensors;

namespace Backprop.Tests.Support;

/// <summary>
/// How to build one layer, in either precision: the part of a random case that is not numbers, as the layer's own
/// description (<see cref="LayerSpec"/>) and the shape of one example going in.
/// </summary>
public sealed record LayerRecipe(LayerSpec Spec, int[] InputShape, bool Training = true)
{
    public string Type => Spec.Type;

    /// <summary>Shape of one example coming out, as the layer reports it.</summary>
    public int[] OutputShape => Create<double>().OutputShape;

    /// <summary>The layer in the recipe's mode, with the buffer values the spec gives (BatchNorm's running statistics).</summary>
    public Layer<T> Create<T>() where T : unmanaged, IFloatingPointIeee754<T>
    {
        var layer = Spec.Create<T>(InputShape);
        layer.Context.Training = Training;
        foreach (var b in layer.Buffers)
            if (Spec.Values.TryGetValue(b.Name, out var given))
                for (int k = 0; k < given.Values.Length; k++) b.Value[k] = T.CreateChecked(given.Values[k]);
        return layer;
    }

    public override string ToString() => $"{Spec} on [N, {string.Join(", ", InputShape)}]{(Training ? "" : " in evaluation mode")}";
}

/// <summary>
/// One random layer with everything needed to run it: batch size, input x, upstream weights r (so that the scalar
/// checked is L = Σ r ⊙ layer(x)) and a value for every parameter, in <see cref="Layer{T}.Parameters"/> order.
/// </summary>
public sealed class LayerCase(LayerRecipe recipe, int batch, double[] input, double[] upstream, double[][] parameters)
{
    public LayerRecipe Recipe { get; } = recipe;
    public int Batch { get; } = batch;
    public double[] Input { get; } = input;
    public double[] Upstream { get; } = upstream;
    public double[][] ParameterValues { get; } = parameters;

    public int[] InputBatchShape => Tensor.Batched(Batch, Recipe.InputShape);
    public int[] OutputBatchShape => Tensor.Batched(Batch, Recipe.OutputShape);

    /// <summary>The layer with this case's parameter values (rounded once when T is float).</summary>
    public Layer<T> Build<T>() where T : unmanaged, IFloatingPointIeee754<T>
    {
        var layer = Recipe.Create<T>();
        if (layer.Parameters.Count != ParameterValues.Length)
            throw new InvalidOperationException($"{Recipe}: {layer.Parameters.Count} parameters, case has {ParameterValues.Length}");
        for (int i = 0; i < ParameterValues.Length; i++)
        {
            var value = layer.Parameters[i].Value;
            for (int j = 0; j < value.Length; j++) value[j] = T.CreateChecked(ParameterValues[i][j]);
        }
        return layer;
    }

    public Tensor<T> X<T>() where T : unmanaged, IFloatingPointIeee754<T> => Tensor<T>.FromDoubles(Input, InputBatchShape);

    public Tensor<T> R<T>() where T : unmanaged, IFloatingPointIeee754<T> => Tensor<T>.FromDoubles(Upstream, OutputBatchShape);

    /// <summary>The same case with every number rounded to float32, so both precisions start from identical values.</summary>
    public LayerCase RoundedToSingle() =>
        new(Recipe, Batch, Values.ToSingle(Input), Values.ToSingle(Upstream), ParameterValues.Select(Values.ToSingle).ToArray());

    public override string ToString()
    {
        var sb = new System.Text.StringBuilder();
        sb.Append(Recipe).Append(", batch ").Append(Batch);
        sb.Append("\n  x = ").Append(Values.Format(Input));
        sb.Append("\n  r = ").Append(Values.Format(Upstream));
        for (int i = 0; i < ParameterValues.Length; i++) sb.Append("\n  p").Append(i).Append(" = ").Append(Values.Format(ParameterValues[i]));
        return sb.ToString();
    }
}

/// <summary>Small helpers on double arrays.</summary>
public static class Values
{
    public static double[] ToSingle(double[] v) => v.Select(d => (double)(float)d).ToArray();

    public static string Format(double[] v) => "[" + string.Join(", ", v.Select(d => d.ToString("R", CultureInfo.InvariantCulture))) + "]";

    public static double MaxAbs(ReadOnlySpan<double> v)
    {
        double m = 0;
        foreach (double d in v) m = Math.Max(m, Math.Abs(d));
        return m;
    }

    /// <summary>
    /// Pushes values apart without changing their order: the k-th smallest gains k·gap. Used where a function has a
    /// kink at ties (max pooling, the best rival of a perceptron), so that a ±1e-6 step never crosses one.
    /// </summary>
    public static double[] Spread(double[] v, double gap)
    {
        var order = Enumerable.Range(0, v.Length).OrderBy(i => v[i]).ToArray();
        var result = new double[v.Length];
        for (int k = 0; k < order.Length; k++) result[order[k]] = v[order[k]] + k * gap;
        return result;
    }

    public static double[][] Split(double[] all, int[] sizes)
    {
        var parts = new double[sizes.Length][];
        int offset = 0;
        for (int i = 0; i < sizes.Length; i++)
        {
            parts[i] = all.AsSpan(offset, sizes[i]).ToArray();
            offset += sizes[i];
        }
        return parts;
    }
}
