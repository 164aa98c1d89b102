using System.Numerics;

namespace Backprop.Layers;

/// <summary>
/// The description of a <see cref="BatchNorm1d{T}"/>: <c>{"type": "batchnorm1d"}</c> on [features] (or, as PyTorch
/// allows, [channels, length]); see <see cref="BatchNorm"/> for the fields.
/// </summary>
public sealed record BatchNorm1d(double Eps = 1e-5, double? Momentum = 0.1, bool Affine = true, bool TrackRunningStats = true)
    : BatchNorm(Eps, Momentum, Affine, TrackRunningStats)
{
    public static LayerKind Definition { get; } = new("batchnorm1d", Fields, f =>
    {
        var r = Read(f);
        return new BatchNorm1d(r.Eps, r.Momentum, r.Affine, r.Track) { Values = r.Values };
    });

    public override LayerKind Kind => Definition;

    public override LayerLayout Layout(int[] inputShape, string where)
    {
        if (inputShape.Length is not (1 or 2))
            NeedRank(inputShape, 1, "an input [features] (or [channels, length])", where, "; use batchnorm2d on [channels, height, width]");
        return Layout(inputShape);
    }

    public override Layer<T> Create<T>(int[] inputShape) => new BatchNorm1d<T>(inputShape, Eps, Momentum, Affine, TrackRunningStats);
}

/// <summary>PyTorch's BatchNorm1d: batch normalisation of [N, C] (or [N, C, L]) per feature; see <see cref="BatchNorm{T}"/>.</summary>
public sealed class BatchNorm1d<T>(int[] shape, double eps = 1e-5, double? momentum = 0.1, bool affine = true, bool trackRunningStats = true)
    : BatchNorm<T>(shape, eps, momentum, affine, trackRunningStats) where T : unmanaged, IFloatingPointIeee754<T>
{
    public override LayerSpec Spec => new BatchNorm1d(Eps, Momentum, Weight is not null, RunningMean is not null);
}
