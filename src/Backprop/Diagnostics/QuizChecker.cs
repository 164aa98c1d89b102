using Backprop.Data;
using Backprop.Layers;
using Backprop.Losses;
using Backprop.Models;
using Backprop.Tensors;

namespace Backprop.Diagnostics;

/// <summary>
/// Checks a student's value for one entry of a gradient, dL/d(parameter) or dL/dx, and names the likely slip when a
/// wrong answer matches one. Each slip is computed, not guessed: the same backward pass with the mistake made in it
/// (the sign flipped; the entry read from the transposed layout; a mean loss's 1/N left out; one activation's
/// derivative replaced by 1; softmax's Jacobian replaced by its diagonal s(1 − s)), and the answer compared with each.
/// </summary>
public static class QuizChecker
{
    public const double DefaultTolerance = 1e-3;

    /// <summary>
    /// The verdict on <paramref name="answer"/> for entry <paramref name="index"/> of dL/d(<paramref name="quantity"/>),
    /// where the quantity is a parameter's state_dict name or "x". Right when |answer − expected| ≤ tolerance·max(1, |expected|).
    /// </summary>
    public static QuizVerdict Check(Sequential<double> model, Loss<double> loss, Batch<double> batch, string quantity, int[] index, double answer,
        double tolerance = DefaultTolerance)
    {
        if (!double.IsFinite(answer)) throw new BackpropException("quiz: the answer must be a finite number");
        if (!(tolerance > 0)) throw new BackpropException("quiz: the tolerance must be positive");
        int layerOf = quantity == "x" ? -1 : model.NamedParameters.Select(p => p.Name).Contains(quantity)
            ? int.Parse(quantity[..quantity.IndexOf('.')], System.Globalization.CultureInfo.InvariantCulture)
            : throw new BackpropException($"quiz: unknown quantity '{quantity}'; expected x or one of: {string.Join(", ", model.NamedParameters.Select(p => p.Name))}");
        var exact = Gradient(model, loss, batch, quantity, layerOf, _ => null);
        int flat = Tensor.FlatIndex(exact.Shape, index, $"quiz: dL/d({quantity})");
        double expected = exact.Values[flat];
        bool Near(double v) => Math.Abs(answer - v) <= tolerance * Math.Max(1, Math.Abs(v));
        string label = $"dL/d({quantity}){Tensor.Format(index)}";
        if (Near(expected)) return new QuizVerdict(true, expected, answer, null, $"Right: {label} = {NumberFormat.RoundTrip(expected)}.");

        var slips = new List<(string Slip, string Message, double Value)>
        {
            ("sign", "the sign is flipped (a gradient step subtracts η·∇; did you write ŷ − y the wrong way round?)", -expected),
        };
        if (exact.Shape.Length == 2 && index[1] < exact.Shape[0] && index[0] < exact.Shape[1] && index[0] != index[1])
            slips.Add(("transposed", "that is the entry at the transposed position: PyTorch's weight is [out][in], the sheet's [in][out]",
                exact.Values[index[1] * exact.Shape[1] + index[0]]));
        if (loss.Name is not ("sse" or "half_sse"))
        {
            int n = batch.X.Shape[0], elements = Tensor.SizeOf(model.OutputShape) * n;
            foreach (int count in new[] { n, elements }.Where(c => c > 1).Distinct())
                slips.Add(("missing 1/N", $"that is {count} times the answer: the loss '{loss.Name}' is a mean, so its gradient carries 1/N (N = {count})", expected * count));
        }
        for (int j = model.Layers.Count - 1; j > layerOf; j--)
        {
            int at = j;
            var layer = model.Layers[j];
            if (layer is Softmax<double>)
                slips.Add(("softmax as elementwise", $"that treats softmax (layer {j}) as element-wise, s(1 − s), and drops the off-diagonal −sᵢsⱼ of its Jacobian diag(s) − s sᵀ",
                    Gradient(model, loss, batch, quantity, layerOf, k => k == at ? SoftmaxDiagonal : null).Values[flat]));
            else if (layer is Activation<double>)
                slips.Add(("forgotten activation derivative", $"that leaves out the derivative of layer {j} ({layer.Type}): the chain rule multiplies by f'(h) there",
                    Gradient(model, loss, batch, quantity, layerOf, k => k == at ? Identity : null).Values[flat]));
        }
        foreach (var (slip, message, value) in slips)
            if (Near(value))
                return new QuizVerdict(false, expected, answer, slip, $"Not quite: {message}. {label} = {NumberFormat.RoundTrip(expected)}.");
        return new QuizVerdict(false, expected, answer, null, $"Not quite: {label} = {NumberFormat.RoundTrip(expected)}, you gave {NumberFormat.RoundTrip(answer)}.");
    }

    private static Tensor<double> Identity(Layer<double> layer, Tensor<double> input, Tensor<double> g) => g;

    // The slip: dL/dzᵢ = dL/dsᵢ · sᵢ(1 − sᵢ), as if softmax were applied element by element.
    private static Tensor<double> SoftmaxDiagonal(Layer<double> layer, Tensor<double> input, Tensor<double> g)
    {
        var s = layer.Forward(input);
        var result = g.Clone();
        for (int i = 0; i < result.Length; i++) result[i] = g[i] * s[i] * (1 - s[i]);
        return result;
    }

    /// <summary>
    /// dL/d(quantity) from a backward pass on a copy of the model in which layer k's backward is replaced by
    /// <paramref name="replace"/>(k) where that is not null.
    /// </summary>
    private static TensorValue Gradient(Sequential<double> model, Loss<double> loss, Batch<double> batch, string quantity, int layerOf,
        Func<int, Func<Layer<double>, Tensor<double>, Tensor<double>, Tensor<double>>?> replace)
    {
        var m = model.Clone();
        var inputs = new Tensor<double>[m.Layers.Count];
        using (m.RegisterForwardHook((i, _, input, _) => inputs[i] = input.Clone()))
            loss.Forward(m.Forward(batch.X), batch.Y);
        m.ZeroGrad();
        var g = loss.Backward();
        for (int i = m.Layers.Count - 1; i >= 0 && i >= layerOf; i--)
        {
            if (replace(i) is { } instead)
                g = instead(m.Layers[i], inputs[i], g.Clone());
            else g = m.Layers[i].Backward(g).Clone();
        }
        return quantity == "x" ? TensorValue.Of(g) : TensorValue.Of(m.NamedParameters.First(p => p.Name == quantity).Parameter.Grad);
    }
}
