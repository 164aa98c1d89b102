namespace Backprop.Diagnostics;

/// <summary>How a <see cref="JacobianMatrix"/> is laid out.</summary>
public enum JacobianLayout
{
    /// <summary>
    /// As torch.autograd.functional.jacobian and JAX's jacrev: one row per output element, one column per input element
    /// (numerator layout; a linear layer's Jacobian is its weight [out][in]).
    /// </summary>
    Torch,

    /// <summary>The transpose: one row per input element, one column per output element, as the sheets write weights [in][out].</summary>
    Sheet,
}
