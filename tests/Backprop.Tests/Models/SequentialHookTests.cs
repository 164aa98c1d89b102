using Backprop.Kernels;
using Backprop.Layers;
using Backprop.Models;
using Backprop.Tensors;
using Backprop.Tests.Support;
using Backprop.Tests.Training;

namespace Backprop.Tests.Models;

/// <summary>
/// Sequential's hooks and partial passes: the order of the calls, the values they see, partial passes that equal the
/// full pass's intermediate values, removal through the handle, and no cost without hooks.
/// </summary>
public sealed class SequentialHookTests
{
    // Every kind of step a hook meets: parameters, activations, pooling, a view (flatten), a non-element-wise layer.
    private const string Model = """
        {"input": [1, 6, 6], "seed": 7, "layers": [
          {"type": "conv2d", "out_channels": 2, "kernel_size": 3}, {"type": "relu"}, {"type": "maxpool2d", "kernel_size": 2},
          {"type": "flatten"}, {"type": "linear", "out": 5}, {"type": "tanh"}, {"type": "linear", "out": 3}, {"type": "softmax"}]}
        """;

    private static Sequential<double> Build() => ModelFile.Build<double>(ModelFile.Parse(Model, "model"), "model");

    private static Tensor<double> Batch(int n = 2)
    {
        var rng = new Rng(11);
        var x = new Tensor<double>(n, 1, 6, 6);
        for (int i = 0; i < x.Length; i++) x[i] = rng.Normal();
        return x;
    }

    private static Tensor<double> Upstream(int[] shape)
    {
        var rng = new Rng(12);
        var g = new Tensor<double>(shape);
        for (int i = 0; i < g.Length; i++) g[i] = rng.Normal();
        return g;
    }

    private static double[] Copy(Tensor<double> t) => t.Span.ToArray();

    private static double[][] ParameterGrads(Sequential<double> model) => model.NamedParameters.Select(p => Copy(p.Parameter.Grad)).ToArray();

    /// <summary>Every value of a full pass without hooks: each layer's output, dL/d(output), dL/d(input), and the parameter gradients.</summary>
    private static (double[][] Outputs, double[][] OutputGrads, double[][] InputGrads, double[][] ParameterGrads) FullPass(Tensor<double> x)
    {
        var model = Build();
        int count = model.Layers.Count;
        var outputs = new double[count][];
        var y = x;
        for (int i = 0; i < count; i++) outputs[i] = Copy(y = model.Layers[i].Forward(y));
        var outputGrads = new double[count][];
        var inputGrads = new double[count][];
        var g = Upstream(y.Shape);
        for (int i = count - 1; i >= 0; i--)
        {
            outputGrads[i] = Copy(g);
            inputGrads[i] = Copy(g = model.Layers[i].Backward(g));
        }
        return (outputs, outputGrads, inputGrads, ParameterGrads(model));
    }

    [Fact]
    public void Hooks_are_called_in_the_order_the_passes_run()
    {
        var model = Build();
        var calls = new List<string>();
        var x = Batch();
        Tensor<double>? previous = null;
        model.RegisterForwardPreHook(input =>
        {
            Assert.Same(x, input);
            calls.Add("x");
        });
        model.RegisterForwardHook((i, layer, input, output) =>
        {
            Assert.Same(model.Layers[i], layer);
            Assert.Same(previous ?? x, input); // what went in is what the layer before gave
            Assert.Equal(Tensor.Batched(2, layer.OutputShape), output.Shape);
            previous = output;
            calls.Add($"forward {i}");
        });
        Tensor<double>? upstream = null;
        model.RegisterBackwardPreHook((i, layer, grad) =>
        {
            Assert.Same(model.Layers[^1], layer);
            Assert.Same(upstream, grad);
            calls.Add($"dL/dŷ {i}");
        });
        model.RegisterBackwardHook((i, layer, outputGrad, inputGrad) =>
        {
            Assert.Same(model.Layers[i], layer);
            Assert.Same(upstream, outputGrad);
            Assert.Equal(Tensor.Batched(2, layer.InputShape), inputGrad.Shape);
            upstream = inputGrad;
            calls.Add($"backward {i}");
        });

        var output = model.Forward(x);
        Assert.Same(previous, output);
        upstream = Upstream(output.Shape);
        var inputGrad = model.Backward(upstream);
        Assert.Same(upstream, inputGrad);

        Assert.Equal(["x", .. Enumerable.Range(0, 8).Select(i => $"forward {i}"), "dL/dŷ 7", .. Enumerable.Range(0, 8).Reverse().Select(i => $"backward {i}")], calls);
    }

    [Fact]
    public void A_backward_hook_sees_the_parameter_gradients_of_its_layer_already_computed()
    {
        var expected = FullPass(Batch());
        var model = Build();
        var seen = new Dictionary<string, double[]>();
        model.RegisterBackwardHook((i, layer, _, _) =>
        {
            foreach (var p in layer.Parameters) seen[$"{i}.{p.Name}"] = Copy(p.Grad);
        });
        var output = model.Forward(Batch());
        model.Backward(Upstream(output.Shape));
        Assert.Equal(model.NamedParameters.Select(p => p.Name).Order(), seen.Keys.Order());
        Assert.Equal(expected.ParameterGrads, model.NamedParameters.Select(p => seen[p.Name]));
    }

    [Fact]
    public void Hooks_see_the_values_of_a_pass_without_hooks_and_change_none()
    {
        var expected = FullPass(Batch());
        var model = Build();
        int count = model.Layers.Count;
        double[][] outputs = new double[count][], outputGrads = new double[count][], inputGrads = new double[count][];
        model.RegisterForwardHook((i, _, _, output) => outputs[i] = Copy(output));
        model.RegisterBackwardHook((i, _, outputGrad, inputGrad) => (outputGrads[i], inputGrads[i]) = (Copy(outputGrad), Copy(inputGrad)));
        var y = model.Forward(Batch());
        model.Backward(Upstream(y.Shape));

        Assert.Equal(expected.Outputs, outputs);
        Assert.Equal(expected.OutputGrads, outputGrads);
        Assert.Equal(expected.InputGrads, inputGrads);
        Assert.Equal(expected.ParameterGrads, ParameterGrads(model));
    }

    [Fact]
    public void A_forward_pass_up_to_a_layer_gives_that_layers_output_of_the_full_pass()
    {
        var expected = FullPass(Batch());
        var model = Build();
        for (int i = 0; i < model.Layers.Count; i++)
        {
            var calls = new List<int>();
            using (model.RegisterForwardHook((k, _, _, _) => calls.Add(k)))
            {
                var output = model.Forward(Batch(), upTo: i);
                Assert.Equal(Tensor.Batched(2, model.Layers[i].OutputShape), output.Shape);
                Assert.Equal(expected.Outputs[i], Copy(output));
            }
            Assert.Equal(Enumerable.Range(0, i + 1), calls); // the layers after it do not run
        }
        Assert.Equal(expected.Outputs[^1], Copy(model.Forward(Batch(), upTo: model.Layers.Count - 1)));
    }

    [Fact]
    public void A_backward_pass_from_a_layer_gives_the_full_passs_gradients_below_it()
    {
        var expected = FullPass(Batch());
        var model = Build();
        for (int from = 0; from < model.Layers.Count; from++)
        {
            model.ZeroGrad();
            model.Forward(Batch(), upTo: from);
            var calls = new List<int>();
            Tensor<double> inputGrad;
            using (model.RegisterBackwardPreHook((k, _, _) => calls.Add(-1 - k)))
            using (model.RegisterBackwardHook((k, _, _, _) => calls.Add(k)))
                inputGrad = model.Backward(new Tensor<double>(expected.OutputGrads[from], Tensor.Batched(2, model.Layers[from].OutputShape)), from: from);

            Assert.Equal([-1 - from, .. Enumerable.Range(0, from + 1).Reverse()], calls);
            Assert.Equal(expected.InputGrads[0], Copy(inputGrad));
            for (int p = 0; p < model.NamedParameters.Count; p++)
            {
                var (name, parameter) = model.NamedParameters[p];
                int layer = int.Parse(name[..name.IndexOf('.')]);
                // Layers up to `from` hold the full pass's gradients; the ones after it were not touched.
                Assert.Equal(layer <= from ? expected.ParameterGrads[p] : new double[parameter.Grad.Length], Copy(parameter.Grad));
            }
        }
    }

    [Fact]
    public void Layer_indices_out_of_range_are_refused()
    {
        var model = Build();
        var x = Batch();
        Assert.Equal("upTo", Assert.Throws<ArgumentOutOfRangeException>(() => model.Forward(x, upTo: 8)).ParamName);
        Assert.Throws<ArgumentOutOfRangeException>(() => model.Forward(x, upTo: -1));
        var y = model.Forward(x);
        Assert.Equal("from", Assert.Throws<ArgumentOutOfRangeException>(() => model.Backward(y, from: 8)).ParamName);
        Assert.Throws<ArgumentOutOfRangeException>(() => model.Backward(y, from: -1));
    }

    [Fact]
    public void Disposing_a_handle_removes_exactly_that_hook()
    {
        var model = Build();
        var calls = new List<string>();
        Action<int, Layer<double>, Tensor<double>, Tensor<double>> same = (i, _, _, _) => calls.Add($"same {i}");
        var first = model.RegisterForwardHook(same);
        var other = model.RegisterForwardHook((i, _, _, _) => calls.Add($"other {i}"));
        var second = model.RegisterForwardHook(same); // the same delegate twice: two registrations
        var x = Batch();

        model.Forward(x, upTo: 0);
        Assert.Equal(["same 0", "other 0", "same 0"], calls);

        calls.Clear();
        second.Dispose();
        model.Forward(x, upTo: 0);
        Assert.Equal(["same 0", "other 0"], calls);

        calls.Clear();
        second.Dispose(); // twice: nothing more is removed
        first.Dispose();
        model.Forward(x, upTo: 0);
        Assert.Equal(["other 0"], calls);

        calls.Clear();
        other.Dispose();
        model.Forward(x);
        Assert.Empty(calls);
    }

    [Fact]
    public void A_hook_that_removes_itself_during_a_pass_still_sees_the_rest_of_that_pass_only()
    {
        var model = Build();
        var calls = new List<int>();
        IDisposable? handle = null;
        handle = model.RegisterForwardHook((i, _, _, _) =>
        {
            calls.Add(i);
            if (i == 2) handle!.Dispose();
        });
        model.Forward(Batch());
        model.Forward(Batch());
        Assert.Equal(Enumerable.Range(0, 8), calls); // one pass reads one list of hooks from start to end
    }

    [Fact]
    public void Backward_parameters_takes_the_full_pass_when_backward_hooks_are_registered()
    {
        var expected = FullPass(Batch());
        var model = Build();
        var calls = new List<int>();
        using (model.RegisterBackwardHook((i, _, _, _) => calls.Add(i)))
        {
            var y = model.Forward(Batch());
            model.BackwardParameters(Upstream(y.Shape));
        }
        Assert.Equal(Enumerable.Range(0, 8).Reverse(), calls);
        Assert.Equal(expected.ParameterGrads, ParameterGrads(model));

        model.ZeroGrad();
        var again = model.Forward(Batch());
        model.BackwardParameters(Upstream(again.Shape)); // without hooks: the short pass, the same gradients
        Assert.Equal(expected.ParameterGrads, ParameterGrads(model));
    }
}

/// <summary>A model without hooks allocates nothing in its passes, whole or partial (allocated bytes are process-wide state: run alone).</summary>
[Collection(nameof(KernelThreadsCollection))]
public sealed class SequentialAllocationTests
{
    private static long Allocated() => GC.GetAllocatedBytesForCurrentThread() + WorkerPool.WorkerAllocatedBytes;

    [Fact]
    public void Passes_without_hooks_allocate_nothing_once_warm()
    {
        const string json = """
            {"input": [1, 8, 8], "layers": [
              {"type": "conv2d", "out_channels": 4, "kernel_size": 3}, {"type": "relu"}, {"type": "maxpool2d", "kernel_size": 2},
              {"type": "flatten"}, {"type": "linear", "out": 10}]}
            """;
        var model = ModelFile.Build<float>(ModelFile.Parse(json, "model"), "model");
        var x = new Tensor<float>(16, 1, 8, 8);
        x.Fill(0.5f);
        var g = new Tensor<float>(16, 10);
        g.Fill(0.1f);
        var inner = new Tensor<float>(Tensor.Batched(16, model.Layers[2].OutputShape));
        inner.Fill(0.1f);
        int saved = WorkerPool.MaxThreads;
        try
        {
            WorkerPool.MaxThreads = 2;
            // A hook registered and removed leaves no cost behind.
            model.RegisterForwardHook((_, _, _, _) => { }).Dispose();
            model.RegisterBackwardHook((_, _, _, _) => { }).Dispose();
            long bytes = Allocations.Fewest(() =>
            {
                model.ZeroGrad();
                model.Forward(x);
                model.Backward(g);
                model.Forward(x);
                model.BackwardParameters(g);
                model.Forward(x, upTo: 2);
                model.Backward(inner, from: 2);
            }, Allocated);
            Assert.Equal(0, bytes);
        }
        finally
        {
            WorkerPool.MaxThreads = saved;
        }
    }
}
