namespace Backprop.Experiments;

/// <summary>Where the sheet's training loop updates W2 (seed 000, practice problem 1a).</summary>
public enum UpdateOrder
{
    /// <summary>Every gradient from the same weights, then both updates: dO1 = dA2·W2ᵀ uses the W2 of the forward pass.</summary>
    Correct,

    /// <summary>The sheet's loop: <c>W2 -= lr*dW2</c> comes before <c>dO1 = np.dot(dA2, W2.T)</c>, so dO1 (and dW1) use the updated W2.</summary>
    W2First,
}
