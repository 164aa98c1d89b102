using Backprop.Diagnostics;
using Backprop.Examples;

namespace Backprop.Explore;

/// <summary>
/// What the page is looking at: the problem as it was given and as the student has edited it, its worked solution,
/// and the gradient a quiz hides. Every answer the page shows is the library's (worked solution, chain rule, finite
/// differences, quiz); this class only holds the state, one change at a time.
/// </summary>
public sealed class ExploreSession(Problem<double> problem, string name)
{
    private readonly object _lock = new();
    private readonly List<ProblemEdit> _edits = [];
    private WorkedSolution? _solution;

    /// <summary>The problem as given (the example or the files).</summary>
    public Problem<double> Original { get; } = problem;

    /// <summary>Where the problem came from: the example's name or the model file.</summary>
    public string Name { get; } = name;

    /// <summary>The problem with every edit so far.</summary>
    public Problem<double> Current { get; private set; } = problem;

    /// <summary>
    /// The gradient the quiz hides until the student answers: a parameter's state_dict name or
    /// <see cref="WorkedSolutionView.Input"/>; null when no quiz is open.
    /// </summary>
    public string? Hidden { get; private set; }

    /// <summary>The edits so far, in order.</summary>
    public IReadOnlyList<ProblemEdit> Edits
    {
        get { lock (_lock) return [.. _edits]; }
    }

    /// <summary>
    /// Applies <paramref name="edits"/> on top of the earlier ones, or with <paramref name="reset"/> on the problem as
    /// given, all or nothing: the edited problem is solved first, and only a problem whose worked solution is finite (so
    /// that <c>trace --format json</c> can hold it) replaces the current one. A refused edit changes nothing, not even
    /// the reset asked for with it.
    /// </summary>
    public Problem<double> Apply(IReadOnlyList<ProblemEdit> edits, bool reset = false)
    {
        lock (_lock)
        {
            var start = reset ? Original : Current;
            if (edits.Count == 0 && reset)
            {
                (Current, _solution) = (Original, null);
                _edits.Clear();
            }
            if (edits.Count == 0) return Current;
            var edited = ProblemEditor.Apply(start, edits);
            WorkedSolution? solution = null;
            string? why;
            try
            {
                solution = WorkedSolution.Solve(edited.Model, edited.Loss, edited.Batch, edited.LearningRate);
                why = WorkedSolutionWriter.FirstNonFinite(solution) is string first ? $"{first}, which the solution's JSON cannot hold" : null;
            }
            catch (BackpropException e)
            {
                why = e.Message;
            }
            if (why is not null) throw new BackpropException($"refused, nothing changed: with {(edits.Count == 1 ? "this edit" : "these edits")} {why}");
            (Current, _solution) = (edited, solution);
            if (reset) _edits.Clear();
            _edits.AddRange(edits);
            return Current;
        }
    }

    /// <summary>Hides the gradient of <paramref name="quantity"/> (null: hides nothing), after checking that it names one.</summary>
    public void Hide(string? quantity)
    {
        lock (_lock)
        {
            if (quantity is not null && quantity != WorkedSolutionView.Input && !Current.Model.NamedParameters.Any(p => p.Name == quantity))
                throw new BackpropException($"quiz: unknown quantity '{quantity}'; expected x or one of: {string.Join(", ", Current.Model.NamedParameters.Select(p => p.Name))}");
            Hidden = quantity;
        }
    }

    /// <summary>The worked solution of the current problem (what <c>trace</c> computes for it), worked once per problem.</summary>
    public WorkedSolution Solve()
    {
        lock (_lock)
        {
            var p = Current;
            return _solution ??= WorkedSolution.Solve(p.Model, p.Loss, p.Batch, p.LearningRate);
        }
    }

    /// <summary>What the page shows of it: tensors of more than <paramref name="maxEntries"/> values as previews, the quiz's gradient hidden.</summary>
    public WorkedSolutionView View(int maxEntries)
    {
        lock (_lock) return new WorkedSolutionView(maxEntries, Hidden);
    }
}
