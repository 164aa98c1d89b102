using System.Text.Json.Nodes;
using Backprop.Cli;
using Backprop.IO;
using Backprop.Tensors;
using Backprop.Tests.Cli;
using Backprop.Tests.Support;
using Backprop.Training;

using Backprop.Runs;

namespace Backprop.Tests.Training;

/// <summary>
/// Issue 15, findings 3, 6, 7, 8, 14 and 15, through `backprop train` in-process on the small synthetic IDX set: a
/// diverged run saves nothing, a checkpoint's run state and values are checked before a resume, a resume must be the
/// same run (options, architecture, data), a folder takes one run at a time, and a folder whose files disagree is
/// refused. Every refusal is exit code 2 with one line (<see cref="NonFiniteCliTests.AssertRefused"/>).
/// </summary>
public sealed class RunStateTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("backprop-run-state-").FullName;
    private readonly string _data, _model;

    public RunStateTests()
    {
        _data = SyntheticIdx.Write(Path.Combine(_root, "data"), 120, 30);
        _model = Path.Combine(_root, "model.json");
        File.WriteAllText(_model, SyntheticIdx.Model);
    }

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private string[] Train(string dir, params string[] extra) =>
        ["train", "--model", _model, "--dataset", _data, "--batch-size", "32", "--lr", "0.1", "--schedule", "constant", "--out", dir, .. extra];

    private string[] Resume(string dir, params string[] extra) =>
        ["train", "--model", _model, "--dataset", _data, "--batch-size", "32", "--lr", "0.1", "--schedule", "constant", "--resume", dir, .. extra];

    private static void Ok(string[] args)
    {
        var (code, _, stderr) = BadInputTests.Run(args);
        Assert.True(code == ExitCodes.Ok, $"exit {code}: {stderr}");
    }

    /// <summary>A run of one epoch (of two): its folder and checkpoint.</summary>
    private (string Dir, string Checkpoint) OneEpoch(string name = "run")
    {
        string dir = Path.Combine(_root, name);
        Ok(Train(dir, "--epochs", "1"));
        return (dir, Path.Combine(dir, RunFiles.Checkpoint));
    }

    /// <summary>Rewrites the checkpoint with its run state and tensors edited; with <paramref name="rehash"/> the hash is recomputed to match the tensors.</summary>
    private static void Rewrite(string checkpoint, Action<JsonObject>? editState = null, Action<string, float[]>? editTensor = null, bool rehash = true)
    {
        var file = SafetensorsFile.Read(checkpoint);
        var tensors = file.Names.Select(n => (n, file.Get<float>(n))).ToList();
        foreach (var (name, t) in tensors)
        {
            var values = t.Span.ToArray();
            editTensor?.Invoke(name, values);
            values.CopyTo(t.Span);
        }
        var state = JsonNode.Parse(file.Metadata[RunState.Key])!.AsObject();
        if (rehash) state["data_sha256"] = RunState.HashOf(tensors);
        editState?.Invoke(state);
        Safetensors.Save(checkpoint, tensors, new Dictionary<string, string> { [RunState.Key] = state.ToJsonString() });
    }

    // Finding 3, the reproductions on the synthetic set: one step per epoch whose update overflows the weights, so
    // the training loss (taken before the step) stays finite. The runs on Fashion-MNIST (lr 1e30) go the same
    // way; this small CNN needs lr 1e39 to overflow float32.
    [Theory]
    [InlineData("--limit 100 --batch-size 100 --epochs 2 --lr 1e39 --momentum 0", "the validation loss is NaN after epoch 1")]
    [InlineData("--limit 100 --batch-size 100 --epochs 1 --lr 1e39 --momentum 0 --validation 0", "after epoch 1")]
    public void A_diverged_run_is_refused_and_saves_nothing(string options, string what)
    {
        string dir = Path.Combine(_root, "diverged");
        string message = NonFiniteCliTests.AssertRefused(["train", "--model", _model, "--dataset", _data, "--out", dir, .. options.Split(' ')],
            "training diverged: ", what, "; lower --lr. No checkpoint was written");
        Assert.DoesNotContain("no validation set", message);
        foreach (string file in RunFolder.Files) Assert.False(File.Exists(Path.Combine(dir, file)), file);
    }

    /// <summary>
    /// Epoch 2 starts from weights that overflow on the first step (written into a valid checkpoint): the run stops as
    /// diverged and the checkpoint of epoch 1 stays, byte for byte, with no model written.
    /// </summary>
    [Fact]
    public void Divergence_keeps_the_last_good_checkpoint()
    {
        var (dir, checkpoint) = OneEpoch();
        foreach (string file in new[] { RunFiles.Model, RunFiles.Weights }) File.Delete(Path.Combine(dir, file));
        Rewrite(checkpoint, editTensor: (name, v) => { if (name.EndsWith(".weight", StringComparison.Ordinal)) v.AsSpan().Fill(3e38f); });
        byte[] good = File.ReadAllBytes(checkpoint);
        NonFiniteCliTests.AssertRefused(Resume(dir, "--epochs", "2"), "training diverged: ", "at epoch 2");
        Assert.Equal(good, File.ReadAllBytes(checkpoint));
        Assert.False(File.Exists(Path.Combine(dir, RunFiles.Weights)));
    }

    // Finding 6: each edit of the issue, and the inconsistencies, refused naming the field.
    public static TheoryData<string, string> StateEdits => new()
    {
        { "{}", "__metadata__.backprop_training: missing field 'epochs_done'" },
        { "not json", "__metadata__.backprop_training: invalid JSON" },
        { """{"epochs_done": -5}""", "__metadata__.backprop_training.epochs_done: expected an integer ≥ 1, got -5" },
        { """{"epochs_done": 99}""", "__metadata__.backprop_training.epochs_done: 99 epochs done, more than the run's 2 (--epochs)" },
        { """{"metrics": [1, 2]}""", "__metadata__.backprop_training.metrics: 2 epochs, but epochs_done is 1" },
        { """{"metrics": [1]}""", "__metadata__.backprop_training.metrics[0]: expected an object, got the number 1" },
        { """{"options": 5}""", "__metadata__.backprop_training.options: expected a string, got the number 5" },
        { """{"optimizer_steps": "x"}""", "__metadata__.backprop_training.optimizer_steps: expected a number, got the string \"x\"" },
        { """{"optimizer_steps": 3}""", "__metadata__.backprop_training.optimizer_steps: 3 steps, but 1 epochs of 4 batches make 4" },
        { """{"epochs_without_improvement": 5}""", "__metadata__.backprop_training.epochs_without_improvement: 5, more than the 1 epochs done" },
        { """{"best_validation_loss": "NaN"}""", "__metadata__.backprop_training.best_validation_loss: expected a number" },
        { """{"data_sha256": "abc"}""", "__metadata__.backprop_training.data_sha256: expected 64 lowercase hexadecimal digits" },
        { """{"surprise": 1}""", "__metadata__.backprop_training: unknown field 'surprise'" },
    };

    [Theory]
    [MemberData(nameof(StateEdits))]
    public void Edited_run_state_is_refused_naming_the_field(string edit, string expected)
    {
        var (dir, checkpoint) = OneEpoch();
        var file = SafetensorsFile.Read(checkpoint);
        string state;
        if (edit == "{}" || edit == "not json") state = edit;
        else
        {
            var node = JsonNode.Parse(file.Metadata[RunState.Key])!.AsObject();
            foreach (var (key, value) in JsonNode.Parse(edit)!.AsObject()) node[key] = value?.DeepClone();
            state = node.ToJsonString();
        }
        Safetensors.Save(checkpoint, file.Names.Select(n => (n, file.Get<float>(n))).ToList(), new Dictionary<string, string> { [RunState.Key] = state });
        NonFiniteCliTests.AssertRefused(Resume(dir, "--epochs", "2"), checkpoint + ": " + expected);
    }

    // Finding 7.
    [Fact]
    public void A_NaN_or_infinite_tensor_in_a_checkpoint_is_refused()
    {
        var (dir, checkpoint) = OneEpoch();
        Rewrite(checkpoint, editTensor: (name, v) => { if (name == "4.weight") v[3] = float.NaN; });
        NonFiniteCliTests.AssertRefused(Resume(dir, "--epochs", "2"), $"{checkpoint}: tensor '4.weight' holds NaN or infinite values; the checkpoint cannot be resumed");

        (dir, checkpoint) = OneEpoch("momentum");
        string buffer = SafetensorsFile.Read(checkpoint).Names.First(n => n.Contains("momentum", StringComparison.Ordinal));
        Rewrite(checkpoint, editTensor: (name, v) => { if (name == buffer) v[0] = float.PositiveInfinity; });
        NonFiniteCliTests.AssertRefused(Resume(dir, "--epochs", "2"), $"{checkpoint}: tensor '{buffer}' holds NaN or infinite values");
    }

    [Fact]
    public void Flipped_data_bytes_fail_the_checkpoint_hash()
    {
        var (dir, checkpoint) = OneEpoch();
        byte[] bytes = File.ReadAllBytes(checkpoint);
        var rng = new Rng(15);
        long dataStart = 8 + BitConverter.ToInt64(bytes, 0);
        for (int i = 0; i < 50; i++) bytes[dataStart + rng.NextInt((int)(bytes.Length - dataStart))] ^= (byte)(1 << rng.NextInt(7)); // bit 7 left alone: keeps values finite more often
        File.WriteAllBytes(checkpoint, bytes);
        NonFiniteCliTests.AssertRefused(Resume(dir, "--epochs", "2"), $"{checkpoint}: the tensors do not match the SHA-256 in the run state");
    }

    // Finding 8.
    [Fact]
    public void Resume_refuses_another_architecture_naming_the_layer()
    {
        var (dir, _) = OneEpoch();
        File.WriteAllText(_model, SyntheticIdx.Model.Replace("\"relu\"", "\"tanh\""));
        NonFiniteCliTests.AssertRefused(Resume(dir, "--epochs", "2"), "the checkpoint was made for another model (layers[1] is {\"type\": \"tanh\"} here but {\"type\": \"relu\"} in the checkpoint)");
    }

    [Fact]
    public void Resume_refuses_another_dataset()
    {
        var (dir, _) = OneEpoch();
        string other = SyntheticIdx.Write(Path.Combine(_root, "other"), 120, 30, seed: 43);
        string[] args = Resume(dir, "--epochs", "2");
        args[Array.IndexOf(args, _data)] = other;
        NonFiniteCliTests.AssertRefused(args, "--dataset: the checkpoint in ", $"was made on other data, '{_data}' (120 training and 30 test examples), not '{other}'");
    }

    [Theory]
    [InlineData("--lr", "0.2", "--lr: the checkpoint in ", "was made with --lr 0.1, this run has 0.2")]
    [InlineData("--batch-size", "16", "--batch-size: the checkpoint in ", "was made with --batch-size 32, this run has 16")]
    [InlineData("--shift", "1", "--shift: the checkpoint in ", "was made with --shift not given, this run has 1")]
    public void Resume_refuses_other_options_by_their_command_line_names(string option, string value, string start, string rest)
    {
        var (dir, _) = OneEpoch();
        string[] args = Resume(dir, "--epochs", "2");
        int at = Array.IndexOf(args, option);
        args = at >= 0 ? [.. args[..(at + 1)], value, .. args[(at + 2)..]] : [.. args, option, value];
        string message = NonFiniteCliTests.AssertRefused(args, start, rest);
        Assert.DoesNotContain("LearningRate", message);
    }

    /// <summary>A checkpoint from before issue 15 (no architecture, dataset or hash in its run state) still resumes.</summary>
    [Fact]
    public void A_checkpoint_without_the_new_fields_still_resumes()
    {
        var (dir, checkpoint) = OneEpoch();
        Rewrite(checkpoint, editState: s => { s.Remove("architecture"); s.Remove("dataset"); s.Remove("data_sha256"); }, rehash: false);
        Ok(Resume(dir, "--epochs", "2"));
        Assert.Contains("\"epochs_done\":2,", SafetensorsFile.Read(checkpoint).Metadata[RunState.Key]);
    }

    // Finding 14.
    [Fact]
    public void A_folder_another_run_holds_is_refused_and_a_stale_lock_file_is_not()
    {
        string dir = Path.Combine(_root, "locked");
        Directory.CreateDirectory(dir);
        using (RunFolder.Lock(dir))
            NonFiniteCliTests.AssertRefused(Train(dir, "--epochs", "1"), $"{dir}: another training run is writing to this folder");
        Assert.False(File.Exists(Path.Combine(dir, RunFiles.Checkpoint)));
        // The lock file stays behind; nobody holds it (as after a kill -9), so the next run goes ahead.
        Assert.True(File.Exists(Path.Combine(dir, RunFolder.LockFile)));
        Ok(Train(dir, "--epochs", "1"));
    }

    [Fact]
    public void Two_runs_at_once_into_one_folder_do_not_both_succeed()
    {
        string dir = Path.Combine(_root, "race");
        var codes = new int[2];
        Parallel.For(0, 2, i => codes[i] = BadInputTests.Run(Train(dir, "--epochs", "2", "--seed", i.ToString())).Code);
        // Either they ran one after the other (both fine, the folder holds the second) or one was refused.
        Assert.Contains(ExitCodes.Ok, codes);
        Assert.All(codes, c => Assert.True(c is ExitCodes.Ok or ExitCodes.BadInput, $"exit {c}"));
        Ok(["eval", "--model", dir, "--dataset", _data]);
    }

    // Finding 15.
    [Fact]
    public void A_new_run_stopped_halfway_leaves_no_mix_and_eval_refuses_a_mixed_folder()
    {
        var (dir, _) = OneEpoch();
        // A new run into the folder (another seed), stopped after its first epoch's checkpoint.
        var options = new TrainingOptions { Epochs = 2, BatchSize = 32, LearningRate = 0.1, Schedule = "constant", Seed = 9 };
        var parsed = Backprop.Models.ModelFile.Parse(SyntheticIdx.Model, "m");
        var spec = new Backprop.Models.ModelSpec { Input = parsed.Input, Layers = parsed.Layers, Seed = 9 };
        Assert.Throws<OperationCanceledException>(() => TrainingRun.Run(spec, _data, options, dir, new StopAfterFirstEpoch()));
        Assert.True(File.Exists(Path.Combine(dir, RunFiles.Checkpoint)));
        Assert.False(File.Exists(Path.Combine(dir, RunFiles.Weights)), "the old run's model went when the new run started");
        NonFiniteCliTests.AssertRefused(["eval", "--model", dir, "--dataset", _data], "model.json: missing");

        // A mix made by hand (or by an older version): a finished run's folder with another run's checkpoint.
        var (a, _) = OneEpoch("a");
        string b = Path.Combine(_root, "b");
        Ok(Train(b, "--epochs", "1", "--seed", "5"));
        File.Copy(Path.Combine(b, RunFiles.Checkpoint), Path.Combine(a, RunFiles.Checkpoint), overwrite: true);
        NonFiniteCliTests.AssertRefused(["eval", "--model", a, "--dataset", _data], $"{a}: model.safetensors does not hold the weights of checkpoint.safetensors (epoch 1)");
        File.Copy(Path.Combine(b, RunFiles.Weights), Path.Combine(a, RunFiles.Weights), overwrite: true);
        File.AppendAllText(Path.Combine(a, RunFiles.Metrics), "2,0.1,1,1,1,1,0\n");
        NonFiniteCliTests.AssertRefused(["eval", "--model", a, "--dataset", _data], $"{a}: metrics.csv has 2 epochs but checkpoint.safetensors 1");
    }

    /// <summary>A new run that diverges in its first epoch replaces nothing: the folder's finished run stays as it was.</summary>
    [Fact]
    public void A_new_run_that_fails_before_its_first_checkpoint_leaves_the_old_run()
    {
        var (dir, _) = OneEpoch();
        var before = RunFolder.Files.ToDictionary(f => f, f => File.ReadAllBytes(Path.Combine(dir, f)));
        NonFiniteCliTests.AssertRefused(["train", "--model", _model, "--dataset", _data, "--out", dir, "--limit", "100", "--batch-size", "100", "--epochs", "1",
            "--lr", "1e39", "--momentum", "0"], "training diverged: ");
        foreach (var (file, bytes) in before) Assert.Equal(bytes, File.ReadAllBytes(Path.Combine(dir, file)));
        Ok(["eval", "--model", dir, "--dataset", _data]);
    }

    private sealed class StopAfterFirstEpoch : ITrainingReporter
    {
        public void Message(string text) { }
        public void EpochStarted(int epoch, int epochs, int examples) { if (epoch == 1) throw new OperationCanceledException("stopped"); }
        public void Batch(BatchProgress progress) { }
        public void EpochFinished(EpochMetrics metrics) { }
    }
}
