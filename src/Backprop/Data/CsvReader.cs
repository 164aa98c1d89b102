using System.Globalization;

namespace Backprop.Data;

/// <summary>
/// Reads a labelled dataset from a CSV file (raw or gzip, recognised by its magic bytes): a header row of column names,
/// then one example per row. The column named by the label column holds the class; every other column is a numeric
/// feature, in column order, giving examples of shape [F].
/// <para>
/// Format: fields separated by commas; a field may be quoted with <c>"</c> (a doubled <c>""</c> inside is a quote),
/// but a quoted field may not span lines; spaces around fields are ignored; blank lines are skipped; every row must
/// have as many fields as the header. Features are parsed with the invariant culture (<c>1.5</c>, <c>-2e-3</c>) and
/// must be finite in float32: empty cells, text, NaN and ±Infinity are errors.
/// </para>
/// <para>
/// Labels (the class names are fixed by the distinct label values):
/// if every label is a non-negative integer (<c>3</c>, also written <c>3.0</c>), it is the class index itself and
/// there are max + 1 classes named "0" … "max" (classes that never occur stay empty);
/// otherwise, if every label is an integer (e.g. −1 and 1), the distinct values in increasing numeric order become
/// classes 0 … K−1;
/// otherwise the distinct label strings in ordinal (culture-independent) order become classes 0 … K−1
/// ("cat", "dog" → 0, 1). Integers are compared by value, so "03" and "3" are the same class.
/// To give a second file (a test set) the same classes, pass the first file's <see cref="Dataset.ClassNames"/> (or
/// <see cref="ReadClassNames(IReadOnlyList{string}, string)"/> over both files) to
/// <see cref="Read(string, string, IReadOnlyList{string})"/>.
/// </para>
/// Every error names the file, the line (1 = the header) and the column (1-based, with its name).
/// </summary>
public static class CsvReader
{
    /// <summary>Reads the file; classes from its own label values (see the class remarks).</summary>
    public static Dataset Read(string path, string labelColumn)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(labelColumn);
        return Parse(path, labelColumn, labelsOnly: false, fixedClasses: null).ToDataset(path);
    }

    /// <summary>
    /// Reads the file with the given classes (e.g. those of the training file): each label must equal one of
    /// <paramref name="classNames"/> (integers compared by value); its index is the class.
    /// </summary>
    public static Dataset Read(string path, string labelColumn, IReadOnlyList<string> classNames)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(labelColumn);
        ArgumentNullException.ThrowIfNull(classNames);
        return Parse(path, labelColumn, labelsOnly: false, new LabelSet(classNames)).ToDataset(path);
    }

    /// <summary>
    /// The class names the label values of all <paramref name="paths"/> together define (see the class remarks),
    /// reading only the label column: use it to give a training and a test file the same classes.
    /// </summary>
    public static IReadOnlyList<string> ReadClassNames(IReadOnlyList<string> paths, string labelColumn)
    {
        ArgumentNullException.ThrowIfNull(paths);
        ArgumentNullException.ThrowIfNull(labelColumn);
        var labels = new LabelSet();
        foreach (string path in paths)
        {
            var parsed = Parse(path, labelColumn, labelsOnly: true, fixedClasses: null);
            foreach (string name in parsed.Labels.Names) labels.Add(name, path, 0, $"column '{labelColumn}'");
        }
        return labels.ClassNames(paths.Count == 1 ? paths[0] : string.Join(", ", paths));
    }

    /// <summary>The class names of one file's labels.</summary>
    public static IReadOnlyList<string> ReadClassNames(string path, string labelColumn) => ReadClassNames([path], labelColumn);

    private sealed class Parsed(string[] header, int labelIndex, LabelSet labels, bool fixedClasses)
    {
        public string[] Header { get; } = header;
        public int LabelIndex { get; } = labelIndex;
        public LabelSet Labels { get; } = labels;
        public bool FixedClasses { get; } = fixedClasses;
        public float[] Features = [];
        public int[] RowLabels = [];
        public int Rows;

        public Dataset ToDataset(string path)
        {
            if (Rows == 0) throw new BackpropException($"{path}: no data rows after the header");
            int featureCount = Header.Length - 1;
            if (Features.Length != (long)Rows * featureCount) Array.Resize(ref Features, Rows * featureCount);
            if (RowLabels.Length != Rows) Array.Resize(ref RowLabels, Rows);
            if (FixedClasses)
                return new Dataset(Features, [featureCount], RowLabels, Labels.Count, Labels.Names);
            // Labels were numbered in order of first appearance; renumber them in class order.
            var names = Labels.ClassNames(path);
            var position = new Dictionary<string, int>(names.Count, StringComparer.Ordinal);
            for (int k = 0; k < names.Count; k++) position.Add(names[k], k);
            var remap = new int[Labels.Count];
            for (int k = 0; k < Labels.Count; k++) remap[k] = position[Labels.Names[k]];
            for (int i = 0; i < RowLabels.Length; i++) RowLabels[i] = remap[RowLabels[i]];
            return new Dataset(Features, [featureCount], RowLabels, names.Count, names);
        }
    }

    private static Parsed Parse(string path, string labelColumn, bool labelsOnly, LabelSet? fixedClasses)
    {
        using var reader = DataInput.OpenText(path);
        var fields = new List<(int Start, int Length, bool Quoted)>();

        int lineNumber = 0;
        string? line;
        do
        {
            line = DataInput.ReadLine(reader, path);
            lineNumber++;
        } while (line is not null && string.IsNullOrWhiteSpace(line));
        if (line is null) throw new BackpropException($"{path}: empty file; expected a header row of column names");

        Split(line, fields, path, lineNumber);
        var header = new string[fields.Count];
        for (int c = 0; c < fields.Count; c++) header[c] = FieldText(line, fields[c]);
        int labelIndex = FindLabelColumn(header, labelColumn, path, lineNumber);
        if (header.Length < 2)
            throw new BackpropException($"{path}: line {lineNumber}: the header has only the label column '{header[labelIndex]}'; expected at least one feature column");
        string labelWhere = $"column {labelIndex + 1} ('{header[labelIndex]}')";

        var parsed = new Parsed(header, labelIndex, fixedClasses ?? new LabelSet(), fixedClasses is not null);
        int featureCount = header.Length - 1;
        // Room for up to 1024 rows but at most 2²⁰ values to start with (a wide header is no reason to allocate much).
        int capacity = Math.Clamp((1 << 20) / featureCount, 1, 1024);
        if (!labelsOnly) parsed.Features = new float[capacity * featureCount];
        parsed.RowLabels = new int[capacity];

        while ((line = DataInput.ReadLine(reader, path)) is not null)
        {
            lineNumber++;
            if (string.IsNullOrWhiteSpace(line)) continue;
            Split(line, fields, path, lineNumber);
            if (fields.Count != header.Length)
                throw new BackpropException($"{path}: line {lineNumber}: {fields.Count} field{(fields.Count == 1 ? "" : "s")}, but the header has {header.Length} columns");

            int row = parsed.Rows;
            if (row == parsed.RowLabels.Length)
            {
                long grown = 2L * parsed.RowLabels.Length;
                if (grown * featureCount > Array.MaxLength) grown = Array.MaxLength / featureCount;
                if (grown <= row) throw new BackpropException($"{path}: line {lineNumber}: too many values to load ({row} rows of {featureCount} features)");
                Array.Resize(ref parsed.RowLabels, (int)grown);
                if (!labelsOnly) Array.Resize(ref parsed.Features, (int)grown * featureCount);
            }

            string label = FieldText(line, fields[labelIndex]).Trim();
            if (label.Length == 0) throw new BackpropException($"{path}: line {lineNumber}, {labelWhere}: empty label");
            parsed.RowLabels[row] = parsed.FixedClasses
                ? parsed.Labels.Lookup(label, path, lineNumber, labelWhere)
                : parsed.Labels.Add(label, path, lineNumber, labelWhere);

            if (!labelsOnly)
            {
                var target = parsed.Features.AsSpan(row * featureCount, featureCount);
                int f = 0;
                for (int c = 0; c < fields.Count; c++)
                {
                    if (c == labelIndex) continue;
                    target[f++] = ParseFeature(line, fields[c], path, lineNumber, c, header[c]);
                }
            }
            parsed.Rows++;
        }
        return parsed;
    }

    private static int FindLabelColumn(string[] header, string labelColumn, string path, int lineNumber)
    {
        int found = -1, foundIgnoringCase = -1, ignoringCase = 0;
        for (int c = 0; c < header.Length; c++)
        {
            if (header[c] == labelColumn)
            {
                if (found >= 0) throw new BackpropException($"{path}: line {lineNumber}: the label column '{labelColumn}' appears twice (columns {found + 1} and {c + 1})");
                found = c;
            }
            if (string.Equals(header[c], labelColumn, StringComparison.OrdinalIgnoreCase))
            {
                foundIgnoringCase = c;
                ignoringCase++;
            }
        }
        if (found >= 0) return found;
        if (ignoringCase == 1) return foundIgnoringCase;
        const int Shown = 12;
        string columns = string.Join(", ", header.Take(Shown).Select(h => $"'{h}'")) + (header.Length > Shown ? $", … ({header.Length} columns)" : "");
        throw new BackpropException($"{path}: line {lineNumber}: no label column '{labelColumn}' in the header; the columns are {columns}");
    }

    /// <summary>Splits one line into field ranges (quoted fields: the text between the quotes).</summary>
    private static void Split(string line, List<(int Start, int Length, bool Quoted)> fields, string path, int lineNumber)
    {
        fields.Clear();
        int i = 0;
        while (true)
        {
            int fieldStart = i;
            while (i < line.Length && line[i] is ' ' or '\t') i++;
            if (i < line.Length && line[i] == '"')
            {
                int start = ++i;
                while (true)
                {
                    if (i >= line.Length)
                        throw new BackpropException($"{path}: line {lineNumber}, column {fields.Count + 1}: unterminated quoted field (a field may not span lines)");
                    if (line[i] == '"')
                    {
                        if (i + 1 < line.Length && line[i + 1] == '"') { i += 2; continue; }
                        break;
                    }
                    i++;
                }
                fields.Add((start, i - start, true));
                i++;
                while (i < line.Length && line[i] is ' ' or '\t') i++;
                if (i < line.Length && line[i] != ',')
                    throw new BackpropException($"{path}: line {lineNumber}, column {fields.Count}: text after the closing quote");
            }
            else
            {
                int end = line.IndexOf(',', i);
                if (end < 0) end = line.Length;
                int s = fieldStart, e = end;
                while (s < e && line[s] is ' ' or '\t') s++;
                while (e > s && line[e - 1] is ' ' or '\t') e--;
                fields.Add((s, e - s, false));
                i = end;
            }
            if (i >= line.Length) return;
            i++; // the comma
        }
    }

    private static string FieldText(string line, (int Start, int Length, bool Quoted) field)
    {
        string text = line.Substring(field.Start, field.Length);
        return field.Quoted ? text.Replace("\"\"", "\"") : text;
    }

    private static float ParseFeature(string line, (int Start, int Length, bool Quoted) field, string path, int lineNumber, int column, string name)
    {
        var text = line.AsSpan(field.Start, field.Length);
        if (float.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out float value) && float.IsFinite(value))
            return value;
        string where = $"{path}: line {lineNumber}, column {column + 1} ('{name}')";
        if (text.IsWhiteSpace()) throw new BackpropException($"{where}: empty cell; expected a number");
        string shown = text.Length > 40 ? string.Concat(text[..40], "…") : text.ToString();
        if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double wide))
            throw new BackpropException(double.IsFinite(wide)
                ? $"{where}: {shown} is outside the float32 range"
                : $"{where}: {shown} is not a finite number");
        throw new BackpropException($"{where}: '{shown}' is not a number");
    }

    /// <summary>
    /// The distinct labels: either collected in order of first appearance (then sorted into classes by
    /// <see cref="ClassNames"/>) or fixed in advance (then only looked up). Integer labels are kept in canonical form.
    /// </summary>
    private sealed class LabelSet
    {
        private readonly Dictionary<string, int> _index = new(StringComparer.Ordinal);
        private readonly List<string> _names = [];

        public LabelSet() { }

        public LabelSet(IReadOnlyList<string> classNames)
        {
            for (int k = 0; k < classNames.Count; k++)
            {
                string name = Canonical(classNames[k] ?? throw new ArgumentNullException(nameof(classNames)));
                if (!_index.TryAdd(name, k)) throw new ArgumentException($"class name '{classNames[k]}' appears twice", nameof(classNames));
                _names.Add(classNames[k]);
            }
        }

        public int Count => _names.Count;
        public IReadOnlyList<string> Names => _names;

        private static string Where(string path, int line, string labelWhere) =>
            line > 0 ? $"{path}: line {line}, {labelWhere}" : $"{path}: {labelWhere}";

        public int Add(string label, string path, int line, string labelWhere)
        {
            string key = Canonical(label);
            if (_index.TryGetValue(key, out int k)) return k;
            if (_names.Count == Dataset.MaxClasses)
                throw new BackpropException($"{Where(path, line, labelWhere)}: more than {Dataset.MaxClasses} distinct labels");
            _index.Add(key, _names.Count);
            _names.Add(key);
            return _names.Count - 1;
        }

        public int Lookup(string label, string path, int line, string labelWhere)
        {
            if (_index.TryGetValue(Canonical(label), out int k)) return k;
            const int Shown = 20;
            string known = string.Join(", ", _names.Take(Shown)) + (_names.Count > Shown ? ", …" : "");
            throw new BackpropException($"{Where(path, line, labelWhere)}: label '{label}' is not one of the {_names.Count} classes ({known})");
        }

        private bool _allIntegers;

        private IComparer<string> Comparer() => _allIntegers
            ? Comparer<string>.Create((a, b) => long.Parse(a, CultureInfo.InvariantCulture).CompareTo(long.Parse(b, CultureInfo.InvariantCulture)))
            : StringComparer.Ordinal;

        /// <summary>The classes the collected labels define (see <see cref="CsvReader"/>).</summary>
        public IReadOnlyList<string> ClassNames(string source)
        {
            _allIntegers = true;
            bool allNonNegative = true;
            long max = -1;
            foreach (string name in _names)
            {
                if (!long.TryParse(name, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long v)) { _allIntegers = false; break; }
                if (v < 0) allNonNegative = false;
                max = Math.Max(max, v);
            }
            if (_allIntegers && allNonNegative)
            {
                if (max >= Dataset.MaxClasses)
                    throw new BackpropException($"{source}: label {max} would make {max + 1} classes; at most {Dataset.MaxClasses} are supported (use labels 0..K−1)");
                var names = new string[max + 1];
                for (int k = 0; k <= max; k++) names[k] = k.ToString(CultureInfo.InvariantCulture);
                return names;
            }
            var sorted = _names.ToArray();
            Array.Sort(sorted, Comparer());
            return sorted;
        }

        /// <summary>An integer label ("3", "+3", "03", "3.0", "3e0") becomes "3"; anything else stays as it is.</summary>
        private static string Canonical(string label)
        {
            if (long.TryParse(label, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long v))
                return v.ToString(CultureInfo.InvariantCulture);
            if (double.TryParse(label, NumberStyles.Float, CultureInfo.InvariantCulture, out double d)
                && double.IsFinite(d) && d == Math.Floor(d) && Math.Abs(d) < 1e15)
                return ((long)d).ToString(CultureInfo.InvariantCulture);
            return label;
        }
    }
}
