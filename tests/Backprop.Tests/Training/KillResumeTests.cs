using System.Diagnostics;
using System.Text.Json;
using Backprop.IO;
using Backprop.Tests.Support;
using Backprop.Training;
using Xunit.Abstractions;
using Backprop.Runs;

namespace Backprop.Tests.Training;

/// <summary>
/// 'backprop train' as a real child process (dotnet exec on the CLI built next to the tests), killed at random
/// moments (SIGKILL, the whole process tree) once its first checkpoint exists, then resumed, and killed again: after
/// every kill checkpoint.safetensors must be readable and no older than before, and the last resume must end with
/// the weights of an uninterrupted run, bit for bit.
/// </summary>
public sealed class KillResumeTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("backprop-kill-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private static readonly string Cli = Path.Combine(AppContext.BaseDirectory, "Backprop.Cli.dll");

    /// <summary>The dotnet host running the tests (the SDK sets DOTNET_HOST_PATH), else the one on the PATH.</summary>
    private static string DotnetHost() =>
        Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host) ? host
        : Path.GetFileNameWithoutExtension(Environment.ProcessPath) == "dotnet" ? Environment.ProcessPath! : "dotnet";

    private static Process Start(IEnumerable<string> args)
    {
        var info = new ProcessStartInfo(DotnetHost()) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add("exec");
        info.ArgumentList.Add(Cli);
        foreach (string a in args) info.ArgumentList.Add(a);
        var process = Process.Start(info)!;
        // Drain the pipes so that a full pipe never blocks the child.
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    private static int EpochsDone(string checkpoint)
    {
        var file = SafetensorsFile.Read(checkpoint); // throws if torn, truncated or otherwise unreadable
        Assert.True(file.AllFinite());
        using var state = JsonDocument.Parse(file.Metadata["backprop_training"]);
        return state.RootElement.GetProperty("epochs_done").GetInt32();
    }

    [Fact]
    public void A_run_killed_at_random_moments_resumes_to_the_weights_of_an_uninterrupted_run()
    {
        Assert.True(File.Exists(Cli), $"{Cli} is missing: the test project references Backprop.Cli, which copies it here");
        string data = SyntheticIdx.Write(Path.Combine(_root, "data"));
        string model = Path.Combine(_root, "model.json");
        File.WriteAllText(model, SyntheticIdx.Model);
        const int Epochs = 60;
        string[] common = ["train", "--model", model, "--dataset", data, "--epochs", $"{Epochs}", "--batch-size", "8", "--lr", "0.05", "--seed", "3"];
        var timeout = TimeSpan.FromSeconds(60);

        string whole = Path.Combine(_root, "whole");
        var wholeClock = Stopwatch.StartNew();
        using (var reference = Start([.. common, "--out", whole]))
        {
            Assert.True(reference.WaitForExit(timeout), "the uninterrupted run did not finish");
            Assert.Equal(0, reference.ExitCode);
        }
        long wholeMs = wholeClock.ElapsedMilliseconds;

        string cut = Path.Combine(_root, "cut"), checkpoint = Path.Combine(cut, RunFiles.Checkpoint);
        // Different moments on every run of the test; the seed is printed so that a failure's timings can be retried.
        ulong seed = (ulong)Environment.TickCount64;
        output.WriteLine($"kill moments from seed {seed}");
        var rng = new Rng(seed);
        int kills = 0, lastEpochs = 0;
        long startupMs = 0, quarterMs = 1;
        for (int attempt = 0; attempt < 4; attempt++)
        {
            using var run = Start([.. common, attempt == 0 ? "--out" : "--resume", cut]);
            var clock = Stopwatch.StartNew();
            while (!File.Exists(checkpoint) && !run.HasExited && clock.Elapsed < timeout) Thread.Sleep(2);
            Assert.True(File.Exists(checkpoint), "no checkpoint appeared");
            if (attempt == 0)
            {
                // Scaled to this machine's speed: the first checkpoint marks the start-up (and one epoch); the rest of
                // the uninterrupted run is the training. Each run is killed within a quarter of that training after its
                // start-up, so four runs cannot finish it and at least two are killed mid-way.
                startupMs = clock.ElapsedMilliseconds;
                quarterMs = Math.Max(1, (wholeMs - startupMs) / 4);
            }
            // A random moment once a checkpoint exists: mid-epoch, or while the next checkpoint is being written. A
            // resumed run finds the last checkpoint at once, so it is given its start-up time first.
            Thread.Sleep((int)((attempt == 0 ? 0 : startupMs) + rng.NextInt((int)quarterMs)));
            bool killed = !run.HasExited;
            if (killed) run.Kill(entireProcessTree: true);
            Assert.True(run.WaitForExit(timeout));
            int epochs = EpochsDone(checkpoint);
            output.WriteLine($"run {attempt + 1}: {(killed ? "killed" : "had finished")} after {clock.ElapsedMilliseconds} ms; the checkpoint holds {epochs} of {Epochs} epochs");
            Assert.True(epochs >= lastEpochs, $"the checkpoint went back from epoch {lastEpochs} to {epochs}");
            lastEpochs = epochs;
            if (killed) kills++;
            else break;
        }
        Assert.True(kills >= 2, $"only {kills} of the runs were killed mid-way; the run is too short for the test");

        using (var last = Start([.. common, "--resume", cut]))
        {
            Assert.True(last.WaitForExit(timeout), "the resumed run did not finish");
            Assert.Equal(0, last.ExitCode);
        }
        Assert.Equal(Epochs, EpochsDone(checkpoint));
        Assert.Equal(File.ReadAllBytes(Path.Combine(whole, RunFiles.Weights)), File.ReadAllBytes(Path.Combine(cut, RunFiles.Weights)));
        // A kill during an atomic write leaves its temporary file (AtomicFile says so); never a torn checkpoint.
        int leftovers = Directory.GetFiles(cut, "*.tmp-*").Length;
        output.WriteLine($"{kills} kills ({leftovers} temporary files left by kills during a write); the resumed run's weights equal the uninterrupted run's, bit for bit");
    }
}
