using System.Buffers;
using System.Buffers.Binary;
using System.Numerics;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Backprop.Layers;
using Backprop.Models;
using Backprop.Tensors;

namespace Backprop.IO;

/// <summary>
/// Checkpoints in Hugging Face's safetensors format (https://github.com/huggingface/safetensors), which PyTorch,
/// JAX and most model hubs read: an 8-byte little-endian header length N, N bytes of JSON padded with spaces to a
/// multiple of 8, then each tensor's raw little-endian data back to back.
/// <code>
/// Safetensors.SaveModel("model.safetensors", model);        // state_dict names: "0.weight", "0.bias", ...
/// Safetensors.LoadInto("model.safetensors", model);         // every parameter, names and shapes checked
/// </code>
/// In Python without the safetensors package: see tests/torch/load_safetensors.py (struct, json and numpy).
/// </summary>
public static class Safetensors
{
    /// <summary>Metadata key under which <see cref="SaveModel{T}"/> stores the architecture as model-file JSON (without values).</summary>
    public const string ModelMetadataKey = "backprop.model";

    /// <summary>
    /// Writes the tensors (dtype F32 for float, F64 for double) in the given order, atomically (see <see cref="AtomicFile"/>).
    /// The output is deterministic: the same tensors and metadata give the same bytes (metadata keys are sorted).
    /// </summary>
    public static void Save<T>(string path, IReadOnlyList<(string Name, Tensor<T> Tensor)> tensors, IReadOnlyDictionary<string, string>? metadata = null)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        byte[] header = Header(tensors, metadata, path);
        try
        {
            AtomicFile.Write(path, stream => WriteBody(stream, header, tensors));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new BackpropException($"{path}: cannot write the file: {e.Message}");
        }
    }

    /// <summary>The bytes <see cref="Save{T}"/> would write, written to <paramref name="stream"/> instead of a file.</summary>
    public static void Write<T>(Stream stream, IReadOnlyList<(string Name, Tensor<T> Tensor)> tensors, IReadOnlyDictionary<string, string>? metadata = null)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        WriteBody(stream, Header(tensors, metadata, "safetensors"), tensors);

    /// <summary>Reads and validates a file; see <see cref="SafetensorsFile"/>.</summary>
    public static SafetensorsFile Read(string path) => SafetensorsFile.Read(path);

    /// <summary>The dtype written for <typeparamref name="T"/>: "F32" or "F64".</summary>
    public static string DtypeOf<T>() where T : unmanaged, IFloatingPointIeee754<T> =>
        typeof(T) == typeof(float) ? "F32"
        : typeof(T) == typeof(double) ? "F64"
        : throw new NotSupportedException($"safetensors: no dtype for {typeof(T).Name}; use float or double");

    private static byte[] Header<T>(IReadOnlyList<(string Name, Tensor<T> Tensor)> tensors, IReadOnlyDictionary<string, string>? metadata, string source)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(tensors);
        string dtype = DtypeOf<T>();
        int size = typeof(T) == typeof(float) ? 4 : 8;
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (name, tensor) in tensors)
        {
            if (name is null) throw new BackpropException($"{source}: a tensor has no name");
            if (tensor is null) throw new BackpropException($"{source}: tensor '{name}' is null");
            if (name == "__metadata__") throw new BackpropException($"{source}: a tensor cannot be named '__metadata__' (reserved for the metadata)");
            if (!names.Add(name)) throw new BackpropException($"{source}: two tensors are named '{name}'");
            CheckUnicode(name, source);
        }
        if (metadata is not null)
            foreach (var (key, value) in metadata)
            {
                CheckUnicode(key, source);
                CheckUnicode(value ?? throw new BackpropException($"{source}: metadata '{key}' is null"), source);
            }

        var buffer = new ArrayBufferWriter<byte>();
        // Compact JSON in the reference implementation's layout: metadata first, then the tensors in data order.
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            json.WriteStartObject();
            if (metadata is { Count: > 0 })
            {
                json.WriteStartObject("__metadata__");
                foreach (var (key, value) in metadata.OrderBy(kv => kv.Key, StringComparer.Ordinal))
                    json.WriteString(key, value);
                json.WriteEndObject();
            }
            long offset = 0;
            foreach (var (name, tensor) in tensors)
            {
                json.WriteStartObject(name);
                json.WriteString("dtype", dtype);
                json.WriteStartArray("shape");
                foreach (int d in tensor.Shape) json.WriteNumberValue(d);
                json.WriteEndArray();
                json.WriteStartArray("data_offsets");
                json.WriteNumberValue(offset);
                offset += (long)tensor.Length * size;
                json.WriteNumberValue(offset);
                json.WriteEndArray();
                json.WriteEndObject();
            }
            json.WriteEndObject();
        }
        // Pad with spaces so that the data starts on an 8-byte boundary, as the reference implementation does.
        int padded = (buffer.WrittenCount + 7) / 8 * 8;
        if (padded > SafetensorsFile.MaxHeaderLength)
            throw new BackpropException($"{source}: the header would take {padded} bytes, over the limit of {SafetensorsFile.MaxHeaderLength} that readers accept");
        var header = new byte[padded];
        buffer.WrittenSpan.CopyTo(header);
        header.AsSpan(buffer.WrittenCount).Fill((byte)' ');
        return header;
    }

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>A lone surrogate would become a "\ud800" escape, which strict JSON readers (the reference one included) refuse.</summary>
    private static void CheckUnicode(string text, string source)
    {
        try
        {
            StrictUtf8.GetByteCount(text);
        }
        catch (EncoderFallbackException)
        {
            string shown = string.Concat(text.Select(c => char.IsSurrogate(c) ? $"\\u{(int)c:x4}" : c.ToString()));
            throw new BackpropException($"{source}: the name or metadata '{shown}' is not valid Unicode (a lone surrogate)");
        }
    }

    private static void WriteBody<T>(Stream stream, byte[] header, IReadOnlyList<(string Name, Tensor<T> Tensor)> tensors)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Span<byte> prefix = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(prefix, (ulong)header.Length);
        stream.Write(prefix);
        stream.Write(header);
        Span<byte> element = stackalloc byte[8];
        foreach (var (_, tensor) in tensors)
        {
            if (BitConverter.IsLittleEndian)
            {
                stream.Write(MemoryMarshal.AsBytes(tensor.Span));
                continue;
            }
            foreach (T v in tensor.Span)
            {
                if (v is float f) { BinaryPrimitives.WriteSingleLittleEndian(element, f); stream.Write(element[..4]); }
                else if (v is double d) { BinaryPrimitives.WriteDoubleLittleEndian(element, d); stream.Write(element); }
            }
        }
    }

    /// <summary>
    /// Writes every parameter under its state_dict name ("0.weight", "0.bias", "2.weight", ...), in state_dict order,
    /// so that torch's <c>model.load_state_dict</c> takes it as is. The metadata holds "format": "pt" and the
    /// architecture as model-file JSON under <see cref="ModelMetadataKey"/>, which <see cref="LoadModel{T}"/> rebuilds.
    /// </summary>
    public static void SaveModel<T>(string path, Sequential<T> model) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(model);
        var tensors = StateDict(model);
        var metadata = new Dictionary<string, string> { ["format"] = "pt", [ModelMetadataKey] = ModelFile.Describe(model) };
        Save(path, tensors, metadata);
    }

    /// <summary>
    /// Every parameter and buffer with its state_dict name, in state_dict order: layer by layer, parameters then
    /// buffers ("1.weight", "1.bias", "1.running_mean", "1.running_var", "1.num_batches_tracked"). The count
    /// num_batches_tracked is written in the model's float type (PyTorch's is int64; load_state_dict converts it).
    /// </summary>
    public static IReadOnlyList<(string Name, Tensor<T> Tensor)> StateDict<T>(Sequential<T> model) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var tensors = new List<(string Name, Tensor<T> Tensor)>();
        for (int i = 0; i < model.Layers.Count; i++)
        {
            foreach (var p in model.Layers[i].Parameters) tensors.Add(($"{i}.{p.Name}", p.Value));
            foreach (var b in model.Layers[i].Buffers) tensors.Add(($"{i}.{b.Name}", b.Value));
        }
        return tensors;
    }

    /// <summary>
    /// Sets every parameter of <paramref name="model"/> from the file. The file must hold exactly the model's
    /// parameters: a missing or extra name, or a shape that differs, is an error naming both sides, and the model is
    /// left unchanged. F32, F64, F16 and BF16 are accepted for either precision. NaN or infinite values are an error
    /// unless <paramref name="allowNonFinite"/>.
    /// </summary>
    public static void LoadInto<T>(string path, Sequential<T> model, bool allowNonFinite = false) where T : unmanaged, IFloatingPointIeee754<T> =>
        LoadInto(SafetensorsFile.Read(path), model, allowNonFinite);

    /// <inheritdoc cref="LoadInto{T}(string, Sequential{T}, bool)"/>
    public static void LoadInto<T>(SafetensorsFile file, Sequential<T> model, bool allowNonFinite = false) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(file);
        ArgumentNullException.ThrowIfNull(model);
        var stateDict = StateDict(model);
        CheckNamesAndShapes(file, stateDict.Select(p => (p.Name, p.Tensor.Shape)).ToList());

        // Convert and check everything before touching the model, so that a failure leaves it as it was.
        var values = new List<(Tensor<T> Target, Tensor<T> Value)>();
        foreach (var (name, target) in stateDict)
        {
            var value = StateValue<T>(file, name);
            if (!allowNonFinite)
                foreach (T v in value.Span)
                    if (!T.IsFinite(v))
                        throw new BackpropException($"{file.Source}: tensor '{name}' holds NaN or infinite values (allowNonFinite: true loads them anyway)");
            values.Add((target, value));
        }
        foreach (var (target, value) in values) target.CopyFrom(value);
    }

    /// <summary>
    /// One state_dict tensor of the file as <typeparamref name="T"/>: a parameter, or a buffer that must hold what
    /// BatchNorm can take (<see cref="BatchNorm.BufferProblem{T}"/>); num_batches_tracked also as PyTorch's int64.
    /// Model files loaded here and checkpoints resumed both read their tensors through it.
    /// </summary>
    public static Tensor<T> StateValue<T>(SafetensorsFile file, string name) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(file);
        var value = file.Entry(name).Dtype == "I64" && name.EndsWith(".num_batches_tracked", StringComparison.Ordinal) ? file.GetInt64<T>(name) : file.Get<T>(name);
        if (BatchNorm.BufferProblem<T>(name, value.Span) is string problem)
            throw new BackpropException($"{file.Source}: tensor '{name}': {problem}");
        return value;
    }

    /// <summary>What DistributedDataParallel puts before the names of the module it wraps.</summary>
    private const string DistributedPrefix = "module.";

    /// <summary>The file must hold exactly these parameters: a missing or extra name, or a shape that differs, is an error naming both sides.</summary>
    private static void CheckNamesAndShapes(SafetensorsFile file, IReadOnlyList<(string Name, int[] Shape)> parameters)
    {
        var expected = parameters.Select(p => p.Name).ToHashSet(StringComparer.Ordinal);
        // A state_dict saved from a DistributedDataParallel wrapper names every tensor "module.0.weight", ...: listing
        // every name twice (missing, and not in the model) would hide the one thing to do.
        var unknown = file.Entries.Where(e => !expected.Contains(e.Name)).ToList();
        if (unknown.Count > 0 && unknown.All(e => e.Name.StartsWith(DistributedPrefix, StringComparison.Ordinal))
            && unknown.Any(e => expected.Contains(e.Name[DistributedPrefix.Length..])))
            throw new BackpropException($"{file.Source}: the tensor names start with '{DistributedPrefix}' ('{JsonInput.Shown(unknown[0].Name)}' for '{JsonInput.Shown(unknown[0].Name[DistributedPrefix.Length..])}'): " +
                $"saved from DistributedDataParallel; save net.module.state_dict() or strip the '{DistributedPrefix}' prefix");
        var problems = new List<string>();
        var missing = parameters.Where(p => !file.Contains(p.Name)).Select(p => $"'{p.Name}' {Tensor.Format(p.Shape)}").ToList();
        if (missing.Count > 0) problems.Add($"missing {string.Join(", ", missing)}");
        var extra = unknown.Select(e => $"'{JsonInput.Shown(e.Name)}' {Tensor.Format(e.Shape)}").ToList();
        if (extra.Count > 0) problems.Add($"not in the model: {string.Join(", ", extra)}");
        foreach (var (name, shape) in parameters)
            if (file.Contains(name) && !file.Entry(name).Shape.AsSpan().SequenceEqual(shape))
                problems.Add($"'{name}' is {Tensor.Format(file.Entry(name).Shape)} in the file but {Tensor.Format(shape)} in the model");
        if (problems.Count > 0)
            throw new BackpropException($"{file.Source}: the tensors do not match the model's parameters: {string.Join("; ", problems)}");
    }

    /// <summary>
    /// Rebuilds a model written by <see cref="SaveModel{T}"/>: the architecture from the metadata, the parameters
    /// from the tensors (see <see cref="LoadInto{T}(SafetensorsFile, Sequential{T}, bool)"/>).
    /// </summary>
    public static Sequential<T> LoadModel<T>(string path) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var file = SafetensorsFile.Read(path);
        if (!file.Metadata.TryGetValue(ModelMetadataKey, out var json))
            throw new BackpropException($"{path}: __metadata__ has no '{ModelMetadataKey}' (the architecture); build the model from its JSON file and use LoadInto");
        string source = $"{path}: __metadata__.{ModelMetadataKey}";
        var spec = ModelFile.Parse(json, source);
        // The architecture is text in the header: check it against the tensors before building it, so that the
        // model allocates no more than the file holds.
        CheckNamesAndShapes(file, ModelFile.Layout(spec, source).NamedTensors);
        var model = ModelFile.Build<T>(spec, source);
        LoadInto(file, model);
        return model;
    }
}
