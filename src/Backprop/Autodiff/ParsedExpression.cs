namespace Backprop.Autodiff;

/// <summary>The graph read by <see cref="ExpressionParser"/>: its inputs, its assigned variables and its output.</summary>
public sealed class ParsedExpression(IReadOnlyList<Value> inputs, IReadOnlyList<Value> variables)
{
    /// <summary>The inputs, in the order given.</summary>
    public IReadOnlyList<Value> Inputs { get; } = inputs;

    /// <summary>The assigned variables, in the order of their statements; the last one is the output.</summary>
    public IReadOnlyList<Value> Variables { get; } = variables;

    /// <summary>The last assigned variable.</summary>
    public Value Output => Variables[^1];

    /// <summary>The inputs and the assigned variables before the output: everything one might want d(output)/d(·) for.</summary>
    public IEnumerable<Value> Named => Inputs.Concat(Variables.Take(Variables.Count - 1));
}
