namespace Backprop.Autodiff;

/// <summary>
/// A scalar in a computational graph, micrograd-style: its value, the gradient d(output)/d(this) that
/// <see cref="Backward"/> accumulates into it, the operands it was computed from and the operator that did it.
/// Every operator below computes its result and, right next to it, the local backward step that pushes the
/// result's gradient to its operands (the chain rule, one edge at a time): for c = a·b, ∂c/∂a = b and ∂c/∂b = a,
/// so a.Grad += b · c.Grad and b.Grad += a · c.Grad.
/// <para>
/// Gradients are accumulated with +=, which is what makes a value used twice (x in x + x, or x in both x·y and
/// x + x) receive the sum over its uses. It is for teaching and for second opinions on the layers, not for speed.
/// </para>
/// <example><code>
/// var x = new Value(1, "x"); var y = new Value(2, "y"); var z = new Value(3, "z");
/// var a = x * y + z; var b = (x + x) * a; var w = a * b;   // seed 001, 1.5(b)
/// w.Backward();                                           // w = 50, x.Grad = 90, y.Grad = 20, z.Grad = 20
/// </code></example>
/// </summary>
public sealed class Value
{
    private static readonly Value[] NoOperands = [];

    // The local backward step of the operator that made this value; a leaf has none.
    private readonly Action? _backward;

    /// <summary>A leaf: an input (with a label) or a constant (without).</summary>
    public Value(double data, string? label = null) : this(data, NoOperands, "", null) => Label = label;

    private Value(double data, Value[] operands, string op, Action<Value>? backward)
    {
        Data = data;
        Operands = operands;
        Op = op;
        if (backward is not null) _backward = () => backward(this);
    }

    /// <summary>The value computed in the forward pass.</summary>
    public double Data { get; }

    /// <summary>d(output)/d(this), accumulated by <see cref="Backward"/> (0 until then).</summary>
    public double Grad { get; set; }

    /// <summary>
    /// The values this one was computed from, in operand order; a value used twice appears twice
    /// (x + x has operands [x, x]), so that a picture of the graph shows both edges.
    /// </summary>
    public IReadOnlyList<Value> Operands { get; }

    /// <summary>
    /// The operator that made this value: "+", "-", "*", "/", "neg", "^p" (e.g. "^2"), "exp", "log", "tanh",
    /// "relu", "sigmoid", "=" (a copy under a new name); "" for a leaf.
    /// </summary>
    public string Op { get; }

    /// <summary>The variable's name (x, a, w), or null for a constant or an unnamed intermediate.</summary>
    public string? Label { get; set; }

    /// <summary>A leaf without a label: a number written in an expression.</summary>
    public bool IsConstant => Operands.Count == 0 && Label is null;

    public static implicit operator Value(double data) => new(data);

    /// <summary>c = a + b; ∂c/∂a = 1, ∂c/∂b = 1.</summary>
    public static Value operator +(Value a, Value b) => new(a.Data + b.Data, [a, b], "+", c =>
    {
        a.Grad += c.Grad;
        b.Grad += c.Grad;
    });

    /// <summary>c = a − b; ∂c/∂a = 1, ∂c/∂b = −1.</summary>
    public static Value operator -(Value a, Value b) => new(a.Data - b.Data, [a, b], "-", c =>
    {
        a.Grad += c.Grad;
        b.Grad -= c.Grad;
    });

    /// <summary>c = a · b; ∂c/∂a = b, ∂c/∂b = a.</summary>
    public static Value operator *(Value a, Value b) => new(a.Data * b.Data, [a, b], "*", c =>
    {
        a.Grad += b.Data * c.Grad;
        b.Grad += a.Data * c.Grad;
    });

    /// <summary>c = a / b; ∂c/∂a = 1/b, ∂c/∂b = −a/b².</summary>
    public static Value operator /(Value a, Value b) => new(a.Data / b.Data, [a, b], "/", c =>
    {
        a.Grad += c.Grad / b.Data;
        b.Grad -= a.Data / (b.Data * b.Data) * c.Grad;
    });

    /// <summary>c = −a; ∂c/∂a = −1.</summary>
    public static Value operator -(Value a) => new(-a.Data, [a], "neg", c => a.Grad -= c.Grad);

    /// <summary>c = aᵖ for a constant p; ∂c/∂a = p·aᵖ⁻¹.</summary>
    public Value Pow(double p) => new(Math.Pow(Data, p), [this], "^" + NumberFormat.RoundTrip(p), c =>
        Grad += p * Math.Pow(Data, p - 1) * c.Grad);

    /// <summary>c = eᵃ; ∂c/∂a = eᵃ = c.</summary>
    public Value Exp() => new(Math.Exp(Data), [this], "exp", c => Grad += c.Data * c.Grad);

    /// <summary>c = ln a; ∂c/∂a = 1/a.</summary>
    public Value Log() => new(Math.Log(Data), [this], "log", c => Grad += c.Grad / Data);

    /// <summary>c = tanh a; ∂c/∂a = 1 − c².</summary>
    public Value Tanh() => new(Math.Tanh(Data), [this], "tanh", c => Grad += (1 - c.Data * c.Data) * c.Grad);

    /// <summary>c = max(0, a); ∂c/∂a = 1 where a &gt; 0, else 0 (0 at the kink, as PyTorch and the ReLU layer).</summary>
    public Value Relu() => new(Data > 0 ? Data : 0, [this], "relu", c =>
    {
        if (Data > 0) Grad += c.Grad;
    });

    /// <summary>c = σ(a) = 1 / (1 + e⁻ᵃ); ∂c/∂a = c(1 − c).</summary>
    public Value Sigmoid() => new(SpecialFunctions.Logistic(Data), [this], "sigmoid", c => Grad += c.Data * (1 - c.Data) * c.Grad);

    /// <summary>c = a under another name (for w = a): ∂c/∂a = 1.</summary>
    public Value Copy(string label) => new(Data, [this], "=", c => Grad += c.Grad) { Label = label };

    /// <summary>
    /// Back-propagates from this value: sets d(this)/d(this) = 1, then visits the graph once in reverse
    /// topological order (every value after all the values computed from it), each operator adding its
    /// operands' share of its gradient. As in PyTorch, leaves (inputs, constants) accumulate over passes, so call
    /// <see cref="ZeroGrad"/> between passes; computed values start each pass from 0 (their gradients belong to it).
    /// </summary>
    public void Backward()
    {
        var order = Topological();
        foreach (var v in order)
            if (v.Operands.Count > 0) v.Grad = 0;
        Grad = 1;
        for (int i = order.Count - 1; i >= 0; i--) order[i]._backward?.Invoke();
    }

    /// <summary>
    /// The local derivatives ∂this/∂operand of the operator that made this value, one per distinct operand in order of
    /// first use (x + x gives one entry, ∂c/∂x = 2): the operator's own backward step run with an upstream gradient of
    /// 1. The gradients are left as they were. Empty for a leaf.
    /// </summary>
    public IReadOnlyList<(Value Operand, double Derivative)> LocalDerivatives()
    {
        if (_backward is null) return [];
        var distinct = Operands.Distinct(ReferenceEqualityComparer.Instance).Cast<Value>().ToList();
        var saved = distinct.Select(v => v.Grad).ToList();
        double own = Grad;
        foreach (var v in distinct) v.Grad = 0;
        Grad = 1;
        _backward();
        var result = distinct.Select(v => (v, v.Grad)).ToList();
        for (int i = 0; i < distinct.Count; i++) distinct[i].Grad = saved[i];
        Grad = own;
        return result;
    }

    /// <summary>Sets the gradient of this value and of every value it was computed from to 0.</summary>
    public void ZeroGrad()
    {
        foreach (var v in Topological()) v.Grad = 0;
    }

    /// <summary>
    /// This value and every value it depends on, each once, operands before the values made from them
    /// (depth-first, operands in order, so inputs appear in the order they are first used).
    /// </summary>
    public IReadOnlyList<Value> Topological()
    {
        var order = new List<Value>();
        var visited = new HashSet<Value>(ReferenceEqualityComparer.Instance);
        // Iterative post-order depth-first search: deep expressions cannot overflow the stack.
        var stack = new Stack<(Value Node, int Next)>();
        stack.Push((this, 0));
        visited.Add(this);
        while (stack.Count > 0)
        {
            var (node, next) = stack.Pop();
            if (next < node.Operands.Count)
            {
                stack.Push((node, next + 1));
                var operand = node.Operands[next];
                if (visited.Add(operand)) stack.Push((operand, 0));
            }
            else
            {
                order.Add(node);
            }
        }
        return order;
    }

    public override string ToString() =>
        $"{Label ?? (Operands.Count == 0 ? "const" : Op)}: value {NumberFormat.RoundTrip(Data)}, grad {NumberFormat.RoundTrip(Grad)}";
}
