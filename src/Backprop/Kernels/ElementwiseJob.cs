namespace Backprop.Kernels;

/// <summary>
/// Element-wise work over [0, length) cut into fixed pieces of <see cref="PieceSize"/> elements, run on the
/// <see cref="WorkerPool"/> (below one piece, on the calling thread alone). Each element is computed by the same code
/// whichever thread takes its piece, so results are the same for any number of threads. Create one per owner (a layer)
/// and reuse it: <see cref="Run"/> allocates nothing.
/// </summary>
public sealed class ElementwiseJob(Action<int, int> execute) : IParallelJob
{
    /// <summary>Elements per piece: below this many one thread does it all.</summary>
    public const int PieceSize = 1 << 15;

    private int _length;

    /// <summary>Calls execute(start, count) for consecutive pieces that together cover [0, <paramref name="length"/>) once.</summary>
    public void Run(int length)
    {
        _length = length;
        int pieces = (length + PieceSize - 1) / PieceSize;
        if (pieces <= 1) execute(0, length);
        else WorkerPool.Run(this, pieces);
    }

    void IParallelJob.Execute(int piece)
    {
        int start = piece * PieceSize;
        execute(start, Math.Min(PieceSize, _length - start));
    }
}
