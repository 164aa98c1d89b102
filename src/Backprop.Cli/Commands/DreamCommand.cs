using System.CommandLine;
using System.Globalization;
using Backprop.Data;
using Backprop.Training;
using Backprop.Visualization;
using Backprop.Runs;
using Backprop.Diagnostics;

namespace Backprop.Cli.Commands;

/// <summary>backprop dream: the input a trained model finds most like a class (or that most excites a hidden unit).</summary>
internal static class DreamCommand
{
    public static Command Create(TextWriter stdout, TextWriter stderr)
    {
        var d = new DreamOptions();
        var modelDir = new Option<string>("--model") { Description = "The --out folder of 'backprop train'", Required = true, HelpName = "DIR" };
        var cls = new Option<string?>("--class") { Description = "The class to dream: an index, a class name, or 'all' for a labelled grid of every class", HelpName = "K|NAME|all" };
        var layer = new Option<int?>("--layer") { Description = "Dream for a hidden unit instead: the layer (0-based, as in state_dict names)", HelpName = "L" };
        var unit = new Option<string?>("--unit") { Description = "With --layer: the unit or channel, or 'all' for a grid of every channel", HelpName = "U|all" };
        var steps = OptionValues.Integer("--steps", d.Steps);
        steps.Description = "Gradient steps in all (shared over the octaves)";
        steps.HelpName = "N";
        var lr = OptionValues.Number("--lr", d.LearningRate);
        lr.Description = "Step size: the typical change of a pixel per step (the step is the gradient divided by its RMS)";
        lr.HelpName = "η";
        var jitter = OptionValues.Integer("--jitter", d.Jitter);
        jitter.Description = "Roll the image by a random shift of up to this many pixels each step (0 = off)";
        jitter.HelpName = "PIXELS";
        var blur = OptionValues.Number("--blur", d.Blur);
        blur.Description = "Blur the image with a Gaussian of this σ (pixels) every --blur-every steps (0 = off)";
        blur.HelpName = "SIGMA";
        var blurEvery = OptionValues.Integer("--blur-every", d.BlurEvery);
        blurEvery.Description = "With --blur: blur the image every N steps";
        blurEvery.HelpName = "N";
        var gradBlur = OptionValues.Number("--grad-blur", d.GradientBlur);
        gradBlur.Description = "Blur the gradient with a Gaussian of this σ (pixels) every step (0 = off)";
        gradBlur.HelpName = "SIGMA";
        var decay = OptionValues.Number("--decay", d.Decay);
        decay.Description = "L2 decay: the image is multiplied by (1 - decay) after every step (0 = off)";
        decay.HelpName = "L2";
        var octaves = OptionValues.Integer("--octaves", d.Octaves);
        octaves.Description = "Optimise at this many scales, coarse to fine, the last at the model's input size";
        octaves.HelpName = "N";
        var octaveScale = OptionValues.Number("--octave-scale", d.OctaveScale);
        octaveScale.Description = "The size ratio between consecutive octaves";
        octaveScale.HelpName = "S";
        var clamp = new Option<bool>("--clamp") { Description = "Clamp pixels to [0, 1] after every step (default true; --clamp false lets them go)", DefaultValueFactory = _ => d.Clamp };
        var seed = new Option<ulong>("--seed") { Description = "Seeds the starting noise and the jitter", HelpName = "N", DefaultValueFactory = _ => d.Seed };
        var names = new Option<string>("--names")
        {
            Description = "Class names for labels and --class NAME: fashion-mnist, numbers, a comma-separated list, or auto (Fashion-MNIST's for a 10-class model of 28x28 images, numbers otherwise)",
            HelpName = "auto|fashion-mnist|numbers|A,B,...",
            DefaultValueFactory = _ => "auto",
        };
        var zoom = new Option<int?>("--zoom") { Description = "Draw each pixel as an N×N block (default: images about 112 pixels across; 1 gives the model-size image that 'predict --image' reads)", HelpName = "N" };
        var output = new Option<string>("--out") { Description = "The PNG to write", Required = true, HelpName = "FILE.png" };

        var command = new Command("dream", "Class visualisation: gradient descent on the input to maximise a class logit (or a hidden unit), with jitter, blur, decay, clamping and octaves");
        foreach (var o in new Option[] { modelDir, cls, layer, unit, steps, lr, jitter, blur, blurEvery, gradBlur, decay, octaves, octaveScale, clamp, seed, names, zoom, output })
            command.Options.Add(o);
        command.SetAction(parse => CommandRunner.Run(stderr, () =>
        {
            string path = parse.GetValue(output)!;
            if (!path.EndsWith(".png", StringComparison.OrdinalIgnoreCase)) throw new BackpropException($"--out: expected FILE.png, got '{path}'");
            CommandRunner.OutputFile(path, "--out");
            if (parse.GetValue(zoom) is < 1 or > 64) throw new BackpropException($"--zoom: expected 1 to 64, got {parse.GetValue(zoom)}");
            var options = new DreamOptions
            {
                Steps = parse.GetValue(steps), LearningRate = parse.GetValue(lr), Jitter = parse.GetValue(jitter),
                Blur = parse.GetValue(blur), BlurEvery = parse.GetValue(blurEvery), GradientBlur = parse.GetValue(gradBlur),
                Decay = parse.GetValue(decay), Octaves = parse.GetValue(octaves), OctaveScale = parse.GetValue(octaveScale),
                Clamp = parse.GetValue(clamp), Seed = parse.GetValue(seed),
            };
            options.Validate();
            var trained = TrainedModel.Load(parse.GetValue(modelDir)!);
            var model = trained.Model;

            string? className = parse.GetValue(cls), unitText = parse.GetValue(unit);
            int? layerIndex = parse.GetValue(layer);
            var targets = new List<(DreamTarget Target, string Label)>();
            bool grid;
            if (className is not null)
            {
                if (layerIndex is not null || unitText is not null) throw new BackpropException("give --class, or --layer with --unit, not both");
                int classes = model.OutputShape.Length == 1 ? model.OutputShape[0] : throw new BackpropException($"the model's output is [{string.Join(", ", model.OutputShape)}]; --class needs K logits");
                var labels = ClassNames(parse.GetValue(names)!, classes, model.InputShape);
                string Label(int k) => labels[k] == k.ToString(CultureInfo.InvariantCulture) ? labels[k] : $"{k} {labels[k]}";
                grid = className.Equals("all", StringComparison.OrdinalIgnoreCase);
                if (grid) targets.AddRange(Enumerable.Range(0, classes).Select(k => (DreamTarget.Class(k), Label(k))));
                else
                {
                    int k = int.TryParse(className, NumberStyles.None, CultureInfo.InvariantCulture, out int i) ? i
                        : labels.ToList().FindIndex(n => n.Equals(className, StringComparison.OrdinalIgnoreCase));
                    if (k < 0 || k >= classes)
                        throw new BackpropException($"--class: '{className}' is not a class of this model; expected 0 to {classes - 1}, a name ({string.Join(", ", labels)}) or all");
                    targets.Add((DreamTarget.Class(k), Label(k)));
                }
            }
            else if (layerIndex is int l)
            {
                if (unitText is null) throw new BackpropException("--layer needs --unit U (or --unit all)");
                if (l < 0 || l >= model.Layers.Count) throw new BackpropException($"--layer: {l} is out of range; the model has layers 0 to {model.Layers.Count - 1} ({model.Layers.Count} layers)");
                var shape = model.Layers[l].OutputShape;
                int units = shape.Length == 0 ? 1 : shape[0];
                grid = unitText.Equals("all", StringComparison.OrdinalIgnoreCase);
                if (grid) targets.AddRange(Enumerable.Range(0, units).Select(u => (DreamTarget.HiddenUnit(l, u), $"unit {u}")));
                else if (int.TryParse(unitText, NumberStyles.None, CultureInfo.InvariantCulture, out int u) && u < units) targets.Add((DreamTarget.HiddenUnit(l, u), $"unit {u}"));
                else throw new BackpropException($"--unit: '{unitText}' is not a unit of layer {l} ({model.Layers[l].Type}, output [{string.Join(", ", shape)}]); expected 0 to {units - 1} or all");
            }
            else throw new BackpropException(unitText is null ? "give --class K (or all), or --layer L with --unit U" : "--unit needs --layer L");

            var dreams = new List<DreamResult>();
            foreach (var (target, label) in targets)
            {
                var dream = ClassVisualization.Dream(model, trained.Preparation, target, options);
                dreams.Add(dream);
                string what = target.IsClass ? "logit" : $"layer {target.Layer} ({model.Layers[target.Layer!.Value].Type}) mean activation";
                string probability = dream.Probabilities is double[] p ? $", probability {p[target.Unit]:F4}" : "";
                stdout.WriteLine($"{(target.IsClass ? "class " : "")}{label}: {what} {dream.StartObjective:F3} -> {dream.FinalObjective:F3}{probability}");
            }
            int scale = parse.GetValue(zoom) ?? ClassVisualization.AutoZoom(dreams[0].Height, dreams[0].Width);
            if (grid) DreamImages.SaveGrid(dreams, targets.Select(t => t.Label).ToList(), path, scale, columns: dreams.Count <= 10 ? 5 : 8);
            else DreamImages.SaveImage(dreams[0], path, scale);
            stdout.WriteLine($"wrote {path}");
            return ExitCodes.Ok;
        }));
        return command;
    }

    /// <summary>The names --names asks for, K of them.</summary>
    private static IReadOnlyList<string> ClassNames(string spec, int classes, int[] inputShape)
    {
        var numbers = Enumerable.Range(0, classes).Select(k => k.ToString(CultureInfo.InvariantCulture)).ToList();
        var fashion = DatasetSource.FashionMnistClassNames;
        switch (spec)
        {
            case "numbers":
                return numbers;
            case "fashion-mnist":
                if (classes != fashion.Count) throw new BackpropException($"--names fashion-mnist: Fashion-MNIST has {fashion.Count} classes, the model {classes}");
                return fashion;
            case "auto":
                return classes == fashion.Count && inputShape.SequenceEqual([1, 28, 28]) ? fashion : numbers;
            default:
                var list = spec.Split(',', StringSplitOptions.TrimEntries);
                if (list.Length != classes || list.Any(n => n.Length == 0))
                    throw new BackpropException($"--names: {list.Length} names given ('{spec}'), but the model has {classes} classes; or use fashion-mnist, numbers or auto");
                return list;
        }
    }
}
