using System.Globalization;
using Backprop.IO;
using nietras.SeparatedValues;

namespace Backprop.Data;

/// <summary>
/// Reads a labelled dataset from a CSV file (raw or gzip, recognised by its magic bytes): a header row of column names,
/// then one example per row. The column named by the label column holds the class; every other column is a numeric
/// feature, in column order, giving examples of shape [F].
/// <para>
/// Format (read with Sep, RFC 4180): fields separated by commas; a field may be quoted with <c>"</c> (a doubled
/// <c>""</c> inside is a quote), and a quoted field may span lines; spaces and tabs around fields are ignored; a line
/// is at most <see cref="MaxLineLength"/> characters; blank lines are skipped; every row must
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
        using var text = DataInput.OpenText(path, MaxLineLength);
        // The header is read as a row (HasHeader = false) so that blank lines before it are skipped and its errors
        // name their line; every row's field count is checked here, naming the line.
        using var reader = Sep.Reader(o => o with { Sep = new Sep(','), HasHeader = false, DisableColCountCheck = true }).From(text);
        try
        {
            return Parse(reader, path, labelColumn, labelsOnly, fixedClasses);
        }
        catch (NotSupportedException)
        {
            // Sep's own limit: a row (a quoted field may hold many lines) of at most 16 Mi characters.
            throw new BackpropException($"{path}: a row longer than {SepMaxRowLength:N0} characters; is a quote left open?");
        }
    }

    /// <summary>The longest row Sep reads (a quoted field may span lines).</summary>
    private const int SepMaxRowLength = 1 << 24;

    /// <summary>
    /// The longest line read (8 Mi characters, half of Sep's limit for a row): a file without line breaks is not a
    /// table of examples, and this names the line.
    /// </summary>
    public const int MaxLineLength = 1 << 23;

    private static Parsed Parse(SepReader reader, string path, string labelColumn, bool labelsOnly, LabelSet? fixedClasses)
    {
        // The header: the first row that is not blank.
        string[]? header = null;
        int lineNumber = 0;
        while (header is null && reader.MoveNext())
        {
            var row = reader.Current;
            if (IsBlank(row)) continue;
            lineNumber = LineNumber(row);
            header = new string[row.ColCount];
            for (int c = 0; c < header.Length; c++)
            {
                var field = Field(row[c].Span, path, lineNumber, c, out bool quoted);
                header[c] = quoted ? field.ToString().Replace("\"\"", "\"") : field.ToString();
            }
        }
        if (header is null) throw new BackpropException($"{path}: empty file; expected a header row of column names");

        int labelIndex = FindLabelColumn(header, labelColumn, path, lineNumber);
        if (header.Length < 2)
            throw new BackpropException($"{path}: line {lineNumber}: the header has only the label column '{JsonInput.Shown(header[labelIndex])}'; expected at least one feature column");
        string labelWhere = $"column {labelIndex + 1} ('{JsonInput.Shown(header[labelIndex])}')";

        var parsed = new Parsed(header, labelIndex, fixedClasses ?? new LabelSet(), fixedClasses is not null);
        int featureCount = header.Length - 1;
        // Room for up to 1024 rows but at most 2²⁰ values to start with (a wide header is no reason to allocate much).
        int capacity = Math.Clamp((1 << 20) / featureCount, 1, 1024);
        if (!labelsOnly) parsed.Features = new float[capacity * featureCount];
        parsed.RowLabels = new int[capacity];

        while (reader.MoveNext())
        {
            var fields = reader.Current;
            if (IsBlank(fields)) continue;
            lineNumber = LineNumber(fields);
            if (fields.ColCount != header.Length)
                throw new BackpropException($"{path}: line {lineNumber}: {fields.ColCount} field{(fields.ColCount == 1 ? "" : "s")}, but the header has {header.Length} columns");

            int row = parsed.Rows;
            if (row == parsed.RowLabels.Length)
            {
                long grown = 2L * parsed.RowLabels.Length;
                if (grown * featureCount > Array.MaxLength) grown = Array.MaxLength / featureCount;
                if (grown <= row) throw new BackpropException($"{path}: line {lineNumber}: too many values to load ({row} rows of {featureCount} features)");
                Array.Resize(ref parsed.RowLabels, (int)grown);
                if (!labelsOnly) Array.Resize(ref parsed.Features, (int)grown * featureCount);
            }

            var labelField = Field(fields[labelIndex].Span, path, lineNumber, labelIndex, out bool labelQuoted);
            string label = (labelQuoted ? labelField.ToString().Replace("\"\"", "\"") : labelField.ToString()).Trim();
            if (label.Length == 0) throw new BackpropException($"{path}: line {lineNumber}, {labelWhere}: empty label");
            parsed.RowLabels[row] = parsed.FixedClasses
                ? parsed.Labels.Lookup(label, path, lineNumber, labelWhere)
                : parsed.Labels.Add(label, path, lineNumber, labelWhere);

            if (!labelsOnly)
            {
                var target = parsed.Features.AsSpan(row * featureCount, featureCount);
                int f = 0;
                for (int c = 0; c < fields.ColCount; c++)
                {
                    if (c == labelIndex) continue;
                    target[f++] = ParseFeature(Field(fields[c].Span, path, lineNumber, c, out _), path, lineNumber, c, header[c]);
                }
            }
            parsed.Rows++;
        }
        return parsed;
    }

    /// <summary>A row that is empty or only spaces (Sep reads a blank line as one empty field).</summary>
    private static bool IsBlank(SepReader.Row row) => row.ColCount == 1 && row[0].Span.IsWhiteSpace();

    /// <summary>The line a row starts on (1 = the first line; Sep reports its first row's start as its end).</summary>
    private static int LineNumber(SepReader.Row row) => row.RowIndex == 0 ? 1 : row.LineNumberFrom;

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
        string columns = string.Join(", ", header.Take(Shown).Select(h => $"'{JsonInput.Shown(h)}'")) + (header.Length > Shown ? $", … ({header.Length} columns)" : "");
        throw new BackpropException($"{path}: line {lineNumber}: no label column '{labelColumn}' in the header; the columns are {columns}");
    }

    /// <summary>
    /// A field's text as Sep splits it, with spaces and tabs around it removed; for a quoted field the text between its
    /// quotes (a doubled "" inside still doubled). A quote that is not closed, or text after the closing quote, is an
    /// error naming the line and the column.
    /// </summary>
    private static ReadOnlySpan<char> Field(ReadOnlySpan<char> raw, string path, int lineNumber, int column, out bool quoted)
    {
        var text = raw.Trim(" \t");
        quoted = text.Length > 0 && text[0] == '"';
        if (!quoted) return text;
        int close = 1;
        while (true)
        {
            int next = text[close..].IndexOf('"');
            if (next < 0)
                throw new BackpropException($"{path}: line {lineNumber}, column {column + 1}: unterminated quoted field (the closing quote is missing)");
            close += next;
            if (close + 1 < text.Length && text[close + 1] == '"') { close += 2; continue; }
            break;
        }
        if (close != text.Length - 1)
            throw new BackpropException($"{path}: line {lineNumber}, column {column + 1}: text after the closing quote");
        return text[1..close];
    }

    private static float ParseFeature(ReadOnlySpan<char> text, string path, int lineNumber, int column, string name)
    {
        if (float.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out float value) && float.IsFinite(value))
            return value;
        string where = $"{path}: line {lineNumber}, column {column + 1} ('{JsonInput.Shown(name)}')";
        if (text.IsWhiteSpace()) throw new BackpropException($"{where}: empty cell; expected a number");
        // A quoted field may hold line breaks: Shown escapes them, so the message stays one line.
        string shown = JsonInput.Shown(text.Length > 41 ? text[..41].ToString() : text.ToString(), 40);
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
            string known = string.Join(", ", _names.Take(Shown).Select(n => JsonInput.Shown(n))) + (_names.Count > Shown ? ", …" : "");
            throw new BackpropException($"{Where(path, line, labelWhere)}: label '{JsonInput.Shown(label)}' is not one of the {_names.Count} classes ({known})");
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
