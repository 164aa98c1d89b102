using System.Numerics;
using System.Text;
using Backprop.Kernels;
using Backprop.Tensors;

namespace Backprop.Layers;

/// <summary>
/// The description of a pooling layer: <c>"kernel_size"</c> (one number or [height, width]) and <c>"stride"</c>
/// (the kernel size by default), over an input [channels, height, width], no padding.
/// </summary>
public abstract record Pool2d((int H, int W) KernelSize, (int H, int W) Stride) : LayerSpec
{
    /// <summary>The fields of a pooling layer's entry.</summary>
    protected static readonly string[] WindowFields = ["type", "kernel_size", "stride"];

    /// <summary>Reads "kernel_size" and "stride".</summary>
    protected static ((int H, int W) Kernel, (int H, int W) Stride) ReadWindow(LayerFields f)
    {
        int[] kernel = f.Integers("kernel_size", 2, 1), stride = f.Integers("stride", 2, 1, kernel);
        return ((kernel[0], kernel[1]), (stride[0], stride[1]));
    }

    /// <summary>The window over one [height, width] plane of an input [channels, height, width].</summary>
    internal static WindowGeometry Geometry(int[] s, (int H, int W) kernel, (int H, int W) stride) =>
        new(1, s[1], s[2], kernel.H, kernel.W, stride.H, stride.W, 0, 0);

    public sealed override LayerLayout Layout(int[] inputShape, string where)
    {
        NeedRank(inputShape, 3, "an input [channels, height, width]", where);
        var g = Geometry(inputShape, KernelSize, Stride);
        NeedWindowFits(g.Fits, $"{KernelSize.H}x{KernelSize.W}", inputShape, where);
        return new LayerLayout(Type, inputShape, [inputShape[0], g.OutHeight, g.OutWidth], [], 0)
        {
            MultiplyAdds = (long)inputShape[0] * g.OutHeight * g.OutWidth * MultiplyAddsPerWindow,
        };
    }

    /// <summary>Multiply-adds per output element: none for a maximum (comparisons), kh·kw for a mean.</summary>
    protected virtual long MultiplyAddsPerWindow => 0;

    protected sealed override void WriteArguments(StringBuilder sb)
    {
        Field(sb, "kernel_size", Pair(KernelSize));
        Field(sb, "stride", Pair(Stride));
    }
}

/// <summary>
/// A pooling window over [N, C, H, W] → [N, C, Ho, Wo], no padding, ragged edge dropped (PyTorch's floor mode): the
/// shapes and buffers of <see cref="MaxPool2d{T}"/> and <see cref="AvgPool2d{T}"/>; the windows are reduced by the
/// <see cref="Pooling{T}"/> kernel, each channel of each example a plane.
/// </summary>
public abstract class Pool2d<T> : Layer<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly Pooling<T> _kernel;
    private Tensor<T>? _output, _inputGrad;
    private int[]? _inputShape;

    protected Pool2d(int[] inputShape, (int H, int W) kernel, (int H, int W) stride, bool max)
        : base(inputShape, [inputShape[0], Pool2d.Geometry(inputShape, kernel, stride).OutHeight, Pool2d.Geometry(inputShape, kernel, stride).OutWidth])
    {
        _kernel = new Pooling<T>(Pool2d.Geometry(inputShape, kernel, stride), max);
        KernelSize = kernel;
        Stride = stride;
    }

    public (int H, int W) KernelSize { get; }
    public (int H, int W) Stride { get; }

    public sealed override Tensor<T> Forward(Tensor<T> input)
    {
        // input [N, C, H, W] -> output [N, C, Ho, Wo]
        _inputShape = input.Shape;
        var output = Tensor.Reuse(ref _output, input.Shape[0], OutputShape);
        _kernel.Forward(input.Data, output.Data, input.Shape[0] * InputShape[0]);
        return output;
    }

    public sealed override Tensor<T> Backward(Tensor<T> outputGrad)
    {
        // outputGrad [N, C, Ho, Wo] -> inputGrad [N, C, H, W]
        var inputShape = _inputShape ?? throw new InvalidOperationException($"{Type}: Backward called before Forward");
        var inputGrad = Tensor.Reuse(ref _inputGrad, inputShape);
        _kernel.Backward(outputGrad.Data, inputGrad.Data, inputShape[0] * InputShape[0]);
        return inputGrad;
    }
}
