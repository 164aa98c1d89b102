using System.Numerics;
using Backprop.Losses;
using Backprop.Tensors;
using CsCheck;

namespace Backprop.Tests.Support;

/// <summary>One random loss evaluation: predictions ŷ [batch, features] and targets laid out as the loss's <see cref="TargetKind"/> says.</summary>
public sealed class LossCase(string name, int batch, int features, double[] prediction, double[] target, double labelSmoothing = 0)
{
    public string Name { get; } = name;
    public int Batch { get; } = batch;
    public int Features { get; } = features;
    public double[] PredictionValues { get; } = prediction;
    public double[] TargetValues { get; } = target;

    /// <summary>Cross-entropy's label smoothing ε (0 for every other loss).</summary>
    public double LabelSmoothing { get; } = labelSmoothing;

    public Loss<T> Create<T>() where T : unmanaged, IFloatingPointIeee754<T> =>
        LabelSmoothing > 0 ? new CrossEntropyLoss<T>(LabelSmoothing) : LossFunctions.Create<T>(Name);

    public Tensor<T> Prediction<T>() where T : unmanaged, IFloatingPointIeee754<T> => Tensor<T>.FromDoubles(PredictionValues, Batch, Features);

    public Tensor<T> Target<T>() where T : unmanaged, IFloatingPointIeee754<T> =>
        Create<double>().Target is TargetKind.ClassIndices or TargetKind.Signs
            ? Tensor<T>.FromDoubles(TargetValues, Batch)
            : Tensor<T>.FromDoubles(TargetValues, Batch, Features);

    public LossCase RoundedToSingle() => new(Name, Batch, Features, Values.ToSingle(PredictionValues), TargetValues, LabelSmoothing);

    public override string ToString() =>
        $"{Name}{(LabelSmoothing > 0 ? $" (label smoothing {LabelSmoothing})" : "")}, batch {Batch}, features {Features}\n  ŷ = {Values.Format(PredictionValues)}\n  y = {Values.Format(TargetValues)}";
}

/// <summary>Generators of random loss cases, one per loss, with targets of the right kind.</summary>
public static class LossGens
{
    private static readonly Gen<double> Probability = Gen.OneOf(Gen.Double[0, 1], Gen.OneOfConst(0.0, 1.0));
    private static readonly Gen<double> Sign = Gen.OneOfConst(-1.0, 1.0);

    public static readonly IReadOnlyDictionary<string, Gen<LossCase>> ByName = new Dictionary<string, Gen<LossCase>>
    {
        ["mse"] = Elementwise("mse", LayerGens.Value, LayerGens.Value),
        ["sse"] = Elementwise("sse", LayerGens.Value, LayerGens.Value),
        ["half_sse"] = Elementwise("half_sse", LayerGens.Value, LayerGens.Value),
        // BCE on probabilities: ŷ inside (0.05, 0.95), where its logs are smooth and unclamped.
        ["bce"] = Elementwise("bce", Gen.Double[0.05, 0.95], Probability),
        ["bce_with_logits"] = Elementwise("bce_with_logits", Gen.Double[-4, 4], Probability),
        ["cross_entropy"] = Classes("cross_entropy", n => Gen.Double[-3, 3].Array[n]),
        // The multiclass perceptron has kinks where two scores tie; spreading the scores keeps every tie 1e-3 away.
        ["multiclass_perceptron"] = Classes("multiclass_perceptron", n => LayerGens.Value.Array[n].Select(v => Values.Spread(v, LayerGens.KinkGap))),
        ["logistic"] = Margins("logistic", Gen.Double[-4, 4]),
        // Perceptron and hinge have kinks at y·ŷ = 0 and y·ŷ = 1: ŷ keeps away from 0 and ±1.
        ["perceptron"] = Margins("perceptron", LayerGens.AwayFrom(0, LayerGens.AwayFrom(1, LayerGens.AwayFrom(-1, Gen.Double[-3, 3])))),
        ["hinge"] = Margins("hinge", LayerGens.AwayFrom(0, LayerGens.AwayFrom(1, LayerGens.AwayFrom(-1, Gen.Double[-3, 3])))),
    };

    /// <summary>Cross-entropy with label smoothing ε drawn from (0, 1] (ε = 1 is a uniform target).</summary>
    public static readonly Gen<LossCase> SmoothedCrossEntropy =
        from c in ByName["cross_entropy"]
        from epsilon in Gen.OneOf(Gen.Double[0.01, 1], Gen.OneOfConst(0.1, 1.0))
        select new LossCase(c.Name, c.Batch, c.Features, c.PredictionValues, c.TargetValues, epsilon);

    private static Gen<LossCase> Elementwise(string name, Gen<double> predictions, Gen<double> targets) =>
        from batch in Gen.Int[1, 4]
        from features in Gen.Int[1, 4]
        from p in predictions.Array[batch * features]
        from y in targets.Array[batch * features]
        select new LossCase(name, batch, features, p, y);

    private static Gen<LossCase> Classes(string name, Func<int, Gen<double[]>> scores) =>
        from batch in Gen.Int[1, 4]
        from classes in Gen.Int[1, 5]
        from p in scores(batch * classes)
        from y in Gen.Int[0, classes - 1].Array[batch]
        select new LossCase(name, batch, classes, p, y.Select(v => (double)v).ToArray());

    private static Gen<LossCase> Margins(string name, Gen<double> predictions) =>
        from batch in Gen.Int[1, 4]
        from p in predictions.Array[batch]
        from y in Sign.Array[batch]
        select new LossCase(name, batch, 1, p, y);
}
