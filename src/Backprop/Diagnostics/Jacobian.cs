using System.Numerics;
using System.Text;
using Backprop.Data;
using Backprop.Layers;
using Backprop.Losses;
using Backprop.Models;
using Backprop.Tensors;

namespace Backprop.Diagnostics;

/// <summary>
/// The Jacobian of one example, as torch.autograd.functional.jacobian and JAX's jacrev define it: output elements
/// first (rows), then input elements (columns); parameters flattened in state_dict order, row-major, as
/// torch.nn.utils.parameters_to_vector. Always per example, never the block-diagonal Jacobian of the whole batch
/// (pytorch/pytorch #37129): the other examples of the batch are held fixed, which matters only where the batch
/// couples them (batch normalisation in training mode).
/// <para>
/// Row j is what the model's own Backward returns for the upstream gradient e_j (a one at output j of the example,
/// zeros elsewhere): one forward and one backward pass per output element, through <see cref="Sequential{T}"/> or,
/// for a layer's local Jacobian, through that layer's Backward. The model's dropout generator restarts before each
/// pass, so every row sees the same mask (as <see cref="GradientCheck"/> does). The model passed in is not changed.
/// </para>
/// <code>
/// var j = Jacobian.Compute(model, batch, new JacobianRequest { Layer = 0 });   // a linear layer: its weight
/// Console.WriteLine(JacobianWriter.Write([j], "text", 4));
/// </code>
/// </summary>
public static class Jacobian
{
    public const double DefaultStep = GradientCheck.DefaultStep;

    /// <summary>The most entries (rows × columns) one Jacobian may have: 50 million doubles are 400 MB.</summary>
    public const long MaxEntries = 50_000_000;

    /// <summary>The Jacobian of example <see cref="JacobianRequest.Example"/>; <paramref name="loss"/> is needed for <see cref="JacobianOf.Loss"/>.</summary>
    public static JacobianMatrix Compute<T>(Sequential<T> model, Batch<T> batch, JacobianRequest request, Loss<T>? loss = null)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        new Passes<T>(model, batch, request, loss).Analytic(request.Example);

    /// <summary>The Jacobian of every example of the batch, in order (<see cref="JacobianRequest.Example"/> is ignored).</summary>
    public static IReadOnlyList<JacobianMatrix> ComputeAll<T>(Sequential<T> model, Batch<T> batch, JacobianRequest request, Loss<T>? loss = null)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var passes = new Passes<T>(model, batch, request with { Example = 0 }, loss);
        return Enumerable.Range(0, batch.X.Shape[0]).Select(passes.Analytic).ToList();
    }

    /// <summary>
    /// The Jacobian of example <see cref="JacobianRequest.Example"/> against central differences in float64: each
    /// column by nudging its input element (or parameter entry) by ±<paramref name="step"/> and running the forward
    /// pass again, with the same dropout masks.
    /// </summary>
    public static JacobianCheck Check(Sequential<double> model, Batch<double> batch, JacobianRequest request, Loss<double>? loss = null, double step = DefaultStep)
    {
        if (!(step > 0 && step < 1)) throw new BackpropException($"finite-difference step: expected a number in (0, 1), got {step}");
        var passes = new Passes<double>(model, batch, request, loss);
        var analytic = passes.Analytic(request.Example);
        var numeric = passes.Numeric(request.Example, step);
        double maxAbs = 0, maxRel = 0;
        bool passed = true;
        for (int i = 0; i < analytic.Values.Length; i++)
        {
            double a = analytic.Values[i], n = numeric.Values[i];
            double error = Math.Abs(a - n), scale = Math.Max(Math.Abs(a), Math.Abs(n));
            maxAbs = Math.Max(maxAbs, error);
            if (scale > 0) maxRel = Math.Max(maxRel, error / scale);
            if (!(error <= GradientCheck.AbsoluteTolerance + GradientCheck.RelativeTolerance * scale)) passed = false;
        }
        return new JacobianCheck(analytic, numeric, step, maxAbs, maxRel, passed);
    }

    /// <summary>
    /// The passes for one request on a copy of the model: which tensor the columns are (the input or parameters), the
    /// layer's input when the request is for one layer, and the generator state every pass starts from.
    /// </summary>
    private sealed class Passes<T> where T : unmanaged, IFloatingPointIeee754<T>
    {
        private readonly Sequential<T> _model;
        private readonly JacobianRequest _request;
        private readonly Loss<T>? _loss;
        private readonly Tensor<T> _x, _y;
        private readonly int _n, _outSize, _inSize, _rows, _columns;
        private readonly int[] _outShape, _inShape;
        private readonly List<(string Name, Parameter<T> Parameter)> _parameters = [];
        private readonly ulong[] _generator;
        /// <summary>For a layer: what goes into it (the output of the layers before it), fixed for every pass.</summary>
        private readonly Tensor<T>? _layerInput;
        private readonly string _outName, _inName;

        public Passes(Sequential<T> model, Batch<T> batch, JacobianRequest request, Loss<T>? loss)
        {
            _request = request;
            _loss = loss;
            _model = model.Clone();
            _x = batch.X.Clone();
            _y = batch.Y;
            _n = _x.Shape[0];
            CheckExample(request.Example);
            int layerCount = _model.Layers.Count;
            if (request.Layer is int i && (i < 0 || i >= layerCount))
                throw new BackpropException(layerCount == 0
                    ? $"layer {i} is out of range: the model has no layers"
                    : $"layer {i} is out of range: the model has {layerCount} layers (0 to {layerCount - 1})");
            if (request.Of == JacobianOf.Loss)
            {
                if (loss is null) throw new BackpropException("the Jacobian of the loss needs a loss");
                if (request.Layer is not null)
                    throw new BackpropException("a layer's local Jacobian is of its output: the loss is a function of the whole model's output (take the output, or no layer)");
            }

            // Rows: the output of one example; columns: the input of one example, or parameters.
            var layer = request.Layer is int li ? _model.Layers[li] : null;
            _outShape = layer?.OutputShape ?? _model.OutputShape;
            _outSize = Tensor.SizeOf(_outShape);
            bool last = request.Layer is null || request.Layer == layerCount - 1;
            _outName = last ? "ŷ" : $"h{Superscript(request.Layer!.Value + 1)}";
            _inName = request.Layer is null or 0 ? "x" : $"h{Superscript(request.Layer.Value)}";
            var available = request.Layer is int pi
                ? _model.Layers[pi].Parameters.Select(p => ($"{pi}.{p.Name}", p)).ToList()
                : _model.NamedParameters.ToList();
            string owner = layer is null ? "the model" : $"layer {request.Layer} ({layer.Type})";
            if (request.Wrt == JacobianRequest.Input)
            {
                _inShape = layer?.InputShape ?? _model.InputShape;
            }
            else if (request.Wrt == JacobianRequest.Params)
            {
                if (available.Count == 0) throw new BackpropException($"wrt params: {owner} has no parameters");
                _parameters.AddRange(available);
                _inShape = [_parameters.Sum(p => p.Parameter.Value.Length)];
            }
            else
            {
                var named = available.Where(p => p.Item1 == request.Wrt).ToList();
                if (named.Count == 0)
                    throw new BackpropException($"wrt '{request.Wrt}' is neither input, params nor a parameter of {owner}" +
                        (available.Count == 0 ? $" ({owner} has no parameters)" : $"; its parameters: {string.Join(", ", available.Select(p => p.Item1))}"));
                _parameters.AddRange(named);
                _inShape = [named[0].Item2.Value.Length];
            }
            _inSize = Tensor.SizeOf(_inShape);
            _rows = request.Of == JacobianOf.Loss ? 1 : _outSize;
            _columns = _inSize;
            if ((long)_rows * _columns > MaxEntries)
                throw new BackpropException($"the Jacobian would have {_rows} × {_columns} = {(long)_rows * _columns} entries, more than {MaxEntries}; take it with respect to one parameter, or of one layer");

            // Every pass starts the generator where the caller's model has it; a layer's passes start after the
            // layers before it, which run once.
            ulong[] start = _model.Context.Generator.State;
            if (request.Layer is int l)
            {
                _model.Context.Generator.State = start;
                _layerInput = l == 0 ? _x : _model.Forward(_x, upTo: l - 1).Clone();
            }
            _generator = _model.Context.Generator.State;
        }

        private void CheckExample(int k)
        {
            if (k < 0 || k >= _n)
                throw new BackpropException($"example index {k} is out of range: the data has {_n} example{(_n == 1 ? "" : "s")} (0 to {_n - 1})");
        }

        private Tensor<T> Forward()
        {
            _model.Context.Generator.State = _generator;
            return _request.Layer is int i ? _model.Layers[i].Forward(_layerInput!) : _model.Forward(_x);
        }

        private Tensor<T> Backward(Tensor<T> outputGrad) =>
            _request.Layer is int i ? _model.Layers[i].Backward(outputGrad) : _model.Backward(outputGrad);

        /// <summary>One row of the Jacobian of example k: what the backward pass of <paramref name="outputGrad"/> gives the columns' tensor.</summary>
        private void Row(int k, Tensor<T> outputGrad, Span<double> row)
        {
            _model.ZeroGrad();
            var inputGrad = Backward(outputGrad);
            if (_parameters.Count == 0)
            {
                var span = inputGrad.Span.Slice(k * _inSize, _inSize);
                for (int c = 0; c < _inSize; c++) row[c] = double.CreateChecked(span[c]);
                return;
            }
            int at = 0;
            foreach (var (_, p) in _parameters)
            {
                var grad = p.Grad.Span;
                for (int c = 0; c < grad.Length; c++) row[at + c] = double.CreateChecked(grad[c]);
                at += grad.Length;
            }
        }

        public JacobianMatrix Analytic(int k)
        {
            CheckExample(k);
            var values = new double[_rows * _columns];
            if (_request.Of == JacobianOf.Loss)
            {
                var output = Forward();
                Row(k, LossGrad(output, k), values);
            }
            else
            {
                Tensor<T>? unit = null;
                for (int j = 0; j < _outSize; j++)
                {
                    var output = Forward();
                    unit ??= new Tensor<T>((int[])output.Shape.Clone());
                    unit.Clear();
                    unit[k * _outSize + j] = T.One;
                    Row(k, unit, values.AsSpan(j * _columns, _columns));
                }
            }
            return Finish(k, values);
        }

        /// <summary>Central differences, column by column: the tensor entry behind the column nudged by ±h.</summary>
        public JacobianMatrix Numeric(int k, double step)
        {
            CheckExample(k);
            var values = new double[_rows * _columns];
            T h = T.CreateChecked(step);
            for (int c = 0; c < _columns; c++)
            {
                var (tensor, index) = Entry(k, c);
                T original = tensor[index];
                tensor[index] = original + h;
                double[] plus = Values(k);
                tensor[index] = original - h;
                double[] minus = Values(k);
                tensor[index] = original;
                for (int r = 0; r < _rows; r++) values[r * _columns + c] = (plus[r] - minus[r]) / (2 * step);
            }
            return Finish(k, values);
        }

        /// <summary>The tensor and flat index that column c of example k stands for.</summary>
        private (Tensor<T> Tensor, int Index) Entry(int k, int c)
        {
            if (_parameters.Count == 0) return (_layerInput ?? _x, k * _inSize + c);
            foreach (var (_, p) in _parameters)
            {
                if (c < p.Value.Length) return (p.Value, c);
                c -= p.Value.Length;
            }
            throw new InvalidOperationException("column out of range");
        }

        /// <summary>What the rows are, for example k, after a forward pass: its output elements, or its loss.</summary>
        private double[] Values(int k)
        {
            var output = Forward();
            if (_request.Of == JacobianOf.Loss)
            {
                var (prediction, target) = Slice(output, k);
                return [double.CreateChecked(_loss!.Forward(prediction, target))];
            }
            var row = new double[_outSize];
            var span = output.Span.Slice(k * _outSize, _outSize);
            for (int j = 0; j < _outSize; j++) row[j] = double.CreateChecked(span[j]);
            return row;
        }

        /// <summary>The upstream gradient for the loss of example k alone: dℓₖ/dŷₖ in its row, zeros elsewhere.</summary>
        private Tensor<T> LossGrad(Tensor<T> output, int k)
        {
            var (prediction, target) = Slice(output, k);
            _loss!.Forward(prediction, target);
            var grad = new Tensor<T>((int[])output.Shape.Clone());
            _loss.Backward().Span.CopyTo(grad.Span.Slice(k * _outSize, _outSize));
            return grad;
        }

        /// <summary>Example k's output and target as a batch of one.</summary>
        private (Tensor<T> Prediction, Tensor<T> Target) Slice(Tensor<T> output, int k)
        {
            var prediction = new Tensor<T>(output.Span.Slice(k * _outSize, _outSize).ToArray(), Tensor.Batched(1, _outShape));
            int size = _y.Length / _n;
            var target = new Tensor<T>(_y.Span.Slice(k * size, size).ToArray(), [1, .. _y.Shape.AsSpan(1)]);
            return (prediction, target);
        }

        private JacobianMatrix Finish(int k, double[] values)
        {
            var request = _request with { Example = k };
            var rows = _request.Of == JacobianOf.Loss ? ["L"] : Labels(_outName, _outShape);
            var columns = _parameters.Count == 0 ? Labels(_inName, _inShape) : _parameters.SelectMany(p => Labels(p.Name, p.Parameter.Value.Shape, bracketed: true)).ToList();
            string of = _request.Of == JacobianOf.Loss ? "L" : _outName;
            string wrt = _request.Wrt switch
            {
                JacobianRequest.Input => _inName,
                JacobianRequest.Params => "θ",
                string name => $"({name})",
            };
            string title = $"∂{of}/∂{wrt}";
            var candidates = Candidates(k);
            bool single = typeof(T) == typeof(float);
            if (_request.Layout == JacobianLayout.Sheet)
            {
                values = Transpose(values, _rows, _columns);
                (rows, columns) = (columns, rows);
                title = $"({title})ᵀ";
                candidates = candidates.Select(c => c with { Name = c.Name.Contains(' ') ? $"({c.Name})ᵀ" : $"{c.Name}ᵀ", Values = Transpose(c.Values, c.Rows, c.Columns), Rows = c.Columns, Columns = c.Rows }).ToList();
            }
            var structure = JacobianStructure.Describe(values, rows.Count, columns.Count, single, _request.Layout == JacobianLayout.Sheet,
                outputByInput: _request.Of == JacobianOf.Output && _parameters.Count == 0, candidates);
            return new JacobianMatrix(request, title, rows, columns, values, structure, single);
        }

        /// <summary>Matrices the Jacobian may equal, by what the model is: a linear layer's weight, a chain of linear layers' product, softmax's diag(s) − s sᵀ.</summary>
        private List<JacobianStructure.Candidate> Candidates(int k)
        {
            var result = new List<JacobianStructure.Candidate>();
            if (_request.Of != JacobianOf.Output || _request.Wrt != JacobianRequest.Input) return result;
            if (_request.Layer is int i)
            {
                switch (_model.Layers[i])
                {
                    case Linear<T> linear:
                        result.Add(new($"{i}.weight", linear.Weight.Value.ToDoubleArray(), linear.OutFeatures, linear.InFeatures,
                            "a linear layer's Jacobian is its weight W"));
                        break;
                    case Softmax<T>:
                    {
                        // s = the softmax output of example k; ∂sᵢ/∂zⱼ = sᵢ(δᵢⱼ − sⱼ)
                        var output = Forward();
                        var s = output.Span.Slice(k * _outSize, _outSize).ToArray().Select(v => double.CreateChecked(v)).ToArray();
                        var m = new double[_outSize * _outSize];
                        for (int r = 0; r < _outSize; r++)
                            for (int c = 0; c < _outSize; c++)
                                m[r * _outSize + c] = (r == c ? s[r] : 0) - s[r] * s[c];
                        result.Add(new("diag(s) − s sᵀ", m, _outSize, _outSize, "softmax's Jacobian, s its output"));
                        break;
                    }
                }
                return result;
            }
            // Linear layers only (identity and flatten change nothing): the chain rule multiplies their weights.
            var linears = new List<(int Index, Linear<T> Layer)>();
            for (int l = 0; l < _model.Layers.Count; l++)
            {
                switch (_model.Layers[l])
                {
                    case Linear<T> linear: linears.Add((l, linear)); break;
                    case Identity<T> or Flatten<T>: break;
                    default: return result;
                }
            }
            if (linears.Count == 0) return result;
            var (product, rows, cols) = Product(linears);
            string name = string.Join(" · ", linears.AsEnumerable().Reverse().Select(l => $"{l.Index}.weight"));
            if (linears.Count > 1 && BlocksOfIdentity(linears[^1].Layer) is int blocks)
            {
                // The last layer's weight is [I I …]: it adds the row blocks of what the layers before it compute, so the
                // model is a sum of linear maps f₁ + f₂ + … and its Jacobian the sum of theirs, W₁ + W₂ + … (seed 002's f + g).
                var (before, beforeRows, _) = Product(linears.Take(linears.Count - 1).ToList());
                int size = beforeRows / blocks;
                string of = linears.Count == 2 ? $"{linears[0].Index}.weight" : $"({string.Join(" · ", linears.Take(linears.Count - 1).Reverse().Select(l => $"{l.Index}.weight"))})";
                var sum = new double[size * cols];
                for (int b = 0; b < blocks; b++)
                    for (int e = 0; e < size * cols; e++) sum[e] += before[b * size * cols + e];
                string terms = string.Join(" + ", Enumerable.Range(0, blocks).Select(b => $"W{Subscript(b + 1)}"));
                string slices = string.Join(" + ", Enumerable.Range(0, blocks).Select(b => $"{of}[{b * size}:{(b + 1) * size}]"));
                result.Add(new($"{terms} = {slices}", sum, size, cols,
                    $"the last layer's weight [{string.Join(" ", Enumerable.Repeat("I", blocks))}] adds the blocks before it, so the Jacobian of a sum of linear maps is the sum of their weights"));
            }
            result.Add(new(name, product, rows, cols, linears.Count == 1
                ? "a linear layer's Jacobian is its weight W"
                : "linear layers only, so the chain rule multiplies their weights"));
            return result;
        }

        // The product of the linear layers' weights, last first: the Jacobian of the chain.
        private static (double[] Product, int Rows, int Columns) Product(IReadOnlyList<(int Index, Linear<T> Layer)> linears)
        {
            var first = linears[0].Layer;
            double[] product = first.Weight.Value.ToDoubleArray();
            int cols = first.InFeatures, rows = first.OutFeatures;
            foreach (var (_, next) in linears.Skip(1))
            {
                product = MatMul(next.Weight.Value.ToDoubleArray(), next.OutFeatures, rows, product, cols);
                rows = next.OutFeatures;
            }
            return (product, rows, cols);
        }

        // m when the layer's weight is m ≥ 2 identity blocks side by side, [I I … I], and it has no bias; else null.
        private static int? BlocksOfIdentity(Linear<T> layer)
        {
            int rows = layer.OutFeatures, cols = layer.InFeatures;
            if (layer.Bias is not null || cols % rows != 0 || cols / rows < 2) return null;
            var w = layer.Weight.Value;
            for (int r = 0; r < rows; r++)
                for (int c = 0; c < cols; c++)
                    if (w[r * cols + c] != (c % rows == r ? T.One : T.Zero)) return null;
            return cols / rows;
        }
    }

    private static double[] MatMul(double[] a, int rows, int inner, double[] b, int cols)
    {
        var result = new double[rows * cols];
        for (int r = 0; r < rows; r++)
            for (int i = 0; i < inner; i++)
            {
                double air = a[r * inner + i];
                for (int c = 0; c < cols; c++) result[r * cols + c] += air * b[i * cols + c];
            }
        return result;
    }

    private static double[] Transpose(double[] values, int rows, int columns)
    {
        var result = new double[values.Length];
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < columns; c++)
                result[c * rows + r] = values[r * columns + c];
        return result;
    }

    /// <summary>
    /// "x₁", "x₂", … for a vector (1-based, as the sheets write them); "x[0,1,2]" (0-based, as tensors are indexed) for
    /// higher ranks and, always, for parameters ("0.weight[1,0]").
    /// </summary>
    private static List<string> Labels(string name, int[] shape, bool bracketed = false)
    {
        int size = Tensor.SizeOf(shape);
        var labels = new List<string>(size);
        var index = new int[shape.Length];
        for (int flat = 0; flat < size; flat++)
        {
            if (!bracketed && shape.Length == 1) labels.Add(name + Subscript(flat + 1));
            else
            {
                for (int d = shape.Length - 1, rest = flat; d >= 0; d--) { index[d] = rest % shape[d]; rest /= shape[d]; }
                labels.Add($"{name}[{string.Join(",", index)}]");
            }
        }
        return labels;
    }

    private static string Subscript(int n) => Digits(n, "₀₁₂₃₄₅₆₇₈₉");

    /// <summary>"⁽²⁾" for layer 2, as h⁽²⁾ in the sheets.</summary>
    private static string Superscript(int n) => "⁽" + Digits(n, "⁰¹²³⁴⁵⁶⁷⁸⁹") + "⁾";

    private static string Digits(int n, string digits)
    {
        var sb = new StringBuilder();
        foreach (char ch in n.ToString(System.Globalization.CultureInfo.InvariantCulture)) sb.Append(digits[ch - '0']);
        return sb.ToString();
    }
}
