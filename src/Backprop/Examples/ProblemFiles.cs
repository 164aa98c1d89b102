using System.Numerics;
using Backprop.Data;
using Backprop.Models;

namespace Backprop.Examples;

/// <summary>
/// A problem written back as the files and the command that reproduce it: the model file (every value), the data file,
/// and <c>backprop trace --model ... --data ... --loss ...</c> with its learning rate and mode. Loading the two files
/// with <see cref="Problem.FromFiles{T}"/> gives the same problem.
/// </summary>
public sealed record ProblemFiles(string ModelJson, string DataJson, string Command)
{
    public static ProblemFiles Of<T>(Problem<T> problem, string modelPath = "model.json", string dataPath = "data.json")
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var args = new List<string> { "backprop", "trace", "--model", modelPath, "--data", dataPath, "--loss", problem.Loss.Name };
        if (problem.LearningRate is double lr) args.AddRange(["--lr", NumberFormat.RoundTrip(lr)]);
        if (!problem.Model.Training) args.AddRange(["--mode", "eval"]);
        if (typeof(T) == typeof(float)) args.AddRange(["--precision", "f32"]);
        return new ProblemFiles(ModelFile.Write(problem.Model), DataFile.Write(problem.Batch), string.Join(' ', args));
    }
}
