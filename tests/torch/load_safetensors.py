#!/usr/bin/env python3
"""PyTorch side of Backprop's safetensors cross-check (tests/Backprop.Tests/Interop/SafetensorsTorchTests.cs).

    python3 load_safetensors.py MODEL.json WEIGHTS.safetensors INPUT.safetensors OUTDIR

Builds the torch.nn.Sequential equivalent of a Backprop model file (architecture only), loads WEIGHTS (written by
Backprop's Safetensors.SaveModel) with load_state_dict(strict=True), runs the tensor "x" of INPUT and prints
{"shape": [...], "y": [...]} as JSON. It also writes, with its own writer laid out like the reference implementation
(tensors sorted by dtype then name, header padded to 8 bytes):
    OUTDIR/output.safetensors        {"y": the output above}
    OUTDIR/torch_model.safetensors   the state_dict of the same architecture initialised by torch (manual_seed(0))
    OUTDIR/torch_output.safetensors  {"y": that model's output on x}
so that Backprop can be checked reading files it did not write.

There is no `safetensors` package here: the format is read and written with struct, json and numpy.
"""
import json
import struct
import sys

import numpy as np
import torch
from torch import nn

DTYPES = {"F64": "<f8", "F32": "<f4", "F16": "<f2", "I64": "<i8"}


def load_safetensors(path):
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack_from("<Q", data, 0)
    header = json.loads(data[8:8 + n].decode("utf-8"))
    metadata = header.pop("__metadata__", {})
    base, end, tensors = 8 + n, 0, {}
    for name, info in sorted(header.items(), key=lambda kv: kv[1]["data_offsets"]):
        begin, stop = info["data_offsets"]
        assert begin == end, f"{path}: {name}: data not contiguous"
        dtype = np.dtype(DTYPES[info["dtype"]])
        array = np.frombuffer(data, dtype=dtype, count=(stop - begin) // dtype.itemsize, offset=base + begin)
        tensors[name] = torch.from_numpy(array.reshape(info["shape"]).astype(dtype.newbyteorder("=")))
        end = stop
    assert base + end == len(data), f"{path}: {len(data) - base - end} bytes after the last tensor"
    return tensors, metadata


def save_safetensors(path, tensors, metadata=None):
    names = {np.dtype("float64"): "F64", np.dtype("float32"): "F32", np.dtype("int64"): "I64"}
    arrays = {name: t.detach().cpu().contiguous().numpy() for name, t in tensors.items()}
    header, blobs, offset = ({"__metadata__": metadata} if metadata else {}), [], 0
    for name in sorted(arrays, key=lambda k: (-arrays[k].dtype.itemsize, k)):
        a = arrays[name]
        blob = a.astype(a.dtype.newbyteorder("<")).tobytes()
        header[name] = {"dtype": names[a.dtype], "shape": list(a.shape), "data_offsets": [offset, offset + len(blob)]}
        blobs.append(blob)
        offset += len(blob)
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(blobs))


class Scaled(nn.Module):
    """Backprop's relu with "scale": y = scale * max(0, x)."""

    def __init__(self, scale):
        super().__init__()
        self.scale = scale

    def forward(self, x):
        return self.scale * torch.relu(x)


def pair(v):
    return tuple(v) if isinstance(v, list) else v


def build(spec, weights):
    """torch.nn.Sequential of the layers in a Backprop model file; in-channels and in-features from the weights' shapes."""
    layers = []
    for i, layer in enumerate(spec["layers"]):
        kind, w = layer["type"], weights.get(f"{i}.weight")
        bias = f"{i}.bias" in weights
        if kind == "linear":
            layers.append(nn.Linear(w.shape[1], w.shape[0], bias=bias))
        elif kind in ("conv1d", "conv2d"):
            conv = nn.Conv1d if kind == "conv1d" else nn.Conv2d
            layers.append(conv(w.shape[1], w.shape[0], tuple(w.shape[2:]), stride=pair(layer.get("stride", 1)),
                               padding=pair(layer.get("padding", 0)), bias=bias))
        elif kind in ("maxpool2d", "avgpool2d"):
            pool = nn.MaxPool2d if kind == "maxpool2d" else nn.AvgPool2d
            layers.append(pool(pair(layer["kernel_size"]), stride=pair(layer.get("stride", layer["kernel_size"]))))
        elif kind == "relu":
            layers.append(Scaled(layer.get("scale", 1.0)) if layer.get("scale", 1.0) != 1.0 else nn.ReLU())
        elif kind == "leaky_relu":
            layers.append(nn.LeakyReLU(layer.get("negative_slope", 0.01)))
        elif kind == "softplus":
            layers.append(nn.Softplus(beta=layer.get("beta", 1.0), threshold=layer.get("threshold", 20.0)))
        elif kind == "softmax":
            layers.append(nn.Softmax(dim=1))
        elif kind in ("batchnorm1d", "batchnorm2d"):
            bn = nn.BatchNorm1d if kind == "batchnorm1d" else nn.BatchNorm2d
            state = weights.get(f"{i}.running_mean", weights.get(f"{i}.weight"))
            layers.append(bn(state.shape[0] if state is not None else 1, eps=layer.get("eps", 1e-5),
                             momentum=layer.get("momentum", 0.1), affine=layer.get("affine", True),
                             track_running_stats=layer.get("track_running_stats", True)))
        elif kind == "dropout":
            layers.append(nn.Dropout(layer.get("p", 0.5)))
        else:
            layers.append({"flatten": nn.Flatten, "sigmoid": nn.Sigmoid, "tanh": nn.Tanh, "gelu": nn.GELU,
                           "identity": nn.Identity}[kind]())
    return nn.Sequential(*layers)


def main(model_path, weights_path, input_path, out_dir):
    with open(model_path, encoding="utf-8") as f:
        spec = json.load(f)
    weights, metadata = load_safetensors(weights_path)
    assert metadata.get("format") == "pt", metadata
    model = build(spec, weights).float()
    model.load_state_dict(weights, strict=True)
    model.eval()  # running statistics, no dropout: as Backprop runs it

    # The model file written next to the checkpoint holds the same values: both writers must agree exactly.
    for i, layer in enumerate(spec["layers"]):
        for name in ("weight", "bias"):
            if isinstance(layer.get(name), list):
                assert torch.equal(torch.tensor(layer[name], dtype=torch.float32), weights[f"{i}.{name}"]), f"{i}.{name}"

    x = load_safetensors(input_path)[0]["x"]
    with torch.no_grad():
        y = model(x)
        torch.manual_seed(0)
        fresh = build(spec, weights).float().eval()
        save_safetensors(f"{out_dir}/torch_model.safetensors", fresh.state_dict(), {"format": "pt"})  # num_batches_tracked: I64
        save_safetensors(f"{out_dir}/torch_output.safetensors", {"y": fresh(x)})
    save_safetensors(f"{out_dir}/output.safetensors", {"y": y}, {"producer": f"torch {torch.__version__}"})
    print(json.dumps({"shape": list(y.shape), "y": [float(v) for v in y.flatten().tolist()]}))


if __name__ == "__main__":
    if len(sys.argv) != 5:
        sys.exit(__doc__)
    main(*sys.argv[1:])
