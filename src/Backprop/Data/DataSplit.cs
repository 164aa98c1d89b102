namespace Backprop.Data;

/// <summary>Which part of a dataset to load.</summary>
public enum DataSplit
{
    /// <summary>The training examples (Fashion-MNIST: 60000).</summary>
    Train,
    /// <summary>The held-out test examples (Fashion-MNIST: 10000).</summary>
    Test,
}
