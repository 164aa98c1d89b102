namespace Backprop.Models;

/// <summary>What a training step keeps in memory, in bytes, by kind.</summary>
public sealed record TrainingMemory(long Parameters, long Gradients, long OptimizerState, long Scratch, long Activations, int BatchSize)
{
    public long Total => Saturate((Int128)Parameters + Gradients + OptimizerState + Scratch + Activations);

    /// <summary>"parameters 1.2 MB, gradients 1.2 MB, optimizer state 1.2 MB, activations for a batch of 128: 3.4 MB".</summary>
    public override string ToString()
    {
        string F(long b) => MemoryEstimate.Format(b);
        return $"parameters {F(Parameters)}, gradients {F(Gradients)}, " + (OptimizerState > 0 ? $"optimizer state {F(OptimizerState)}, " : "") +
            (Scratch > 0 ? $"convolution buffers {F(Scratch)}, " : "") + $"activations for a batch of {BatchSize}: {F(Activations)}";
    }

    internal static long Saturate(Int128 bytes) => bytes > long.MaxValue ? long.MaxValue : (long)bytes;
}
