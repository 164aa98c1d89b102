using Backprop.Kernels;
using Backprop.Tests.Training;

namespace Backprop.Tests.Kernels;

[Collection(nameof(KernelThreadsCollection))]
public class WorkerPoolTests
{
    /// <param name="callerWaitsForAWorker">
    /// The calling thread's first index waits (up to 10 s) until another thread has run an index, so a worker is sure
    /// to get a share however busy the machine is; a pool whose workers never help fails after the wait.
    /// </param>
    private sealed class RecordingJob(int count, bool callerWaitsForAWorker = false) : IParallelJob
    {
        public readonly int[] Runs = new int[count];
        public readonly int[] Threads = new int[count];
        public readonly bool[] InJob = new bool[count];
        private readonly int _caller = Environment.CurrentManagedThreadId;
        private readonly ManualResetEventSlim _workerRan = new();
        private int _callerWaited;

        public void Execute(int index)
        {
            Interlocked.Increment(ref Runs[index]);
            Threads[index] = Environment.CurrentManagedThreadId;
            InJob[index] = WorkerPool.InJob;
            if (!callerWaitsForAWorker) return;
            if (Environment.CurrentManagedThreadId != _caller) _workerRan.Set();
            else if (Interlocked.Exchange(ref _callerWaited, 1) == 0) _workerRan.Wait(TimeSpan.FromSeconds(10));
        }
    }

    private static void WithThreads(int threads, Action body)
    {
        int saved = WorkerPool.MaxThreads;
        try
        {
            WorkerPool.MaxThreads = threads;
            body();
        }
        finally
        {
            WorkerPool.MaxThreads = saved;
        }
    }

    [Fact]
    public void Every_index_runs_exactly_once_and_the_workers_take_a_share()
    {
        WithThreads(2, () =>
        {
            var job = new RecordingJob(64, callerWaitsForAWorker: true);
            WorkerPool.Run(job, 64);
            Assert.All(job.Runs, r => Assert.Equal(1, r));
            Assert.All(job.InJob, Assert.True);
            Assert.True(job.Threads.Distinct().Count() == 2, "no worker ran an index within 10 s");
        });
    }

    [Fact]
    public void One_thread_runs_everything_on_the_caller()
    {
        WithThreads(1, () =>
        {
            var job = new RecordingJob(10);
            WorkerPool.Run(job, 10);
            Assert.All(job.Threads, t => Assert.Equal(Environment.CurrentManagedThreadId, t));
        });
    }

    private sealed class NestedJob : IParallelJob
    {
        public readonly RecordingJob[] Inner = [new(5), new(5), new(5), new(5)];
        public void Execute(int index) => WorkerPool.Run(Inner[index], 5);
    }

    [Fact]
    public void A_job_started_inside_a_job_runs_on_that_thread()
    {
        WithThreads(2, () =>
        {
            var job = new NestedJob();
            WorkerPool.Run(job, 4);
            foreach (var inner in job.Inner)
            {
                Assert.All(inner.Runs, r => Assert.Equal(1, r));
                Assert.Single(inner.Threads.Distinct());
            }
        });
    }

    private sealed class FailingJob : IParallelJob
    {
        public void Execute(int index)
        {
            if (index == 3) throw new InvalidOperationException("index 3 failed");
        }
    }

    [Fact]
    public void An_exception_reaches_the_caller_and_the_pool_keeps_working()
    {
        WithThreads(2, () =>
        {
            Assert.Equal("index 3 failed", Assert.Throws<InvalidOperationException>(() => WorkerPool.Run(new FailingJob(), 8)).Message);
            var job = new RecordingJob(16);
            WorkerPool.Run(job, 16);
            Assert.All(job.Runs, r => Assert.Equal(1, r));
        });
    }

    [Fact]
    public void Callers_on_several_threads_each_get_all_their_indices()
    {
        WithThreads(2, () =>
        {
            var jobs = Enumerable.Range(0, 8).Select(_ => new RecordingJob(200)).ToArray();
            Parallel.For(0, jobs.Length, new ParallelOptions { MaxDegreeOfParallelism = 4 }, i =>
            {
                for (int r = 0; r < 50; r++) WorkerPool.Run(jobs[i], 200);
            });
            foreach (var job in jobs) Assert.All(job.Runs, r => Assert.Equal(50, r));
        });
    }
}
