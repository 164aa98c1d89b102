using System.Runtime.CompilerServices;

namespace Backprop.Kernels;

/// <summary>A piece of parallel work: <see cref="Execute"/> is called once for each index of a job, on any thread.</summary>
internal interface IParallelJob
{
    void Execute(int index);
}

/// <summary>
/// The kernels' threads: a small fixed set of worker threads that the calling thread joins, so that a parallel kernel
/// call allocates nothing (Parallel.For allocates about 1.7 KB per call) and never runs more threads than
/// <see cref="MaxThreads"/>.
/// <para>
/// A job is a count of independent indices; the caller and the workers claim indices one at a time until none are
/// left, so a worker that the operating system has not scheduled yet costs nothing (the others take its share).
/// Each index must write its own outputs and compute them the same way whichever thread runs it: then results never
/// depend on the number of threads or on timing. A job started from inside another job, or while another thread's
/// job holds the pool, runs on its caller alone.
/// </para>
/// </summary>
public static class WorkerPool
{
    private static int _maxThreads = Environment.ProcessorCount;

    /// <summary>
    /// Most threads a kernel call may use, the caller included (default <see cref="Environment.ProcessorCount"/>;
    /// values below 1 mean 1). It changes speed only: every kernel's results are bit-identical for any value.
    /// </summary>
    public static int MaxThreads
    {
        get => _maxThreads;
        set => _maxThreads = Math.Max(1, value);
    }

    // The pool is one job at a time: _busy is taken by the caller for the whole job.
    private static int _busy;
    private static readonly object Gate = new();
    private static Thread[] _threads = [];
    private static readonly SemaphoreSlim Wake = new(0);

    // The current job. _state packs (generation << 32 | next index) so that a worker that wakes late can never claim
    // an index of a later job with the earlier job's delegate.
    private static IParallelJob? _job;
    private static int _count;
    private static long _state;
    private const long Closed = 0x7FFFFFFF;
    private static int _done;
    private static Exception? _error;

    [ThreadStatic] private static bool _inJob;
    private static long _workerAllocatedBytes;

    /// <summary>
    /// Bytes the worker threads have allocated so far (up to the end of their last job), for tests that check that a
    /// training step allocates nothing: with <see cref="GC.GetAllocatedBytesForCurrentThread"/> on the caller, it
    /// counts every thread the kernels use and nothing else in the process.
    /// </summary>
    internal static long WorkerAllocatedBytes => Volatile.Read(ref _workerAllocatedBytes);

    /// <summary>Whether this thread is running an index of a job (kernels called from there stay on this thread).</summary>
    internal static bool InJob => _inJob;

    /// <summary>
    /// Runs job.Execute(i) for every i in [0, count) on up to <see cref="MaxThreads"/> threads and returns when all
    /// are done. Rethrows the first exception an index threw.
    /// </summary>
    internal static void Run(IParallelJob job, int count)
    {
        if (count == 1)
        {
            // Nothing to share: the one index may use the pool itself (a batch of one example: its GEMMs go parallel).
            job.Execute(0);
            return;
        }
        int threads = Math.Min(MaxThreads, count);
        if (threads <= 1 || _inJob || Interlocked.CompareExchange(ref _busy, 1, 0) != 0)
        {
            RunInline(job, count);
            return;
        }
        try
        {
            EnsureWorkers(threads - 1);
            // Close the old generation before touching the job's fields, open the new one after (see Work).
            long generation = (Volatile.Read(ref _state) >> 32) + 1;
            Volatile.Write(ref _state, generation << 32 | Closed);
            _job = job;
            _count = count;
            _done = 0;
            _error = null;
            Volatile.Write(ref _state, generation << 32);
            Wake.Release(threads - 1);
            Work();
            var spin = new SpinWait();
            while (Volatile.Read(ref _done) < count) spin.SpinOnce(sleep1Threshold: -1);
            _job = null;
            if (_error is Exception e) System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(e);
        }
        finally
        {
            Volatile.Write(ref _busy, 0);
        }
    }

    private static void RunInline(IParallelJob job, int count)
    {
        bool outer = _inJob;
        _inJob = true;
        try
        {
            for (int i = 0; i < count; i++) job.Execute(i);
        }
        finally
        {
            _inJob = outer;
        }
    }

    /// <summary>Claims and runs indices of the current job until none are left.</summary>
    private static void Work()
    {
        // The job's fields are read between two reads of the same open generation, so they belong to it: the caller
        // closes a generation before changing them.
        long s = Volatile.Read(ref _state);
        if ((s & Closed) == Closed) return;
        IParallelJob? job = Volatile.Read(ref _job);
        int count = Volatile.Read(ref _count);
        long generation = s >> 32;
        if (Volatile.Read(ref _state) >> 32 != generation || job is null) return;
        _inJob = true;
        try
        {
            while (true)
            {
                s = Volatile.Read(ref _state);
                if (s >> 32 != generation) return;
                int i = (int)(s & Closed);
                if (i >= count) return;
                if (Interlocked.CompareExchange(ref _state, s + 1, s) != s) continue;
                try
                {
                    job.Execute(i);
                }
                catch (Exception e)
                {
                    Interlocked.CompareExchange(ref _error, e, null);
                }
                Interlocked.Increment(ref _done);
            }
        }
        finally
        {
            _inJob = false;
        }
    }

    private static void EnsureWorkers(int workers)
    {
        if (_threads.Length >= workers) return;
        lock (Gate)
        {
            var threads = _threads;
            if (threads.Length >= workers) return;
            var grown = new Thread[workers];
            threads.CopyTo(grown, 0);
            for (int i = threads.Length; i < workers; i++)
            {
                grown[i] = new Thread(WorkerLoop) { IsBackground = true, Name = $"Backprop kernel worker {i + 1}" };
                grown[i].Start();
            }
            _threads = grown;
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void WorkerLoop()
    {
        while (true)
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            Wake.Wait();
            Work();
            long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            if (allocated != 0) Interlocked.Add(ref _workerAllocatedBytes, allocated);
        }
    }
}
