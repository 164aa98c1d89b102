using System.Numerics;

namespace Backprop.Training;

/// <summary>What a classifier predicts for one example: the <paramref name="Class"/> with the largest score and the <paramref name="Probabilities"/> of all classes (softmax of the scores).</summary>
public sealed record ClassPrediction<T>(int Class, T[] Probabilities) where T : unmanaged, IFloatingPointIeee754<T>;
