namespace Backprop.Diagnostics;

/// <summary>What a <see cref="Jacobian"/> differentiates: the model's (or a layer's) output, or the loss.</summary>
public enum JacobianOf
{
    /// <summary>The output of one example: one row per output element (ŷ₁, ŷ₂, …).</summary>
    Output,

    /// <summary>
    /// The loss of one example alone, loss(ŷₖ, yₖ): one row, the example's gradient. Every loss here averages over the
    /// batch, so the batch's loss is the mean of these.
    /// </summary>
    Loss,
}
