using System.Diagnostics;
using Backprop.Architectures;
using Backprop.Data;
using Backprop.Kernels;
using Backprop.Losses;
using Backprop.Models;
using Backprop.Optimizers;
using Backprop.Tensors;
using Backprop.Training;

/// <summary>Training-epoch timing for bench/run.sh (Backprop's side; bench/torch_epoch.py is PyTorch's) and a per-layer profile.</summary>
static class TrainingBench
{
    /// <summary>
    /// One timed epoch of the built-in architecture on Fashion-MNIST: the 60,000 training images scaled by 1/255,
    /// batches of 128, SGD momentum 0.9, lr 0.05, cross-entropy; Trainer.TrainEpoch exactly as `backprop train` runs it.
    /// Data loading and a warm-up epoch on a 2,048-image slice (JIT, buffers, worker threads) come before the clock.
    /// </summary>
    public static void Epoch(string arch, int threads, int limit)
    {
        WorkerPool.MaxThreads = threads;
        var data = DatasetSource.LoadFashionMnist(DataSplit.Train);
        Preprocessing.ScaleToUnit(data);
        if (limit < data.Count)
        {
            var first = new int[limit];
            for (int i = 0; i < limit; i++) first[i] = i;
            data = data.Subset(first);
        }
        var warm = new int[Math.Min(2048, data.Count)];
        for (int i = 0; i < warm.Length; i++) warm[i] = i;
        var slice = data.Subset(warm);

        var model = ModelFile.Build<float>(ModelFile.Parse(Architecture.ModelText(arch), arch), arch);
        var optimizer = new SGD<float>(model.NamedParameters, 0.05, momentum: 0.9);
        var trainer = new Trainer<float>(model, new CrossEntropyLoss<float>(), optimizer);
        trainer.TrainEpoch(slice, 0, 128, 0);

        long allocated = GC.GetTotalAllocatedBytes(precise: true);
        var clock = Stopwatch.StartNew();
        var (loss, accuracy) = trainer.TrainEpoch(data, 1, 128, 0);
        double seconds = clock.Elapsed.TotalSeconds;
        allocated = GC.GetTotalAllocatedBytes(precise: true) - allocated;
        Console.WriteLine($"backprop {arch} threads {WorkerPool.MaxThreads} epoch_seconds {seconds:F3} loss {loss:F4} accuracy {accuracy:F4} " +
            $"allocated_bytes {allocated} gen0 {GC.CollectionCount(0)}");
    }

    /// <summary>
    /// Milliseconds per batch of 128 in each layer's forward and backward, and in the loss and the optimiser: the
    /// fastest of the measured steps (a shared machine slows some steps down, never speeds one up).
    /// </summary>
    public static void Profile(string arch, int threads, int steps)
    {
        WorkerPool.MaxThreads = threads;
        var model = ModelFile.Build<float>(ModelFile.Parse(Architecture.ModelText(arch), arch), arch);
        var optimizer = new SGD<float>(model.NamedParameters, 0.05, momentum: 0.9);
        var loss = new CrossEntropyLoss<float>();
        var rng = new Random(1);
        var x = new Tensor<float>(Tensor.Batched(128, model.InputShape));
        for (int i = 0; i < x.Length; i++) x[i] = (float)rng.NextDouble();
        var y = new Tensor<float>(128);
        for (int i = 0; i < 128; i++) y[i] = rng.Next(10);
        int layers = model.Layers.Count;
        var fwd = new double[layers];
        var bwd = new double[layers];
        var fwdBytes = new long[layers];
        var bwdBytes = new long[layers];
        long lossBytes = 0, stepBytes = 0, zeroBytes = 0;
        double lossTime = double.MaxValue, stepTime = double.MaxValue;
        Array.Fill(fwd, double.MaxValue);
        Array.Fill(bwd, double.MaxValue);
        var sw = new Stopwatch();
        for (int s = -5; s < steps; s++)
        {
            bool count = s >= 0;
            long b0 = GC.GetAllocatedBytesForCurrentThread();
            model.ZeroGrad();
            if (count) zeroBytes += GC.GetAllocatedBytesForCurrentThread() - b0;
            var h = x;
            for (int i = 0; i < layers; i++)
            {
                b0 = GC.GetAllocatedBytesForCurrentThread();
                sw.Restart();
                h = model.Layers[i].Forward(h);
                if (count) fwd[i] = Math.Min(fwd[i], sw.Elapsed.TotalMilliseconds);
                if (count) fwdBytes[i] += GC.GetAllocatedBytesForCurrentThread() - b0;
            }
            b0 = GC.GetAllocatedBytesForCurrentThread();
            sw.Restart();
            loss.Forward(h, y);
            var g = loss.Backward();
            if (count) lossTime = Math.Min(lossTime, sw.Elapsed.TotalMilliseconds);
            if (count) lossBytes += GC.GetAllocatedBytesForCurrentThread() - b0;
            for (int i = layers - 1; i >= 0; i--)
            {
                b0 = GC.GetAllocatedBytesForCurrentThread();
                sw.Restart();
                if (i == 0 || i == 1 && model.Layers[0].Parameters.Count == 0) model.Layers[i].BackwardParameters(g);
                else g = model.Layers[i].Backward(g);
                if (count) bwd[i] = Math.Min(bwd[i], sw.Elapsed.TotalMilliseconds);
                if (count) bwdBytes[i] += GC.GetAllocatedBytesForCurrentThread() - b0;
                if (i == 1 && model.Layers[0].Parameters.Count == 0) break;
            }
            b0 = GC.GetAllocatedBytesForCurrentThread();
            sw.Restart();
            optimizer.Step();
            if (count) stepTime = Math.Min(stepTime, sw.Elapsed.TotalMilliseconds);
            if (count) stepBytes += GC.GetAllocatedBytesForCurrentThread() - b0;
        }
        double total = lossTime + stepTime;
        Console.WriteLine($"{arch}, batch 128, threads {WorkerPool.MaxThreads}, fastest ms of {steps} steps per layer (the machine may be shared), bytes allocated per step:");
        for (int i = 0; i < layers; i++)
        {
            Console.WriteLine($"  {i,2} {model.Layers[i].Type,-10} forward {fwd[i],8:F3}  backward {(bwd[i] == double.MaxValue ? "-" : bwd[i].ToString("F3")),8}   bytes allocated on this thread: {fwdBytes[i] / steps} / {bwdBytes[i] / steps}");
            total += (bwd[i] == double.MaxValue ? 0 : bwd[i]) + fwd[i];
        }
        Console.WriteLine($"  loss {lossTime:F3}  optimiser {stepTime:F3}  total {total:F3}   bytes: zero_grad {zeroBytes / steps} loss {lossBytes / steps} step {stepBytes / steps}");
    }
}
