namespace Backprop.Autodiff;

/// <summary>
/// One node of a computational graph, for a page that lets a student click it: its id (<c>n0</c>, <c>n1</c>, ...
/// in topological order, stable for the same expression), name (null for an unnamed intermediate or a constant),
/// operator, value and gradient d(output)/d(node); the local derivatives ∂node/∂operand of its operator; and the chain
/// that reaches it: for each node computed from it, that node's gradient times its local derivative with respect to
/// this one, whose sum is this node's gradient.
/// </summary>
public sealed record GraphNode(
    string Id, string? Label, string Op, double Value, double Grad, int Depth,
    IReadOnlyList<(string Operand, double Derivative)> Local,
    IReadOnlyList<(string Consumer, double ConsumerGrad, double Local, double Product)> Chain);
