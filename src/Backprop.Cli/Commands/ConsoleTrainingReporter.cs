using Backprop.Training;
using Spectre.Console;
using Backprop.Runs;

namespace Backprop.Cli.Commands;

/// <summary>One plain line per epoch: for CI, pipes and files, where a live bar would only add noise.</summary>
internal class PlainTrainingReporter(TextWriter stdout) : ITrainingReporter
{
    protected int Epochs { get; private set; }

    public virtual void Message(string text) => stdout.WriteLine(text);

    public virtual void EpochStarted(int epoch, int epochs, int examples) => Epochs = epochs;

    public virtual void Batch(BatchProgress progress)
    {
    }

    public virtual void EpochFinished(EpochMetrics m) => Message(Summary(m, Epochs));

    public static string Summary(EpochMetrics m, int epochs) =>
        $"epoch {m.Epoch}/{epochs}: train loss {m.TrainLoss:F4} acc {m.TrainAccuracy:F4} | " +
        (double.IsNaN(m.ValidationLoss) ? "no validation set" : $"validation loss {m.ValidationLoss:F4} acc {m.ValidationAccuracy:F4}") +
        $" | lr {m.LearningRate:G4} | {m.Seconds:F1}s";
}

/// <summary>A Spectre.Console progress bar per epoch (samples/s, running loss, ETA) on a terminal.</summary>
internal sealed class ProgressBarTrainingReporter(ProgressContext context) : PlainTrainingReporter(Console.Out)
{
    private ProgressTask? _task;

    public override void Message(string text) => AnsiConsole.MarkupLine(Markup.Escape(text));

    public override void EpochStarted(int epoch, int epochs, int examples)
    {
        base.EpochStarted(epoch, epochs, examples);
        _task = context.AddTask($"epoch {epoch + 1}/{epochs}", maxValue: examples);
    }

    public override void Batch(BatchProgress p)
    {
        if (_task is null) return;
        _task.Value = p.ExamplesDone;
        _task.Description = $"epoch {p.Epoch + 1}/{Epochs}  loss {p.RunningLoss:F4}  {p.ExamplesDone / Math.Max(p.Seconds, 1e-9):F0} samples/s";
    }

    public override void EpochFinished(EpochMetrics m)
    {
        if (_task is not null) _task.Description = Markup.Escape(Summary(m, Epochs));
        _task?.StopTask();
    }

    /// <summary>Runs <paramref name="work"/> with a live bar on a terminal, or with plain lines otherwise.</summary>
    public static T Run<T>(TextWriter stdout, Func<ITrainingReporter, T> work)
    {
        bool live = ReferenceEquals(stdout, Console.Out) && !Console.IsOutputRedirected && AnsiConsole.Profile.Capabilities.Interactive;
        if (!live) return work(new PlainTrainingReporter(stdout));
        return AnsiConsole.Progress()
            .AutoClear(false)
            .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn(), new SpinnerColumn())
            .Start(ctx => work(new ProgressBarTrainingReporter(ctx)));
    }
}
