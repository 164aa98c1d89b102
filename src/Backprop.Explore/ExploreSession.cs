using Backprop.Diagnostics;
using Backprop.Examples;

namespace Backprop.Explore;

/// <summary>
/// What the page is looking at: the problem as it was given and as the student has edited it. Every answer the page
/// shows is the library's (worked solution, chain rule, finite differences, quiz); this class only holds the state,
/// one request at a time.
/// </summary>
public sealed class ExploreSession(Problem<double> problem, string name)
{
    private readonly object _lock = new();
    private readonly List<ProblemEdit> _edits = [];

    /// <summary>The problem as given (the example or the files).</summary>
    public Problem<double> Original { get; } = problem;

    /// <summary>Where the problem came from: the example's name or the model file.</summary>
    public string Name { get; } = name;

    /// <summary>The problem with every edit so far.</summary>
    public Problem<double> Current { get; private set; } = problem;

    /// <summary>The edits so far, in order.</summary>
    public IReadOnlyList<ProblemEdit> Edits
    {
        get { lock (_lock) return [.. _edits]; }
    }

    /// <summary>Applies <paramref name="edits"/> on top of the earlier ones; a refused edit changes nothing.</summary>
    public Problem<double> Apply(IReadOnlyList<ProblemEdit> edits)
    {
        lock (_lock)
        {
            Current = ProblemEditor.Apply(Current, edits);
            _edits.AddRange(edits);
            return Current;
        }
    }

    /// <summary>Back to the problem as given.</summary>
    public void Reset()
    {
        lock (_lock)
        {
            Current = Original;
            _edits.Clear();
        }
    }

    /// <summary>The worked solution of the current problem (what <c>trace</c> computes for it).</summary>
    public WorkedSolution Solve()
    {
        var p = Current;
        lock (_lock) return WorkedSolution.Solve(p.Model, p.Loss, p.Batch, p.LearningRate);
    }
}
