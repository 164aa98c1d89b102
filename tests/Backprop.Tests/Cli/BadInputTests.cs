using Backprop.Cli;

using Backprop.Tests.Support;

namespace Backprop.Tests.Cli;

/// <summary>
/// The contract for bad input: one line on stderr, starting "error: ", naming the file and the place, exit code 2,
/// nothing on stdout, never a stack trace. Each case writes its files to a fresh temporary directory and runs the
/// CLI in-process; "$model" and "$data" in arguments and expected fragments stand for those files' paths.
/// </summary>
public sealed class BadInputTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("backprop-bad-input-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>One bad input: files to write (null content: leave the file missing), arguments, fragments the message must contain.</summary>
    public sealed record Case(string[] Args, string? Model, string? Data, string[] Expected)
    {
        /// <summary>Commands to run it under; file and data problems must read the same in all three.</summary>
        public string[] Commands { get; init; } = ["grad", "trace", "gradcheck"];

        /// <summary>Create the model path as a directory instead of a file.</summary>
        public bool DataIsDirectory { get; init; }
    }

    // A valid 2-3-2 network and a batch that fits it; most cases break one thing in one of them.
    private const string Model = """
        {"input": [2], "layers": [
          {"type": "linear", "out": 3, "weight": [[1, 2], [3, 4], [5, 6]], "bias": [0, 0, 0]},
          {"type": "sigmoid"},
          {"type": "linear", "out": 2, "weight": [[1, 2, 3], [4, 5, 6]]}]}
        """;
    private const string Data = """{"x": [[1, 0]], "y": [[0, 1]]}""";

    // One output per example, for the ±1-label losses.
    private const string Model1 = """{"input": [2], "layers": [{"type": "linear", "out": 1, "weight": [[1, -1]], "bias": [0]}]}""";

    private const string Conv = """{"input": [1, 4, 4], "layers": [{"type": "conv2d", "out_channels": 1, "kernel_size": 2}]}""";
    private const string ConvData = """{"x": [[[[1, 2, 3, 4], [5, 6, 7, 8], [9, 10, 11, 12], [13, 14, 15, 16]]]], "y": [0]}""";

    private static readonly string[] FileArgs = ["--model", "$model", "--data", "$data", "--loss", "mse"];

    private static string[] Files(string loss) => ["--model", "$model", "--data", "$data", "--loss", loss];

    private static Case ModelCase(string? model, params string[] expected) => new(FileArgs, model, Data, expected);

    private static Case DataCase(string loss, string? data, params string[] expected) => new(Files(loss), Model, data, expected);

    private static Case Model1Case(string loss, string data, params string[] expected) => new(Files(loss), Model1, data, expected);

    private static string Nested(int depth) => new string('[', depth) + new string(']', depth);

    public static readonly IReadOnlyDictionary<string, Case> All = new Dictionary<string, Case>
    {
        // Files that are not JSON, or not there.
        ["malformed JSON"] = ModelCase("{\"input\": [2],\n \"layers\": [}\n", "$model: invalid JSON at line 2, column 13", "'}' is an invalid start of a value"),
        ["truncated file"] = ModelCase("""{"input": [2], "layers": [""", "$model: invalid JSON at line 1, column 27"),
        ["empty file"] = ModelCase("", "$model: the file is empty; expected a JSON object"),
        ["whitespace-only file"] = ModelCase("  \n\t\n", "$model: the file is empty"),
        ["trailing garbage"] = new(FileArgs, Model, Data + " junk", ["$data: invalid JSON at line 1, column 32"]),
        ["trailing comma"] = new(FileArgs, Model, """{"x": [[1, 0]], "y": [[0, 1]],}""", ["$data: invalid JSON at line 1", "trailing comma"]),
        ["NaN literal"] = DataCase("mse", """{"x": [[NaN, 0]], "y": [[0, 1]]}""", "$data: invalid JSON at line 1, column 9"),
        ["missing model file"] = ModelCase(null, "$model: no such file"),
        ["missing data file"] = DataCase("mse", null, "$data: no such file"),
        ["directory as data file"] = DataCase("mse", null, "$data: is a directory, not a file") with { DataIsDirectory = true },
        ["model file is a list"] = ModelCase("[1, 2]", "$model: expected an object, got a list"),

        // Batch normalisation and dropout.
        ["batchnorm2d on a flat input"] = ModelCase("""{"input": [2], "layers": [{"type": "batchnorm2d"}]}""",
            "$model: layers[0] (batchnorm2d): needs an input [channels, height, width] per example, but its input is [N, 2]"),
        ["dropout p above 1"] = ModelCase("""{"input": [2], "layers": [{"type": "dropout", "p": 1.5}]}""",
            "$model: layers[0].p: the probability of dropping an element must be in [0, 1], got 1.5"),
        ["dropout p below 0"] = ModelCase("""{"input": [2], "layers": [{"type": "dropout", "p": -0.1}]}""", "$model: layers[0].p:", "got -0.1"),
        ["batchnorm negative eps"] = ModelCase("""{"input": [2], "layers": [{"type": "batchnorm1d", "eps": -1e-5}]}""",
            "$model: layers[0].eps: must be ≥ 0"),
        ["batchnorm running_var not positive"] = ModelCase("""{"input": [2], "layers": [{"type": "batchnorm1d", "running_var": [1, 0]}]}""",
            "$model: layers[0].running_var: element 1 is 0, but a variance must be > 0"),
        ["batchnorm1d on a batch of one in training mode"] = ModelCase("""{"input": [2], "layers": [{"type": "batchnorm1d"}]}""",
            "batchnorm1d: expected more than 1 value per channel in training mode, got input [1, 2]", "PyTorch refuses it too", "evaluation mode"),

        // The model file: names, fields, types.
        ["unknown layer type"] = ModelCase("""{"input": [2], "layers": [{"type": "linear", "out": 2}, {"type": "sigmod"}]}""",
            "$model: layers[1].type: unknown layer type 'sigmod'; expected one of: linear,"),
        ["unknown field in a layer"] = ModelCase("""{"input": [2], "layers": [{"type": "linear", "outs": 2}]}""",
            "$model: layers[0] (linear): unknown field 'outs'; expected one of: type, out, bias, weight"),
        ["unknown top-level field"] = ModelCase("""{"input": [2], "layers": [], "layer": []}""", "$model: unknown field 'layer'"),
        ["missing layer type"] = ModelCase("""{"input": [2], "layers": [{"out": 2}]}""", "$model: layers[0]: missing field 'type'"),
        ["missing out"] = ModelCase("""{"input": [2], "layers": [{"type": "linear"}]}""", "$model: layers[0] (linear): missing field 'out'"),
        ["layer type is a number"] = ModelCase("""{"input": [2], "layers": [{"type": 5}]}""", "$model: layers[0].type: expected a string, got the number 5"),
        ["string where a number belongs"] = ModelCase("""{"input": [2], "layers": [{"type": "linear", "out": "2"}]}""",
            "$model: layers[0].out: expected a number, got the string \"2\""),
        ["negative out"] = ModelCase("""{"input": [2], "layers": [{"type": "linear", "out": -2}]}""", "$model: layers[0].out: expected an integer ≥ 1, got -2"),
        ["fractional kernel"] = ModelCase("""{"input": [1, 4, 4], "layers": [{"type": "conv2d", "out_channels": 1, "kernel_size": 2.5}]}""",
            "$model: layers[0].kernel_size: expected an integer ≥ 1, got 2.5"),
        ["zero stride"] = ModelCase("""{"input": [1, 4, 4], "layers": [{"type": "conv2d", "out_channels": 1, "kernel_size": 2, "stride": 0}]}""",
            "$model: layers[0].stride: expected an integer ≥ 1, got 0"),
        ["kernel list of the wrong length"] = ModelCase("""{"input": [1, 4, 4], "layers": [{"type": "maxpool2d", "kernel_size": [2, 2, 2]}]}""",
            "$model: layers[0].kernel_size: expected an integer or a list of 2 integers, got [2, 2, 2]"),
        ["negative seed"] = ModelCase("""{"input": [2], "seed": -1, "layers": []}""", "$model: seed: expected an integer ≥ 0, got -1"),
        ["layers is an object"] = ModelCase("""{"input": [2], "layers": {}}""", "$model: layers: expected a list of layers, got an object"),
        ["layer is null"] = ModelCase("""{"input": [2], "layers": [null]}""", "$model: layers[0]: expected an object, got null"),
        ["bias is a string"] = ModelCase("""{"input": [2], "layers": [{"type": "linear", "out": 2, "bias": "yes"}]}""",
            "$model: layers[0].bias: expected true, false or a list of numbers, got the string \"yes\""),
        ["weight element is a string"] = ModelCase("""{"input": [2], "layers": [{"type": "linear", "out": 2, "weight": [[1, "a"], [3, 4]]}]}""",
            "$model: layers[0].weight[0][1]: expected a number, got the string \"a\""),
        ["weight is a string"] = ModelCase("""{"input": [2], "layers": [{"type": "linear", "out": 2, "weight": "[[1, 2], [3, 4]]"}]}""",
            "$model: layers[0].weight: expected a list of numbers, got the string"),
        ["softplus beta 0"] = ModelCase("""{"input": [2], "layers": [{"type": "softplus", "beta": 0}]}""", "$model: layers[0].beta: must not be 0"),
        ["input shape empty"] = ModelCase("""{"input": [], "layers": []}""", "$model: input: expected the shape of one example, a list of 1 to 3 positive integers", "got []"),
        ["input shape too long"] = ModelCase("""{"input": [1, 2, 3, 4], "layers": []}""", "$model: input: expected the shape of one example", "got [1, 2, 3, 4]"),
        ["input shape fractional"] = ModelCase("""{"input": [2.5], "layers": []}""", "$model: input[0]: expected an integer ≥ 1, got 2.5"),
        ["input shape a string"] = ModelCase("""{"input": "2", "layers": []}""", "$model: input: expected the shape of one example", "got \"2\""),

        // Parameters that do not fit the layer.
        ["linear weight transposed"] = ModelCase("""
            {"input": [2], "layers": [
              {"type": "linear", "out": 3, "weight": [[1, 2], [3, 4], [5, 6]]},
              {"type": "sigmoid"},
              {"type": "linear", "out": 2, "weight": [[1, 2], [3, 4], [5, 6]]}]}
            """, "$model: layers[2].weight: expected [2][3], got [3][2]"),
        ["conv2d weight missing a dimension"] = ModelCase("""
            {"input": [1, 4, 4], "layers": [{"type": "conv2d", "out_channels": 2, "kernel_size": 2, "weight": [[[1, 2], [3, 4]], [[1, 2], [3, 4]]]}]}
            """, "$model: layers[0].weight: expected [2][1][2][2], got [2][2][2]"),
        ["conv2d weight with the wrong out_channels"] = ModelCase("""
            {"input": [1, 4, 4], "layers": [{"type": "conv2d", "out_channels": 2, "kernel_size": 2, "weight": [[[[1, 2], [3, 4]]]]}]}
            """, "$model: layers[0].weight: expected [2][1][2][2], got [1][1][2][2]"),
        ["ragged weight rows"] = ModelCase("""{"input": [2], "layers": [{"type": "linear", "out": 2, "weight": [[1, 2], [3]]}]}""",
            "$model: layers[0].weight[1]: expected 2 entries, got 1 (rows must all have the same shape)"),
        ["weight row nested too deep"] = ModelCase("""{"input": [2], "layers": [{"type": "linear", "out": 2, "weight": [[1, 2], [3, [4]]]}]}""",
            "$model: layers[0].weight[1][1]: expected a number, got a list"),
        ["weight a single number"] = ModelCase("""{"input": [2], "layers": [{"type": "linear", "out": 2, "weight": 3}]}""",
            "$model: layers[0].weight: expected [2][2], got a single number"),
        ["bias of the wrong length"] = ModelCase("""{"input": [2], "layers": [{"type": "linear", "out": 3, "bias": [1, 2]}]}""",
            "$model: layers[0].bias: expected [3], got [2]"),

        // Layers that do not fit their input.
        ["conv kernel bigger than the input"] = ModelCase("""{"input": [1, 4, 4], "layers": [{"type": "conv2d", "out_channels": 1, "kernel_size": 5}]}""",
            "$model: layers[0] (conv2d): the window (kernel 5x5) does not fit its input [N, 1, 4, 4]"),
        ["pool window bigger than the input"] = ModelCase("""{"input": [1, 4, 4], "layers": [{"type": "avgpool2d", "kernel_size": [2, 5]}]}""",
            "$model: layers[0] (avgpool2d): the window (kernel 2x5) does not fit its input [N, 1, 4, 4]"),
        ["conv1d on a flat input"] = ModelCase("""{"input": [4], "layers": [{"type": "conv1d", "out_channels": 1, "kernel_size": 2}]}""",
            "$model: layers[0] (conv1d): needs an input [channels, length] per example, but its input is [N, 4]"),
        ["linear after a 3-D input without flatten"] = ModelCase("""{"input": [1, 4, 4], "layers": [{"type": "linear", "out": 2}]}""",
            "$model: layers[0] (linear): needs a flat input [features] per example, but its input is [N, 1, 4, 4]; add a flatten layer before it"),
        ["softmax after conv"] = ModelCase("""{"input": [1, 4, 4], "layers": [{"type": "conv2d", "out_channels": 1, "kernel_size": 2}, {"type": "softmax"}]}""",
            "$model: layers[1] (softmax): needs a flat input [features] per example, but its input is [N, 1, 3, 3]"),
        ["layer too large for memory"] = ModelCase("""{"input": [16777216], "layers": [{"type": "linear", "out": 16777216}]}""",
            "$model: layers[0] (linear): its weight would have shape [16777216, 16777216], more elements than an array can hold"),

        // The data file against the model.
        ["x with the wrong feature count"] = DataCase("mse", """{"x": [[1, 0, 3]], "y": [[0, 1]]}""", "$data: x: expected shape [N, 2] with N ≥ 1 to fit the model's input, got [1, 3]"),
        ["x without the batch dimension"] = DataCase("mse", """{"x": [1, 0], "y": [[0, 1]]}""", "$data: x: expected shape [N, 2]", "got [2]"),
        ["x with no examples"] = DataCase("mse", """{"x": [], "y": []}""", "$data: x: expected shape [N, 2] with N ≥ 1", "got [0]"),
        ["x ragged"] = DataCase("mse", """{"x": [[1, 0], [1]], "y": [[0, 1], [0, 1]]}""", "$data: x[1]: expected 2 entries, got 1"),
        ["x a string"] = DataCase("mse", """{"x": "[[1, 0]]", "y": [[0, 1]]}""", "$data: x: expected a list of numbers, got the string \"[[1, 0]]\""),
        ["missing y"] = DataCase("mse", """{"x": [[1, 0]]}""", "$data: missing field 'y'"),
        ["unknown field in data"] = DataCase("mse", """{"x": [[1, 0]], "y": [[0, 1]], "z": 1}""", "$data: unknown field 'z'; expected one of: x, y"),
        ["y shape, values (mse)"] = DataCase("mse", """{"x": [[1, 0]], "y": [0, 1]}""", "$data: loss 'mse' expects y of shape [1, 2], got [2]"),
        ["y shape, probabilities (bce)"] = DataCase("bce", """{"x": [[1, 0]], "y": [[0.5]]}""", "$data: loss 'bce' expects y of shape [1, 2], got [1, 1]"),
        ["y shape, class indices (cross_entropy)"] = DataCase("cross_entropy", """{"x": [[1, 0]], "y": [[0, 1]]}""",
            "$data: loss 'cross_entropy' expects y of shape [1] (one class index per example), got [1, 2]"),
        ["y shape, signs (hinge)"] = Model1Case("hinge", """{"x": [[1, 0]], "y": [[1]]}""",
            "$data: loss 'hinge' expects y of shape [1] (one label, -1 or +1, per example), got [1, 1]"),
        ["signs with two outputs (logistic)"] = DataCase("logistic", """{"x": [[1, 0]], "y": [1]}""",
            "$data: loss 'logistic' needs a network output of shape [N, 1], but the model gives [N, 2]"),
        ["class indices after conv"] = new(Files("cross_entropy"), Conv, ConvData, ["$data: loss 'cross_entropy' needs a network output of shape [N, classes], but the model gives [N, 1, 3, 3]"]),
        ["class index out of range"] = DataCase("cross_entropy", """{"x": [[1, 0], [0, 1]], "y": [1, 2]}""",
            "$data: y[1] = 2 must be an integer class index in [0, 2) for loss 'cross_entropy'"),
        ["class index negative"] = DataCase("multiclass_perceptron", """{"x": [[1, 0]], "y": [-1]}""",
            "$data: y[0] = -1 must be an integer class index in [0, 2) for loss 'multiclass_perceptron'"),
        ["class index fractional"] = DataCase("cross_entropy", """{"x": [[1, 0]], "y": [0.5]}""", "$data: y[0] = 0.5 must be an integer class index in [0, 2)"),
        ["label 0 (perceptron)"] = Model1Case("perceptron", """{"x": [[1, 0], [0, 1]], "y": [1, 0]}""", "$data: y[1] = 0 must be -1 or +1 for loss 'perceptron'"),
        ["label 2 (logistic)"] = Model1Case("logistic", """{"x": [[1, 0]], "y": [2]}""", "$data: y[0] = 2 must be -1 or +1 for loss 'logistic'"),
        ["bce target above 1"] = DataCase("bce", """{"x": [[1, 0]], "y": [[0, 1.5]]}""", "$data: y[0][1] = 1.5 must be in [0, 1] for loss 'bce'"),
        ["bce target below 0"] = DataCase("bce_with_logits", """{"x": [[1, 0]], "y": [[-0.5, 1]]}""", "$data: y[0][0] = -0.5 must be in [0, 1] for loss 'bce_with_logits'"),
        ["1e400 in x"] = DataCase("mse", """{"x": [[1e400, 0]], "y": [[0, 1]]}""", "$data: x[0][0]: 1e400 is not a finite number"),
        ["-1e400 in y"] = DataCase("mse", """{"x": [[1, 0]], "y": [[0, -1e400]]}""", "$data: y[0][1]: -1e400 is not a finite number"),
        ["1e400 in a weight"] = ModelCase("""{"input": [2], "layers": [{"type": "linear", "out": 1, "weight": [[1, 1e400]]}]}""",
            "$model: layers[0].weight[0][1]: 1e400 is not a finite number"),

        // 1000 nested lists: the parser's depth limit, not a stack overflow.
        ["deeply nested x"] = DataCase("mse", $$"""{"x": {{Nested(1000)}}, "y": [[0, 1]]}""", "$data: invalid JSON at line 1", "maximum configured depth of 64"),
        ["deeply nested weight"] = ModelCase($$"""{"input": [2], "layers": [{"type": "linear", "out": 2, "weight": {{Nested(1000)}}}]}""",
            "$model: invalid JSON at line 1", "maximum configured depth of 64"),
        ["nested x within the depth limit"] = DataCase("mse", $$"""{"x": {{Nested(60)}}, "y": [[0, 1]]}""", "$data: x: expected shape [N, 2]", "got [1, 1, "),

        // float32: a value that overflows when rounded on load.
        ["weight 1e39 with f32"] = new(["--model", "$model", "--data", "$data", "--loss", "mse", "--precision", "f32"],
            """{"input": [2], "layers": [{"type": "linear", "out": 2, "weight": [[1, 1e39], [0, 0]]}]}""", Data,
            ["$model: layers[0].weight[0][1]: 1E+39 overflows float32 (its largest finite value is 3.4028235E+38)"]) { Commands = ["grad", "trace"] },
        ["x 1e39 with f32"] = new(["--model", "$model", "--data", "$data", "--loss", "mse", "--precision", "f32"], Model,
            """{"x": [[1, 0], [0, -1e39]], "y": [[0, 1], [0, 1]]}""", ["$data: x[1][1]: -1E+39 overflows float32"]) { Commands = ["grad", "trace"] },
        ["y 1e39 with f32"] = new(["--model", "$model", "--data", "$data", "--loss", "mse", "--precision", "f32"], Model,
            """{"x": [[1, 0]], "y": [[0, 1e39]]}""", ["$data: y[0][1]: 1E+39 overflows float32"]) { Commands = ["grad", "trace"] },

        // A loss that overflows is not a result: "Infinity" is not JSON.
        ["loss overflows"] = new(FileArgs, """{"input": [1], "layers": []}""", """{"x": [[1e200]], "y": [[-1e200]]}""",
            ["the loss 'mse' is Infinity for this model and data"]),

        // The command line.
        ["unknown loss"] = new(Files("msee"), Model, Data, ["--loss: unknown loss 'msee'; expected one of: mse, sse,"]),
        ["unknown example"] = new(["--example", "seed999"], null, null, ["--example: unknown example 'seed999'; expected one of: seed000-cnn,"]),
        ["example with model"] = new(["--example", "seed003", "--model", "$model"], Model, null, ["--example replaces --model, --data and --loss"]),
        ["missing data option"] = new(["--model", "$model", "--loss", "mse"], Model, null, ["missing --data (or use --example NAME"]),
        ["no options at all"] = new([], null, null, ["missing --model, --data, --loss"]),
        ["unknown precision"] = new(["--example", "seed003", "--precision", "f16"], null, null, ["--precision: expected f64 or f32, got 'f16'"]) { Commands = ["grad", "trace"] },
        ["precision without a value"] = new(["--example", "seed003", "--precision"], null, null, ["'--precision'"]) { Commands = ["grad", "trace"] },
        ["unknown format"] = new(["--example", "seed003", "--format", "html"], null, null, ["--format: expected text, markdown or json, got 'html'"]) { Commands = ["trace"] },
        ["learning rate not a number"] = new(["--example", "seed003", "--lr", "abc"], null, null, ["--lr: expected a number, got 'abc'"]) { Commands = ["trace"] },
        ["learning rate infinite"] = new(["--example", "seed003", "--lr", "1e400"], null, null, ["--lr: expected a finite number"]) { Commands = ["trace"] },
        ["digits out of range"] = new(["--example", "seed003", "--digits", "40"], null, null, ["--digits: expected 0 to 17, got 40"]) { Commands = ["trace"] },
        ["digits not an integer"] = new(["--example", "seed003", "--digits", "2.5"], null, null, ["--digits: expected an integer, got '2.5'"]) { Commands = ["trace"] },
        // Files and paths (issue 15): a key written twice, a device where a file belongs.
        ["duplicate key in a layer"] = ModelCase("""{"input": [2], "layers": [{"type": "linear", "out": 2, "out": 3}]}""",
            "$model: layers[0]: 'out' appears twice"),
        ["duplicate top-level key"] = DataCase("mse", """{"x": [[1, 0]], "y": [[0, 1]], "x": [[0, 1]]}""", "$data: 'x' appears twice"),
        ["model file is /dev/zero"] = new(["--model", "/dev/zero", "--data", "$data", "--loss", "mse"], Model, Data,
            ["/dev/zero: is a character device, not a regular file"]),
        ["data file is /dev/urandom"] = new(["--model", "$model", "--data", "/dev/urandom", "--loss", "mse"], Model, Data,
            ["/dev/urandom: is a character device, not a regular file"]),
        ["step zero"] = new(["--example", "seed003", "--step", "0"], null, null, ["--step: expected a number in (0, 1), got 0"]) { Commands = ["gradcheck"] },
        ["unknown option"] = new(["--example", "seed003", "--bogus"], null, null, ["'--bogus'"]),
        ["unknown command"] = new([], null, null, ["unknown command 'frobnicate'; expected one of: grad, trace, gradcheck, examples"]) { Commands = ["frobnicate"] },
        ["unknown example to print"] = new(["seed999"], null, null, ["unknown example 'seed999'"]) { Commands = ["examples"] },
        // backprop jacobian: what it is asked for must exist.
        ["jacobian layer out of range"] = new(["--example", "seed003", "--layer", "4"], null, null, ["layer 4 is out of range: the model has 4 layers (0 to 3)"]) { Commands = ["jacobian"] },
        ["jacobian example index out of range"] = new(["--example", "seed004-batch", "--example-index", "2"], null, null,
            ["example index 2 is out of range: the data has 2 examples (0 to 1)"]) { Commands = ["jacobian"] },
        ["jacobian negative example index"] = new(["--model", "$model", "--data", "$data", "--example-index", "-1"], Model, Data,
            ["example index -1 is out of range: the data has 1 example (0 to 0)"]) { Commands = ["jacobian"] },
        ["jacobian unknown wrt"] = new(["--example", "seed003", "--wrt", "1.weight"], null, null,
            ["wrt '1.weight' is neither input, params nor a parameter of the model; its parameters: 0.weight, 0.bias, 2.weight, 2.bias"]) { Commands = ["jacobian"] },
        ["jacobian wrt a parameter of another layer"] = new(["--example", "seed003", "--layer", "2", "--wrt", "0.weight"], null, null,
            ["wrt '0.weight' is neither input, params nor a parameter of layer 2 (linear); its parameters: 2.weight, 2.bias"]) { Commands = ["jacobian"] },
        ["jacobian params of a layer without"] = new(["--model", "$model", "--data", "$data", "--layer", "1", "--wrt", "params"], Model, Data,
            ["wrt params: layer 1 (sigmoid) has no parameters"]) { Commands = ["jacobian"] },
        ["jacobian loss of a layer"] = new(["--example", "seed003", "--of", "loss", "--layer", "0"], null, null, ["a layer's local Jacobian is of its output"]) { Commands = ["jacobian"] },
        ["jacobian loss without a loss"] = new(["--model", "$model", "--data", "$data", "--of", "loss"], Model, Data, ["missing --loss"]) { Commands = ["jacobian"] },
        ["jacobian without data"] = new(["--model", "$model"], Model, null, ["missing --data (or use --example NAME"]) { Commands = ["jacobian"] },
        ["jacobian all with an example index"] = new(["--example", "seed003", "--all", "--example-index", "0"], null, null, ["--all and --example-index exclude each other"]) { Commands = ["jacobian"] },
        ["jacobian check in f32"] = new(["--example", "seed003", "--check", "--precision", "f32"], null, null, ["--check compares in float64"]) { Commands = ["jacobian"] },
        ["jacobian step without check"] = new(["--example", "seed003", "--step", "1e-4"], null, null, ["--step is the step of --check"]) { Commands = ["jacobian"] },
        ["jacobian unknown layout"] = new(["--example", "seed003", "--layout", "numpy"], null, null, ["--layout: expected torch or sheet, got 'numpy'"]) { Commands = ["jacobian"] },
        ["jacobian unknown of"] = new(["--example", "seed003", "--of", "input"], null, null, ["--of: expected output or loss, got 'input'"]) { Commands = ["jacobian"] },
        ["jacobian unknown format"] = new(["--example", "seed003", "--format", "html"], null, null, ["--format: expected text, markdown, json or csv, got 'html'"]) { Commands = ["jacobian"] },
        ["jacobian layer not an integer"] = new(["--example", "seed003", "--layer", "one"], null, null, ["--layer: expected an integer, got 'one'"]) { Commands = ["jacobian"] },
    };

    public static TheoryData<string> Names => [.. All.Keys];

    [Theory]
    [MemberData(nameof(Names))]
    public void Bad_input_gives_one_line_naming_the_place_and_exit_code_2(string name)
    {
        var c = All[name];
        string model = Path.Combine(_dir, "model.json"), data = Path.Combine(_dir, "data.json");
        if (c.Model is not null) File.WriteAllText(model, c.Model);
        if (c.DataIsDirectory) Directory.CreateDirectory(data);
        else if (c.Data is not null) File.WriteAllText(data, c.Data);
        string Fill(string s) => s.Replace("$model", model).Replace("$data", data);

        foreach (string command in c.Commands)
        {
            string[] args = [command, .. c.Args.Select(Fill)];
            var (code, stdout, stderr) = Run(args);
            string context = $"backprop {string.Join(' ', args)}\nstderr: {stderr}";

            Assert.True(code == ExitCodes.BadInput, $"exit code {code}, expected 2\n{context}");
            Assert.True(stdout.Length == 0, $"stdout should be empty, got: {stdout}\n{context}");
            Assert.True(stderr.EndsWith('\n') && stderr.IndexOfAny(['\n', '\r']) == stderr.Length - 1,
                $"stderr should be exactly one line\n{context}");
            Assert.StartsWith("error: ", stderr);
            foreach (string marker in new[] { "   at ", "Exception", "internal error" })
                Assert.True(!stderr.Contains(marker, StringComparison.Ordinal), $"stderr contains '{marker}'\n{context}");
            foreach (string fragment in c.Expected.Select(Fill))
                Assert.True(stderr.Contains(fragment, StringComparison.Ordinal), $"stderr should contain: {fragment}\n{context}");
        }
    }

    /// <summary>The model file is read before the data file, so a broken model is the one reported.</summary>
    [Fact]
    public void Model_errors_come_before_data_errors()
    {
        File.WriteAllText(Path.Combine(_dir, "model.json"), "{");
        File.WriteAllText(Path.Combine(_dir, "data.json"), "{");
        var (code, _, stderr) = Run(["grad", "--model", Path.Combine(_dir, "model.json"), "--data", Path.Combine(_dir, "data.json"), "--loss", "mse"]);
        Assert.Equal(ExitCodes.BadInput, code);
        Assert.Contains("model.json: invalid JSON", stderr);
        Assert.DoesNotContain("data.json", stderr);
    }

    /// <summary>The list above must not shrink silently: it is the contract's checklist.</summary>
    [Fact]
    public void The_checklist_covers_every_target_kind_and_every_command()
    {
        Assert.True(All.Count >= 60, $"only {All.Count} cases");
        var commands = All.Values.SelectMany(c => c.Commands).ToHashSet();
        Assert.Superset(new HashSet<string> { "grad", "trace", "gradcheck", "examples", "jacobian" }, commands);
        foreach (string loss in new[] { "mse", "bce", "cross_entropy", "hinge", "logistic", "perceptron", "multiclass_perceptron", "bce_with_logits" })
            Assert.Contains(All.Values, c => c.Args.Contains(loss));
    }

    internal static (int Code, string Stdout, string Stderr) Run(string[] args) => CliRun.Run(args);
}
