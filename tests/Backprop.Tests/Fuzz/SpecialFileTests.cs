using Backprop.Cli;
using Backprop.Data;
using Backprop.IO;
using Backprop.Losses;
using Backprop.Models;
using Backprop.Onnx;
using Backprop.Tests.Support;
using Backprop.Visualization;

namespace Backprop.Tests.Fuzz;

/// <summary>
/// Issue 15, findings 1 and 9, as classes: every reader refuses every kind of non-regular input (a device that never
/// ends, a FIFO that would block, a socket, a folder, a link to a device), quickly and in one line naming it; every
/// writer of the library refuses to rename over a special file and leaves it as it was. The CLI's writers are in
/// <c>Cli/FilesAndPathsTests</c>. Special files are made in the test's own temporary folder.
/// </summary>
public sealed class SpecialFileTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("backprop-special-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>Every input that is not a regular file: real devices (read only), and special files made here.</summary>
    private List<(string Kind, string Path)> Inputs(string extension)
    {
        var inputs = new List<(string, string)> { ("folder", Directory.CreateDirectory(Path.Combine(_dir, "folder" + extension)).FullName) };
        if (OperatingSystem.IsWindows()) return inputs;
        inputs.Add(("/dev/zero", "/dev/zero"));
        inputs.Add(("/dev/urandom", "/dev/urandom"));
        string link = Path.Combine(_dir, "link-to-zero" + extension);
        File.CreateSymbolicLink(link, "/dev/zero");
        inputs.Add(("link to /dev/zero", link));
        inputs.AddRange(SpecialFiles.All(_dir, extension));
        return inputs;
    }

    /// <summary>Runs <paramref name="read"/> on its own thread: a reader that opens a FIFO would wait forever.</summary>
    private static BackpropException Refused(Action read, string what)
    {
        Exception? thrown = null;
        var thread = new Thread(() =>
        {
            try
            {
                read();
            }
            catch (Exception e)
            {
                thrown = e;
            }
        }) { IsBackground = true };
        thread.Start();
        Assert.True(thread.Join(TimeSpan.FromSeconds(10)), $"{what}: still reading after 10 s");
        var refused = Assert.IsType<BackpropException>(thrown, exactMatch: false);
        Assert.DoesNotContain('\n', refused.Message);
        return refused;
    }

    public static TheoryData<string> Readers => ["model json", "data json", "csv", "idx", "safetensors", "model weights", "dataset csv:"];

    [Theory]
    [MemberData(nameof(Readers))]
    public void Every_reader_refuses_every_non_regular_input(string reader)
    {
        var model = ModelFile.Parse("""{"input": [2], "layers": [{"type": "linear", "out": 2}]}""", "model.json");
        var built = ModelFile.Build<double>(model, "model.json");
        Action<string> read = reader switch
        {
            "model json" => path => ModelFile.Load<double>(path),
            "data json" => path => DataFile.Load<double>(path, built.InputShape),
            "csv" => path => CsvReader.Read(path, "label"),
            "idx" => path => IdxReader.Read(path),
            "safetensors" => path => SafetensorsFile.Read(path),
            "model weights" => path => Safetensors.LoadModel<float>(path),
            "dataset csv:" => path => DatasetSource.Load("csv:" + path, DataSplit.Train, "label"),
            _ => throw new ArgumentException(reader),
        };
        foreach (var (kind, path) in Inputs(reader.Replace(' ', '-')))
        {
            var e = Refused(() => read(path), $"{reader} on {kind}");
            Assert.Contains(path, e.Message);
            Assert.True(e.Message.Contains("not a regular file") || e.Message.Contains("is a directory"), $"{reader} on {kind}: {e.Message}");
        }
    }

    [Fact]
    public void Library_writers_refuse_special_files_and_leave_them_as_they_were()
    {
        var model = ModelFile.Build<float>(ModelFile.Parse("""{"input": [2], "layers": [{"type": "linear", "out": 2}]}""", "m"), "m");
        var writers = new (string Name, Action<string> Write)[]
        {
            ("AtomicFile.WriteAllText", p => AtomicFile.WriteAllText(p, "x")),
            ("Safetensors.SaveModel", p => Safetensors.SaveModel(p, model)),
            ("OnnxExport.Save", p => OnnxExport.Save(p, model, null)),
            ("Graphviz.Write .dot", p => Graphviz.Write("digraph {}", p + ".dot", null)),
        };
        foreach (var (name, write) in writers)
        {
            string dir = Directory.CreateDirectory(Path.Combine(_dir, name)).FullName;
            foreach (var (kind, path) in SpecialFiles.All(dir, ""))
            {
                var before = FileKinds.Of(path);
                string target = name.EndsWith(".dot") ? path + ".dot" : path;
                if (target != path) File.Move(path, target);
                var e = Refused(() => write(path), $"{name} over a {kind}");
                Assert.Contains("not a regular file", e.Message);
                Assert.Equal(before, FileKinds.Of(target));
            }
            Assert.Empty(Directory.GetFiles(dir, "*.tmp-*"));
        }
    }

    [Fact]
    public void Cli_inputs_that_are_devices_are_refused_with_exit_code_2()
    {
        if (OperatingSystem.IsWindows()) return;
        string model = Path.Combine(_dir, "m.json"), data = Path.Combine(_dir, "d.json");
        File.WriteAllText(model, """{"input": [2], "layers": [{"type": "linear", "out": 2}]}""");
        File.WriteAllText(data, """{"x": [[1, 0]], "y": [[0, 1]]}""");
        string[][] commands =
        [
            ["grad", "--model", "/dev/zero", "--data", data, "--loss", "mse"],
            ["grad", "--model", model, "--data", "/dev/urandom", "--loss", "mse"],
            ["fit", "--data", "csv:/dev/zero"],
            ["train", "--dataset", "csv:/dev/zero", "--label-column", "label", "--out", Path.Combine(_dir, "run")],
        ];
        foreach (var args in commands)
        {
            var (code, stdout, stderr) = Tests.Cli.BadInputTests.Run(args);
            Assert.True(code == ExitCodes.BadInput, $"{string.Join(' ', args)}: exit {code}: {stderr}");
            if (args[0] != "train") Assert.Empty(stdout); // train says which data set it is loading first
            Assert.Matches(@"^error: /dev/(zero|urandom): is a character device, not a regular file[^\n]*\n$", stderr);
        }
    }
}
