using System.CommandLine;
using Backprop.Data;
using Backprop.IO;
using Backprop.Losses;
using Backprop.Tensors;
using Backprop.Training;
using SkiaSharp;

namespace Backprop.Cli.Commands;

/// <summary>backprop predict: the class and class probabilities for chosen examples or a PNG image.</summary>
internal static class PredictCommand
{
    public static Command Create(TextWriter stdout, TextWriter stderr)
    {
        var modelDir = new Option<string>("--model") { Description = "The --out folder of 'backprop train'", Required = true, HelpName = "DIR" };
        var image = new Option<string?>("--image") { Description = "A grayscale PNG of the model's input size (e.g. 28x28)", HelpName = "FILE.png" };
        var dataset = new Option<string>("--dataset") { Description = "fashion-mnist, idx:DIR or csv:TRAIN[,TEST]", DefaultValueFactory = _ => "fashion-mnist" };
        var labelColumn = new Option<string?>("--label-column") { Description = "With csv: the name of the label column" };
        var index = new Option<string>("--index") { Description = "Comma-separated indices of test examples", DefaultValueFactory = _ => "0" };
        var command = new Command("predict", "Predict the class and class probabilities of test examples or of a PNG image");
        foreach (var o in new Option[] { modelDir, image, dataset, labelColumn, index }) command.Options.Add(o);
        command.SetAction(parse => CommandRunner.Run(stderr, () =>
        {
            if (parse.GetValue(image) is not null && new Option[] { dataset, labelColumn, index }.FirstOrDefault(o => CommandRunner.Given(parse, o)) is Option other)
                throw new BackpropException($"--image replaces the test examples that {other.Name} chooses; give --image or --dataset/--label-column/--index, not both");
            var trained = TrainedModel.Load(parse.GetValue(modelDir)!);
            var model = trained.Model;
            Dataset data;
            int[] rows;
            IReadOnlyList<string>? names = null;
            if (parse.GetValue(image) is string png)
            {
                data = new Dataset(ReadImage(png, model.InputShape), model.InputShape, [0], model.OutputShape[0]);
                rows = [0];
            }
            else
            {
                data = DatasetSource.Load(parse.GetValue(dataset)!, DataSplit.Test, parse.GetValue(labelColumn));
                names = data.ClassNames;
                rows = parse.GetValue(index)!.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).Select(s =>
                    int.TryParse(s, out int i) && i >= 0 && i < data.Count ? i : throw new BackpropException($"--index: '{s}' is not an example index in [0, {data.Count})")).ToArray();
            }
            trained.Prepare(data);
            var x = new Tensor<float>(Tensor.Batched(rows.Length, model.InputShape));
            var y = new Tensor<float>(rows.Length);
            data.CopyBatch<float>(rows, 0, rows.Length, x.Span, y.Span);
            var output = model.Forward(x);
            int classes = output.ExampleSize;
            for (int n = 0; n < rows.Length; n++)
            {
                var logits = output.Span.Slice(n * classes, classes);
                float lse = CrossEntropyLoss<float>.LogSumExp(logits);
                int predicted = Trainer<float>.ArgMax(logits);
                string Name(int c) => names is not null && c < names.Count && names[c] != c.ToString() ? $"{c} ({names[c]})" : c.ToString();
                string truth = parse.GetValue(image) is null ? $", true class {Name(data.Labels[rows[n]])}" : "";
                stdout.WriteLine($"example {rows[n]}: predicted {Name(predicted)}{truth}");
                var probabilities = new string[classes];
                for (int c = 0; c < classes; c++) probabilities[c] = $"{c}: {MathF.Exp(logits[c] - lse):F4}";
                stdout.WriteLine("  probabilities: " + string.Join(", ", probabilities));
            }
            return ExitCodes.Ok;
        }));
        return command;
    }

    /// <summary>
    /// Reads a PNG as grayscale 0..255 values; its size must be the model's [1, H, W] input. The size is read from the
    /// header before anything is decoded (a small file may declare 60000x60000 pixels), and a decode that is not
    /// complete (a truncated file) is refused rather than read as a partly black image.
    /// </summary>
    private static float[] ReadImage(string path, int[] inputShape)
    {
        if (!File.Exists(path)) throw new BackpropException($"{path}: no such file");
        FileKinds.CheckInput(path);
        byte[] bytes;
        try
        {
            long length = new FileInfo(path).Length;
            if (length > MaxImageBytes) throw new BackpropException($"{path}: {length:N0} bytes, over the limit of {MaxImageBytes:N0} bytes for an image");
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new BackpropException($"{path}: cannot read the file: {e.Message}");
        }
        var (width, height) = PngSize(bytes, path);
        if (inputShape.Length != 3 || inputShape[0] != 1 || height != inputShape[1] || width != inputShape[2])
            throw new BackpropException($"{path}: image is {width}x{height}, but the model expects input [{string.Join(", ", inputShape)}] (one channel, height × width)");
        using var codec = SKCodec.Create(new SKMemoryStream(bytes)) ?? throw new BackpropException($"{path}: not a readable PNG image");
        if (codec.Info.Width != width || codec.Info.Height != height)
            throw new BackpropException($"{path}: not a readable PNG image (its header says {width}x{height}, the decoder {codec.Info.Width}x{codec.Info.Height})");
        // The pixel format SKBitmap.Decode chose before (the codec's own, premultiplied), so the values are unchanged.
        var info = codec.Info;
        if (info.AlphaType == SKAlphaType.Unpremul) info.AlphaType = SKAlphaType.Premul;
        using var bitmap = new SKBitmap(info);
        var result = codec.GetPixels(bitmap.Info, bitmap.GetPixels());
        if (result != SKCodecResult.Success)
            throw new BackpropException(result == SKCodecResult.IncompleteInput
                ? $"{path}: the PNG is incomplete (truncated?); its pixels could not all be decoded"
                : $"{path}: not a readable PNG image ({result})");
        var values = new float[width * height];
        for (int r = 0; r < height; r++)
            for (int c = 0; c < width; c++)
            {
                var px = bitmap.GetPixel(c, r);
                values[r * width + c] = 0.299f * px.Red + 0.587f * px.Green + 0.114f * px.Blue;
            }
        return values;
    }

    /// <summary>The largest image file read: 64 MB (a model's input image is a few KB).</summary>
    private const long MaxImageBytes = 64L << 20;

    /// <summary>Width and height from the PNG signature and IHDR chunk, which the format puts first.</summary>
    private static (int Width, int Height) PngSize(byte[] bytes, string path)
    {
        ReadOnlySpan<byte> signature = [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A];
        if (bytes.Length < 24 || !bytes.AsSpan(0, 8).SequenceEqual(signature) || !bytes.AsSpan(12, 4).SequenceEqual("IHDR"u8))
            throw new BackpropException($"{path}: not a PNG image (no PNG signature and IHDR header)");
        uint width = System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(bytes.AsSpan(16)), height = System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(bytes.AsSpan(20));
        if (width is 0 or > int.MaxValue || height is 0 or > int.MaxValue)
            throw new BackpropException($"{path}: the PNG header declares {width}x{height} pixels, not a valid size");
        return ((int)width, (int)height);
    }
}
