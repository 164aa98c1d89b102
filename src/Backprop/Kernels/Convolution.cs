using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;

namespace Backprop.Kernels;

/// <summary>
/// Cross-correlation (PyTorch's "convolution") by im2col + GEMM. For one image, the patches become the columns of
/// col [C·kh·kw, Ho·Wo]; then out [O, Ho·Wo] = W [O, C·kh·kw] · col. Backward reuses the same two steps transposed.
/// <para>
/// A batch is spread over the <see cref="WorkerPool"/> by examples: forward, each example is one index (its own col,
/// its own GEMM, its own output); backward, the batch is cut into <see cref="Chunks"/> fixed runs of examples, each
/// summing its examples' dW and db into its own partial buffer (and writing its examples' dX), and the partials are
/// then added into the gradients in chunk order. The chunks depend on the batch size only, so every result is the same
/// bit for bit whatever the number of threads.
/// </para>
/// </summary>
public static class Convolution
{
    /// <summary>
    /// Most chunks a batch's weight-gradient sum is cut into: 32 (4 examples each at batch 128) keeps several threads
    /// busy and, on a shared machine, leaves little work waiting behind a thread the scheduler has preempted.
    /// </summary>
    public const int MaxChunks = 32;

    /// <summary>Chunks of the backward reduction for a batch of <paramref name="batch"/> examples: a function of the batch size alone.</summary>
    public static int Chunks(int batch) => Math.Min(batch, MaxChunks);

    /// <summary>Elements of the scratch <see cref="Backward{T}"/> needs: one partial dW [O, C·kh·kw] and db [O] per chunk.</summary>
    public static int BackwardScratchSize(int batch, in WindowGeometry g, int outChannels) => Chunks(batch) * outChannels * (g.PatchSize + 1);

    /// <summary>col[(c, ky, kx), (oy, ox)] = image[c, oy·s − p + ky, ox·s − p + kx], zero outside the image.</summary>
    public static unsafe void Im2Col<T>(ReadOnlySpan<T> image, in WindowGeometry g, Span<T> col) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (image.Length < g.ImageSize || col.Length < g.PatchSize * g.OutPixels)
            throw new ArgumentException($"im2col spans too small for {g}");
        fixed (T* pi = image, pc = col) Im2Col(pi, g, pc);
    }

    /// <summary>The adjoint of <see cref="Im2Col{T}(ReadOnlySpan{T}, in WindowGeometry, Span{T})"/>: image[c, iy, ix] += every col entry that was read from it.</summary>
    public static unsafe void Col2ImAdd<T>(ReadOnlySpan<T> col, in WindowGeometry g, Span<T> image) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (image.Length < g.ImageSize || col.Length < g.PatchSize * g.OutPixels)
            throw new ArgumentException($"col2im spans too small for {g}");
        fixed (T* pc = col, pi = image) Col2ImAdd(pc, g, pi);
    }

    // Row by row of col: for one (c, ky, kx) and one output row oy, the inside columns form one run, contiguous in the
    // image when the stride is 1; the rest of the row is padding.
    private static unsafe void Im2Col<T>(T* image, in WindowGeometry g, T* col) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int ho = g.OutHeight, wo = g.OutWidth, sw = g.StrideWidth;
        T* dst = col;
        for (int c = 0; c < g.Channels; c++)
            for (int ky = 0; ky < g.KernelHeight; ky++)
                for (int kx = 0; kx < g.KernelWidth; kx++)
                {
                    var (lo, hi) = g.InsideColumns(kx);
                    for (int oy = 0; oy < ho; oy++, dst += wo)
                    {
                        int iy = oy * g.StrideHeight - g.PadHeight + ky;
                        if ((uint)iy >= (uint)g.Height)
                        {
                            new Span<T>(dst, wo).Clear();
                            continue;
                        }
                        T* src = image + ((nint)c * g.Height + iy) * g.Width - g.PadWidth + kx;
                        for (int ox = 0; ox < lo; ox++) dst[ox] = T.Zero;
                        if (sw == 1) CopyRun(src + lo, dst + lo, hi - lo);
                        else for (int ox = lo; ox < hi; ox++) dst[ox] = src[ox * sw];
                        for (int ox = hi; ox < wo; ox++) dst[ox] = T.Zero;
                    }
                }
    }

    private static unsafe void Col2ImAdd<T>(T* col, in WindowGeometry g, T* image) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int ho = g.OutHeight, wo = g.OutWidth, sw = g.StrideWidth;
        T* src = col;
        for (int c = 0; c < g.Channels; c++)
            for (int ky = 0; ky < g.KernelHeight; ky++)
                for (int kx = 0; kx < g.KernelWidth; kx++)
                {
                    var (lo, hi) = g.InsideColumns(kx);
                    for (int oy = 0; oy < ho; oy++, src += wo)
                    {
                        int iy = oy * g.StrideHeight - g.PadHeight + ky;
                        if ((uint)iy >= (uint)g.Height) continue;
                        T* dst = image + ((nint)c * g.Height + iy) * g.Width - g.PadWidth + kx;
                        if (sw == 1) AddRun(src + lo, dst + lo, hi - lo);
                        else
                        {
                            for (int ox = lo; ox < hi; ox++) dst[ox * sw] += src[ox];
                        }
                    }
                }
    }

    /// <summary>Elements of an image with its padding made explicit: [C, H + 2·ph, W + 2·pw].</summary>
    private static int PaddedSize(in WindowGeometry g) => g.Channels * (g.Height + 2 * g.PadHeight) * (g.Width + 2 * g.PadWidth);

    /// <summary>padded = image with zeros around it, so that every window reads inside the buffer.</summary>
    private static unsafe void Pad<T>(T* image, in WindowGeometry g, T* padded) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int hp = g.Height + 2 * g.PadHeight, wp = g.Width + 2 * g.PadWidth;
        new Span<T>(padded, PaddedSize(g)).Clear();
        for (int c = 0; c < g.Channels; c++)
            for (int y = 0; y < g.Height; y++)
                CopyRun(image + ((nint)c * g.Height + y) * g.Width, padded + ((nint)c * hp + y + g.PadHeight) * wp + g.PadWidth, g.Width);
    }

    /// <summary>
    /// Im2Col from a padded image, for unit horizontal stride: each (c, ky, kx, oy) is one run of Ho·Wo's row, copied
    /// with no bounds to test (the padding is in the buffer). The same values as Im2Col.
    /// </summary>
    private static unsafe void Im2ColPadded<T>(T* padded, in WindowGeometry g, T* col) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int hp = g.Height + 2 * g.PadHeight, wp = g.Width + 2 * g.PadWidth, ho = g.OutHeight, wo = g.OutWidth;
        nint rowStep = (nint)g.StrideHeight * wp;
        T* dst = col;
        for (int c = 0; c < g.Channels; c++)
            for (int ky = 0; ky < g.KernelHeight; ky++)
                for (int kx = 0; kx < g.KernelWidth; kx++)
                {
                    T* src = padded + ((nint)c * hp + ky) * wp + kx;
                    for (int oy = 0; oy < ho; oy++, dst += wo, src += rowStep) CopyRun(src, dst, wo);
                }
    }

    /// <summary>
    /// The adjoint of Im2ColPadded into a zeroed padded buffer; each image element receives the same additions in the same
    /// order as Col2ImAdd gives it (the padding's are discarded by <see cref="Unpad"/>).
    /// </summary>
    private static unsafe void Col2ImPadded<T>(T* col, in WindowGeometry g, T* padded) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int hp = g.Height + 2 * g.PadHeight, wp = g.Width + 2 * g.PadWidth, ho = g.OutHeight, wo = g.OutWidth;
        nint rowStep = (nint)g.StrideHeight * wp;
        new Span<T>(padded, PaddedSize(g)).Clear();
        T* src = col;
        for (int c = 0; c < g.Channels; c++)
            for (int ky = 0; ky < g.KernelHeight; ky++)
                for (int kx = 0; kx < g.KernelWidth; kx++)
                {
                    T* dst = padded + ((nint)c * hp + ky) * wp + kx;
                    for (int oy = 0; oy < ho; oy++, src += wo, dst += rowStep) AddRun(src, dst, wo);
                }
    }

    /// <summary>image = the inside of padded.</summary>
    private static unsafe void Unpad<T>(T* padded, in WindowGeometry g, T* image) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int hp = g.Height + 2 * g.PadHeight, wp = g.Width + 2 * g.PadWidth;
        for (int c = 0; c < g.Channels; c++)
            for (int y = 0; y < g.Height; y++)
                CopyRun(padded + ((nint)c * hp + y + g.PadHeight) * wp + g.PadWidth, image + ((nint)c * g.Height + y) * g.Width, g.Width);
    }

    // The runs are short (an output row: 14 or 28 elements in the cnn), too short for Span.CopyTo's or
    // TensorPrimitives' set-up to pay; whole vectors, then (copy) one last vector overlapping the one before.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void CopyRun<T>(T* src, T* dst, int count) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int w = Vector<T>.Count;
        if (count < w)
        {
            for (int i = 0; i < count; i++) dst[i] = src[i];
            return;
        }
        int j = 0;
        for (; j + w <= count; j += w) Vector.Store(Vector.Load(src + j), dst + j);
        if (j < count) Vector.Store(Vector.Load(src + count - w), dst + count - w);
    }

    /// <summary>dst[i] += src[i]: whole vectors, then one element at a time (each element is added exactly once).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void AddRun<T>(T* src, T* dst, int count) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int w = Vector<T>.Count, j = 0;
        for (; j + w <= count; j += w) Vector.Store(Vector.Load(dst + j) + Vector.Load(src + j), dst + j);
        for (; j < count; j++) dst[j] += src[j];
    }

    /// <summary>
    /// input [N, C, H, W], weight [O, C·kh·kw], bias [O] or empty → output [N, O, Ho·Wo]. The bias is written first and
    /// the product added to it, so it costs no separate pass.
    /// </summary>
    public static unsafe void Forward<T>(ReadOnlySpan<T> input, int batch, in WindowGeometry g, ReadOnlySpan<T> weight, ReadOnlySpan<T> bias,
        int outChannels, Span<T> output) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (input.Length < (long)batch * g.ImageSize || weight.Length < (long)outChannels * g.PatchSize
            || output.Length < (long)batch * outChannels * g.OutPixels || !bias.IsEmpty && bias.Length < outChannels)
            throw new ArgumentException($"convolution spans too small for a batch of {batch}, {outChannels} output channels, {g}");
        fixed (T* pi = input, pw = weight, pb = bias, po = output)
        {
            var job = ConvolutionJob<T>.ForThisThread();
            job.SetForward(pi, g, pw, bias.IsEmpty ? null : pb, outChannels, po);
            WorkerPool.Run(job, batch);
            job.Clear();
        }
    }

    /// <summary>
    /// Given dL/d(output) [N, O, Ho·Wo]: weightGrad += Σ_n dOut[n]·col[n]ᵀ, biasGrad += Σ over examples and pixels,
    /// and, unless <paramref name="inputGrad"/> is empty, inputGrad = col2im(Wᵀ·dOut[n]) for each n. scratch holds
    /// <see cref="BackwardScratchSize"/> elements.
    /// </summary>
    public static unsafe void Backward<T>(ReadOnlySpan<T> input, int batch, in WindowGeometry g, ReadOnlySpan<T> weight, int outChannels,
        ReadOnlySpan<T> outputGrad, Span<T> weightGrad, Span<T> biasGrad, Span<T> inputGrad, Span<T> scratch)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int patch = g.PatchSize, chunks = Chunks(batch), stride = outChannels * (patch + 1);
        if (input.Length < (long)batch * g.ImageSize || weight.Length < (long)outChannels * patch
            || outputGrad.Length < (long)batch * outChannels * g.OutPixels || weightGrad.Length < outChannels * patch
            || !biasGrad.IsEmpty && biasGrad.Length < outChannels || !inputGrad.IsEmpty && inputGrad.Length < (long)batch * g.ImageSize
            || scratch.Length < BackwardScratchSize(batch, g, outChannels))
            throw new ArgumentException($"convolution backward spans too small for a batch of {batch}, {outChannels} output channels, {g}");
        if (batch == 0) return;
        fixed (T* pi = input, pw = weight, pd = outputGrad, pdx = inputGrad, ps = scratch)
        {
            var job = ConvolutionJob<T>.ForThisThread();
            job.SetBackward(pi, batch, g, pw, outChannels, pd, inputGrad.IsEmpty ? null : pdx, ps);
            WorkerPool.Run(job, chunks);
            job.Clear();
        }
        // The partial sums in chunk order, the same whichever threads made them.
        Span<T> dw = weightGrad[..(outChannels * patch)];
        for (int c = 0; c < chunks; c++)
        {
            Span<T> part = scratch.Slice(c * stride, stride);
            TensorPrimitives.Add(dw, part[..(outChannels * patch)], dw);
            if (!biasGrad.IsEmpty)
            {
                Span<T> db = biasGrad[..outChannels];
                TensorPrimitives.Add(db, part.Slice(outChannels * patch, outChannels), db);
            }
        }
    }

    /// <summary>The arguments of one forward or backward call, shared by the threads that run its examples.</summary>
    private sealed unsafe class ConvolutionJob<T> : IParallelJob where T : unmanaged, IFloatingPointIeee754<T>
    {
        [ThreadStatic] private static ConvolutionJob<T>? _current;

        public static ConvolutionJob<T> ForThisThread() => _current ??= new ConvolutionJob<T>();

        private bool _backward;
        private WindowGeometry _g;
        private T* _input, _weight, _bias, _output, _outputGrad, _inputGrad, _scratch;
        private int _batch, _outChannels;

        public void SetForward(T* input, in WindowGeometry g, T* weight, T* bias, int outChannels, T* output)
        {
            _backward = false;
            _input = input; _weight = weight; _bias = bias; _output = output;
            _g = g;
            _outChannels = outChannels;
        }

        public void SetBackward(T* input, int batch, in WindowGeometry g, T* weight, int outChannels, T* outputGrad, T* inputGrad, T* scratch)
        {
            _backward = true;
            _input = input; _weight = weight; _outputGrad = outputGrad; _inputGrad = inputGrad; _scratch = scratch;
            _g = g;
            _batch = batch;
            _outChannels = outChannels;
        }

        public void Clear()
        {
            _input = _weight = _bias = _output = _outputGrad = _inputGrad = _scratch = null;
        }

        public void Execute(int index)
        {
            if (_backward) BackwardChunk(index);
            else ForwardExample(index);
        }

        private void ForwardExample(int n)
        {
            // out[n] [O, P] = W [O, K] · col [K, P] (+ b[o] on every row)
            int k = _g.PatchSize, p = _g.OutPixels, o = _outChannels;
            T* col = Scratch<T>.Get(k * p + PaddedSize(_g)), padded = col + (nint)k * p;
            Patches(_input + (nint)n * _g.ImageSize, padded, col);
            T* outN = _output + (nint)n * o * p;
            if (_bias != null)
                for (int r = 0; r < o; r++) new Span<T>(outN + (nint)r * p, p).Fill(_bias[r]);
            Gemm.Multiply(new ReadOnlySpan<T>(_weight, o * k), false, new ReadOnlySpan<T>(col, k * p), false,
                new Span<T>(outN, o * p), o, p, k, accumulate: _bias != null);
        }

        private void BackwardChunk(int chunk)
        {
            int k = _g.PatchSize, p = _g.OutPixels, o = _outChannels, chunks = Chunks(_batch);
            int first = (int)((long)_batch * chunk / chunks), last = (int)((long)_batch * (chunk + 1) / chunks);
            T* dw = _scratch + (nint)chunk * o * (k + 1), db = dw + (nint)o * k;
            T* col = Scratch<T>.Get(2 * k * p + PaddedSize(_g)), colGrad = col + (nint)k * p, padded = colGrad + (nint)k * p;
            var dwSpan = new Span<T>(dw, o * k);
            for (int n = first; n < last; n++)
            {
                // in the forward pass this was: out[n] = W · col[n] + b
                T* dOut = _outputGrad + (nint)n * o * p;
                Patches(_input + (nint)n * _g.ImageSize, padded, col);
                Gemm.Multiply(new ReadOnlySpan<T>(dOut, o * p), false, new ReadOnlySpan<T>(col, k * p), true, dwSpan, o, k, p, accumulate: n > first);
                for (int r = 0; r < o; r++)
                {
                    T s = VectorMath.Sum(new ReadOnlySpan<T>(dOut + (nint)r * p, p));
                    db[r] = n > first ? db[r] + s : s;
                }
                if (_inputGrad == null) continue;
                Gemm.Multiply(new ReadOnlySpan<T>(_weight, o * k), true, new ReadOnlySpan<T>(dOut, o * p), false,
                    new Span<T>(colGrad, k * p), k, p, o, accumulate: false);
                T* dx = _inputGrad + (nint)n * _g.ImageSize;
                if (UsePadded)
                {
                    Col2ImPadded(colGrad, _g, padded);
                    Unpad(padded, _g, dx);
                }
                else
                {
                    new Span<T>(dx, _g.ImageSize).Clear();
                    Col2ImAdd(colGrad, _g, dx);
                }
            }
        }

        // With unit horizontal stride, padding the image once makes every run a plain copy.
        private bool UsePadded => _g.StrideWidth == 1;

        private void Patches(T* image, T* padded, T* col)
        {
            if (UsePadded)
            {
                Pad(image, _g, padded);
                Im2ColPadded(padded, _g, col);
            }
            else
            {
                Im2Col(image, _g, col);
            }
        }
    }
}

/// <summary>Per-thread scratch for the convolution's col buffers: reused across calls, grown when needed, pinned.</summary>
internal static unsafe class Scratch<T> where T : unmanaged
{
    [ThreadStatic] private static T[]? _array;

    /// <summary>At least <paramref name="count"/> elements, 64-byte aligned, valid until this thread's next call.</summary>
    public static T* Get(int count)
    {
        int pad = 64 / sizeof(T);
        T[]? array = _array;
        if (array is null || array.Length < count + pad)
            _array = array = GC.AllocateUninitializedArray<T>(count + pad, pinned: true);
        nint p = (nint)Unsafe.AsPointer(ref System.Runtime.InteropServices.MemoryMarshal.GetArrayDataReference(array));
        return (T*)((p + 63) & ~(nint)63);
    }
}
