namespace Backprop.Tests.Support;

/// <summary>
/// Writes a small IDX data set (train-* and t10k-* files) of three classes of 6×6 images: a bright row, a bright
/// column, or the bright diagonal, with noise. Easy enough to learn in a few epochs, real enough to exercise the readers.
/// </summary>
public static class SyntheticIdx
{
    public static string Write(string dir, int trainCount = 600, int testCount = 150, ulong seed = 42)
    {
        Directory.CreateDirectory(dir);
        var rng = new Rng(seed);
        void WriteSplit(string prefix, int count)
        {
            var images = new byte[count * 36];
            var labels = new byte[count];
            for (int n = 0; n < count; n++)
            {
                int label = rng.NextInt(3), at = rng.NextInt(6);
                labels[n] = (byte)label;
                for (int r = 0; r < 6; r++)
                    for (int c = 0; c < 6; c++)
                    {
                        bool on = label switch { 0 => r == at, 1 => c == at, _ => r == c };
                        images[n * 36 + r * 6 + c] = (byte)Math.Clamp((on ? 200 : 30) + rng.NextInt(60) - 30, 0, 255);
                    }
            }
            File.WriteAllBytes(Path.Combine(dir, $"{prefix}-images-idx3-ubyte"), [0, 0, 8, 3, .. BigEndian(count), .. BigEndian(6), .. BigEndian(6), .. images]);
            File.WriteAllBytes(Path.Combine(dir, $"{prefix}-labels-idx1-ubyte"), [0, 0, 8, 1, .. BigEndian(count), .. labels]);
        }
        WriteSplit("train", trainCount);
        WriteSplit("t10k", testCount);
        return "idx:" + dir;
    }

    /// <summary>A small CNN for the 6×6 images.</summary>
    public const string Model = """
        {"input": [1, 6, 6], "layers": [
          {"type": "conv2d", "out_channels": 3, "kernel_size": 3, "padding": 1}, {"type": "relu"},
          {"type": "maxpool2d", "kernel_size": 2}, {"type": "flatten"},
          {"type": "linear", "out": 16}, {"type": "tanh"}, {"type": "linear", "out": 3}]}
        """;

    private static byte[] BigEndian(int v) => [(byte)(v >> 24), (byte)(v >> 16), (byte)(v >> 8), (byte)v];
}
