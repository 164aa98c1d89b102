using System.Numerics;

namespace Backprop.Layers;

/// <summary>
/// The description of a <see cref="BatchNorm2d{T}"/>: <c>{"type": "batchnorm2d"}</c> on [channels, height, width];
/// see <see cref="BatchNorm"/> for the fields.
/// </summary>
public sealed record BatchNorm2d(double Eps = 1e-5, double? Momentum = 0.1, bool Affine = true, bool TrackRunningStats = true)
    : BatchNorm(Eps, Momentum, Affine, TrackRunningStats)
{
    public static LayerKind Definition { get; } = new("batchnorm2d", Fields, f =>
    {
        var r = Read(f);
        return new BatchNorm2d(r.Eps, r.Momentum, r.Affine, r.Track) { Values = r.Values };
    });

    public override LayerKind Kind => Definition;

    public override LayerLayout Layout(int[] inputShape, string where)
    {
        NeedRank(inputShape, 3, "an input [channels, height, width]", where, "; use batchnorm1d on [features]");
        return Layout(inputShape);
    }

    public override Layer<T> Create<T>(int[] inputShape) => new BatchNorm2d<T>(inputShape, Eps, Momentum, Affine, TrackRunningStats);
}

/// <summary>PyTorch's BatchNorm2d: batch normalisation of [N, C, H, W] per channel, over N, H and W; see <see cref="BatchNorm{T}"/>.</summary>
public sealed class BatchNorm2d<T>(int[] shape, double eps = 1e-5, double? momentum = 0.1, bool affine = true, bool trackRunningStats = true)
    : BatchNorm<T>(shape, eps, momentum, affine, trackRunningStats) where T : unmanaged, IFloatingPointIeee754<T>
{
    public override LayerSpec Spec => new BatchNorm2d(Eps, Momentum, Weight is not null, RunningMean is not null);
}
