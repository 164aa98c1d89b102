using Backprop.Data;

namespace Backprop.Tests.Data;

public sealed class CsvReaderTests : IDisposable
{
    private readonly TempFiles _files = new();

    public void Dispose() => _files.Dispose();

    private string Csv(string text, string name = "data.csv") => _files.WriteText(name, text);

    private static BackpropException Fails(string path, string labelColumn = "label")
    {
        var e = Assert.Throws<BackpropException>(() => CsvReader.Read(path, labelColumn));
        Assert.StartsWith(path + ":", e.Message);
        return e;
    }

    [Fact]
    public void Reads_features_in_column_order_around_the_label_column()
    {
        var d = CsvReader.Read(Csv("a,label,b\n1.5,0,-2\n3,2,4e-1\n-0,1,7\n"), "label");
        Assert.Equal(3, d.Count);
        Assert.Equal([2], d.ExampleShape);
        Assert.Equal(2, d.ExampleSize);
        Assert.Equal([1.5f, -2f, 3f, 0.4f, -0f, 7f], d.Features);
        Assert.Equal([0, 2, 1], d.Labels);
        Assert.Equal(3, d.Classes);
        Assert.Equal(["0", "1", "2"], d.ClassNames);
    }

    [Fact]
    public void Accepts_quotes_spaces_blank_lines_crlf_a_bom_and_gzip()
    {
        string text = "\uFEFF\"x 1\", \"label\" ,x2\r\n\r\n 1 , 1 ,\"2\"\r\n   \r\n3,0,4\r\n";
        var d = CsvReader.Read(Csv(text), "label");
        Assert.Equal([1f, 2, 3, 4], d.Features);
        Assert.Equal([1, 0], d.Labels);
        var gz = CsvReader.Read(_files.Write("data.csv.gz", TempFiles.Gzip(System.Text.Encoding.UTF8.GetBytes(text))), "label");
        Assert.Equal(d.Features, gz.Features);
        Assert.Equal(d.Labels, gz.Labels);
    }

    [Fact]
    public void The_label_column_matches_case_insensitively_when_unambiguous()
    {
        Assert.Equal([1], CsvReader.Read(Csv("Label,x\n1,5\n"), "label").Labels);
        var e = Fails(Csv("Label,LABEL,x\n1,1,5\n"));
        Assert.Contains("no label column 'label'", e.Message);
    }

    [Fact]
    public void Non_negative_integer_labels_are_class_indices()
    {
        var d = CsvReader.Read(Csv("label,x\n3,0\n1,0\n3.0,0\n03,0\n"), "label");
        Assert.Equal([3, 1, 3, 3], d.Labels);
        Assert.Equal(4, d.Classes); // class 0 and 2 are empty
        Assert.Equal([0, 1, 0, 3], d.ClassCounts());
    }

    [Fact]
    public void Signed_integer_labels_are_numbered_in_numeric_order()
    {
        var d = CsvReader.Read(Csv("x,y\n0,1\n0,-1\n0,-10\n0,1\n0,-2\n"), "y");
        Assert.Equal(["-10", "-2", "-1", "1"], d.ClassNames);
        Assert.Equal([3, 2, 0, 3, 1], d.Labels);
    }

    [Fact]
    public void String_labels_are_numbered_in_ordinal_order()
    {
        var d = CsvReader.Read(Csv("species,len\ndog,1\ncat,2\nbird,3\ncat,4\nDog,5\n10,6\n"), "species");
        Assert.Equal(["10", "Dog", "bird", "cat", "dog"], d.ClassNames);
        Assert.Equal([4, 3, 2, 3, 1, 0], d.Labels);
        Assert.Equal([1f, 2, 3, 4, 5, 6], d.Features);
    }

    [Fact]
    public void Given_class_names_fix_the_numbering_and_refuse_unknown_labels()
    {
        string path = Csv("label,x\ncat,1\ndog,2\n");
        var d = CsvReader.Read(path, "label", ["dog", "cat", "eel"]);
        Assert.Equal([1, 0], d.Labels);
        Assert.Equal(3, d.Classes);
        Assert.Equal(["dog", "cat", "eel"], d.ClassNames);

        var ints = CsvReader.Read(Csv("label,x\n2.0,1\n0,2\n", "ints.csv"), "label", ["0", "1", "2", "3"]);
        Assert.Equal([2, 0], ints.Labels);

        var e = Assert.Throws<BackpropException>(() => CsvReader.Read(path, "label", ["dog", "eel"]));
        Assert.Contains("line 2, column 1 ('label'): label 'cat' is not one of the 2 classes (dog, eel)", e.Message);
    }

    [Fact]
    public void ReadClassNames_takes_the_union_over_files()
    {
        string train = Csv("label,x\n0,1\n2,1\n", "train.csv");
        string test = Csv("x,label\n1,4\n", "test.csv");
        Assert.Equal(["0", "1", "2", "3", "4"], CsvReader.ReadClassNames([train, test], "label"));
        Assert.Equal(["0", "1", "2"], CsvReader.ReadClassNames(train, "label"));
    }

    [Fact]
    public void Grows_past_the_initial_capacity()
    {
        var text = new System.Text.StringBuilder("label,a,b\n");
        for (int i = 0; i < 5000; i++) text.Append(i % 7).Append(',').Append(i).Append(',').Append(-i).Append('\n');
        var d = CsvReader.Read(Csv(text.ToString()), "label");
        Assert.Equal(5000, d.Count);
        Assert.Equal(10000, d.Features.Length);
        Assert.Equal(4999f, d.Features[9998]);
        Assert.Equal(-4999f, d.Features[9999]);
        Assert.Equal(4999 % 7, d.Labels[4999]);
    }

    [Fact]
    public void A_non_numeric_cell_is_named_by_line_and_column()
    {
        var e = Fails(Csv("label,a,b\n0,1,2\n1,3,abc\n"));
        Assert.Contains("line 3, column 3 ('b'): 'abc' is not a number", e.Message);
        Assert.Contains("line 2, column 2 ('a'): empty cell", Fails(Csv("label,a\n0,\n", "e.csv")).Message);
        Assert.Contains("line 2, column 2 ('a'): '1,5' is not a number", Fails(Csv("label,a\n0,\"1,5\"\n", "q.csv")).Message);
    }

    [Theory]
    [InlineData("NaN", "not a finite number")]
    [InlineData("nan", "not a finite number")]
    [InlineData("Infinity", "not a finite number")]
    [InlineData("-Infinity", "not a finite number")]
    [InlineData("1e39", "outside the float32 range")]
    [InlineData("1e400", "not a finite number")]
    public void Non_finite_features_are_refused(string cell, string expected)
    {
        var e = Fails(Csv($"label,a\n0,{cell}\n"));
        Assert.Contains($"line 2, column 2 ('a'): {cell} is {expected}", e.Message);
    }

    [Fact]
    public void A_missing_label_column_lists_the_columns()
    {
        var e = Fails(Csv("a,b,class\n1,2,0\n"));
        Assert.Contains("line 1: no label column 'label' in the header; the columns are 'a', 'b', 'class'", e.Message);
        Assert.Contains("appears twice (columns 1 and 3)", Fails(Csv("label,x,label\n0,1,0\n", "dup.csv")).Message);
    }

    [Fact]
    public void Ragged_rows_are_refused()
    {
        // Line numbers count blank lines too, so they match an editor's.
        Assert.Contains("line 4: 2 fields, but the header has 3 columns", Fails(Csv("label,a,b\n0,1,2\n\n0,1\n")).Message);
        Assert.Contains("line 2: 4 fields, but the header has 3 columns", Fails(Csv("label,a,b\n0,1,2,3\n", "long.csv")).Message);
    }

    [Fact]
    public void Structural_problems_are_refused()
    {
        Assert.Contains("empty file", Fails(Csv("", "empty.csv")).Message);
        Assert.Contains("empty file", Fails(Csv("\n  \n", "blank.csv")).Message);
        Assert.Contains("no data rows", Fails(Csv("label,a\n", "header.csv")).Message);
        Assert.Contains("at least one feature column", Fails(Csv("label\n1\n", "only.csv")).Message);
        Assert.Contains("line 2, column 2: unterminated quoted field", Fails(Csv("label,a\n0,\"1\n", "quote.csv")).Message);
        Assert.Contains("line 2, column 1: text after the closing quote", Fails(Csv("label,a\n\"0\"x,1\n", "after.csv")).Message);
        Assert.Contains("line 2, column 1 ('label'): empty label", Fails(Csv("label,a\n ,1\n", "nolabel.csv")).Message);
        Assert.Contains("file not found", Fails(Path.Combine(_files.Directory, "missing.csv")).Message);
    }

    [Fact]
    public void Absurd_integer_labels_are_refused()
    {
        var e = Fails(Csv("label,a\n2000000000,1\n"));
        Assert.Contains("at most 65536", e.Message);
    }

    [Fact]
    public void A_quoted_field_may_span_lines_and_later_lines_keep_their_numbers()
    {
        // Read with Sep (RFC 4180): a quoted label holding a line break is one field; errors after it name the true line.
        var d = CsvReader.Read(Csv("label,a\n\"two\nlines\",1\ncat,2\n"), "label");
        Assert.Equal(["cat", "two\nlines"], d.ClassNames);
        Assert.Equal([1f, 2], d.Features);
        var e = Fails(Csv("label,a\n\"two\nlines\",1\ncat,x\n", "later.csv"));
        Assert.Contains("line 4, column 2 ('a'): 'x' is not a number", e.Message);
        // A quoted cell with a line break in a message is shown on one line.
        e = Fails(Csv("label,a\n0,\"1\n2\"\n", "cell.csv"));
        Assert.EndsWith("line 2, column 2 ('a'): '1\\n2' is not a number", e.Message);
    }

    [Fact]
    public void A_line_longer_than_the_limit_is_refused()
    {
        // A file without line breaks (a gzip of 17 Mi zeros is 17 KB) is not read to the end.
        var text = new byte[CsvReader.MaxLineLength + 1024];
        text.AsSpan().Fill((byte)'0');
        "label,a\n"u8.CopyTo(text);
        string path = _files.Write("long.csv.gz", TempFiles.Gzip(text));
        var e = Fails(path);
        Assert.Equal($"{path}: line 2 is longer than 8,388,608 characters; not a table of examples", e.Message);

        // Short lines inside a quote that is never closed: one row, stopped at Sep's limit for a row.
        text = new byte[(1 << 24) + 1024];
        text.AsSpan().Fill((byte)'\n');
        "label,a\n0,\""u8.CopyTo(text);
        path = _files.Write("open-quote.csv.gz", TempFiles.Gzip(text));
        e = Fails(path);
        Assert.Equal($"{path}: a row longer than 16,777,216 characters; is a quote left open?", e.Message);
    }
}
