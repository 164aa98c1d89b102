using System.Globalization;
using System.Text.Json;

namespace Backprop.Tests.CrossCheck;

/// <summary>A tensor read from JSON: its values flattened row-major and its shape.</summary>
internal sealed record TensorData(double[] Values, int[] Shape)
{
    /// <summary>A number or a rectangular nested list of numbers.</summary>
    public static TensorData Parse(JsonElement e, string where)
    {
        var shape = new List<int>();
        for (var probe = e; probe.ValueKind == JsonValueKind.Array; probe = probe.GetArrayLength() > 0 ? probe[0] : default)
            shape.Add(probe.GetArrayLength());
        var values = new List<double>();
        Collect(e, 0);
        return new TensorData([.. values], [.. shape]);

        void Collect(JsonElement item, int depth)
        {
            if (depth == shape.Count)
            {
                values.Add(Number(item, where));
                return;
            }
            if (item.ValueKind != JsonValueKind.Array || item.GetArrayLength() != shape[depth])
                throw new FormatException($"{where}: not a rectangular list of shape [{string.Join(", ", shape)}]");
            foreach (var child in item.EnumerateArray()) Collect(child, depth + 1);
        }
    }

    /// <summary>A number, or one of the strings "NaN", "Infinity", "-Infinity" with which both sides write non-finite values.</summary>
    public static double Number(JsonElement item, string where) => item.ValueKind switch
    {
        JsonValueKind.Number => item.GetDouble(),
        JsonValueKind.String when item.GetString() is "NaN" => double.NaN,
        JsonValueKind.String when item.GetString() is "Infinity" => double.PositiveInfinity,
        JsonValueKind.String when item.GetString() is "-Infinity" => double.NegativeInfinity,
        _ => throw new FormatException($"{where}: expected a number, got {item.GetRawText()}"),
    };

    /// <summary>"[1][0][2]" for a flat index.</summary>
    public string Index(int flat)
    {
        if (Shape.Length == 0) return "";
        var idx = new int[Shape.Length];
        for (int d = Shape.Length - 1; d >= 0; d--) { idx[d] = flat % Shape[d]; flat /= Shape[d]; }
        return "[" + string.Join("][", idx) + "]";
    }
}

/// <summary>The layout of `backprop grad` and of tests/torch/reference.py: loss, output, named gradients, input gradient.</summary>
internal sealed record GradResult(double Loss, TensorData Output, IReadOnlyList<(string Name, TensorData Grad)> Grads, TensorData InputGrad)
{
    /// <summary>"buffers" (training mode: the running statistics after the forward pass), when present.</summary>
    public IReadOnlyList<(string Name, TensorData Value)> Buffers { get; init; } = [];

    public static GradResult Parse(string json, string where)
    {
        using var doc = JsonDocument.Parse(json);
        return Parse(doc.RootElement, where);
    }

    public static GradResult Parse(JsonElement root, string where)
    {
        if (root.TryGetProperty("error", out var error)) throw new FormatException($"{where}: {error.GetString()}");
        var grads = root.GetProperty("grads").EnumerateObject().Select(p => (p.Name, TensorData.Parse(p.Value, $"{where}: grads.{p.Name}"))).ToList();
        return new GradResult(
            TensorData.Number(root.GetProperty("loss"), $"{where}: loss"),
            TensorData.Parse(root.GetProperty("output"), $"{where}: output"),
            grads,
            TensorData.Parse(root.GetProperty("input_grad"), $"{where}: input_grad"))
        {
            Buffers = root.TryGetProperty("buffers", out var buffers)
                ? buffers.EnumerateObject().Select(p => (p.Name, TensorData.Parse(p.Value, $"{where}: buffers.{p.Name}"))).ToList()
                : [],
        };
    }

    /// <summary>Every tensor with the name the report uses for it, loss first.</summary>
    public IEnumerable<(string Name, TensorData Tensor)> Tensors()
    {
        yield return ("loss", new TensorData([Loss], []));
        yield return ("output", Output);
        foreach (var (name, grad) in Grads) yield return ($"grads.{name}", grad);
        yield return ("input_grad", InputGrad);
        foreach (var (name, value) in Buffers) yield return ($"buffers.{name}", value);
    }
}

/// <summary>
/// Compares results number by number: a pair (a, b) agrees when |a − b| ≤ rel·max(|a|, |b|) + floor, where floor is
/// <paramref name="abs"/>, or with <paramref name="floorScalesWithTensor"/> abs·max(1, largest |b| of the same tensor).
/// Keeps the worst pair by that measure, the worst plain relative error where the relative term dominates the
/// floor (max(|a|, |b|) ≥ floor/rel), and the first disagreements.
/// </summary>
internal sealed class Agreement(string what, string actualName, string expectedName, double rel, double abs, bool floorScalesWithTensor = false)
{
    private readonly List<string> _failures = [];
    private readonly Dictionary<string, (int Count, double Ratio, string At)> _failedCases = [];

    public int Numbers { get; private set; }
    public int Failures { get; private set; }

    /// <summary>|a − b| / (rel·max + abs): at most 1 for agreement.</summary>
    public double WorstRatio { get; private set; }
    public string WorstRatioAt { get; private set; } = "(none)";

    public double WorstRelative { get; private set; }
    public string WorstRelativeAt { get; private set; } = "(none)";

    /// <summary>The largest |a − b| among numbers below abs/rel, where only the floor applies.</summary>
    public double WorstAbsoluteBelowFloor { get; private set; }

    public void Compare(string caseName, GradResult actual, GradResult expected)
    {
        var a = actual.Tensors().ToList();
        var e = expected.Tensors().ToList();
        var aNames = a.Select(t => t.Name).ToList();
        var eNames = e.Select(t => t.Name).ToList();
        if (!aNames.SequenceEqual(eNames))
        {
            Fail($"{caseName}: tensors differ: {actualName} has {string.Join(", ", aNames)}; {expectedName} has {string.Join(", ", eNames)}");
            return;
        }
        for (int t = 0; t < a.Count; t++)
        {
            string name = a[t].Name;
            TensorData x = a[t].Tensor, y = e[t].Tensor;
            if (!x.Shape.SequenceEqual(y.Shape))
            {
                Fail($"{caseName}: {name}: shape [{string.Join(", ", x.Shape)}] from {actualName}, [{string.Join(", ", y.Shape)}] from {expectedName}");
                continue;
            }
            double floor = floorScalesWithTensor ? abs * Math.Max(1, y.Values.Select(Math.Abs).DefaultIfEmpty(0).Max()) : abs;
            for (int i = 0; i < x.Values.Length; i++)
            {
                double u = x.Values[i], v = y.Values[i];
                if (!double.IsFinite(u) || !double.IsFinite(v))
                {
                    // NaN and infinities must match exactly: both NaN, or the same infinity.
                    Numbers++;
                    if (!(double.IsNaN(u) && double.IsNaN(v) || u == v))
                        Fail($"{caseName}: {name}{x.Index(i)}: {actualName} {R(u)}, {expectedName} {R(v)} (non-finite values must match)");
                    continue;
                }
                double scale = Math.Max(Math.Abs(u), Math.Abs(v)), diff = Math.Abs(u - v);
                double ratio = diff / (rel * scale + floor);
                string at = $"{caseName}: {name}{x.Index(i)}: {actualName} {R(u)}, {expectedName} {R(v)}, |diff| {diff:G3}";
                Numbers++;
                if (!(ratio <= WorstRatio)) { WorstRatio = ratio; WorstRatioAt = at; }
                if (scale >= floor / rel)
                {
                    double relative = diff / scale;
                    if (relative > WorstRelative) { WorstRelative = relative; WorstRelativeAt = at; }
                }
                else WorstAbsoluteBelowFloor = Math.Max(WorstAbsoluteBelowFloor, diff);
                if (!(ratio <= 1))
                {
                    Fail(at);
                    var (count, worst, worstAt) = _failedCases.GetValueOrDefault(caseName, (0, 0.0, ""));
                    _failedCases[caseName] = ratio > worst ? (count + 1, ratio, at) : (count + 1, worst, worstAt);
                }
            }
        }
    }

    private void Fail(string message)
    {
        Failures++;
        if (_failures.Count < 20) _failures.Add(message);
    }

    public string Summary() =>
        $"{what}: {Numbers} numbers compared, {Failures} outside |a-b| <= {rel:G2}*max(|a|,|b|) + {abs:G2}{(floorScalesWithTensor ? "*max(1, max|tensor|)" : "")}\n" +
        $"  worst relative error (where max(|a|,|b|) >= floor/{rel:G2}): {WorstRelative:G3} at {WorstRelativeAt}\n" +
        $"  worst |a-b| below that: {WorstAbsoluteBelowFloor:G3}\n" +
        $"  worst |a-b| / tolerance: {WorstRatio:G3} at {WorstRatioAt}";

    public string FailureReport() =>
        Summary() +
        $"\n  cases with disagreements ({_failedCases.Count}), each with its count and worst number:\n    " +
        string.Join("\n    ", _failedCases.Select(c => $"{c.Value.Count} numbers, worst {c.Value.At}")) +
        "\n  disagreements" + (Failures > _failures.Count ? $" (first {_failures.Count} of {Failures})" : "") + ":\n    " +
        string.Join("\n    ", _failures);

    private static string R(double v) => v.ToString("R", CultureInfo.InvariantCulture);
}
