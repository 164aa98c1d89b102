using Backprop.Tests.Support;
using Backprop.Architectures;
using Backprop.Data;
using Backprop.Kernels;
using Backprop.Losses;
using Backprop.Models;
using Backprop.Optimizers;
using Backprop.Training;

namespace Backprop.Tests.Training;

/// <summary>
/// What a training step costs besides arithmetic: no allocation once warm, and the same weights bit for bit whatever
/// the number of kernel threads. In a collection of its own that runs alone, because both read or set process-wide
/// state (allocated bytes across all threads, <see cref="WorkerPool.MaxThreads"/>).
/// </summary>
[Collection(nameof(KernelThreadsCollection))]
public class TrainingStepTests
{
    private static Dataset Synthetic(int count, ulong seed)
    {
        var rng = new Random((int)seed);
        var features = new float[count * 784];
        for (int i = 0; i < features.Length; i++) features[i] = (float)rng.NextDouble();
        var labels = new int[count];
        for (int i = 0; i < count; i++) labels[i] = rng.Next(10);
        return new Dataset(features, [1, 28, 28], labels, 10);
    }

    private static Trainer<float> NewTrainer(string arch)
    {
        var model = ModelFile.Build<float>(ModelFile.Parse(Architecture.ModelText(arch), arch), arch);
        return new Trainer<float>(model, new CrossEntropyLoss<float>(), new SGD<float>(model.NamedParameters, 0.05, momentum: 0.9));
    }

    /// <summary>Bytes allocated by this thread and by the kernels' worker threads.</summary>
    private static long Allocated() => GC.GetAllocatedBytesForCurrentThread() + WorkerPool.WorkerAllocatedBytes;

    /// <summary>
    /// Bytes allocated during one epoch of 2 steps and one of 6 steps, once warm, by every thread a step runs on (this
    /// one and the kernels' workers; the test host's own threads allocate as time passes, so they are not counted),
    /// each the fewest over three epochs (see <see cref="Allocations.Fewest"/>): the difference is what 4 steps
    /// allocate, and must be nothing. An epoch itself may allocate a few objects (its shuffling generator).
    /// </summary>
    [Theory]
    [InlineData("mlp")]
    [InlineData("cnn")]
    public void A_training_step_allocates_nothing_once_warm(string arch)
    {
        const int batch = 32;
        Dataset shortEpoch = Synthetic(2 * batch, 1), longEpoch = Synthetic(6 * batch, 2);
        Trainer<float> a = NewTrainer(arch), b = NewTrainer(arch);
        int saved = WorkerPool.MaxThreads;
        try
        {
            WorkerPool.MaxThreads = 2;
            a.TrainEpoch(shortEpoch, 0, batch, 0);
            b.TrainEpoch(longEpoch, 0, batch, 0);
            a.TrainEpoch(shortEpoch, 1, batch, 0);
            b.TrainEpoch(longEpoch, 1, batch, 0);

            long shortBytes = Allocations.Fewest(() => a.TrainEpoch(shortEpoch, 2, batch, 0), Allocated);
            long longBytes = Allocations.Fewest(() => b.TrainEpoch(longEpoch, 2, batch, 0), Allocated);
            Assert.True(longBytes == shortBytes,
                $"{arch}: 4 extra training steps allocated {longBytes - shortBytes} bytes (epochs of 2 and 6 steps: {shortBytes} and {longBytes} bytes on the training threads)");
        }
        finally
        {
            WorkerPool.MaxThreads = saved;
        }
    }

    /// <summary>Every kernel splits its work so that the result cannot depend on the thread count: 1 and 2 threads give the same bits.</summary>
    [Theory]
    [InlineData("mlp", 128)]
    [InlineData("cnn", 40)]
    public void Weights_after_training_are_the_same_with_one_or_two_threads(string arch, int batch)
    {
        var data = Synthetic(3 * batch + 7, 3); // a short last batch too
        int saved = WorkerPool.MaxThreads;
        try
        {
            var weights = new List<float[]>();
            foreach (int threads in new[] { 1, 2 })
            {
                WorkerPool.MaxThreads = threads;
                var trainer = NewTrainer(arch);
                trainer.TrainEpoch(data, 0, batch, 5);
                trainer.TrainEpoch(data, 1, batch, 5);
                weights.Add(trainer.Model.NamedParameters.SelectMany(p => p.Parameter.Value.Data).ToArray());
            }
            Assert.Equal(weights[0].Length, weights[1].Length);
            for (int i = 0; i < weights[0].Length; i++)
                Assert.True(BitConverter.SingleToInt32Bits(weights[0][i]) == BitConverter.SingleToInt32Bits(weights[1][i]),
                    $"{arch}: parameter element {i} is {weights[0][i]:R} with 1 thread, {weights[1][i]:R} with 2");
        }
        finally
        {
            WorkerPool.MaxThreads = saved;
        }
    }
}

[CollectionDefinition(nameof(KernelThreadsCollection), DisableParallelization = true)]
public class KernelThreadsCollection;
