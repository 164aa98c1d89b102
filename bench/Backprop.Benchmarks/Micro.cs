using Backprop.Architectures;
using Backprop.Kernels;
using Backprop.Losses;
using Backprop.Models;
using Backprop.Optimizers;
using Backprop.Tensors;
using BenchmarkDotNet.Attributes;

// BenchmarkDotNet micro-benchmarks of the kernels a training step spends its time in. Run them with
//   dotnet run -c Release -- bdn --filter '*'            (or '*Gemm*', '*Convolution*', '*TrainingStep*')
// One in-process job, short (3 warm-up, 10 measured iterations; Program.cs sets it up) so that the whole suite takes
// minutes, with the memory diagnoser; the machine may be shared, so compare figures taken in the same run.

/// <summary>Square SGEMM C = A·B.</summary>
public class GemmBenchmarks
{
    private float[] _a = [], _b = [], _c = [];

    [Params(256, 512, 1024)] public int N;
    [Params(1, 2)] public int Threads;

    [GlobalSetup]
    public void Setup()
    {
        WorkerPool.MaxThreads = Threads;
        _a = Bench.Random<float>(N * N, 1);
        _b = Bench.Random<float>(N * N, 2);
        _c = new float[N * N];
    }

    [Benchmark]
    public void Sgemm() => Gemm.Multiply<float>(_a, false, _b, false, _c, N, N, N, accumulate: false);
}

/// <summary>The cnn's two convolutions on a batch of 128, forward and backward (with and without dL/d(input)).</summary>
public class ConvolutionBenchmarks
{
    private const int Batch = 128;
    private WindowGeometry _g;
    private int _outChannels;
    private float[] _input = [], _weight = [], _bias = [], _output = [], _outputGrad = [], _weightGrad = [], _biasGrad = [], _inputGrad = [], _scratch = [];

    /// <summary>conv1: 1×28×28 → 16 channels; conv2: 16×14×14 → 32 channels; both 5×5, padding 2.</summary>
    [Params("conv1", "conv2")] public string Layer = "conv2";
    [Params(1, 2)] public int Threads;

    [GlobalSetup]
    public void Setup()
    {
        WorkerPool.MaxThreads = Threads;
        (_g, _outChannels) = Layer == "conv1" ? (new WindowGeometry(1, 28, 28, 5, 5, 1, 1, 2, 2), 16) : (new WindowGeometry(16, 14, 14, 5, 5, 1, 1, 2, 2), 32);
        _input = Bench.Random<float>(Batch * _g.ImageSize, 1);
        _weight = Bench.Random<float>(_outChannels * _g.PatchSize, 2);
        _bias = Bench.Random<float>(_outChannels, 3);
        _output = new float[Batch * _outChannels * _g.OutPixels];
        _outputGrad = Bench.Random<float>(_output.Length, 4);
        _weightGrad = new float[_weight.Length];
        _biasGrad = new float[_outChannels];
        _inputGrad = new float[_input.Length];
        _scratch = new float[Convolution.BackwardScratchSize(Batch, _g, _outChannels)];
    }

    [Benchmark]
    public void Forward() => Convolution.Forward<float>(_input, Batch, _g, _weight, _bias, _outChannels, _output);

    [Benchmark]
    public void Backward() => Convolution.Backward<float>(_input, Batch, _g, _weight, _outChannels, _outputGrad, _weightGrad, _biasGrad, _inputGrad, _scratch);

    [Benchmark]
    public void BackwardWithoutInputGradient() =>
        Convolution.Backward<float>(_input, Batch, _g, _weight, _outChannels, _outputGrad, _weightGrad, _biasGrad, default, _scratch);
}

/// <summary>One training step (zero grad, forward, cross-entropy, backward, SGD momentum) of a built-in architecture on a batch of 128.</summary>
public class TrainingStepBenchmarks
{
    private Sequential<float> _model = null!;
    private SGD<float> _optimizer = null!;
    private readonly CrossEntropyLoss<float> _loss = new();
    private Tensor<float> _x = null!, _y = null!;

    [Params("mlp", "cnn", "vgg")] public string Arch = "mlp";
    [Params(1, 2)] public int Threads;

    [GlobalSetup]
    public void Setup()
    {
        WorkerPool.MaxThreads = Threads;
        _model = ModelFile.Build<float>(ModelFile.Parse(Architecture.ModelText(Arch), Arch), Arch);
        _optimizer = new SGD<float>(_model.NamedParameters, 0.05, momentum: 0.9);
        _x = new Tensor<float>(Bench.Random<float>(128 * 784, 1), 128, 1, 28, 28);
        _y = new Tensor<float>(128);
        var rng = new Random(2);
        for (int i = 0; i < 128; i++) _y[i] = rng.Next(10);
    }

    [Benchmark]
    public float Step()
    {
        _model.ZeroGrad();
        float loss = _loss.Forward(_model.Forward(_x), _y);
        _model.BackwardParameters(_loss.Backward());
        _optimizer.Step();
        return loss;
    }
}
