using Backprop.Layers;
using Backprop.Models;

namespace Backprop.Tests.Support;

/// <summary>
/// Random whole models (architecture only) that use every layer type of <see cref="LayerKinds"/>: an image branch
/// (conv2d, batchnorm2d, pooling), a sequence branch (conv1d, batchnorm1d on [channels, length]) or a flat input,
/// then flatten, linear layers with batchnorm1d and dropout, activations anywhere, sometimes a softmax head. Written
/// as model-file text and parsed, so the file reader is part of what is exercised.
/// </summary>
public static class ModelGens
{
    private static readonly string[] Activations =
    [
        """{"type": "relu"}""", """{"type": "relu", "scale": 2}""", """{"type": "leaky_relu", "negative_slope": 0.1}""",
        """{"type": "softplus", "beta": 2}""", """{"type": "sigmoid"}""", """{"type": "tanh"}""", """{"type": "gelu"}""",
        """{"type": "identity"}""",
    ];

    /// <summary>A random model's file text; the same seed gives the same model.</summary>
    public static string ModelText(ulong seed)
    {
        var rng = new Rng(seed);
        int Between(int low, int high) => low + rng.NextInt(high - low + 1);
        bool Coin() => rng.NextInt(2) == 0;
        string Bias() => rng.NextInt(4) == 0 ? ", \"bias\": false" : "";
        string BatchNorm(string type)
        {
            // affine and track_running_stats not both false: the torch reference reads the channels off their values.
            return rng.NextInt(4) switch
            {
                0 => $"{{\"type\": \"{type}\", \"affine\": false}}",
                1 => $"{{\"type\": \"{type}\", \"track_running_stats\": false, \"eps\": 0.001}}",
                _ => $"{{\"type\": \"{type}\", \"momentum\": {(Coin() ? "0.1" : "null")}}}",
            };
        }
        var layers = new List<string>();
        int[] input;
        switch (rng.NextInt(3))
        {
            case 0:
            {
                input = [Between(1, 3), Between(6, 12), Between(6, 12)];
                int h = input[1], w = input[2];
                int blocks = Between(1, 2);
                for (int b = 0; b < blocks; b++)
                {
                    int p = Between(0, 1), s = Between(1, 2), k = Between(1, Math.Min(3, Math.Min(h, w) + 2 * p));
                    layers.Add($"{{\"type\": \"conv2d\", \"out_channels\": {Between(1, 6)}, \"kernel_size\": {k}, \"stride\": {s}, \"padding\": {p}{Bias()}}}");
                    h = (h + 2 * p - k) / s + 1;
                    w = (w + 2 * p - k) / s + 1;
                    if (Coin()) layers.Add(BatchNorm("batchnorm2d"));
                    layers.Add(Activations[rng.NextInt(Activations.Length)]);
                    if (h >= 2 && w >= 2 && Coin())
                    {
                        int kh = Between(2, Math.Min(3, h)), kw = Between(1, Math.Min(3, w)), sh = Coin() ? kh : 1, sw = Coin() ? kw : 1;
                        layers.Add($"{{\"type\": \"{(Coin() ? "maxpool2d" : "avgpool2d")}\", \"kernel_size\": [{kh}, {kw}], \"stride\": [{sh}, {sw}]}}");
                        h = (h - kh) / sh + 1;
                        w = (w - kw) / sw + 1;
                    }
                }
                layers.Add("""{"type": "flatten"}""");
                break;
            }
            case 1:
            {
                input = [Between(1, 3), Between(4, 12)];
                int k = Between(1, 4);
                layers.Add($"{{\"type\": \"conv1d\", \"out_channels\": {Between(1, 5)}, \"kernel_size\": {k}, \"stride\": {Between(1, 2)}, \"padding\": {Between(0, 2)}{Bias()}}}");
                if (Coin()) layers.Add(BatchNorm("batchnorm1d"));
                layers.Add(Activations[rng.NextInt(Activations.Length)]);
                layers.Add("""{"type": "flatten"}""");
                break;
            }
            default:
                input = [Between(1, 20)];
                break;
        }
        int hidden = Between(0, 2);
        for (int i = 0; i < hidden; i++)
        {
            layers.Add($"{{\"type\": \"linear\", \"out\": {Between(2, 16)}{Bias()}}}");
            if (Coin()) layers.Add(BatchNorm("batchnorm1d"));
            layers.Add(Activations[rng.NextInt(Activations.Length)]);
            if (Coin()) layers.Add($"{{\"type\": \"dropout\", \"p\": {(Coin() ? "0.5" : "0.2")}}}");
        }
        layers.Add($"{{\"type\": \"linear\", \"out\": {Between(1, 10)}{Bias()}}}");
        if (rng.NextInt(4) == 0) layers.Add("""{"type": "softmax"}""");
        return $"{{\"input\": [{string.Join(", ", input)}], \"seed\": {seed % 1000}, \"layers\": [\n  {string.Join(",\n  ", layers)}]}}";
    }

    /// <summary>A random model, parsed.</summary>
    public static ModelSpec Model(ulong seed) => ModelFile.Parse(ModelText(seed), $"random model {seed}");
}
