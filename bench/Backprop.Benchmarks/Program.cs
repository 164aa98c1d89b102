using System.Diagnostics;
using System.Globalization;
using System.Numerics;
using System.Runtime.Intrinsics;
using Backprop.Kernels;

// GEMM throughput, in GFLOP/s (2·m·n·k per product). Usage:
//   dotnet run -c Release -- gflops [threads]      square SGEMM and DGEMM at 256..2048, all transpositions at 1024
//   dotnet run -c Release -- small [threads]       the engine's small shapes: new code against the simple loops
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
    default:
        Console.WriteLine("modes: gflops [threads] | small [threads] | tune KC MC NC [n]");
        break;
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

    public static double Square<T>(int n, bool ta, bool tb) where T : unmanaged, IFloatingPointIeee754<T>
    {
        T[] a = Random<T>(n * n, 1), b = Random<T>(n * n, 2), c = new T[n * n];
        double s = Time(() => Gemm.Multiply<T>(a, ta, b, tb, c, n, n, n, false));
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
            Console.WriteLine($"  {label,-26} m={m,4} n={n,4} k={k,4} {(ta ? 'T' : 'N')}{(tb ? 'T' : 'N')}  old {old * 1e6,9:F2} us  new {neu * 1e6,9:F2} us  x{old / neu,6:F2}  ({gf,6:F1} GFLOP/s)");
        }
    }

    public static void Tune(int kc, int mc, int nc, int n)
    {
        GemmCore<float, Vector512<float>, F512, N12>.KC = kc;
        GemmCore<float, Vector512<float>, F512, N12>.MC = mc;
        GemmCore<float, Vector512<float>, F512, N12>.NC = nc;
        GemmCore<double, Vector512<double>, D512, N12>.KC = kc;
        GemmCore<double, Vector512<double>, D512, N12>.MC = mc;
        GemmCore<double, Vector512<double>, D512, N12>.NC = nc;
        foreach (int t in new[] { 1, Environment.ProcessorCount })
        {
            Gemm.MaxThreads = t;
            Console.WriteLine($"KC={kc} MC={mc} NC={nc} n={n} threads={t}: SGEMM {Square<float>(n, false, false):F1}  DGEMM {Square<double>(n, false, false):F1} GFLOP/s");
        }
    }
}
