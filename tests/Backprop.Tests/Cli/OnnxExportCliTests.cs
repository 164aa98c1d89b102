using Backprop.Cli;
using Backprop.Data;
using Backprop.Onnx;
using Backprop.Onnx.Proto;
using Backprop.Tensors;
using Backprop.Tests.Interop.Onnx;
using Backprop.Tests.Support;
using Backprop.Training;
using Xunit.Abstractions;
using Backprop.Runs;

namespace Backprop.Tests.Cli;

/// <summary>backprop export: a trained model folder and a model file to ONNX, run by ONNX Runtime; bad input is one line and exit code 2.</summary>
public sealed class OnnxExportCliTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("backprop-cli-export-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private static (int Code, string Out, string Err) Run(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        int code = Program.Run(args, stdout, stderr);
        return (code, stdout.ToString(), stderr.ToString());
    }

    private static string Preprocessing(string onnxPath) =>
        ModelProto.Parser.ParseFrom(File.ReadAllBytes(onnxPath)).MetadataProps.Single(p => p.Key == OnnxExport.PreprocessingMetadataKey).Value;

    [Fact]
    public void A_trained_model_folder_exports_with_and_without_its_preprocessing()
    {
        string data = SyntheticIdx.Write(Path.Combine(_root, "data"));
        string modelJson = Path.Combine(_root, "model.json");
        File.WriteAllText(modelJson, SyntheticIdx.Model);
        string run = Path.Combine(_root, "run");
        var train = Run("train", "--model", modelJson, "--dataset", data, "--epochs", "1", "--batch-size", "32", "--standardize", "--out", run);
        Assert.True(train.Code == 0, train.Err);

        string plain = Path.Combine(_root, "plain.onnx"), withPrep = Path.Combine(_root, "prep.onnx");
        var export = Run("export", "--model", run, "--format", "onnx", "--out", plain);
        Assert.True(export.Code == 0, export.Err);
        Assert.Equal($"wrote {plain}: ONNX opset 17, 'input' [N, 1, 6, 6] → 'output' [N, 3]\n", export.Out.ReplaceLineEndings("\n"));
        Assert.Equal("", export.Err);
        var exportPrep = Run("export", "--model", run, "--out", withPrep, "--include-preprocessing");
        Assert.True(exportPrep.Code == 0, exportPrep.Err);
        Assert.EndsWith("[N, 3], preprocessing included\n", exportPrep.Out.ReplaceLineEndings("\n"));
        Assert.Equal("none", Preprocessing(plain));
        Assert.Equal("divide by 255, standardize", Preprocessing(withPrep));

        // 50 test images: raw pixels (0..255) for the graph with preprocessing, prepared ones for the other.
        var test = DatasetSource.Load(data, DataSplit.Test);
        int count = 50;
        int[] shape = Tensor.Batched(count, test.ExampleShape);
        var raw = new Tensor<float>(test.Features.AsSpan(0, Tensor.SizeOf(shape)).ToArray(), shape);
        var trained = TrainedModel.Load(run);
        trained.Prepare(test);
        var prepared = new Tensor<float>(test.Features.AsSpan(0, Tensor.SizeOf(shape)).ToArray(), shape);
        var expected = trained.Model.Forward(prepared);

        var (y, yShape) = OnnxRuntimeRunner.Run(File.ReadAllBytes(plain), prepared);
        Assert.Equal([count, 3], yShape);
        var (abs, _) = OnnxRuntimeRunner.AssertClose(expected, y, "trained model, prepared input");
        var (yPrep, _) = OnnxRuntimeRunner.Run(File.ReadAllBytes(withPrep), raw);
        var (absPrep, _) = OnnxRuntimeRunner.AssertClose(expected, yPrep, "trained model with preprocessing, raw pixels");
        output.WriteLine($"trained model: max |difference| {abs:E2} on prepared input, {absPrep:E2} on raw pixels with preprocessing in the graph");
    }

    [Fact]
    public void A_model_file_with_values_exports()
    {
        string model = Path.Combine(_root, "seed003.json");
        File.WriteAllText(model, """
            {"input": [2], "layers": [
              {"type": "linear", "out": 2, "weight": [[3, 4], [6, 5]], "bias": [1, -6]}, {"type": "sigmoid"},
              {"type": "linear", "out": 2, "weight": [[2, 4], [3, 3]], "bias": [-1, -2]}, {"type": "softmax"}]}
            """);
        string onnx = Path.Combine(_root, "seed003.onnx");
        var export = Run("export", "--model", model, "--out", onnx);
        Assert.True(export.Code == 0, export.Err);
        var (y, _) = OnnxRuntimeRunner.Run(File.ReadAllBytes(onnx), new Tensor<float>([1f, 0f], [1, 2]));
        // The homework sheet's ŷ = [0.6267, 0.3733].
        Assert.Equal(0.6267, y[0], 4);
        Assert.Equal(0.3733, y[1], 4);
    }

    private const string NoValues = """{"input": [2], "layers": [{"type": "linear", "out": 2}]}""";
    private const string WithValues = """{"input": [2], "layers": [{"type": "linear", "out": 1, "weight": [[1, 2]], "bias": [0]}]}""";

    [Theory]
    [InlineData("export --model {good} --format tflite --out {root}/m.onnx", "error: --format: expected onnx or pytorch, got 'tflite'")]
    [InlineData("export --model {root}/nowhere.json --out {root}/m.onnx", "error: {root}/nowhere.json: no such model file or trained model folder")]
    [InlineData("export --model {novalues} --out {root}/m.onnx", "error: {novalues}: layers[0] (linear): no weight values; an export needs every parameter's values")]
    [InlineData("export --model {good} --out {root}/m.onnx --include-preprocessing", "error: --include-preprocessing: {good} is a model file, which has no preprocessing")]
    [InlineData("export --model {root}/empty --out {root}/m.onnx", "error: {root}/empty/model.json: missing; is {root}/empty the --out folder of a finished 'backprop train'?")]
    // Issue 15: the folder is checked before the model is read, naming the option.
    [InlineData("export --model {good} --out {root}/no/such/dir/m.onnx", "error: --out: cannot write '{root}/no/such/dir/m.onnx': the folder '{root}/no/such/dir' does not exist")]
    [InlineData("export --model {good}", "error: Option '--out' is required")]
    public void Bad_input_is_one_line_and_exit_code_2(string command, string expected)
    {
        Directory.CreateDirectory(Path.Combine(_root, "empty"));
        string good = Path.Combine(_root, "good.json"), novalues = Path.Combine(_root, "novalues.json");
        File.WriteAllText(good, WithValues);
        File.WriteAllText(novalues, NoValues);
        string Fill(string s) => s.Replace("{root}", _root).Replace("{good}", good).Replace("{novalues}", novalues);

        var (code, stdout, stderr) = Run(Fill(command).Split(' '));
        Assert.Equal(ExitCodes.BadInput, code);
        Assert.Equal("", stdout);
        Assert.StartsWith(Fill(expected), stderr);
        Assert.Single(stderr.TrimEnd('\n').Split('\n'));
        Assert.False(File.Exists(Path.Combine(_root, "m.onnx")));
    }
}
