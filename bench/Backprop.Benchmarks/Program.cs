using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using System.Diagnostics;
using System.Globalization;
using System.Numerics;
using System.Runtime.Intrinsics;
using Backprop.Kernels;

// GEMM throughput, in GFLOP/s (2·m·n·k per product). Usage:
//   dotnet run -c Release -- gflops [threads]      square SGEMM and DGEMM at 256..2048, all transpositions at 1024
//   dotnet run -c Release -- sgemm [threads]       square SGEMM only, n = 256..2048 (bench/run.sh)
//   dotnet run -c Release -- small [threads]       the engine's small shapes: new code against the simple loops
//   dotnet run -c Release -- epoch mlp|cnn|vgg [--threads 2] [--limit N]   one timed Fashion-MNIST training epoch (bench/run.sh)
//   dotnet run -c Release -- profile mlp|cnn|vgg [--threads 2] [--steps 20]  ms and bytes per layer for a batch of 128
//   dotnet run -c Release -- convparts [C H W K PAD O]  im2col, col2im and the three GEMMs of one convolution, one thread
//   dotnet run -c Release -- bdn [BenchmarkDotNet args]  the BenchmarkDotNet suite (Micro.cs)
//   dotnet run -c Release -- tune KC MC NC [n]     blocking sweep for float and double (internal knobs)
CultureInfo.DefaultThreadCurrentCulture = CultureInfo.InvariantCulture;
string mode = args.Length > 0 ? args[0] : "gflops";
Console.WriteLine($"Vector512 {Vector512.IsHardwareAccelerated}, Vector256 {Vector256.IsHardwareAccelerated}, cores {Environment.ProcessorCount}");
switch (mode)
{
    case "gflops":
    {
        if (args.Length > 1) Gemm.MaxThreads = int.Parse(args[1]);
        Console.WriteLine($"threads {Gemm.MaxThreads}");
        foreach (int n in new[] { 256, 512, 1024, 2048 })
        {
            Console.WriteLine($"SGEMM n={n,4} NN {Bench.Square<float>(n, false, false),7:F1} GFLOP/s");
            Console.WriteLine($"DGEMM n={n,4} NN {Bench.Square<double>(n, false, false),7:F1} GFLOP/s");
        }
        foreach (var (ta, tb) in new[] { (false, false), (false, true), (true, false), (true, true) })
        {
            string name = (ta ? "T" : "N") + (tb ? "T" : "N");
            Console.WriteLine($"SGEMM n=1024 {name} {Bench.Square<float>(1024, ta, tb),7:F1} GFLOP/s");
            Console.WriteLine($"DGEMM n=1024 {name} {Bench.Square<double>(1024, ta, tb),7:F1} GFLOP/s");
        }
        break;
    }
    case "sgemm":
    {
        // bench/run.sh's GEMM line: square SGEMM A·B, fastest of ~10 ms samples, as openblas_gemm.py --sgemm times numpy.
        if (args.Length > 1) Gemm.MaxThreads = int.Parse(args[1]);
        Console.WriteLine($"threads {Gemm.MaxThreads}");
        foreach (int n in new[] { 256, 512, 1024, 2048 })
            Console.WriteLine($"SGEMM n={n,4} NN {Bench.Square<float>(n, false, false),7:F1} GFLOP/s");
        break;
    }
    case "small":
    {
        if (args.Length > 1) Gemm.MaxThreads = int.Parse(args[1]);
        Console.WriteLine($"threads {Gemm.MaxThreads}; microseconds per product, old simple loops vs new");
        Bench.Small<float>();
        Bench.Small<double>();
        break;
    }
    case "tune":
    {
        int n = args.Length > 4 ? int.Parse(args[4]) : 1024;
        Bench.Tune(int.Parse(args[1]), int.Parse(args[2]), int.Parse(args[3]), n);
        break;
    }
    case "dotrows":
        Bench.DotRows(args[1..]);
        break;
    case "fewrows":
        Bench.FewRowsCrossover();
        break;
    case "alloc":
        Bench.Allocations();
        break;
    case "pack":
        Bench.Pack();
        break;
    case "threshold":
        Bench.Threshold();
        break;
    case "sweep":
        Bench.Sweep(args.Length > 1 ? int.Parse(args[1]) : 1024, args.Length > 2 ? int.Parse(args[2]) : 3);
        break;
    case "convparts":
        Bench.ConvParts(args[1..]);
        break;
    case "bdn":
        BenchmarkDotNet.Running.BenchmarkSwitcher.FromAssembly(typeof(TrainingBench).Assembly).Run(args[1..],
            BenchmarkDotNet.Configs.DefaultConfig.Instance
                .AddJob(BenchmarkDotNet.Jobs.Job.Default.WithToolchain(BenchmarkDotNet.Toolchains.InProcess.Emit.InProcessEmitToolchain.Instance)
                    .WithLaunchCount(1).WithWarmupCount(3).WithIterationCount(10))
                .AddDiagnoser(BenchmarkDotNet.Diagnosers.MemoryDiagnoser.Default));
        break;
    case "epoch":
        TrainingBench.Epoch(args.Length > 1 ? args[1] : "mlp", Arg(args, "--threads", Environment.ProcessorCount), Arg(args, "--limit", int.MaxValue));
        break;
    case "profile":
        TrainingBench.Profile(args.Length > 1 ? args[1] : "cnn", Arg(args, "--threads", Environment.ProcessorCount), Arg(args, "--steps", 20));
        break;
    default:
        Console.WriteLine("modes: gflops [threads] | small [threads] | tune KC MC NC [n]");
        break;
}

static int Arg(string[] args, string name, int fallback)
{
    int i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length ? int.Parse(args[i + 1]) : fallback;
}

static class Bench
{
    public static T[] Random<T>(int len, int seed) where T : IFloatingPointIeee754<T>
    {
        var rng = new Random(seed);
        var x = new T[len];
        for (int i = 0; i < len; i++) x[i] = T.CreateChecked(rng.NextDouble() * 2 - 1);
        return x;
    }

    /// <summary>
    /// Seconds per call of <paramref name="op"/>: the fastest of many short samples (~10 ms each, for about
    /// <paramref name="budget"/> seconds), since the machine may be shared and a short sample is more often left alone.
    /// </summary>
    public static double Time(Action op, double budget = 1.5)
    {
        op();
        var sw = Stopwatch.StartNew();
        int reps = 0;
        while (sw.Elapsed.TotalSeconds < 0.02) { op(); reps++; }
        reps = Math.Max(1, (int)(reps * 0.01 / sw.Elapsed.TotalSeconds));
        double best = double.MaxValue;
        var total = Stopwatch.StartNew();
        while (total.Elapsed.TotalSeconds < budget)
        {
            sw.Restart();
            for (int r = 0; r < reps; r++) op();
            best = Math.Min(best, sw.Elapsed.TotalSeconds / reps);
        }
        return best;
    }

    public static double Square<T>(int n, bool ta, bool tb, double budget = 1.5) where T : unmanaged, IFloatingPointIeee754<T>
    {
        T[] a = Random<T>(n * n, 1), b = Random<T>(n * n, 2), c = new T[n * n];
        double s = Time(() => Gemm.Multiply<T>(a, ta, b, tb, c, n, n, n, false), budget);
        return 2.0 * n * n * n / s / 1e9;
    }

    public static void Small<T>() where T : unmanaged, IFloatingPointIeee754<T>
    {
        // (label, m, n, k, transA, transB, accumulate): Linear forward/backward and conv forward/backward shapes.
        var shapes = new (string, int, int, int, bool, bool, bool)[]
        {
            ("linear fwd 1x784->128", 1, 128, 784, false, true, false),
            ("linear fwd 32x784->128", 32, 128, 784, false, true, false),
            ("linear fwd 128x784->256", 128, 256, 784, false, true, false),
            ("linear fwd 128x256->10", 128, 10, 256, false, true, false),
            ("linear fwd 64x2->2", 64, 2, 2, false, true, false),
            ("linear fwd 1x2->2", 1, 2, 2, false, true, false),
            ("linear dW 128x784 (N=32)", 128, 784, 32, true, false, true),
            ("linear dW 10x256 (N=128)", 10, 256, 128, true, false, true),
            ("linear dW 256x784 (N=128)", 256, 784, 128, true, false, true),
            ("linear dX 32x128->784", 32, 784, 128, false, false, false),
            ("linear dX 128x10->256", 128, 256, 10, false, false, false),
            ("linear dX 1x128->784", 1, 784, 128, false, false, false),
            ("conv fwd 16x784 k25", 16, 784, 25, false, false, false),
            ("conv fwd 32x196 k400", 32, 196, 400, false, false, false),
            ("conv fwd 32x784 k144", 32, 784, 144, false, false, false),
            ("conv dW 16x25 (784 px)", 16, 25, 784, false, true, true),
            ("conv dW 32x400 (196 px)", 32, 400, 196, false, true, true),
            ("conv dCol 25x784 (O=16)", 25, 784, 16, true, false, false),
            ("conv dCol 400x196 (O=32)", 400, 196, 32, true, false, false),
            ("TT 64x64x64", 64, 64, 64, true, true, false),
        };
        Console.WriteLine($"{typeof(T).Name}:");
        foreach (var (label, m, n, k, ta, tb, acc) in shapes)
        {
            T[] a = Random<T>(m * k, 1), b = Random<T>(k * n, 2), c = new T[m * n];
            double old = Time(() => Gemm.Simple<T>(a, ta, b, tb, c, m, n, k, acc), 0.3);
            double neu = Time(() => Gemm.Multiply<T>(a, ta, b, tb, c, m, n, k, acc), 0.3);
            double gf = 2.0 * m * n * k / neu / 1e9;
            Console.WriteLine($"  {label,-26} m={m,4} n={n,4} k={k,4} {(ta ? 'T' : 'N')}{(tb ? 'T' : 'N')}  old {old * 1e6,9:F3} us  new {neu * 1e6,9:F3} us  x{old / neu,6:F2}  ({gf,6:F1} GFLOP/s)");
        }
    }

    public static void Tune(int kc, int mc, int nc, int n)
    {
        SetBlocking(kc, mc, nc);
        foreach (int t in new[] { 1, Environment.ProcessorCount })
        {
            Gemm.MaxThreads = t;
            Console.WriteLine($"KC={kc} MC={mc} NC={nc} n={n} threads={t}: SGEMM {Square<float>(n, false, false):F1}  DGEMM {Square<double>(n, false, false):F1} GFLOP/s");
        }
    }

    static void SetBlocking(int kc, int mc, int nc)
    {
        GemmCore<float, Vector512<float>, F512, N12>.KC = kc;
        GemmCore<float, Vector512<float>, F512, N12>.MC = mc;
        GemmCore<float, Vector512<float>, F512, N12>.NC = nc;
        GemmCore<double, Vector512<double>, D512, N12>.KC = kc;
        GemmCore<double, Vector512<double>, D512, N12>.MC = mc;
        GemmCore<double, Vector512<double>, D512, N12>.NC = nc;
    }

    /// <summary>A·Bᵀ with few rows: dot products against the packed kernel, to place DotMaxRows.</summary>
    public static void DotRows(string[] args)
    {
        Gemm.MaxThreads = 1;
        var shapes = args.Length > 0 && args[0] == "narrow"
            ? from n in new[] { 2, 10, 16, 25, 32, 48 } from k in new[] { 25, 256, 784 } from m in new[] { 8, 16, 32, 128 } select (m, n, k)
            : from nk in new[] { (128, 784), (256, 256), (784, 128), (10, 256), (2000, 64) } from m in new[] { 1, 2, 3, 4, 6, 8 } select (m, nk.Item1, nk.Item2);
        foreach (var (m, n, k) in shapes)
            {
                float[] a = Random<float>(m * k, 1), b = Random<float>(k * n, 2), c = new float[m * n];
                double[] ad = Random<double>(m * k, 1), bd = Random<double>(k * n, 2), cd = new double[m * n];
                var r = new double[4];
                for (int mode = 0; mode < 2; mode++)
                {
                    GemmCore<float, Vector512<float>, F512, N12>.DotMaxRows = mode == 0 ? 100 : 0;
                    GemmCore<double, Vector512<double>, D512, N12>.DotMaxRows = mode == 0 ? 100 : 0;
                    r[mode] = Time(() => Gemm.Multiply<float>(a, false, b, true, c, m, n, k, false), 0.3);
                    r[2 + mode] = Time(() => Gemm.Multiply<double>(ad, false, bd, true, cd, m, n, k, false), 0.3);
                }
                double old = Time(() => Gemm.Simple<float>(a, false, b, true, c, m, n, k, false), 0.3);
                Console.WriteLine($"m={m,2} n={n,4} k={k,4}: float dot {r[0] * 1e6,7:F2} packed {r[1] * 1e6,7:F2} simple {old * 1e6,7:F2} | double dot {r[2] * 1e6,7:F2} packed {r[3] * 1e6,7:F2} us");
            }
    }

    /// <summary>op(A)·B with a few row panels: reading B in place against packing it, to place FewRowsMax.</summary>
    public static void FewRowsCrossover()
    {
        Gemm.MaxThreads = 1;
        foreach (var (n, k) in new[] { (784, 128), (196, 400), (784, 144), (1024, 256), (256, 784) })
            foreach (int m in new[] { 12, 16, 24, 32, 48, 64, 96 })
                foreach (bool ta in new[] { false, true })
                {
                    float[] a = Random<float>(m * k, 1), b = Random<float>(k * n, 2), c = new float[m * n];
                    double[] ad = Random<double>(m * k, 1), bd = Random<double>(k * n, 2), cd = new double[m * n];
                    var r = new double[4];
                    for (int mode = 0; mode < 2; mode++)
                    {
                        GemmCore<float, Vector512<float>, F512, N12>.FewRowsMax = mode == 0 ? 1000 : 0;
                        GemmCore<double, Vector512<double>, D512, N12>.FewRowsMax = mode == 0 ? 1000 : 0;
                        GemmCore<float, Vector256<float>, F256, N6>.FewRowsMax = mode == 0 ? 1000 : 0;
                        GemmCore<double, Vector256<double>, D256, N6>.FewRowsMax = mode == 0 ? 1000 : 0;
                        r[mode] = Time(() => Gemm.Multiply<float>(a, ta, b, false, c, m, n, k, false), 0.3);
                        r[2 + mode] = Time(() => Gemm.Multiply<double>(ad, ta, bd, false, cd, m, n, k, false), 0.3);
                    }
                    Console.WriteLine($"m={m,2} n={n,4} k={k,4} {(ta ? "TN" : "NN")}: float in place {r[0] * 1e6,7:F2} packed {r[1] * 1e6,7:F2} | double in place {r[2] * 1e6,7:F2} packed {r[3] * 1e6,7:F2} us");
                }
    }

    /// <summary>Bytes allocated per call once warm (pack buffers are reused; only Parallel.For itself allocates).</summary>
    public static void Allocations()
    {
        foreach (var (m, n, k, ta, tb) in new[] { (1, 2, 2, false, true), (32, 128, 784, false, true), (1, 784, 128, false, false),
            (16, 784, 25, false, false), (400, 196, 32, true, false), (64, 64, 64, true, true), (512, 512, 512, false, false) })
        {
            float[] a = Random<float>(m * k, 1), b = Random<float>(k * n, 2), c = new float[m * n];
            for (int i = 0; i < 3; i++) Gemm.Multiply<float>(a, ta, b, tb, c, m, n, k, false);
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < 100; i++) Gemm.Multiply<float>(a, ta, b, tb, c, m, n, k, false);
            long perCall = (GC.GetAllocatedBytesForCurrentThread() - before) / 100;
            Console.WriteLine($"m={m} n={n} k={k} {(ta ? 'T' : 'N')}{(tb ? 'T' : 'N')}: {perCall} bytes per call on the calling thread");
        }
    }

    /// <summary>The pieces of the cnn's second convolution for one example, single thread, fastest samples (µs).</summary>
    /// <summary>convparts [C H W K PAD O]: the parts of one convolution (default: the cnn's second, 16→32 at 14×14, 5×5 pad 2), one thread.</summary>
    public static void ConvParts(string[] shape)
    {
        Gemm.MaxThreads = 1;
        int[] s = shape.Length >= 6 ? Array.ConvertAll(shape[..6], int.Parse) : [16, 14, 14, 5, 2, 32];
        var g = new WindowGeometry(s[0], s[1], s[2], s[3], s[3], 1, 1, s[4], s[4]);
        int k = g.PatchSize, p = g.OutPixels, o = s[5];
        Console.WriteLine($"{g}, {o} output channels");
        float[] image = Random<float>(g.ImageSize, 1), col = new float[k * p], w = Random<float>(o * k, 2), outp = new float[o * p],
            dOut = Random<float>(o * p, 3), dw = new float[o * k], dx = new float[g.ImageSize];
        Console.WriteLine($"im2col       {Time(() => Convolution.Im2Col<float>(image, g, col), 0.5) * 1e6,8:F2} us");
        Console.WriteLine($"col2im       {Time(() => Convolution.Col2ImAdd<float>(col, g, dx), 0.5) * 1e6,8:F2} us");
        Console.WriteLine($"fwd GEMM     {Time(() => Gemm.Multiply<float>(w, false, col, false, outp, o, p, k, true), 0.5) * 1e6,8:F2} us");
        Console.WriteLine($"dW GEMM NT   {Time(() => Gemm.Multiply<float>(dOut, false, col, true, dw, o, k, p, true), 0.5) * 1e6,8:F2} us");
        Console.WriteLine($"dCol GEMM TN {Time(() => Gemm.Multiply<float>(w, true, dOut, false, col, k, p, o, false), 0.5) * 1e6,8:F2} us");
        var input = Random<float>(128 * g.ImageSize, 4);
        var output = new float[128 * o * p];
        var outGrad = Random<float>(128 * o * p, 5);
        var scratch = new float[Convolution.BackwardScratchSize(128, g, o)];
        var inGrad = new float[input.Length];
        var bias = new float[o];
        Console.WriteLine($"Forward x128       {Time(() => Convolution.Forward<float>(input, 128, g, w, bias, o, output), 1) * 1e3,8:F3} ms");
        Console.WriteLine($"Backward x128      {Time(() => Convolution.Backward<float>(input, 128, g, w, o, outGrad, dw, bias, inGrad, scratch), 1) * 1e3,8:F3} ms");
        Console.WriteLine($"Backward no dX     {Time(() => Convolution.Backward<float>(input, 128, g, w, o, outGrad, dw, bias, default, scratch), 1) * 1e3,8:F3} ms");
    }

    /// <summary>Cost of the transposing pack against the whole product, for the linear layer's A·Bᵀ.</summary>
    public static unsafe void Pack()
    {
        Gemm.MaxThreads = 1;
        foreach (var (m, n, k) in new[] { (32, 128, 784), (128, 256, 784), (16, 25, 784), (128, 10, 256) })
        {
            float[] a = Random<float>(m * k, 1), b = Random<float>(k * n, 2), c = new float[m * n];
            float[] dst = new float[(n + 31) * k + (m + 11) * k];
            double whole = Time(() => Gemm.Multiply<float>(a, false, b, true, c, m, n, k, false), 0.5);
            double pack = Time(() =>
            {
                fixed (float* pb = b, pa = a, pd = dst)
                {
                    for (int j = 0; j < n; j += 32) GemmTranspose.Run(pb + j * k, k, Math.Min(32, n - j), k, pd + j * k, 32);
                    for (int i = 0; i < m; i += 12) GemmTranspose.Run(pa + i * k, k, Math.Min(12, m - i), k, pd + n * k + i * k, 12);
                }
            }, 0.5);
            Console.WriteLine($"NT m={m} n={n} k={k}: whole {whole * 1e6:F2} us, transposing packs {pack * 1e6:F2} us, kernel at {2.0 * m * n * k / (whole - pack) / 1e9:F1} GFLOP/s");
        }
    }

    /// <summary>Where two threads start to pay: the same shapes with 1 and 2 threads, parallelism forced on.</summary>
    public static void Threshold()
    {
        GemmCore<float, Vector512<float>, F512, N12>.ParallelMinWork = 0;
        GemmCore<double, Vector512<double>, D512, N12>.ParallelMinWork = 0;
        foreach (var (m, n, k) in new[] { (32, 64, 64), (64, 64, 64), (64, 128, 64), (96, 96, 96), (128, 128, 64), (128, 128, 128), (32, 784, 144), (128, 256, 784), (160, 160, 160) })
        {
            float[] a = Random<float>(m * k, 1), b = Random<float>(k * n, 2), c = new float[m * n];
            double[] ad = Random<double>(m * k, 1), bd = Random<double>(k * n, 2), cd = new double[m * n];
            Gemm.MaxThreads = 1;
            double f1 = Time(() => Gemm.Multiply<float>(a, false, b, false, c, m, n, k, false), 0.5);
            double d1 = Time(() => Gemm.Multiply<double>(ad, false, bd, false, cd, m, n, k, false), 0.5);
            Gemm.MaxThreads = 2;
            double f2 = Time(() => Gemm.Multiply<float>(a, false, b, false, c, m, n, k, false), 0.5);
            double d2 = Time(() => Gemm.Multiply<double>(ad, false, bd, false, cd, m, n, k, false), 0.5);
            Console.WriteLine($"m={m,4} n={n,4} k={k,4} mnk={(long)m * n * k,9}: float 1t {f1 * 1e6,8:F2} us 2t {f2 * 1e6,8:F2} us | double 1t {d1 * 1e6,8:F2} us 2t {d2 * 1e6,8:F2} us");
        }
    }

    /// <summary>Single-thread sweep over (KC, MC), interleaved and repeated, best of all rounds per setting.</summary>
    public static void Sweep(int n, int rounds)
    {
        Gemm.MaxThreads = 1;
        var configs = new List<(int, int)>();
        foreach (int kc in new[] { 128, 192, 256, 320, 384 })
            foreach (int mc in new[] { 48, 96, 144, 192, 288 })
                configs.Add((kc, mc));
        var bestF = new double[configs.Count];
        var bestD = new double[configs.Count];
        for (int r = 0; r < rounds; r++)
            for (int i = 0; i < configs.Count; i++)
            {
                SetBlocking(configs[i].Item1, configs[i].Item2, 4096);
                bestF[i] = Math.Max(bestF[i], Square<float>(n, false, false, 0.3));
                bestD[i] = Math.Max(bestD[i], Square<double>(n, false, false, 0.3));
            }
        for (int i = 0; i < configs.Count; i++)
            Console.WriteLine($"KC={configs[i].Item1,3} MC={configs[i].Item2,3}: SGEMM {bestF[i],6:F1}  DGEMM {bestD[i],6:F1} GFLOP/s (1 thread, n={n})");
    }
}
