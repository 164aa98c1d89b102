namespace Backprop.Data;

/// <summary>
/// Loads a dataset named by a spec string (the CLI's <c>--dataset</c>):
/// <list type="bullet">
/// <item><c>fashion-mnist</c> (the default; also the empty string): the Debian package <c>dataset-fashion-mnist</c> in
/// <see cref="FashionMnistDirectory"/>; 10 classes named as in <see cref="FashionMnistClassNames"/>.</item>
/// <item><c>idx:DIR</c>: the four MNIST-style IDX files in DIR, raw or gzip: <c>train-images-idx3-ubyte</c>,
/// <c>train-labels-idx1-ubyte</c>, <c>t10k-images-idx3-ubyte</c>, <c>t10k-labels-idx1-ubyte</c>, each optionally with
/// <c>.gz</c> (also accepted: <c>.idx3-ubyte</c> for <c>-idx3-ubyte</c>, and <c>test</c> for <c>t10k</c>).
/// K = 1 + the largest label of both label files; classes named "0" … "K−1".</item>
/// <item><c>csv:TRAIN</c> or <c>csv:TRAIN,TEST</c>: CSV files read by <see cref="CsvReader"/> with the label column
/// <c>labelColumn</c> (default <see cref="DefaultLabelColumn"/>); the classes come from the labels of both files
/// together, so both splits agree. The test split needs the second file. File names may not contain commas.</item>
/// </list>
/// Images of shape [N, H, W] give examples [1, H, W] (one channel); [N, ...rest] gives [...rest] otherwise.
/// Values are as stored (bytes 0..255): scale them with <see cref="Preprocessing.ScaleToUnit"/>.
/// Every problem throws <see cref="BackpropException"/> naming the file.
/// </summary>
public static class DatasetSource
{
    /// <summary>Where the Debian package <c>dataset-fashion-mnist</c> installs the IDX files.</summary>
    public const string FashionMnistDirectory = "/usr/share/datasets/fashion-mnist";

    /// <summary>The label column of <c>csv:</c> specs when none is given.</summary>
    public const string DefaultLabelColumn = "label";

    /// <summary>Fashion-MNIST's classes, index = label.</summary>
    public static IReadOnlyList<string> FashionMnistClassNames { get; } = Array.AsReadOnly(new[]
    {
        "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
    });

    private const string Specs = "fashion-mnist, idx:DIR, csv:TRAIN or csv:TRAIN,TEST";

    /// <summary>Loads one split of the dataset that <paramref name="spec"/> names (see the class remarks).</summary>
    /// <param name="spec"><c>fashion-mnist</c>, <c>idx:DIR</c>, <c>csv:TRAIN</c> or <c>csv:TRAIN,TEST</c>.</param>
    /// <param name="split">Train or test examples.</param>
    /// <param name="labelColumn">The label column of a CSV file (default <see cref="DefaultLabelColumn"/>); only for <c>csv:</c> specs.</param>
    public static Dataset Load(string spec, DataSplit split, string? labelColumn = null)
    {
        ArgumentNullException.ThrowIfNull(spec);
        string s = spec.Trim();
        if (IsCsv(s))
            return LoadCsv(s[4..], split, labelColumn ?? DefaultLabelColumn);
        if (labelColumn is not null)
            throw new BackpropException($"dataset '{spec}': a label column ('{labelColumn}') applies only to csv: datasets");
        if (s.Length == 0 || s.Equals("fashion-mnist", StringComparison.OrdinalIgnoreCase))
            return LoadFashionMnist(split);
        if (s.StartsWith("idx:", StringComparison.OrdinalIgnoreCase))
        {
            string directory = s[4..];
            if (directory.Length == 0) throw new BackpropException($"dataset '{spec}': idx: needs a directory, e.g. idx:/data/mnist");
            return LoadIdx(directory, split);
        }
        throw new BackpropException($"unknown dataset '{spec}'; expected {Specs}");
    }

    /// <summary>
    /// Whether <paramref name="spec"/> names CSV files: <c>csv:</c> in any case, after any spaces, as <see cref="Load"/>
    /// reads it. Everything that treats CSV data differently (no scaling to [0, 1]) asks this, so that <c>CSV:a,b</c>
    /// is not loaded as CSV and then scaled as images.
    /// </summary>
    public static bool IsCsv(string spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        return spec.AsSpan().Trim().StartsWith("csv:", StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>
    /// <paramref name="spec"/> with its files and directory as absolute paths, resolved against the current directory
    /// (<c>csv:train.csv,test.csv</c> → <c>csv:/home/me/train.csv,/home/me/test.csv</c>), for a spec that is read
    /// elsewhere later (the exported train.py runs from any directory). Other specs, and ones that are not well formed
    /// (which <see cref="Load"/> refuses), come back as they are.
    /// </summary>
    public static string WithFullPaths(string spec)
    {
        var paths = NamedPaths(spec);
        return paths.Count == 0 ? spec : spec.Trim()[..4] + string.Join(",", paths.Select(Path.GetFullPath));
    }

    /// <summary>
    /// The files (<c>csv:</c>) or the directory (<c>idx:</c>) <paramref name="spec"/> names, as written; none for
    /// <c>fashion-mnist</c>, other specs, and ones that are not well formed (which <see cref="Load"/> refuses).
    /// </summary>
    public static IReadOnlyList<string> NamedPaths(string spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        string s = spec.Trim();
        if (IsCsv(s))
        {
            string[] paths = s[4..].Split(',').Select(p => p.Trim()).ToArray();
            return paths.Length > 2 || Array.IndexOf(paths, "") >= 0 ? [] : paths;
        }
        if (s.StartsWith("idx:", StringComparison.OrdinalIgnoreCase))
            return s.Length == 4 ? [] : [s[4..]];
        return [];
    }

    /// <summary>
    /// Fashion-MNIST from <paramref name="directory"/> (by default the Debian package's). When the directory or a file
    /// is missing, the error says how to install it.
    /// </summary>
    public static Dataset LoadFashionMnist(DataSplit split, string directory = FashionMnistDirectory)
    {
        ArgumentNullException.ThrowIfNull(directory);
        string install = $"Install it with 'sudo apt-get install dataset-fashion-mnist' (Debian package), or use --dataset idx:DIR with a directory holding the four IDX files (train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz, t10k-images-idx3-ubyte.gz, t10k-labels-idx1-ubyte.gz).";
        if (!Directory.Exists(directory))
            throw new BackpropException($"Fashion-MNIST is not installed: {directory} does not exist. {install}");
        string images = FindIdxFile(directory, split, "images", 3)
            ?? throw new BackpropException($"Fashion-MNIST is incomplete: {Path.Combine(directory, IdxName(split, "images", 3))}[.gz] does not exist. {install}");
        string labels = FindIdxFile(directory, split, "labels", 1)
            ?? throw new BackpropException($"Fashion-MNIST is incomplete: {Path.Combine(directory, IdxName(split, "labels", 1))}[.gz] does not exist. {install}");
        return FromIdxFiles(images, labels, FashionMnistClassNames.Count, FashionMnistClassNames);
    }

    /// <summary>
    /// One split of the IDX files in <paramref name="directory"/>; K = 1 + the largest label found in the train and
    /// test label files (those that exist), so both splits get the same classes.
    /// </summary>
    public static Dataset LoadIdx(string directory, DataSplit split)
    {
        ArgumentNullException.ThrowIfNull(directory);
        if (!Directory.Exists(directory))
            throw new BackpropException($"idx:{directory}: the directory does not exist");
        string images = FindIdxFile(directory, split, "images", 3)
            ?? throw new BackpropException($"idx:{directory}: no {IdxName(split, "images", 3)}[.gz] in the directory");
        string labels = FindIdxFile(directory, split, "labels", 1)
            ?? throw new BackpropException($"idx:{directory}: no {IdxName(split, "labels", 1)}[.gz] in the directory");
        var labelArray = ReadLabels(labels, Dataset.MaxClasses);
        int classes = MaxLabel(labelArray.Values) + 1;
        var other = split == DataSplit.Train ? DataSplit.Test : DataSplit.Train;
        string? otherLabels = FindIdxFile(directory, other, "labels", 1);
        if (otherLabels is not null) classes = Math.Max(classes, MaxLabel(ReadLabels(otherLabels, Dataset.MaxClasses).Values) + 1);
        return Build(images, IdxReader.Read(images), labels, labelArray, classes, null);
    }

    /// <summary>
    /// A dataset from an images file [N, ...] and a labels file [N] (IDX, raw or gzip). Labels must be integers in
    /// [0, <paramref name="classes"/>); with <paramref name="classes"/> null, K = 1 + the largest label.
    /// </summary>
    public static Dataset FromIdxFiles(string imagesPath, string labelsPath, int? classes = null, IReadOnlyList<string>? classNames = null)
    {
        ArgumentNullException.ThrowIfNull(imagesPath);
        ArgumentNullException.ThrowIfNull(labelsPath);
        var labels = ReadLabels(labelsPath, classes ?? Dataset.MaxClasses);
        var images = IdxReader.Read(imagesPath);
        return Build(imagesPath, images, labelsPath, labels, classes ?? MaxLabel(labels.Values) + 1, classNames);
    }

    private static Dataset Build(string imagesPath, IdxArray images, string labelsPath, IdxArray labels, int classes, IReadOnlyList<string>? classNames)
    {
        var shape = images.Shape;
        if (shape.Length < 2)
            throw new BackpropException($"{imagesPath}: expected examples of shape [N, ...] (e.g. [N, 28, 28]), got [{string.Join(", ", shape)}]");
        if (labels.Shape[0] != shape[0])
            throw new BackpropException($"{labelsPath}: {labels.Shape[0]} labels, but {imagesPath} has {shape[0]} examples");
        if (shape[0] == 0)
            throw new BackpropException($"{imagesPath}: no examples (the first dimension is 0)");
        for (int d = 1; d < shape.Length; d++)
            if (shape[d] == 0)
                throw new BackpropException($"{imagesPath}: examples of shape [{string.Join(", ", shape[1..])}] are empty");
        if (images.DataType is IdxDataType.Single or IdxDataType.Double)
        {
            var values = images.Values;
            for (int i = 0; i < values.Length; i++)
                if (!float.IsFinite(values[i]))
                    throw new BackpropException($"{imagesPath}: value {i} (example {i / (values.Length / shape[0])}) is {values[i]}, not a finite float32");
        }
        int[] exampleShape = shape.Length == 3 ? [1, shape[1], shape[2]] : shape[1..];
        var labelValues = labels.Values;
        var classIndices = new int[labelValues.Length];
        for (int i = 0; i < classIndices.Length; i++) classIndices[i] = (int)labelValues[i];
        return new Dataset(images.Values, exampleShape, classIndices, classes, classNames);
    }

    /// <summary>Reads a labels file [N] whose values must be integers in [0, <paramref name="classes"/>).</summary>
    private static IdxArray ReadLabels(string path, int classes)
    {
        var labels = IdxReader.Read(path);
        if (labels.Shape.Length != 1)
            throw new BackpropException($"{path}: expected labels of shape [N], got [{string.Join(", ", labels.Shape)}]");
        var values = labels.Values;
        for (int i = 0; i < values.Length; i++)
        {
            float v = values[i];
            if (!(v >= 0 && v < classes && v == MathF.Floor(v)))
                throw new BackpropException(classes == Dataset.MaxClasses
                    ? $"{path}: label {v} at index {i} is not a class index (an integer in 0..{classes - 1})"
                    : $"{path}: label {v} at index {i} is outside 0..{classes - 1}");
        }
        return labels;
    }

    private static int MaxLabel(float[] labels)
    {
        float max = 0;
        foreach (float v in labels) max = Math.Max(max, v);
        return (int)max;
    }

    private static string IdxName(DataSplit split, string kind, int dims) =>
        $"{(split == DataSplit.Train ? "train" : "t10k")}-{kind}-idx{dims}-ubyte";

    /// <summary>The first existing of PREFIX-KIND-idxD-ubyte, PREFIX-KIND.idxD-ubyte (each raw, then .gz), PREFIX = train or t10k/test.</summary>
    private static string? FindIdxFile(string directory, DataSplit split, string kind, int dims)
    {
        string[] prefixes = split == DataSplit.Train ? ["train"] : ["t10k", "test"];
        foreach (string prefix in prefixes)
            foreach (string separator in (string[])["-", "."])
                foreach (string suffix in (string[])["", ".gz"])
                {
                    string path = Path.Combine(directory, $"{prefix}-{kind}{separator}idx{dims}-ubyte{suffix}");
                    if (File.Exists(path)) return path;
                }
        return null;
    }

    private static Dataset LoadCsv(string files, DataSplit split, string labelColumn)
    {
        string[] paths = files.Split(',');
        for (int i = 0; i < paths.Length; i++) paths[i] = paths[i].Trim();
        if (paths.Length > 2 || Array.IndexOf(paths, "") >= 0)
            throw new BackpropException($"dataset 'csv:{files}': expected csv:TRAIN or csv:TRAIN,TEST (file names may not contain commas)");
        if (split == DataSplit.Test && paths.Length == 1)
            throw new BackpropException($"dataset 'csv:{files}': no test file; use csv:TRAIN,TEST");
        if (paths.Length == 1) return CsvReader.Read(paths[0], labelColumn);
        var classNames = CsvReader.ReadClassNames(paths, labelColumn);
        return CsvReader.Read(paths[split == DataSplit.Train ? 0 : 1], labelColumn, classNames);
    }
}
