using Backprop.Data;
using Backprop.Models;
using Backprop.Training;
using Backprop.Tests.Support;
using Backprop.Runs;

namespace Backprop.Tests.Training;

/// <summary>Whole runs on a small synthetic IDX data set that the tests write: determinism, resume, early stopping, files.</summary>
public sealed class TrainingRunTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("backprop-train-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);


    private static ModelSpec Spec(ulong seed)
    {
        var parsed = ModelFile.Parse(SyntheticIdx.Model, "test model");
        return new ModelSpec { Input = parsed.Input, Layers = parsed.Layers, Seed = seed };
    }

    private string WriteDataset(int trainCount = 600, int testCount = 150) => SyntheticIdx.Write(Path.Combine(_root, "data"), trainCount, testCount);

    private static readonly TrainingOptions Options = new() { Epochs = 3, BatchSize = 32, LearningRate = 0.1, Schedule = "constant", Seed = 7 };

    private (TrainingResult Result, byte[] Weights) Train(string dataset, string outDir, TrainingOptions options, bool resume = false)
    {
        var result = TrainingRun.Run(Spec(options.Seed), dataset, options, outDir, new RecordingReporter(), resume);
        return (result, File.ReadAllBytes(Path.Combine(outDir, RunFiles.Weights)));
    }

    [Fact]
    public void A_run_learns_and_writes_every_file()
    {
        var (result, _) = Train(WriteDataset(), Path.Combine(_root, "run"), Options);
        Assert.True(result.TestAccuracy > 0.9, $"test accuracy {result.TestAccuracy} on an easy 3-class problem");
        Assert.True(result.Epochs[^1].TrainLoss < result.Epochs[0].TrainLoss);
        foreach (var file in new[] { RunFiles.Model, RunFiles.Weights, RunFiles.Checkpoint, RunFiles.Metrics, RunFiles.Curves })
            Assert.True(new FileInfo(Path.Combine(_root, "run", file)).Length > 0, file);
        var metrics = File.ReadAllLines(Path.Combine(_root, "run", RunFiles.Metrics));
        Assert.Equal(4, metrics.Length);
        Assert.StartsWith("epoch,learning_rate,train_loss", metrics[0]);
        // The saved model evaluates to the same test accuracy.
        var trained = TrainedModel.Load(Path.Combine(_root, "run"));
        Assert.Equal(result.TestAccuracy, Evaluate(trained, WriteDataset()));
    }

    private static double Evaluate(TrainedModel trained, string dataset)
    {
        var test = DatasetSource.Load(dataset, DataSplit.Test);
        trained.Prepare(test);
        var trainer = new Trainer<float>(trained.Model, new Backprop.Losses.CrossEntropyLoss<float>(), new Backprop.Optimizers.SGD<float>(trained.Model.NamedParameters, 0.1));
        return trainer.Evaluate(test, 64).Accuracy;
    }

    [Fact]
    public void The_same_seed_gives_the_same_weights_bit_for_bit()
    {
        string data = WriteDataset();
        var a = Train(data, Path.Combine(_root, "a"), Options);
        var b = Train(data, Path.Combine(_root, "b"), Options);
        var c = Train(data, Path.Combine(_root, "c"), Options with { Seed = 8 });
        Assert.Equal(a.Weights, b.Weights);
        Assert.NotEqual(a.Weights, c.Weights);
    }

    [Fact]
    public void Resume_ends_with_the_same_weights_as_an_uninterrupted_run()
    {
        string data = WriteDataset();
        foreach (var optimizer in new[] { "sgd", "adam" })
        {
            var options = Options with { Optimizer = optimizer, LearningRate = optimizer == "sgd" ? 0.1 : 0.01 };
            var whole = Train(data, Path.Combine(_root, optimizer + "-whole"), options);
            string split = Path.Combine(_root, optimizer + "-split");
            Train(data, split, options with { Epochs = 1 });
            var resumed = Train(data, split, options, resume: true);
            Assert.Equal(whole.Weights, resumed.Weights);
            Assert.Equal(whole.Result.Epochs.Select(e => e.TrainLoss), resumed.Result.Epochs.Select(e => e.TrainLoss));
        }
    }

    private const string BatchNormDropoutModel = """
        {"input": [1, 6, 6], "layers": [
          {"type": "conv2d", "out_channels": 3, "kernel_size": 3, "padding": 1, "bias": false}, {"type": "batchnorm2d"}, {"type": "relu"},
          {"type": "maxpool2d", "kernel_size": 2}, {"type": "flatten"}, {"type": "dropout", "p": 0.3},
          {"type": "linear", "out": 16}, {"type": "batchnorm1d", "momentum": null}, {"type": "tanh"}, {"type": "linear", "out": 3}]}
        """;

    /// <summary>Running statistics and the dropout generator are in the checkpoint: a resumed run ends bit for bit where an uninterrupted one does.</summary>
    [Fact]
    public void Resume_is_bit_exact_with_batchnorm_and_dropout()
    {
        string data = WriteDataset();
        var parsed = ModelFile.Parse(BatchNormDropoutModel, "bn model");
        var spec = new ModelSpec { Input = parsed.Input, Layers = parsed.Layers, Seed = 7 };
        byte[] Run(string dir, TrainingOptions options, bool resume)
        {
            var reporter = new RecordingReporter();
            var result = TrainingRun.Run(spec, data, options, dir, reporter, resume);
            Assert.True(result.TestAccuracy > 0.8, $"test accuracy {result.TestAccuracy}");
            // a restart from the same seed would end with the same weights too: the run must really have resumed
            if (resume) Assert.Contains($"resuming after epoch 1 of {options.Epochs}", reporter.Messages);
            return File.ReadAllBytes(Path.Combine(dir, RunFiles.Weights));
        }
        var whole = Run(Path.Combine(_root, "bn-whole"), Options, false);
        string split = Path.Combine(_root, "bn-split");
        Run(split, Options with { Epochs = 1 }, false);
        var resumed = Run(split, Options, true);
        Assert.Equal(whole, resumed);
        var weights = Backprop.IO.SafetensorsFile.Read(Path.Combine(split, RunFiles.Weights));
        Assert.Contains("1.running_var", weights.Names);
        Assert.Contains("7.num_batches_tracked", weights.Names);
        var trained = TrainedModel.Load(split);
        Assert.False(trained.Model.Training);
    }

    [Fact]
    public void A_run_without_validation_set_checkpoints_and_resumes()
    {
        string data = WriteDataset(120, 30);
        var options = Options with { ValidationFraction = 0, Epochs = 2 };
        string dir = Path.Combine(_root, "run");
        Train(data, dir, options with { Epochs = 1 });
        var (result, _) = Train(data, dir, options, resume: true);
        Assert.Equal(2, result.Epochs.Count);
        Assert.True(double.IsNaN(result.Epochs[0].ValidationLoss));
    }

    [Theory]
    [InlineData(true, 0)]
    [InlineData(false, 1)]
    [InlineData(true, 2)]
    public void Augmentation_changes_training_is_seeded_and_resumes_exactly(bool flipHorizontally, int maxShift)
    {
        string data = WriteDataset(240, 60);
        var flip = Options with { FlipHorizontally = flipHorizontally, MaxShift = maxShift, Epochs = 2 };
        var plain = Train(data, Path.Combine(_root, "plain"), Options with { Epochs = 2 });
        var a = Train(data, Path.Combine(_root, "a"), flip);
        var b = Train(data, Path.Combine(_root, "b"), flip);
        Assert.NotEqual(plain.Weights, a.Weights);
        Assert.Equal(a.Weights, b.Weights);
        string cut = Path.Combine(_root, "cut");
        Train(data, cut, flip with { Epochs = 1 });
        Assert.Equal(a.Weights, Train(data, cut, flip, resume: true).Weights);
    }

    [Fact]
    public void Label_smoothing_changes_training_and_needs_cross_entropy()
    {
        string data = WriteDataset(240, 60);
        var plain = Train(data, Path.Combine(_root, "plain"), Options with { Epochs = 1 });
        var smoothed = Train(data, Path.Combine(_root, "smoothed"), Options with { Epochs = 1, LabelSmoothing = 0.1 });
        Assert.NotEqual(plain.Weights, smoothed.Weights);
        // The reported test loss is the plain cross-entropy, the figure eval gives for the saved model.
        var trained = TrainedModel.Load(Path.Combine(_root, "smoothed"));
        var test = DatasetSource.Load(data, DataSplit.Test);
        trained.Prepare(test);
        var evaluator = new Trainer<float>(trained.Model, new Backprop.Losses.CrossEntropyLoss<float>(), new Backprop.Optimizers.SGD<float>(trained.Model.NamedParameters, 0.1));
        Assert.Equal(evaluator.Evaluate(test, 64).Loss, smoothed.Result.TestLoss, 1e-6);
        var e = Assert.Throws<BackpropException>(() => Train(data, Path.Combine(_root, "x"), Options with { LabelSmoothing = 0.1, Loss = "multiclass_perceptron" }));
        Assert.Contains("--label-smoothing: only the cross_entropy loss", e.Message);
    }

    [Fact]
    public void The_checkpoint_fingerprint_leaves_out_shift_and_label_smoothing_at_their_defaults()
    {
        // So a checkpoint written before the options existed (its fingerprint lacks them) still resumes.
        string data = WriteDataset(240, 60);
        string Fingerprint(string dir) => System.Text.Json.JsonDocument.Parse(
            Backprop.IO.SafetensorsFile.Read(Path.Combine(dir, RunFiles.Checkpoint)).Metadata!["backprop_training"]).RootElement.GetProperty("options").GetString()!;
        Train(data, Path.Combine(_root, "plain"), Options with { Epochs = 1 });
        Assert.DoesNotContain("MaxShift", Fingerprint(Path.Combine(_root, "plain")));
        Assert.DoesNotContain("LabelSmoothing", Fingerprint(Path.Combine(_root, "plain")));
        Train(data, Path.Combine(_root, "set"), Options with { Epochs = 1, MaxShift = 1, LabelSmoothing = 0.1 });
        Assert.Contains("\"MaxShift\":1", Fingerprint(Path.Combine(_root, "set")));
        Assert.Contains("\"LabelSmoothing\":0.1", Fingerprint(Path.Combine(_root, "set")));
    }

    [Fact]
    public void Resume_refuses_other_settings()
    {
        string data = WriteDataset();
        string dir = Path.Combine(_root, "run");
        Train(data, dir, Options with { Epochs = 1 });
        var e = Assert.Throws<BackpropException>(() => Train(data, dir, Options with { LearningRate = 0.2 }, resume: true));
        // Named as on the command line (issue 15: it used to dump the C# property names).
        Assert.StartsWith("--lr: the checkpoint in ", e.Message);
        Assert.EndsWith("was made with --lr 0.1, this run has 0.2; resume with the same options", e.Message);
        Assert.Throws<BackpropException>(() => Train(data, Path.Combine(_root, "nothing"), Options, resume: true));
    }

    [Fact]
    public void Early_stopping_stops_when_validation_loss_stalls()
    {
        // A learning rate this small barely moves the loss, so with patience 1 a non-improving epoch comes quickly;
        // a huge one makes it worse at once. Either way the run must stop before its 30 epochs.
        var (result, _) = Train(WriteDataset(), Path.Combine(_root, "run"), Options with { Epochs = 30, LearningRate = 3, Patience = 1 });
        Assert.True(result.StoppedEarly);
        Assert.True(result.Epochs.Count < 30);
    }

    [Fact]
    public void Bad_options_name_the_option()
    {
        string data = WriteDataset(60, 30);
        Assert.Contains("--epochs", Assert.Throws<BackpropException>(() => Train(data, Path.Combine(_root, "x"), Options with { Epochs = 0 })).Message);
        Assert.Contains("--lr", Assert.Throws<BackpropException>(() => Train(data, Path.Combine(_root, "x"), Options with { LearningRate = -1 })).Message);
        Assert.Contains("cross_entropy", Assert.Throws<BackpropException>(() => Train(data, Path.Combine(_root, "x"), Options with { Loss = "mse" })).Message);
    }
}
