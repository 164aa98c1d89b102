using System.Buffers.Binary;
using System.Text;
using Backprop.Cli;
using Backprop.IO;
using Backprop.Tests.Data;

namespace Backprop.Tests.Cli;

/// <summary>
/// Bug (found by the fuzzer): messages that quote a file's text (a list written over several lines, a field name with
/// an escaped line break, the rest of the document that System.Text.Json quotes for a bad literal) broke the
/// one-line contract. Quoted text now comes out on one line, control characters escaped, and cut when long.
/// </summary>
public sealed class OneLineMessageTests : IDisposable
{
    private readonly TempFiles _files = new();

    public void Dispose() => _files.Dispose();

    private string Grad(string model, string data = """{"x": [[1, 0]], "y": [[0, 1]]}""")
    {
        string m = _files.WriteText("model.json", model), d = _files.WriteText("data.json", data);
        var (code, stdout, stderr) = BadInputTests.Run(["grad", "--model", m, "--data", d, "--loss", "mse"]);
        Assert.Equal(ExitCodes.BadInput, code);
        Assert.Equal("", stdout);
        Assert.True(stderr.IndexOfAny(['\n', '\r']) == stderr.Length - 1, $"not one line: {stderr}");
        return stderr.Replace(_files.Directory + "/", "");
    }

    [Fact]
    public void A_list_over_several_lines_is_quoted_on_one()
    {
        Assert.Equal("error: model.json: input: expected the shape of one example, a list of 1 to 3 positive integers ([features], [channels, length] or [channels, height, width]), got [1, 2, 3, 4]\n",
            Grad("{\"input\": [\n  1,\n  2,\n  3,\n  4\n], \"layers\": []}"));
        Assert.Equal("error: model.json: layers[0].kernel_size: expected an integer or a list of 2 integers, got [1, 2, 3]\n",
            Grad("{\"input\": [1, 4, 4], \"layers\": [{\"type\": \"conv2d\", \"out_channels\": 1, \"kernel_size\": [\r\n1,\r\n2,\r\n3]}]}"));
    }

    [Fact]
    public void Line_breaks_in_names_are_escaped_and_long_text_is_cut()
    {
        Assert.Equal("error: model.json: unknown field 'two\\nlines'; expected one of: input, seed, layers\n",
            Grad("""{"input": [2], "layers": [], "two\nlines": 1}"""));
        string message = Grad($$"""{"input": [2], "layers": [{"type": "{{new string('x', 5000)}}"}]}""");
        Assert.Contains($"unknown layer type '{new string('x', 60)}…'; expected one of: linear,", message);
        Assert.True(message.Length < 400, message);
    }

    [Fact]
    public void A_bad_literal_is_quoted_briefly()
    {
        string message = Grad("{\"input\": [2], \"layers\": [\n  {\"type\": \"sigmoid\"},\n  {\"type\": tru\n  }]}");
        Assert.StartsWith("error: model.json: invalid JSON at line 3, column ", message);
        Assert.True(message.Length < 300, message);
    }

    [Fact]
    public void Safetensors_headers_are_quoted_on_one_line()
    {
        var header = Encoding.UTF8.GetBytes("{\"a\nb\": {\"dtype\": \"F32\", \"shape\": [1], \"data_offsets\": [\n 0,\n 8\n]}}");
        var bytes = new byte[8 + header.Length + 4];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, (ulong)header.Length);
        header.CopyTo(bytes, 8);
        var e = Assert.Throws<BackpropException>(() => SafetensorsFile.Parse(bytes, "x.safetensors"));
        Assert.Equal("x.safetensors: header: invalid JSON at line 1, byte 4: '0x0A' is invalid within a JSON string", e.Message);
        header = Encoding.UTF8.GetBytes("{\"a\\nb\": {\"dtype\": \"F32\", \"shape\": [1], \"data_offsets\": [\n 0,\n 8\n]}}");
        bytes = new byte[8 + header.Length + 4];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, (ulong)header.Length);
        header.CopyTo(bytes, 8);
        e = Assert.Throws<BackpropException>(() => SafetensorsFile.Parse(bytes, "x.safetensors"));
        Assert.Equal("x.safetensors: tensor 'a\\nb': data_offsets [0, 8] out of range: the data after the header is 4 bytes", e.Message);
    }
}
