using Backprop.Cli;
using Backprop.Tests.Support;
using Backprop.Training;
using Backprop.Runs;

namespace Backprop.Tests.Cli;

/// <summary>train, eval and predict end to end through the CLI, on a small synthetic IDX data set.</summary>
public sealed class TrainCliTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("backprop-cli-train-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private static (int Code, string Out, string Err) Run(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        int code = Program.Run(args, stdout, stderr);
        return (code, stdout.ToString(), stderr.ToString());
    }

    [Fact]
    public void Train_then_eval_then_predict()
    {
        string data = SyntheticIdx.Write(Path.Combine(_root, "data"));
        string model = Path.Combine(_root, "model.json");
        File.WriteAllText(model, SyntheticIdx.Model);
        string run = Path.Combine(_root, "run");

        var train = Run("train", "--model", model, "--dataset", data, "--epochs", "3", "--batch-size", "32", "--lr", "0.1", "--schedule", "constant", "--out", run);
        Assert.True(train.Code == 0, train.Err);
        Assert.Contains("epoch 3/3: train loss", train.Out); // plain lines when the output is not a terminal
        Assert.Matches(@"test accuracy 0\.9\d+", train.Out);
        foreach (var file in new[] { RunFiles.Model, RunFiles.Weights, RunFiles.Preprocessing, RunFiles.Checkpoint, RunFiles.Metrics, RunFiles.Curves })
            Assert.True(File.Exists(Path.Combine(run, file)), file);

        string png = Path.Combine(_root, "confusion.png");
        var eval = Run("eval", "--model", run, "--dataset", data, "--plot", png);
        Assert.True(eval.Code == 0, eval.Err);
        Assert.Matches(@"150 examples: loss \d\.\d+, accuracy 0\.9\d+", eval.Out);
        Assert.Contains("true \\ predicted", eval.Out);
        using (var image = SkiaSharp.SKBitmap.Decode(png)) Assert.True(image.Width > 100 && image.Height > 100);

        var predict = Run("predict", "--model", run, "--dataset", data, "--index", "0,1");
        Assert.True(predict.Code == 0, predict.Err);
        Assert.Matches(@"example 0: predicted \d, true class \d", predict.Out);
        Assert.Contains("probabilities: 0: ", predict.Out);
    }

    [Fact]
    public void Resume_continues_a_cut_run()
    {
        string data = SyntheticIdx.Write(Path.Combine(_root, "data"));
        string model = Path.Combine(_root, "model.json");
        File.WriteAllText(model, SyntheticIdx.Model);
        string whole = Path.Combine(_root, "whole"), cut = Path.Combine(_root, "cut");
        string[] common = ["train", "--model", model, "--dataset", data, "--batch-size", "32", "--lr", "0.1"];
        Assert.Equal(0, Run([.. common, "--epochs", "2", "--out", whole]).Code);
        Assert.Equal(0, Run([.. common, "--epochs", "1", "--out", cut]).Code);
        var resumed = Run([.. common, "--epochs", "2", "--resume", cut]);
        Assert.True(resumed.Code == 0, resumed.Err);
        Assert.Contains("resuming after epoch 1 of 2", resumed.Out);
        Assert.Equal(File.ReadAllBytes(Path.Combine(whole, RunFiles.Weights)), File.ReadAllBytes(Path.Combine(cut, RunFiles.Weights)));
    }

    [Theory]
    [InlineData("predict --model {run} --image {root}/missing.png", "missing.png: no such file")]
    [InlineData("eval --model {root}/nowhere", "no such model folder")]
    [InlineData("train --arch resnet --out {root}/x", "unknown architecture 'resnet'")]
    [InlineData("train --dataset idx:{root}/empty --out {root}/x", "{root}/empty")]
    [InlineData("train --dataset nonsense --out {root}/x", "nonsense")]
    [InlineData("train --model {root}/model.json --shift 6 --dataset idx:{data} --out {root}/x", "--shift: expected 0 to 5 pixels for 6×6 images, got 6")]
    [InlineData("train --model {root}/pair.json --dataset csv:{root}/pair.csv,{root}/pair.csv --label-column label --flip --out {root}/x", "--flip and --shift need image examples [channels, height, width], not [2]")]
    [InlineData("train --flip --standardize --out {root}/x", "--standardize cannot be combined with --flip or --shift")]
    [InlineData("train --label-smoothing 1.5 --out {root}/x", "--label-smoothing: expected a number in [0, 1], got 1.5")]
    [InlineData("train --label-smoothing 0.1 --loss multiclass_perceptron --out {root}/x", "--label-smoothing: only the cross_entropy loss")]
    public void Bad_input_is_one_line_and_exit_code_2(string command, string expected)
    {
        Directory.CreateDirectory(Path.Combine(_root, "empty"));
        string run = Path.Combine(_root, "run");
        File.WriteAllText(Path.Combine(_root, "pair.csv"), "a,b,label\n0,1,0\n1,0,1\n0.5,0.2,1\n");
        File.WriteAllText(Path.Combine(_root, "pair.json"), """{"input": [2], "layers": [{"type": "linear", "out": 2}]}""");
        if (command.Contains("{data}"))
        {
            SyntheticIdx.Write(Path.Combine(_root, "data"), 60, 30);
            File.WriteAllText(Path.Combine(_root, "model.json"), SyntheticIdx.Model);
        }
        var args = command.Replace("{root}", _root).Replace("{run}", run).Replace("{data}", Path.Combine(_root, "data")).Split(' ');
        if (args[0] == "predict")
        {
            string model = Path.Combine(_root, "model.json");
            File.WriteAllText(model, SyntheticIdx.Model);
            Assert.Equal(0, Run("train", "--model", model, "--dataset", SyntheticIdx.Write(Path.Combine(_root, "data"), 60, 30), "--epochs", "1", "--out", run).Code);
        }
        var (code, _, err) = Run(args);
        Assert.Equal(2, code);
        Assert.StartsWith("error: ", err);
        Assert.Contains(expected.Replace("{root}", _root), err);
        Assert.Single(err.TrimEnd().Split('\n'));
    }
}
