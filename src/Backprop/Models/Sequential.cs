using System.Numerics;
using Backprop.Layers;
using Backprop.Tensors;

namespace Backprop.Models;

/// <summary>
/// Layers applied one after another, as torch.nn.Sequential. Parameters are named "&lt;layer index&gt;.weight" and
/// "&lt;layer index&gt;.bias" exactly as in a PyTorch state_dict (layers without parameters still take an index).
/// <para>
/// Tools observe the passes through hooks, as PyTorch's <c>register_forward_hook</c> and
/// <c>register_full_backward_hook</c>, instead of writing the layer loop again:
/// <code>
/// using (model.RegisterForwardHook((i, layer, input, output) => Console.WriteLine($"{i}: {Tensor.Format(output.Shape)}")))
///     model.Forward(x);
/// </code>
/// A hook sees the layers' own reused buffers, valid only while it runs: it copies what it keeps and changes nothing.
/// Hooks run in the order they were registered; each <c>Register…Hook</c> returns a handle whose <c>Dispose</c>
/// removes that hook. A model without hooks pays one length test per layer and allocates nothing.
/// </para>
/// </summary>
public sealed class Sequential<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public Sequential(int[] inputShape, IReadOnlyList<Layer<T>> layers)
    {
        InputShape = inputShape;
        Layers = layers;
        var named = new List<(string, Parameter<T>)>();
        var buffers = new List<(string, Buffer<T>)>();
        for (int i = 0; i < layers.Count; i++)
        {
            foreach (var p in layers[i].Parameters) named.Add(($"{i}.{p.Name}", p));
            foreach (var b in layers[i].Buffers) buffers.Add(($"{i}.{b.Name}", b));
            layers[i].Context = Context;
        }
        NamedParameters = named;
        NamedBuffers = buffers;
        _firstWithParameters = -1;
        for (int i = 0; i < layers.Count && _firstWithParameters < 0; i++)
            if (layers[i].Parameters.Count > 0) _firstWithParameters = i;
    }

    private readonly int _firstWithParameters;
    private readonly HookList<Action<Tensor<T>>> _forwardPreHooks = new();
    private readonly HookList<Action<int, Layer<T>, Tensor<T>, Tensor<T>>> _forwardHooks = new();
    private readonly HookList<Action<int, Layer<T>, Tensor<T>>> _backwardPreHooks = new();
    private readonly HookList<Action<int, Layer<T>, Tensor<T>, Tensor<T>>> _backwardHooks = new();

    /// <summary>Shape of one example (without the batch dimension).</summary>
    public int[] InputShape { get; }

    public int[] OutputShape => Layers.Count == 0 ? InputShape : Layers[^1].OutputShape;

    public IReadOnlyList<Layer<T>> Layers { get; }

    /// <summary>Every parameter with its state_dict name, in state_dict order.</summary>
    public IReadOnlyList<(string Name, Parameter<T> Parameter)> NamedParameters { get; }

    /// <summary>Every buffer (running statistics) with its state_dict name ("1.running_mean"), in state_dict order; never trained.</summary>
    public IReadOnlyList<(string Name, Buffer<T> Buffer)> NamedBuffers { get; }

    /// <summary>The mode and the generator every layer of the model shares; a new model is in training mode.</summary>
    public ModelContext Context { get; } = new();

    /// <summary>Whether the model is in training mode (PyTorch's <c>model.training</c>).</summary>
    public bool Training => Context.Training;

    /// <summary>Training mode, as PyTorch's <c>model.train()</c>: BatchNorm uses and updates batch statistics, Dropout drops.</summary>
    public Sequential<T> Train()
    {
        Context.Training = true;
        return this;
    }

    /// <summary>Evaluation mode, as PyTorch's <c>model.eval()</c>: BatchNorm uses its running statistics, Dropout passes x on.</summary>
    public Sequential<T> Eval()
    {
        Context.Training = false;
        return this;
    }

    /// <summary>x [N, ...InputShape] → ŷ [N, ...OutputShape].</summary>
    public Tensor<T> Forward(Tensor<T> input) => RunForward(input, Layers.Count - 1);

    /// <summary>
    /// x [N, ...InputShape] → the output of layer <paramref name="upTo"/> [N, ...Layers[upTo].OutputShape]: layers 0 to
    /// <paramref name="upTo"/> (included) run, the ones after it do not. The values are those the full
    /// <see cref="Forward(Tensor{T})"/> computes at that layer, and <see cref="Backward(Tensor{T}, int)"/> from
    /// <paramref name="upTo"/> (or from any layer before it) may follow. Hooks see the layers that run.
    /// </summary>
    public Tensor<T> Forward(Tensor<T> input, int upTo)
    {
        CheckLayer(upTo, nameof(upTo));
        return RunForward(input, upTo);
    }

    private Tensor<T> RunForward(Tensor<T> input, int last)
    {
        if (input.Rank != InputShape.Length + 1 || !input.Shape.AsSpan(1).SequenceEqual(InputShape))
            throw new BackpropException($"input batch has shape {Tensor.Format(input.Shape)}, but the model expects [N, {string.Join(", ", InputShape)}]");
        var pre = _forwardPreHooks.Items;
        for (int h = 0; h < pre.Length; h++) pre[h].Hook(input);
        var hooks = _forwardHooks.Items;
        var x = input;
        for (int i = 0; i <= last; i++)
        {
            var layer = Layers[i];
            var output = layer.Forward(x);
            for (int h = 0; h < hooks.Length; h++) hooks[h].Hook(i, layer, x, output);
            x = output;
        }
        return x;
    }

    /// <summary>Back-propagates dL/dŷ through every layer (accumulating parameter gradients) and returns dL/dx.</summary>
    public Tensor<T> Backward(Tensor<T> outputGrad) => RunBackward(outputGrad, Layers.Count - 1);

    /// <summary>
    /// Back-propagates dL/d(output of layer <paramref name="from"/>) [N, ...Layers[from].OutputShape] through layers
    /// <paramref name="from"/> down to 0 (accumulating their parameter gradients; the layers after it are left alone)
    /// and returns dL/dx. The layers' caches are those of the last forward pass, which must have reached
    /// <paramref name="from"/> (<see cref="Forward(Tensor{T}, int)"/> with upTo ≥ from, or the full pass). From the last
    /// layer it is <see cref="Backward(Tensor{T})"/>.
    /// </summary>
    public Tensor<T> Backward(Tensor<T> outputGrad, int from)
    {
        CheckLayer(from, nameof(from));
        return RunBackward(outputGrad, from);
    }

    private Tensor<T> RunBackward(Tensor<T> outputGrad, int first)
    {
        if (first >= 0)
        {
            var pre = _backwardPreHooks.Items;
            for (int h = 0; h < pre.Length; h++) pre[h].Hook(first, Layers[first], outputGrad);
        }
        var hooks = _backwardHooks.Items;
        var g = outputGrad;
        for (int i = first; i >= 0; i--)
        {
            var layer = Layers[i];
            var inputGrad = layer.Backward(g);
            for (int h = 0; h < hooks.Length; h++) hooks[h].Hook(i, layer, g, inputGrad);
            g = inputGrad;
        }
        return g;
    }

    /// <summary>
    /// Back-propagates dL/dŷ into every parameter's gradient, as <see cref="Backward(Tensor{T})"/> does, without computing dL/dx:
    /// training needs no gradient of the data, so the layers below the first one with parameters are skipped and that
    /// one computes its parameters' gradients only. With backward hooks registered it takes the full
    /// <see cref="Backward(Tensor{T})"/>, so that the hooks see every layer.
    /// </summary>
    public void BackwardParameters(Tensor<T> outputGrad)
    {
        if (_backwardHooks.Items.Length > 0 || _backwardPreHooks.Items.Length > 0)
        {
            Backward(outputGrad);
            return;
        }
        if (_firstWithParameters < 0) return;
        var g = outputGrad;
        for (int i = Layers.Count - 1; i > _firstWithParameters; i--) g = Layers[i].Backward(g);
        Layers[_firstWithParameters].BackwardParameters(g);
    }

    /// <summary>
    /// Calls <paramref name="hook"/>(x) with the batch x [N, ...InputShape] at the start of every forward pass, before
    /// the first layer (as a forward pre-hook on the whole model in PyTorch). Dispose the handle to remove it.
    /// </summary>
    public IDisposable RegisterForwardPreHook(Action<Tensor<T>> hook) => _forwardPreHooks.Add(hook);

    /// <summary>
    /// Calls <paramref name="hook"/>(layerIndex, layer, input, output) after each layer's <c>Forward</c>, as PyTorch's
    /// <c>register_forward_hook</c>: input [N, ...layer.InputShape] went in and output [N, ...layer.OutputShape] came
    /// out. Dispose the handle to remove it.
    /// </summary>
    public IDisposable RegisterForwardHook(Action<int, Layer<T>, Tensor<T>, Tensor<T>> hook) => _forwardHooks.Add(hook);

    /// <summary>
    /// Calls <paramref name="hook"/>(layerIndex, layer, outputGrad) at the start of every backward pass, before any
    /// layer's <c>Backward</c> (as PyTorch's <c>register_full_backward_pre_hook</c> on the whole model): layerIndex is the
    /// layer the pass starts from (the last one for a full pass) and outputGrad is dL/d(its output), for a full pass
    /// the loss gradient dL/dŷ. Dispose the handle to remove it.
    /// </summary>
    public IDisposable RegisterBackwardPreHook(Action<int, Layer<T>, Tensor<T>> hook) => _backwardPreHooks.Add(hook);

    /// <summary>
    /// Calls <paramref name="hook"/>(layerIndex, layer, outputGrad, inputGrad) after each layer's <c>Backward</c>, as
    /// PyTorch's <c>register_full_backward_hook</c> (which passes them in the other order): outputGrad = dL/d(output)
    /// went in, inputGrad = dL/d(input) came out, and the layer's parameter gradients (<c>layer.Parameters[k].Grad</c>)
    /// hold what this pass added. Layers run last to first. Dispose the handle to remove it.
    /// </summary>
    public IDisposable RegisterBackwardHook(Action<int, Layer<T>, Tensor<T>, Tensor<T>> hook) => _backwardHooks.Add(hook);

    public void ZeroGrad()
    {
        for (int i = 0; i < Layers.Count; i++) Layers[i].ZeroGrad();
    }

    /// <summary>The same model in another precision (values rounded when going to float32), in the same mode, its generator where this one's is. Hooks are not copied.</summary>
    public Sequential<TOut> Cast<TOut>() where TOut : unmanaged, IFloatingPointIeee754<TOut>
    {
        var copy = ModelFile.Build<TOut>(ModelFile.ToSpec(this), "model");
        copy.Context.Training = Context.Training;
        copy.Context.Generator.State = Context.Generator.State;
        return copy;
    }

    /// <summary>A copy with its own parameters and buffers, and no hooks.</summary>
    public Sequential<T> Clone() => Cast<T>();

    /// <summary>Reads like the model file, without parameter values.</summary>
    public override string ToString() => ModelFile.Describe(this);

    private void CheckLayer(int index, string name)
    {
        if ((uint)index >= (uint)Layers.Count)
            throw new ArgumentOutOfRangeException(name, index, Layers.Count == 0 ? "the model has no layers" : $"expected a layer index from 0 to {Layers.Count - 1}");
    }

    /// <summary>
    /// Registered hooks, in registration order. Registering or removing one replaces the array, so a pass reads one
    /// array from start to end even when a hook registers or removes hooks, and a pass without hooks reads an empty one.
    /// </summary>
    private sealed class HookList<THook> where THook : Delegate
    {
        public Handle[] Items { get; private set; } = [];

        public IDisposable Add(THook hook)
        {
            ArgumentNullException.ThrowIfNull(hook);
            var handle = new Handle(this, hook);
            Items = [.. Items, handle];
            return handle;
        }

        private void Remove(Handle handle)
        {
            int at = Array.IndexOf(Items, handle);
            if (at < 0) return;
            var items = new Handle[Items.Length - 1];
            Items.AsSpan(0, at).CopyTo(items);
            Items.AsSpan(at + 1).CopyTo(items.AsSpan(at));
            Items = items;
        }

        /// <summary>One registration; disposing it (once or more) removes exactly this registration.</summary>
        public sealed class Handle(HookList<THook> list, THook hook) : IDisposable
        {
            public THook Hook { get; } = hook;

            public void Dispose() => list.Remove(this);
        }
    }
}
