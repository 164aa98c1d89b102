namespace Backprop.Experiments;

/// <summary>Loss and accuracy on the training and test sets after an epoch (epoch 0: before training).</summary>
public sealed record MiniCnnEpoch(int Epoch, double TrainLoss, double TrainAccuracy, double TestLoss, double TestAccuracy);
