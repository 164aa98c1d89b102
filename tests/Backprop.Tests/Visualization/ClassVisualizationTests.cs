using Backprop.Training;
using Backprop.Visualization;
using Xunit.Abstractions;
using Backprop.Diagnostics;

namespace Backprop.Tests.Visualization;

/// <summary>
/// Class visualisation on small trained models: the dream is classified as its class, the input gradient is the true
/// gradient, each regulariser does what it is for, and the result is a pure function of the seed.
/// </summary>
public sealed class ClassVisualizationTests(DreamModelFixture models, ITestOutputHelper output) : IClassFixture<DreamModelFixture>
{
    /// <summary>Plain gradient descent: no jitter, blur, decay or clamping, one octave.</summary>
    private static readonly DreamOptions Plain = new() { Steps = 100, LearningRate = 0.05, Jitter = 0, Blur = 0, GradientBlur = 0, Decay = 0, Clamp = false, Octaves = 1, Seed = 1 };

    /// <summary>
    /// The regularisers on, scaled down for 6×6 images (the defaults are for 28×28: a gradient blur of σ = 1.5 washes
    /// out a one-pixel diagonal). No jitter: the model knows only the exact diagonal, and a diagonal rolled by (0, 1)
    /// is not one.
    /// </summary>
    private static readonly DreamOptions Regularised = new() { Steps = 200, Jitter = 0, Blur = 0.5, BlurEvery = 4, GradientBlur = 0.5, Decay = 0.01, Octaves = 2, Clamp = true, Seed = 1 };

    private static double L2(double[] x) => Math.Sqrt(x.Sum(v => v * v));

    private static double Energy(DreamResult d) => ImageFilters.NeighbourEnergy<double>(d.Image, d.Channels, d.Height, d.Width);

    [Theory]
    [InlineData(DreamModelFixture.Plain, false)]
    [InlineData(DreamModelFixture.Standardized, false)]
    [InlineData(DreamModelFixture.Plain, true)]
    [InlineData(DreamModelFixture.Standardized, true)]
    public void Each_class_dream_reaches_a_much_higher_logit_and_is_classified_as_the_class(string which, bool regularised)
    {
        var trained = models.Load(which);
        var options = regularised ? Regularised : Plain;
        for (int k = 0; k < 3; k++)
        {
            var d = ClassVisualization.Dream(trained.Model, trained.Preparation, DreamTarget.Class(k), options);
            output.WriteLine($"{which} {(regularised ? "regularised" : "plain")} class {k}: logit {d.StartObjective:F3} -> {d.FinalObjective:F3}, p = {d.Probabilities![k]:F6}");
            Assert.True(d.FinalObjective > d.StartObjective + 5, $"class {k}: logit {d.StartObjective} -> {d.FinalObjective}");
            Assert.True(d.Probabilities[k] >= 0.99, $"class {k}: probability {d.Probabilities[k]}");
            // The same image through the ordinary prediction path agrees.
            var x = new Backprop.Tensors.Tensor<float>(d.Image.Select(v => (float)v).ToArray(), 1, 1, 6, 6);
            var data = new Backprop.Data.Dataset(x.Data, [1, 6, 6], [k], 3);
            if (trained.Preparation.Mean is not null) Backprop.Data.Preprocessing.Standardize(data, trained.Preparation.Mean, trained.Preparation.Std!);
            var logits = trained.Model.Forward(x);
            Assert.Equal(k, VectorFunctions.ArgMax<float>(logits.Span));
            Assert.Equal(d.FinalObjective, logits[k], 4);
        }
    }

    [Theory]
    [InlineData(null, 2)]  // class 2's logit (the last layer)
    [InlineData(0, 1)]     // conv channel 1 before its ReLU
    [InlineData(2, 2)]     // after max-pooling
    [InlineData(4, 7)]     // a unit of the hidden linear layer
    public void The_input_gradient_is_the_gradient_of_the_objective(int? layer, int unit)
    {
        // In float64 through every stage: a 4×4 image resized to 6×6, rolled by (1, −2), standardised.
        var trained = models.Load(DreamModelFixture.Standardized);
        var model = trained.Model.Cast<double>();
        var target = layer is int l ? DreamTarget.HiddenUnit(l, unit) : DreamTarget.Class(unit);
        var gradient = new InputGradient<double>(model, trained.Preparation, target);
        var rng = new Rng(5);
        var image = new double[16];
        for (int i = 0; i < image.Length; i++) image[i] = rng.Uniform(0, 1);
        var analytic = new double[16];
        gradient.Gradient(image, 4, 4, 1, -2, analytic);
        var scratch = new double[16];
        const double h = 1e-6;
        for (int i = 0; i < image.Length; i++)
        {
            var plus = (double[])image.Clone();
            var minus = (double[])image.Clone();
            plus[i] += h;
            minus[i] -= h;
            // L = −a
            double numeric = -(gradient.Gradient(plus, 4, 4, 1, -2, scratch) - gradient.Gradient(minus, 4, 4, 1, -2, scratch)) / (2 * h);
            Assert.True(Math.Abs(numeric - analytic[i]) <= 1e-6 + 1e-5 * Math.Abs(numeric), $"pixel {i}: numeric {numeric}, analytic {analytic[i]}");
        }
        Assert.Contains(analytic, g => g != 0);
    }

    [Theory]
    [InlineData(null, 0, 6)]  // the logits, with the image at the model's size
    [InlineData(3, 4, 4)]     // through flatten, with a 4×4 image resized
    public void Steps_allocate_nothing_beyond_what_the_layers_do(int? layer, int unit, int size)
    {
        // The layers themselves allocate a little (Pool2d and Flatten build a shape array per call): measure one
        // forward and backward pass of the whole model and allow exactly that.
        var trained = models.Load(DreamModelFixture.Standardized);
        var x = new Backprop.Tensors.Tensor<float>(1, 1, 6, 6);
        var dy = new Backprop.Tensors.Tensor<float>(1, 3);
        trained.Model.Forward(x);
        trained.Model.Backward(dy);
        long start = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 20; i++)
        {
            trained.Model.Forward(x);
            trained.Model.Backward(dy);
        }
        long layers = GC.GetAllocatedBytesForCurrentThread() - start;

        var gradient = new InputGradient<float>(trained.Model, trained.Preparation, layer is int l ? DreamTarget.HiddenUnit(l, unit) : DreamTarget.Class(unit));
        var image = new float[size * size];
        var grad = new float[image.Length];
        Array.Fill(image, 0.5f);
        gradient.Gradient(image, size, size, 1, -1, grad);
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 20; i++) gradient.Gradient(image, size, size, i % 3 - 1, 1 - i % 3, grad);
        long steps = GC.GetAllocatedBytesForCurrentThread() - before;
        output.WriteLine($"20 steps: {steps} bytes; 20 passes of the layers: {layers} bytes");
        Assert.True(steps <= layers, $"20 steps allocated {steps} bytes, the layers alone {layers}");
    }

    [Theory]
    [InlineData(0, 0)]  // conv2d, channel 0
    [InlineData(1, 2)]  // its ReLU, channel 2
    [InlineData(4, 5)]  // linear 27 → 16, unit 5
    public void A_hidden_unit_dream_raises_that_units_activation(int layer, int unit)
    {
        var trained = models.Load();
        var d = ClassVisualization.Dream(trained.Model, trained.Preparation, DreamTarget.HiddenUnit(layer, unit), Plain with { Clamp = true });
        output.WriteLine($"layer {layer} unit {unit}: {d.StartObjective:F4} -> {d.FinalObjective:F4}");
        Assert.Null(d.Probabilities);
        Assert.True(d.FinalObjective > d.StartObjective + 0.2, $"{d.StartObjective} -> {d.FinalObjective}");
        Assert.True(d.Objectives[^1] > d.Objectives[0]);
    }

    [Fact]
    public void A_conv_channel_dream_reaches_the_best_image_in_the_unit_box()
    {
        // The mean of conv channel 0 is linear in the image, a(x) = b + Σ c_i x_i, so over [0, 1]^36 it is largest
        // at x_i = 1 where c_i > 0 and 0 elsewhere: b + Σ max(c_i, 0). Clamped descent gets there exactly.
        var trained = models.Load();
        var target = DreamTarget.HiddenUnit(0, 0);
        var gradient = new InputGradient<double>(trained.Model.Cast<double>(), trained.Preparation, target);
        var zeros = new double[36];
        var c = new double[36];
        double b = gradient.Gradient(zeros, 6, 6, 0, 0, c); // a(0) = b, and dL/dx = −c
        double best = b + c.Sum(g => Math.Max(-g, 0));
        var d = ClassVisualization.Dream(trained.Model, trained.Preparation, target, Plain with { Clamp = true });
        output.WriteLine($"conv channel 0: {d.StartObjective:F4} -> {d.FinalObjective:F4}, best {best:F4}");
        Assert.Equal(best, d.FinalObjective, 4);
        for (int i = 0; i < 36; i++) Assert.Equal(c[i] < 0 ? 1.0 : 0.0, d.Image[i]);
    }

    [Fact]
    public void Blurring_the_image_lowers_its_high_frequency_energy()
    {
        var trained = models.Load();
        var sharp = ClassVisualization.Dream(trained.Model, trained.Preparation, DreamTarget.Class(2), Plain);
        var blurred = ClassVisualization.Dream(trained.Model, trained.Preparation, DreamTarget.Class(2), Plain with { Blur = 1, BlurEvery = 1 });
        output.WriteLine($"neighbour energy: sharp {Energy(sharp):F3}, blurred {Energy(blurred):F3}");
        Assert.True(Energy(blurred) < 0.5 * Energy(sharp), $"sharp {Energy(sharp)}, blurred {Energy(blurred)}");
        // Blurring only every 10 steps lies in between.
        var sometimes = ClassVisualization.Dream(trained.Model, trained.Preparation, DreamTarget.Class(2), Plain with { Blur = 1, BlurEvery = 10 });
        Assert.InRange(Energy(sometimes), Energy(blurred), Energy(sharp));
    }

    [Fact]
    public void Blurring_the_gradient_lowers_the_images_high_frequency_energy()
    {
        var trained = models.Load();
        var sharp = ClassVisualization.Dream(trained.Model, trained.Preparation, DreamTarget.Class(0), Plain);
        var smooth = ClassVisualization.Dream(trained.Model, trained.Preparation, DreamTarget.Class(0), Plain with { GradientBlur = 1 });
        output.WriteLine($"neighbour energy: sharp {Energy(sharp):F3}, gradient blurred {Energy(smooth):F3}");
        Assert.True(Energy(smooth) < 0.5 * Energy(sharp), $"sharp {Energy(sharp)}, gradient blurred {Energy(smooth)}");
    }

    [Fact]
    public void Clamping_keeps_every_pixel_in_0_1()
    {
        var trained = models.Load();
        var free = ClassVisualization.Dream(trained.Model, trained.Preparation, DreamTarget.Class(1), Plain);
        var clamped = ClassVisualization.Dream(trained.Model, trained.Preparation, DreamTarget.Class(1), Plain with { Clamp = true });
        Assert.True(free.Image.Min() < 0 || free.Image.Max() > 1, "without clamping the pixels leave [0, 1] (else this test shows nothing)");
        Assert.All(clamped.Image, v => Assert.InRange(v, 0, 1));
        Assert.True(clamped.Probabilities![1] >= 0.99, $"probability {clamped.Probabilities[1]}");
    }

    [Fact]
    public void Decay_lowers_the_L2_norm()
    {
        var trained = models.Load();
        var none = ClassVisualization.Dream(trained.Model, trained.Preparation, DreamTarget.Class(0), Plain);
        var decayed = ClassVisualization.Dream(trained.Model, trained.Preparation, DreamTarget.Class(0), Plain with { Decay = 0.05 });
        output.WriteLine($"L2 norm: no decay {L2(none.Image):F3}, decay 0.05 {L2(decayed.Image):F3}");
        Assert.True(L2(decayed.Image) < 0.8 * L2(none.Image), $"{L2(none.Image)} -> {L2(decayed.Image)}");
    }

    [Fact]
    public void Jitter_is_deterministic_for_a_seed_and_changes_with_it()
    {
        var trained = models.Load();
        var options = Plain with { Jitter = 2, Steps = 40 };
        var a = ClassVisualization.Dream(trained.Model, trained.Preparation, DreamTarget.Class(2), options);
        var b = ClassVisualization.Dream(trained.Model, trained.Preparation, DreamTarget.Class(2), options);
        Assert.Equal(a.Image, b.Image);
        Assert.Equal(a.Objectives, b.Objectives);
        var unjittered = ClassVisualization.Dream(trained.Model, trained.Preparation, DreamTarget.Class(2), options with { Jitter = 0 });
        Assert.NotEqual(a.Image, unjittered.Image);
        var otherSeed = ClassVisualization.Dream(trained.Model, trained.Preparation, DreamTarget.Class(2), options with { Seed = 2 });
        Assert.NotEqual(a.Image, otherSeed.Image);
    }

    [Fact]
    public void The_default_settings_are_deterministic_bit_for_bit()
    {
        var options = new DreamOptions { Octaves = 3, GradientBlur = 0.5, Seed = 9 };
        var a = ClassVisualization.Dream(models.Load().Model, models.Load().Preparation, DreamTarget.Class(0), options);
        var trained = models.Load();
        var b = ClassVisualization.Dream(trained.Model, trained.Preparation, DreamTarget.Class(0), options);
        Assert.Equal(a.Image, b.Image);
        Assert.Equal(a.FinalObjective, b.FinalObjective);
        // The model is left as it was: no parameter gradient.
        Assert.All(trained.Model.NamedParameters, p => Assert.All(p.Parameter.Grad.Data, g => Assert.Equal(0f, g)));
    }

    [Fact]
    public void Octaves_go_from_coarse_to_the_model_size()
    {
        Assert.Equal([(14, 14), (20, 20), (28, 28)], ClassVisualization.OctaveSizes(28, 28, 3, 1.4));
        Assert.Equal([(7, 14), (14, 28)], ClassVisualization.OctaveSizes(14, 28, 2, 2));
        Assert.Equal([(28, 28)], ClassVisualization.OctaveSizes(28, 28, 1, 1.4));
        Assert.Equal([(1, 1), (1, 1), (2, 2), (4, 4)], ClassVisualization.OctaveSizes(4, 4, 4, 2));

        var trained = models.Load();
        var d = ClassVisualization.Dream(trained.Model, trained.Preparation, DreamTarget.Class(1), Plain with { Octaves = 3, Steps = 100 });
        Assert.Equal([(3, 3), (4, 4), (6, 6)], d.OctaveSizes);
        Assert.Equal((6, 6), (d.Height, d.Width));
        Assert.Equal(36, d.Image.Length);
        Assert.Equal(100, d.Objectives.Length);
        Assert.True(d.Probabilities![1] >= 0.99, $"probability {d.Probabilities[1]}");
    }

    [Fact]
    public void Bad_targets_and_options_are_rejected_with_a_message()
    {
        var trained = models.Load();
        var e = Assert.Throws<BackpropException>(() => ClassVisualization.Dream(trained.Model, trained.Preparation, DreamTarget.Class(3), Plain));
        Assert.Contains("class 3 is out of range: the model has 3 classes", e.Message);
        e = Assert.Throws<BackpropException>(() => ClassVisualization.Dream(trained.Model, trained.Preparation, DreamTarget.HiddenUnit(7, 0), Plain));
        Assert.Contains("layer 7 is out of range: the model has layers 0 to 6", e.Message);
        e = Assert.Throws<BackpropException>(() => ClassVisualization.Dream(trained.Model, trained.Preparation, DreamTarget.HiddenUnit(0, 3), Plain));
        Assert.Contains("unit 3 is out of range: layer 0 (conv2d) has 3 channels", e.Message);
        e = Assert.Throws<BackpropException>(() => ClassVisualization.Dream(trained.Model, trained.Preparation, DreamTarget.Class(0), Plain with { OctaveScale = 1 }));
        Assert.Contains("--octave-scale", e.Message);
    }
}
