using System.Globalization;

namespace Backprop.Models;

/// <summary>
/// Memory a model needs, estimated from its <see cref="ModelLayout"/> before anything is allocated and compared with
/// the memory the runtime may use (<see cref="GC.GetGCMemoryInfo()"/>'s TotalAvailableMemoryBytes: the machine's
/// physical memory, or a container's limit). A model or batch too large for the machine is refused up front with its
/// estimated size, instead of swapping or failing halfway through an allocation.
/// </summary>
public static class MemoryEstimate
{
    /// <summary>The memory the runtime may use, in bytes.</summary>
    public static long Available => GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;

    /// <summary>What building the model allocates: a value and a gradient for every parameter.</summary>
    public static long Model(ModelLayout layout, int elementSize) =>
        TrainingMemory.Saturate((Int128)layout.ParameterCount * 2 * elementSize);

    /// <summary>
    /// What training with mini-batches of <paramref name="batchSize"/> keeps: parameters, their gradients,
    /// <paramref name="optimizerSlots"/> tensors of optimizer state per parameter (1 for SGD with momentum, 2 for Adam),
    /// the convolutions' im2col buffers, and for every example of a batch each layer's output and input gradient.
    /// </summary>
    public static TrainingMemory Training(ModelLayout layout, int elementSize, int batchSize, int optimizerSlots)
    {
        Int128 parameters = (Int128)layout.ParameterCount * elementSize;
        return new TrainingMemory(
            TrainingMemory.Saturate(parameters),
            TrainingMemory.Saturate(parameters),
            TrainingMemory.Saturate(parameters * optimizerSlots),
            TrainingMemory.Saturate((Int128)layout.ScratchElements * elementSize),
            TrainingMemory.Saturate((Int128)layout.ActivationElementsPerExample * batchSize * elementSize),
            batchSize);
    }

    /// <summary>
    /// Throws a <see cref="BackpropException"/> "{what} about {bytes}{detail}, more than the {available} of memory
    /// available{advice}" when <paramref name="bytes"/> exceed <see cref="Available"/>.
    /// </summary>
    public static void Check(long bytes, string what, string detail = "", string advice = "")
    {
        long available = Available;
        if (bytes > available)
            throw new BackpropException($"{what} about {Format(bytes)}{detail}, more than the {Format(available)} of memory available{advice}");
    }

    /// <summary>Bytes in decimal units: "812 bytes", "3.4 MB", "31.5 GB", "2.3 PB".</summary>
    public static string Format(long bytes)
    {
        string[] units = ["bytes", "kB", "MB", "GB", "TB", "PB", "EB"];
        double v = bytes;
        int u = 0;
        while (v >= 1000 && u < units.Length - 1) { v /= 1000; u++; }
        return u == 0 ? $"{bytes} bytes" : string.Create(CultureInfo.InvariantCulture, $"{v:0.#} {units[u]}");
    }
}
