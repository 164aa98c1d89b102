using System.Numerics;
using Backprop.Diagnostics;
using Backprop.Layers;
using Backprop.Tensors;

namespace Backprop.Models;

/// <summary>
/// Layers applied one after another, as torch.nn.Sequential. Parameters are named "&lt;layer index&gt;.weight" and
/// "&lt;layer index&gt;.bias" exactly as in a PyTorch state_dict (layers without parameters still take an index).
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

    /// <summary>
    /// When set, every forward output and backward gradient is checked for NaN and infinity, and the first one found
    /// is thrown as an <see cref="AnomalyException"/> naming the layer and the tensor. Null (the default): no checks.
    /// </summary>
    public AnomalyDetector<T>? AnomalyDetector { get; set; }

    /// <summary>x [N, ...InputShape] → ŷ [N, ...OutputShape].</summary>
    public Tensor<T> Forward(Tensor<T> input)
    {
        if (input.Rank != InputShape.Length + 1 || !input.Shape.AsSpan(1).SequenceEqual(InputShape))
            throw new BackpropException($"input batch has shape {Tensor.Format(input.Shape)}, but the model expects [N, {string.Join(", ", InputShape)}]");
        var detector = AnomalyDetector;
        detector?.CheckInput(input);
        var x = input;
        for (int i = 0; i < Layers.Count; i++)
        {
            x = Layers[i].Forward(x);
            detector?.CheckOutput(i, Layers[i], x);
        }
        return x;
    }

    /// <summary>Back-propagates dL/dŷ through every layer (accumulating parameter gradients) and returns dL/dx.</summary>
    public Tensor<T> Backward(Tensor<T> outputGrad)
    {
        var detector = AnomalyDetector;
        if (detector is not null && Layers.Count > 0) detector.CheckOutputGradient(Layers.Count - 1, Layers[^1], outputGrad);
        var g = outputGrad;
        for (int i = Layers.Count - 1; i >= 0; i--)
        {
            g = Layers[i].Backward(g);
            if (detector is null) continue;
            detector.CheckParameterGradients(i, Layers[i]);
            detector.CheckInputGradient(i, Layers[i], g);
        }
        return g;
    }

    /// <summary>
    /// Back-propagates dL/dŷ into every parameter's gradient, as <see cref="Backward"/> does, without computing dL/dx:
    /// training needs no gradient of the data, so the layers below the first one with parameters are skipped and that
    /// one computes its parameters' gradients only.
    /// </summary>
    public void BackwardParameters(Tensor<T> outputGrad)
    {
        if (AnomalyDetector is not null)
        {
            Backward(outputGrad); // the detector looks at every gradient, so take the full pass
            return;
        }
        if (_firstWithParameters < 0) return;
        var g = outputGrad;
        for (int i = Layers.Count - 1; i > _firstWithParameters; i--) g = Layers[i].Backward(g);
        Layers[_firstWithParameters].BackwardParameters(g);
    }

    public void ZeroGrad()
    {
        for (int i = 0; i < Layers.Count; i++) Layers[i].ZeroGrad();
    }

    /// <summary>The same model in another precision (values rounded when going to float32), in the same mode, its generator where this one's is.</summary>
    public Sequential<TOut> Cast<TOut>() where TOut : unmanaged, IFloatingPointIeee754<TOut>
    {
        var copy = ModelFile.Build<TOut>(ModelFile.ToSpec(this), "model");
        copy.Context.Training = Context.Training;
        copy.Context.Generator.State = Context.Generator.State;
        return copy;
    }

    public Sequential<T> Clone() => Cast<T>();

    /// <summary>Reads like the model file, without parameter values.</summary>
    public override string ToString() => ModelFile.Describe(this);
}
