using System.Text;
using Backprop.IO;
using Backprop.Models;
using Backprop.Tests.Support;
using Backprop.Training;
using Xunit.Abstractions;

using Backprop.Runs;

namespace Backprop.Tests.Fuzz;

/// <summary>
/// Issue 15: the run state in a checkpoint's metadata (<c>__metadata__.backprop_training</c>) is a file's content like
/// any other. A valid checkpoint of one epoch has its run state edited as JSON (values replaced by huge, negative,
/// fractional, mistyped or nested ones, fields dropped or added, items repeated) or as bytes, or its tensors given a
/// NaN, an infinity or a flipped byte; resuming it (to 2 epochs) must then train, or be refused with a one-line
/// <see cref="BackpropException"/>. An edit of the tensors must always be refused (the SHA-256 or the finiteness check).
/// </summary>
public sealed class CheckpointStateFuzzTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("backprop-fuzz-checkpoint-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);


    [Fact]
    public void Mutated_checkpoints_resume_or_are_refused()
    {
        string data = SyntheticIdx.Write(Path.Combine(_root, "data"), 60, 20);
        var parsed = ModelFile.Parse(SyntheticIdx.Model, "model");
        var spec = new ModelSpec { Input = parsed.Input, Layers = parsed.Layers, Seed = 1 };
        var options = new TrainingOptions { Epochs = 1, BatchSize = 16, LearningRate = 0.1, Schedule = "constant", Seed = 1 };
        string good = Path.Combine(_root, "good");
        TrainingRun.Run(spec, data, options, good, new RecordingReporter());
        var original = SafetensorsFile.Read(Path.Combine(good, RunFiles.Checkpoint));
        var tensors = original.Names.Select(n => (Name: n, Values: original.Get<float>(n).Span.ToArray(), Shape: original.Entry(n).Shape)).ToList();
        string state = original.Metadata[RunState.Key];

        var fuzz = new Fuzzer(output, "checkpoint-state", 150);
        string run = Path.Combine(_root, "run");
        Directory.CreateDirectory(run);
        string checkpoint = Path.Combine(run, RunFiles.Checkpoint);
        for (int i = 0; i < fuzz.Count; i++)
        {
            var rng = fuzz.CaseRng(i);
            string edited = state;
            bool tensorEdit = rng.NextInt(4) == 0;
            var copies = tensors.Select(t => (t.Name, Tensor: new Backprop.Tensors.Tensor<float>((float[])t.Values.Clone(), t.Shape))).ToList();
            if (tensorEdit)
            {
                var (_, tensor) = copies[rng.NextInt(copies.Count)];
                tensor.Span[rng.NextInt(tensor.Length)] = rng.NextInt(3) switch { 0 => float.NaN, 1 => float.PositiveInfinity, _ => 12345f };
            }
            else
            {
                edited = rng.NextInt(3) == 0
                    ? Encoding.UTF8.GetString(Mutator.Bytes(Encoding.UTF8.GetBytes(state), rng, 3, Mutator.Utf8(Mutator.TextTokens)))
                    : Mutator.Json(state, rng, 2);
            }
            byte[] input = Encoding.UTF8.GetBytes(edited);
            fuzz.Run(i, tensorEdit ? "tensor edit" : "state edit", input, 256L << 20, () =>
            {
                Safetensors.Save(checkpoint, copies, new Dictionary<string, string> { [RunState.Key] = edited });
                TrainingRun.Run(spec, data, options with { Epochs = 2 }, run, new RecordingReporter(), resume: true);
                return Fuzzer.Outcome.Ok;
            }, mustRefuse: tensorEdit);
        }
        fuzz.Finish();
    }
}
