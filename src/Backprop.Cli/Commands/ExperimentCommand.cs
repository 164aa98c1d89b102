using System.CommandLine;
using Spectre.Console;

namespace Backprop.Cli.Commands;

/// <summary>backprop experiment NAME: the experiments from the sheets, one subcommand (and one file) each.</summary>
internal static class ExperimentCommand
{
    public static Command Create(TextWriter stdout, TextWriter stderr)
    {
        var command = new Command("experiment", "Run an experiment from the sheets and print its results: mini-cnn, update-order, zero-init, gradient-flow, loss-derivation")
        {
            MiniCnnExperimentCommand.Create(stdout, stderr),
            UpdateOrderExperimentCommand.Create(stdout, stderr),
            ZeroInitExperimentCommand.Create(stdout, stderr),
            GradientFlowExperimentCommand.Create(stdout, stderr),
            LossDerivationExperimentCommand.Create(stdout, stderr),
        };
        // Without a name: one line saying which there are (an unknown name is a parse error naming it).
        command.SetAction(_ => CommandRunner.Run(stderr, () =>
            throw new BackpropException($"no experiment given; expected one of: {string.Join(", ", command.Subcommands.Select(c => c.Name))}")));
        return command;
    }

    public const string DefaultOut = "runs/experiments";

    /// <summary>--seed N: the experiment's one seed (data, weights, orders).</summary>
    public static Option<int> Seed()
    {
        var option = OptionValues.Integer("--seed", 0);
        option.Description = "Seed for the data, the weights and the example order (an integer ≥ 0)";
        return option;
    }

    public static Option<string> Out() => new("--out")
    {
        Description = $"Directory for the pictures (created if missing; default {DefaultOut})",
        HelpName = "DIR",
        DefaultValueFactory = _ => DefaultOut,
    };

    /// <summary>
    /// An experiment whose only options are --seed, --epochs and --lr: parses and checks them, then runs
    /// <paramref name="run"/>(seed, epochs, η) and prints its result with <paramref name="print"/>.
    /// </summary>
    public static Command SeedEpochsLearningRate<TResult>(string name, string description, TextWriter stderr, int defaultEpochs, string epochsDescription,
        double defaultLearningRate, Func<ulong, int, double, TResult> run, Action<TResult> print)
    {
        var seed = Seed();
        var epochs = Epochs(defaultEpochs, epochsDescription);
        var lr = LearningRate(defaultLearningRate);
        var command = new Command(name, description) { seed, epochs, lr };
        command.SetAction(parse => CommandRunner.Run(stderr, () =>
        {
            print(run(SeedValue(parse, seed), EpochsValue(parse, epochs), LearningRateValue(parse, lr)));
            return ExitCodes.Ok;
        }));
        return command;
    }

    public static Option<int> Epochs(int fallback, string what)
    {
        var option = OptionValues.Integer("--epochs", fallback);
        option.Description = what;
        return option;
    }

    public static Option<double> LearningRate(double fallback)
    {
        var option = OptionValues.Number("--lr", fallback);
        option.Description = "Learning rate η";
        option.HelpName = "η";
        return option;
    }

    public static ulong SeedValue(ParseResult parse, Option<int> seed)
    {
        int value = parse.GetValue(seed);
        return value >= 0 ? (ulong)value : throw new BackpropException($"--seed: expected an integer ≥ 0, got {value}");
    }

    public static int EpochsValue(ParseResult parse, Option<int> epochs)
    {
        int value = parse.GetValue(epochs);
        return value >= 1 ? value : throw new BackpropException($"--epochs: expected an integer ≥ 1, got {value}");
    }

    public static double LearningRateValue(ParseResult parse, Option<double> lr)
    {
        double value = parse.GetValue(lr);
        return value > 0 && double.IsFinite(value) ? value : throw new BackpropException($"--lr: expected a positive number, got {value}");
    }

    /// <summary>"0.1,0.6" → [0.1, 0.6], each a positive finite number.</summary>
    public static double[] NumberList(string text, string option)
    {
        var parts = text.Split(',', StringSplitOptions.TrimEntries);
        var values = new double[parts.Length];
        for (int i = 0; i < parts.Length; i++)
            if (!double.TryParse(parts[i], System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out values[i])
                || !(values[i] > 0) || !double.IsFinite(values[i]))
                throw new BackpropException($"{option}: expected positive numbers separated by commas, got '{text}'");
        return values;
    }

    /// <summary>The --out directory, created; the path of <paramref name="file"/> in it.</summary>
    public static string OutPath(ParseResult parse, Option<string> output, string file)
    {
        string dir = parse.GetValue(output)!;
        CommandRunner.OutputFolder(dir, "--out");
        Directory.CreateDirectory(dir);
        string path = Path.Combine(dir, file);
        CommandRunner.OutputFile(path, "--out");
        return path;
    }

    /// <summary>A colourless console on <paramref name="stdout"/>, wide enough that tables never wrap.</summary>
    public static IAnsiConsole Console(TextWriter stdout)
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(stdout), ColorSystem = ColorSystemSupport.NoColors });
        console.Profile.Width = 240;
        return console;
    }

    /// <summary>A table whose cells are plain text (no markup): the first <paramref name="textColumns"/> columns left-aligned, the numbers after them right-aligned.</summary>
    public static Table Table(int textColumns, params string[] headers)
    {
        var table = new Table();
        for (int i = 0; i < headers.Length; i++)
            table.AddColumn(new TableColumn(new Text(headers[i])) { Alignment = i < textColumns ? Justify.Left : Justify.Right });
        return table;
    }

    public static void Row(Table table, params string[] cells) => table.AddRow(cells.Select(c => new Text(c)));

    public static readonly Func<double, string> Sci = NumberFormat.Scientific(3);
    public static readonly Func<double, string> Fix = NumberFormat.Fixed(4);
}
