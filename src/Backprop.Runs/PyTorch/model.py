"""{{TITLE}} as a PyTorch nn.Sequential, written by `backprop export --format pytorch`.

    import model
    net = model.load()                          # model.safetensors beside this file, strict=True, evaluation mode
    y = net(model.prepare(pixels))              # raw inputs (pixels 0..255) prepared as Backprop's training did

The layers are Backprop's, in the same order, so that the state_dict names ("0.weight", "1.running_mean", ...) are
the names in model.safetensors and in Backprop's files. Debian ships no `safetensors` Python package, so this file
carries a short reader and writer of the format (an 8-byte little-endian header length, a JSON header, raw
little-endian data) made of struct, json and numpy. Save a trained state_dict with save_safetensors(path,
net.state_dict()) beside model.json, and Backprop opens the folder (eval, predict, trace, gradflow, dream, summary,
explore, export).
"""
import json
import os
import struct

import numpy as np
import torch
from torch import nn

HERE = os.path.dirname(os.path.abspath(__file__))

# The model file (architecture only), as Backprop wrote it to model.json.
ARCHITECTURE = json.loads(r'''{{ARCHITECTURE}}''')
INPUT_SHAPE = tuple(ARCHITECTURE["input"])
OUTPUT_SHAPE = tuple({{OUTPUT_SHAPE}})  # of one example: (classes,) for a classifier


class ScaledReLU(nn.Module):
    """Backprop's relu with "scale": y = scale * max(0, x) (PyTorch's ReLU has no scale)."""

    def __init__(self, scale):
        super().__init__()
        self.scale = scale

    def forward(self, x):
        return self.scale * torch.relu(x)

    def extra_repr(self):
        return f"scale={self.scale}"


def build():
    """The network, freshly initialised by PyTorch; load() sets Backprop's weights."""
    return nn.Sequential(
{{LAYERS}}
    )


DTYPES = {"F64": "<f8", "F32": "<f4", "F16": "<f2", "I64": "<i8", "I32": "<i4", "U8": "u1", "BOOL": "?"}
NAMES = {np.dtype("float64"): "F64", np.dtype("float32"): "F32", np.dtype("float16"): "F16", np.dtype("int64"): "I64",
         np.dtype("int32"): "I32", np.dtype("uint8"): "U8", np.dtype("bool"): "BOOL"}


def load_safetensors(path):
    """({name: tensor}, metadata) of a safetensors file; a file that is not one is a ValueError naming it."""
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 8:
        raise ValueError(f"{path}: not a safetensors file ({len(data)} bytes; it starts with an 8-byte header length)")
    (n,) = struct.unpack_from("<Q", data, 0)
    if n > len(data) - 8:
        raise ValueError(f"{path}: not a safetensors file (a header of {n} bytes, but the file has {len(data)})")
    try:
        header = json.loads(data[8:8 + n].decode("utf-8"))
    except (UnicodeError, ValueError) as e:
        raise ValueError(f"{path}: not a safetensors file (its header is not JSON: {e})") from None
    if not isinstance(header, dict):
        raise ValueError(f"{path}: not a safetensors file (its header is not a JSON object)")
    metadata = header.pop("__metadata__", None) or {}
    if not isinstance(metadata, dict):
        raise ValueError(f"{path}: __metadata__ is not a JSON object of strings")
    size, tensors = len(data) - 8 - n, {}
    for name, info in header.items():
        try:
            kind, dims, (begin, end) = info["dtype"], [int(d) for d in info["shape"]], info["data_offsets"]
        except (TypeError, KeyError, ValueError):
            raise ValueError(f"{path}: tensor '{name}': expected dtype, shape and data_offsets [begin, end]") from None
        if kind not in DTYPES:
            raise ValueError(f"{path}: tensor '{name}': dtype {kind} is not supported here")
        dtype = np.dtype(DTYPES[kind])
        count = int(np.prod(dims, dtype=np.int64))
        if not (isinstance(begin, int) and isinstance(end, int) and 0 <= begin <= end <= size) or end - begin != count * dtype.itemsize:
            raise ValueError(f"{path}: tensor '{name}': data_offsets [{begin}, {end}] do not hold {kind} {list(dims)} "
                             f"in the {size} bytes of data")
        array = np.frombuffer(data, dtype=dtype, count=count, offset=8 + n + begin)
        tensors[name] = torch.from_numpy(array.reshape(dims).astype(dtype.newbyteorder("=")))
    return tensors, metadata


def save_safetensors(path, tensors, metadata=None):
    """Writes {name: tensor} (a state_dict) as safetensors, to a temporary name renamed into place."""
    arrays = {name: t.detach().cpu().contiguous().numpy() for name, t in tensors.items()}
    header, blobs, offset = ({"__metadata__": {str(k): str(v) for k, v in metadata.items()}} if metadata else {}), [], 0
    for name, a in arrays.items():
        blob = a.astype(a.dtype.newbyteorder("<")).tobytes()
        header[name] = {"dtype": NAMES[a.dtype], "shape": list(a.shape), "data_offsets": [offset, offset + len(blob)]}
        blobs.append(blob)
        offset += len(blob)
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * (-len(text) % 8)
    temporary = f"{path}.tmp{os.getpid()}"
    with open(temporary, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(blobs))
    os.replace(temporary, path)


def load(path=None, dtype=torch.float32):
    """build(), in dtype, with the weights and buffers of path (default: model.safetensors beside this file), strict=True, in evaluation mode."""
    net = build().to(dtype)
    state, _ = load_safetensors(path or os.path.join(HERE, "model.safetensors"))
    net.load_state_dict(state, strict=True)  # num_batches_tracked is converted to int64 by copy_
    return net.eval()


def preparation(path=None):
    """(scale, mean, std) of Backprop's input preparation (preprocessing.safetensors): x / scale, then (x - mean) / std."""
    path = path or os.path.join(HERE, "preprocessing.safetensors")
    if not os.path.exists(path):
        return None, None, None
    tensors, metadata = load_safetensors(path)
    scale = metadata.get("scale", "none")
    return (None if scale == "none" else float(scale)), tensors.get("mean"), tensors.get("std")


def prepare(x, path=None):
    """Raw inputs (float32, pixels 0..255) prepared as Backprop's training prepared them."""
    scale, mean, std = preparation(path)
    x = x.float()
    if scale is not None:
        x = x / scale
    if mean is not None:
        x = (x - mean) / torch.where(std == 0, torch.ones_like(std), std)
    return x


if __name__ == "__main__":
    net = load()
    print(net)
    print(f"{sum(p.numel() for p in net.parameters()):,} parameters; input [N, {', '.join(map(str, INPUT_SHAPE))}]")
