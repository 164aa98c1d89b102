using Backprop.Kernels;

namespace Backprop.Tests.Kernels;

public class ElementwiseJobTests
{
    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(ElementwiseJob.PieceSize)]
    [InlineData(ElementwiseJob.PieceSize + 1)]
    [InlineData(5 * ElementwiseJob.PieceSize - 7)]
    public void Pieces_cover_the_range_once_in_fixed_places(int length)
    {
        var hits = new int[length];
        var starts = new System.Collections.Concurrent.ConcurrentBag<(int Start, int Count)>();
        var job = new ElementwiseJob((start, count) =>
        {
            starts.Add((start, count));
            for (int i = start; i < start + count; i++) Interlocked.Increment(ref hits[i]);
        });
        job.Run(length);
        Assert.All(hits, h => Assert.Equal(1, h));
        // The cut depends on the length alone: pieces start at multiples of PieceSize.
        Assert.All(starts, p => Assert.Equal(0, p.Start % ElementwiseJob.PieceSize));
        Assert.Equal(Math.Max(1, (length + ElementwiseJob.PieceSize - 1) / ElementwiseJob.PieceSize), starts.Count);
    }
}
