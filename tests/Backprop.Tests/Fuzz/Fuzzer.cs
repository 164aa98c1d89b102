using System.Text;
using Xunit.Abstractions;

namespace Backprop.Tests.Fuzz;

/// <summary>
/// Runs fuzz cases one at a time and holds each to the bad-input contract: it is accepted or refused with a
/// <see cref="BackpropException"/> (the CLI: exit 0, or exit 2 with one "error: " line), never another exception,
/// never a hang (each case runs on a worker and is waited for at most <see cref="Timeout"/>), and never an
/// allocation out of proportion to its input (measured with <see cref="GC.GetAllocatedBytesForCurrentThread"/> on
/// the worker, against an allowance each caller computes from the file's size and justifies).
/// <para>
/// The number of cases per test is <c>BACKPROP_FUZZ_CASES</c> (default: each test's own, a few hundred, so that the
/// whole fuzz suite stays well under 20 s); the seed is <c>BACKPROP_FUZZ_SEED</c> (default 1). Case i of a test
/// draws from its own <see cref="Rng"/> seeded from (seed, test, i), so a failure reproduces from the seed and the index it reports.
/// </para>
/// </summary>
public sealed class Fuzzer(ITestOutputHelper output, string name, int defaultCases)
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    /// <summary>How many failures are reported in full; the rest are counted.</summary>
    private const int ShownFailures = 8;

    private readonly List<string> _failures = [];
    private readonly List<string> _messages = [];
    private string _longest = "";
    private TimeSpan _slowest;
    private byte[]? _largestInput;
    private string _slowestCase = "", _largestCase = "";

    /// <summary>BACKPROP_FUZZ_VERBOSE=1: list the kinds of refusal (messages without file names and numbers), to see what the cases reach.</summary>
    private static bool Verbose => Environment.GetEnvironmentVariable("BACKPROP_FUZZ_VERBOSE") == "1";
    private int _failureCount, _accepted, _refused, _skipped;
    private long _maxAllocated;
    private readonly System.Diagnostics.Stopwatch _clock = System.Diagnostics.Stopwatch.StartNew();

    public int Count { get; } = EnvInt("BACKPROP_FUZZ_CASES") ?? defaultCases;

    public static ulong Seed { get; } = (ulong)(EnvInt("BACKPROP_FUZZ_SEED") ?? 1);

    private static int? EnvInt(string variable) =>
        int.TryParse(Environment.GetEnvironmentVariable(variable), out int v) && v >= 0 ? v : null;

    /// <summary>The generator of case <paramref name="index"/>.</summary>
    public Rng CaseRng(int index) => new(unchecked(Seed * 0x9E3779B97F4A7C15UL + (ulong)index + NameHash * 0x100000000UL));

    // FNV-1a: string.GetHashCode differs from run to run, and a failure must reproduce.
    private ulong NameHash => name.Aggregate(14695981039346656037UL, (h, c) => unchecked((h ^ c) * 1099511628211UL));

    /// <summary>Counts a case that was generated but deliberately not run (the caller says why in its comments).</summary>
    public void Skip() => _skipped++;

    /// <summary>What one case ended with: accepted, or refused with this message.</summary>
    public readonly record struct Outcome(bool Accepted, string? Message)
    {
        public static readonly Outcome Ok = new(true, null);

        public static Outcome Refused(string message) => new(false, message);
    }

    /// <summary>
    /// Runs <paramref name="body"/> on a worker thread. It must return an outcome or throw a
    /// <see cref="BackpropException"/> (counted as refused); anything else, a message over one line, a time-out or an
    /// allocation above <paramref name="allowedBytes"/> is a failure, reported with <paramref name="input"/>.
    /// <paramref name="mustRefuse"/>: a case built to be bad, which must not be accepted.
    /// </summary>
    public void Run(int index, string description, byte[] input, long allowedBytes, Func<Outcome> body, bool mustRefuse = false)
    {
        var task = Task.Factory.StartNew(() =>
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            Outcome outcome;
            try
            {
                outcome = body();
            }
            catch (BackpropException e)
            {
                outcome = Outcome.Refused(e.Message);
            }
            return (Outcome: outcome, Allocated: GC.GetAllocatedBytesForCurrentThread() - before);
        }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);

        string? failure = null;
        var clock = System.Diagnostics.Stopwatch.StartNew();
        bool finished = ((IAsyncResult)task).AsyncWaitHandle.WaitOne(Timeout); // unlike Task.Wait, never throws the case's exception
        if (clock.Elapsed > _slowest) (_slowest, _slowestCase) = (clock.Elapsed, $"case {index} ({description})");
        if (!finished)
            failure = $"no answer within {Timeout.TotalSeconds} s (a hang?)";
        else if (task.IsFaulted)
        {
            var e = task.Exception!.InnerException!;
            failure = $"{e.GetType().Name}: {e.Message}\n{e.StackTrace}";
        }
        else
        {
            var (outcome, allocated) = task.Result;
            if (allocated > _maxAllocated) (_maxAllocated, _largestCase, _largestInput) = (allocated, $"case {index} ({description})", input);
            if (allocated > allowedBytes)
                failure = $"allocated {allocated:N0} bytes, more than the {allowedBytes:N0} its {input.Length:N0}-byte input justifies";
            else if (outcome.Accepted && mustRefuse)
                failure = "accepted, but the case was built to be refused";
            else if (!outcome.Accepted && (string.IsNullOrWhiteSpace(outcome.Message) || outcome.Message.IndexOfAny(['\n', '\r']) >= 0))
                failure = $"the message is not one line: \"{outcome.Message}\"";
            else if (outcome.Accepted) _accepted++;
            else
            {
                _refused++;
                if (outcome.Message!.Length > _longest.Length) _longest = outcome.Message;
                if (Verbose) _messages.Add(outcome.Message!);
            }
        }
        if (failure is null) return;
        if (++_failureCount <= ShownFailures)
            _failures.Add($"case {index} ({description}; BACKPROP_FUZZ_SEED={Seed}): {failure}\n  input ({input.Length} bytes): {Show(input)}");
    }

    /// <summary>The input as text when it is text, else base64; long inputs are cut.</summary>
    private static string Show(byte[] input)
    {
        const int Max = 600;
        bool text = input.Take(Max).All(b => b is >= 0x20 and < 0x7F or (byte)'\n' or (byte)'\t' or (byte)'\r');
        string shown = text ? Encoding.ASCII.GetString(input, 0, Math.Min(Max, input.Length)) : Convert.ToBase64String(input, 0, Math.Min(Max, input.Length));
        return (text ? "" : "base64 ") + shown + (input.Length > Max ? " …" : "");
    }

    /// <summary>Writes the tally to the test output and fails with the first failures, if any.</summary>
    public void Finish()
    {
        if (Verbose)
            foreach (var g in _messages.Select(m => System.Text.RegularExpressions.Regex.Replace(m.Replace(Path.GetTempPath(), ""), @"[0-9a-f]{32}|\d+", "#"))
                         .Select(m => m.Length > 110 ? m[..110] : m).GroupBy(m => m).OrderByDescending(g => g.Count()))
                output.WriteLine($"{g.Count(),6}  {g.Key}");
        if (Verbose && _largestInput is not null) output.WriteLine($"largest allocation's input: {Show(_largestInput)}");
        if (Verbose) output.WriteLine($"longest message ({_longest.Length} characters): {_longest}");
        output.WriteLine($"fuzz {name}: {Count} cases in {_clock.Elapsed.TotalSeconds:F1} s (seed {Seed}): {_accepted} accepted, {_refused} refused, {_failureCount} failed{(_skipped > 0 ? $", {_skipped} skipped" : "")}; largest allocation {_maxAllocated:N0} bytes ({_largestCase}); slowest {_slowestCase} {_slowest.TotalMilliseconds:F0} ms");
        if (_failureCount > 0)
            Assert.Fail($"fuzz {name}: {_failureCount} of {Count} cases failed; the first:\n" + string.Join("\n", _failures));
    }
}
