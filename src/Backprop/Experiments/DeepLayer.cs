using Backprop.Diagnostics;

namespace Backprop.Experiments;

/// <summary>
/// Layer l of a pass (l = 1 … 152), in the sheet's notation: the weights w₁⁽ˡ⁾ and w₂⁽ˡ⁾ (in the fully connected
/// variant the diagonal entries W⁽ˡ⁾[1,1] and W⁽ˡ⁾[2,2]; at l = 152 the output node's two weights), pre-activations
/// a, outputs o, dL/do and dL/dw for both units (NaN for unit 2 at l = 152), and the layer's whole weight and weight
/// gradient as the engine holds them ([2] for two chains, [out, in] otherwise).
/// </summary>
public sealed record DeepLayer(int Layer, double W1, double W2, double A1, double A2, double O1, double O2,
    double DLdO1, double DLdO2, double DLdW1, double DLdW2, TensorValue Weight, TensorValue WeightGrad)
{
    /// <summary>The L2 norm of the layer's whole weight gradient.</summary>
    public double WeightGradNorm => GradientFlow.Norm(WeightGrad.Values);
}
