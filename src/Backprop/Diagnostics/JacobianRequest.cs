namespace Backprop.Diagnostics;

/// <summary>
/// Which Jacobian <see cref="Jacobian"/> computes: of what (<see cref="Of"/>), with respect to what (<see cref="Wrt"/>),
/// for which example, of the whole model or of one layer, in which layout.
/// <code>
/// new JacobianRequest { Example = 1, Wrt = "params" }               // ∂ŷ/∂θ of example 1
/// new JacobianRequest { Layer = 3 }                                // the local Jacobian ∂h⁽⁴⁾/∂h⁽³⁾ of layer 3
/// new JacobianRequest { Of = JacobianOf.Loss, Wrt = "0.weight" }  // ∂L/∂(0.weight) flattened: one row
/// </code>
/// </summary>
public sealed record JacobianRequest
{
    /// <summary>The example (row of the batch) whose Jacobian is taken; the rest of the batch is held fixed.</summary>
    public int Example { get; init; }

    /// <summary>
    /// Null: the whole model, input x to output ŷ. A layer index i (0-based, as in <c>trace</c> and in parameter names):
    /// that layer's local Jacobian, ∂(its output h⁽ⁱ⁺¹⁾)/∂(its input h⁽ⁱ⁾), at the values of the forward pass.
    /// </summary>
    public int? Layer { get; init; }

    public JacobianOf Of { get; init; } = JacobianOf.Output;

    /// <summary>
    /// "input" (x, or the layer's input), "params" (every parameter of the model, or of the layer, flattened in state_dict
    /// order, row-major, as torch's parameters_to_vector), or one parameter's state_dict name ("0.weight").
    /// </summary>
    public string Wrt { get; init; } = Input;

    public JacobianLayout Layout { get; init; } = JacobianLayout.Torch;

    /// <summary>The names <see cref="Wrt"/> takes besides parameter names.</summary>
    public const string Input = "input", Params = "params";
}
