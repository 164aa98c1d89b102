using System.Numerics;
using Backprop.Data;
using Backprop.Models;
using Backprop.Tensors;

namespace Backprop.Examples;

/// <summary>
/// Changes a problem's weights, inputs, targets, learning rate or mode by name and index (<see cref="ProblemEdit"/>),
/// on a copy: the problem passed in is left as it was. Every refusal is a <see cref="BackpropException"/> naming the
/// edit, the target and what was expected.
/// </summary>
public static class ProblemEditor
{
    public static Problem<T> Apply<T>(Problem<T> problem, IReadOnlyList<ProblemEdit> edits) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var model = problem.Model.Clone();
        var x = problem.Batch.X.Clone();
        var y = problem.Batch.Y.Clone();
        double? lr = problem.LearningRate;
        for (int e = 0; e < edits.Count; e++)
        {
            var edit = edits[e];
            string where = $"edit {e} ({edit.Target})";
            switch (edit.Target)
            {
                case "lr":
                    if (edit.Value is not double eta || !double.IsFinite(eta) || eta < 0)
                        throw new BackpropException($"{where}: expected a finite learning rate ≥ 0 in 'value'");
                    lr = eta;
                    break;
                case "mode":
                    if (edit.Text == "train") model.Train();
                    else if (edit.Text == "eval") model.Eval();
                    else throw new BackpropException($"{where}: expected 'train' or 'eval', got '{edit.Text}'");
                    break;
                case "x":
                    Set(x, edit, where);
                    break;
                case "y":
                    Set(y, edit, where);
                    break;
                default:
                    Set(Find(model, edit.Target, where), edit, where);
                    break;
            }
        }
        var batch = Problem.CheckTargets(new Batch<T>(x, y), model, problem.Loss, "the edited data");
        return new Problem<T>(model, problem.Loss, batch, lr);
    }

    /// <summary>The names an edit can target: the parameters and buffers, then x, y, lr and mode.</summary>
    public static IReadOnlyList<string> Targets<T>(Sequential<T> model) where T : unmanaged, IFloatingPointIeee754<T> =>
        [.. model.NamedParameters.Select(p => p.Name), .. model.NamedBuffers.Select(b => b.Name), "x", "y", "lr", "mode"];

    private static Tensor<T> Find<T>(Sequential<T> model, string name, string where) where T : unmanaged, IFloatingPointIeee754<T>
    {
        foreach (var (n, p) in model.NamedParameters) if (n == name) return p.Value;
        foreach (var (n, b) in model.NamedBuffers) if (n == name) return b.Value;
        throw new BackpropException($"{where}: unknown target; expected one of: {string.Join(", ", Targets(model))}");
    }

    private static void Set<T>(Tensor<T> tensor, ProblemEdit edit, string where) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (edit.Value is not double v || !double.IsFinite(v))
            throw new BackpropException($"{where}: expected a finite number in 'value'");
        tensor[Tensor.FlatIndex(tensor.Shape, edit.Index, where)] = T.CreateChecked(v);
    }
}
