#!/usr/bin/python3
"""PyTorch reference for Backprop's `backprop grad`: the same network, loss and batch through torch autograd in float64.

One case from the command line:

    /usr/bin/python3 tests/torch/reference.py --model M.json --data D.json --loss NAME

prints {"loss": .., "output": [..], "grads": {"0.weight": [..], ...}, "input_grad": [..]}, the layout of
`backprop grad` (in training mode with "buffers": {"1.running_mean": [..], ...} after it when the network has any;
--mode eval for evaluation mode). Many cases in one process (importing torch takes seconds, a case milliseconds):

    /usr/bin/python3 tests/torch/reference.py --batch < cases.json

reads [{"name": .., "model": path, "data": path, "loss": name, "mode": "train" (default) or "eval"}, ...] and prints {name: result, ...}, where a case
that cannot be built has {"error": message} in place of its result.

The model file must give every weight and bias explicitly (write it with ModelFile.Write): torch's random
initialisation is not the engine's. Only torch and the standard library are used (Debian's python3-torch).
Exit codes: 0 ok, 2 bad input, 3 torch cannot be imported.
"""

import argparse
import json
import math
import sys

try:
    import torch
    import torch.nn as nn
    import torch.nn.functional as F
except ImportError as e:  # the C# test tells "torch missing" apart from any other failure by this exit code
    print(f"reference.py: cannot import torch ({e}); install Debian's python3-torch (apt-get install python3-torch)",
          file=sys.stderr)
    sys.exit(3)

torch.set_default_dtype(torch.float64)


class CaseError(Exception):
    """A model, data file or loss that this reference cannot handle; reported per case."""


class ScaledReLU(nn.Module):
    """Backprop's relu with "scale": scale * relu(x) (plain nn.ReLU when scale is 1)."""

    def __init__(self, scale):
        super().__init__()
        self.scale = scale

    def forward(self, x):
        return self.scale * torch.relu(x)


def ints(value, count, where):
    """An int or a list of `count` ints, as a tuple of `count` ints."""
    if isinstance(value, list):
        if len(value) != count or not all(isinstance(v, int) for v in value):
            raise CaseError(f"{where}: expected an int or a list of {count} ints, got {value!r}")
        return tuple(value)
    if not isinstance(value, int):
        raise CaseError(f"{where}: expected an int, got {value!r}")
    return (value,) * count


def explicit(spec, name, where):
    """The explicit values of a weight or bias as a float64 tensor."""
    value = spec.get(name)
    if not isinstance(value, list):
        raise CaseError(f"{where}: {name} must be given explicitly (write the model with ModelFile.Write)")
    return torch.tensor(value, dtype=torch.float64)


def with_parameters(module, spec, where):
    """Copies the file's weight (and bias, unless "bias": false) into a freshly built torch module."""
    weight = explicit(spec, "weight", where)
    if tuple(weight.shape) != tuple(module.weight.shape):
        raise CaseError(f"{where}: weight has shape {list(weight.shape)}, expected {list(module.weight.shape)}")
    with torch.no_grad():
        module.weight.copy_(weight)
        if module.bias is not None:
            bias = explicit(spec, "bias", where)
            if tuple(bias.shape) != tuple(module.bias.shape):
                raise CaseError(f"{where}: bias has shape {list(bias.shape)}, expected {list(module.bias.shape)}")
            module.bias.copy_(bias)
    return module


def linear(spec, where):
    weight = explicit(spec, "weight", where)
    if weight.dim() != 2 or weight.shape[0] != spec["out"]:
        raise CaseError(f"{where}: weight must be [out={spec['out']}][in], got shape {list(weight.shape)}")
    return with_parameters(nn.Linear(weight.shape[1], spec["out"], bias=spec.get("bias", True) is not False), spec, where)


def conv(dims):
    def make(spec, where):
        weight = explicit(spec, "weight", where)
        if weight.dim() != 2 + dims:
            raise CaseError(f"{where}: weight must have {2 + dims} dimensions, got shape {list(weight.shape)}")
        module = nn.Conv1d if dims == 1 else nn.Conv2d
        return with_parameters(module(
            weight.shape[1], spec["out_channels"],
            kernel_size=ints(spec["kernel_size"], dims, f"{where}.kernel_size"),
            stride=ints(spec.get("stride", 1), dims, f"{where}.stride"),
            padding=ints(spec.get("padding", 0), dims, f"{where}.padding"),
            bias=spec.get("bias", True) is not False), spec, where)
    return make


def pool(module):
    def make(spec, where):
        kernel = ints(spec["kernel_size"], 2, f"{where}.kernel_size")
        stride = ints(spec["stride"], 2, f"{where}.stride") if "stride" in spec else kernel
        return module(kernel, stride)
    return make


def relu(spec, where):
    scale = spec.get("scale", 1.0)
    return nn.ReLU() if scale == 1.0 else ScaledReLU(scale)


def batchnorm(module):
    """BatchNorm1d/2d with the file's arguments and values; num_features from the values (any, when there are none)."""
    def make(spec, where):
        names = ("weight", "bias", "running_mean", "running_var")
        values = {k: explicit(spec, k, where) for k in names if k in spec}
        features = len(next(iter(values.values()))) if values else 1
        bn = module(features, eps=spec.get("eps", 1e-5), momentum=spec.get("momentum", 0.1),
                    affine=spec.get("affine", True), track_running_stats=spec.get("track_running_stats", True))
        with torch.no_grad():
            for k, v in values.items():
                getattr(bn, k).copy_(v)
            if "num_batches_tracked" in spec:
                bn.num_batches_tracked.fill_(int(spec["num_batches_tracked"]))
        return bn
    return make


# Each layer type of a model file (Backprop's LayerKinds) and the torch module it is: one entry per layer.
LAYERS = {
    "linear": linear,
    "conv1d": conv(1),
    "conv2d": conv(2),
    "maxpool2d": pool(nn.MaxPool2d),
    "avgpool2d": pool(nn.AvgPool2d),
    "flatten": lambda spec, where: nn.Flatten(),
    "relu": relu,
    "leaky_relu": lambda spec, where: nn.LeakyReLU(spec.get("negative_slope", 0.01)),
    "sigmoid": lambda spec, where: nn.Sigmoid(),
    "tanh": lambda spec, where: nn.Tanh(),
    "softplus": lambda spec, where: nn.Softplus(beta=spec.get("beta", 1.0), threshold=spec.get("threshold", 20.0)),
    "gelu": lambda spec, where: nn.GELU(),  # approximate='none': x * Phi(x) with erf
    "identity": lambda spec, where: nn.Identity(),
    "softmax": lambda spec, where: nn.Softmax(dim=1),
    "batchnorm1d": batchnorm(nn.BatchNorm1d),
    "batchnorm2d": batchnorm(nn.BatchNorm2d),
    "dropout": lambda spec, where: nn.Dropout(spec.get("p", 0.5)),
}


def build(model):
    """The model file as a float64 nn.Sequential; in_features and in_channels are read off the weights."""
    layers = []
    for i, spec in enumerate(model["layers"]):
        kind = spec["type"]
        where = f"layers[{i}] ({kind})"
        if kind not in LAYERS:
            raise CaseError(f"{where}: unknown layer type {kind!r}")
        layers.append(LAYERS[kind](spec, where))
    return nn.Sequential(*layers)


def margins(out, y, name):
    if out.dim() != 2 or out.shape[1] != 1:
        raise CaseError(f"loss {name!r} needs an output of shape [N, 1], got {list(out.shape)}")
    return y * out[:, 0]


def loss_value(name, out, y):
    n = out.shape[0]
    if name == "mse":
        return F.mse_loss(out, y)
    if name == "sse":
        return ((out - y) ** 2).sum() / n
    if name == "half_sse":
        return 0.5 * ((out - y) ** 2).sum() / n
    if name == "bce":
        return F.binary_cross_entropy(out, y)
    if name == "bce_with_logits":
        return F.binary_cross_entropy_with_logits(out, y)
    if name == "cross_entropy":
        return F.cross_entropy(out, y.long())
    if name == "logistic":
        # ln(1 + e^(-m)). softplus returns its input past the threshold; 50 instead of the default 20 keeps that
        # switch where e^(-50) is below double rounding, so value and slope are exact for any margin seen here.
        return F.softplus(-margins(out, y, name), beta=1.0, threshold=50.0).mean()
    if name == "perceptron":
        return torch.relu(-margins(out, y, name)).mean()  # relu: slope 0 at the kink, as the engine
    if name == "hinge":
        return torch.relu(1.0 - margins(out, y, name)).mean()
    if name == "multiclass_perceptron":
        if out.dim() != 2:
            raise CaseError(f"loss {name!r} needs an output of shape [N, classes], got {list(out.shape)}")
        labels = y.long()
        true = out.gather(1, labels[:, None])[:, 0]
        rivals = out.masked_fill(F.one_hot(labels, out.shape[1]).bool(), -math.inf)
        return torch.relu(rivals.max(dim=1).values - true).mean()
    raise CaseError(f"unknown loss {name!r}")


def run_case(model_path, data_path, loss_name, mode="train"):
    with open(model_path, encoding="utf-8") as f:
        model = json.load(f)
    with open(data_path, encoding="utf-8") as f:
        data = json.load(f)
    net = build(model)
    if mode not in ("train", "eval"):
        raise CaseError(f"mode must be train or eval, got {mode!r}")
    net.train(mode == "train")
    x = torch.tensor(data["x"], dtype=torch.float64)
    if list(x.shape[1:]) != list(model["input"]) or x.shape[0] < 1:
        raise CaseError(f"x has shape {list(x.shape)}, the model expects [N, {', '.join(map(str, model['input']))}]")
    x.requires_grad_(True)
    y = torch.tensor(data["y"], dtype=torch.float64)
    out = net(x)
    loss = loss_value(loss_name, out, y)
    loss.backward()
    grads = {}
    for name, p in net.named_parameters():  # nn.Sequential state_dict names and order: "0.weight", "0.bias", ...
        grads[name] = (p.grad if p.grad is not None else torch.zeros_like(p)).tolist()
    input_grad = x.grad if x.grad is not None else torch.zeros_like(x)
    result = {"loss": loss.item(), "output": out.detach().tolist(), "grads": grads, "input_grad": input_grad.tolist()}
    buffers = {name: b.tolist() for name, b in net.named_buffers()}  # after the forward pass, as `backprop grad` shows them
    if mode == "train" and buffers:
        result["buffers"] = buffers
    return finite_json(result)


def finite_json(value):
    """NaN and infinities as the strings "NaN", "Infinity", "-Infinity", as `backprop grad`'s library report writes
    them: json.dump would write the bare words, which are not JSON."""
    if isinstance(value, float) and not math.isfinite(value):
        return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
    if isinstance(value, list):
        return [finite_json(v) for v in value]
    if isinstance(value, dict):
        return {k: finite_json(v) for k, v in value.items()}
    return value


def main():
    parser = argparse.ArgumentParser(description="PyTorch float64 reference for `backprop grad`.")
    parser.add_argument("--model", help="model file (JSON, every weight explicit)")
    parser.add_argument("--data", help="data file (JSON)")
    parser.add_argument("--loss", help="loss name")
    parser.add_argument("--mode", default="train", choices=["train", "eval"], help="training (default) or evaluation mode")
    parser.add_argument("--batch", action="store_true",
                        help='read [{"name", "model", "data", "loss"}, ...] on stdin, print {name: result}')
    args = parser.parse_args()
    torch.set_num_threads(1)  # the cases are tiny; threads only add overhead

    if args.batch:
        results = {}
        for case in json.load(sys.stdin):
            try:
                results[case["name"]] = run_case(case["model"], case["data"], case["loss"], case.get("mode", "train"))
            except (CaseError, KeyError, ValueError, TypeError, RuntimeError, OSError) as e:
                results[case["name"]] = {"error": f"{type(e).__name__}: {e}"}
        json.dump(results, sys.stdout, allow_nan=False)
        sys.stdout.write("\n")
        return 0

    if not (args.model and args.data and args.loss):
        parser.error("give --model, --data and --loss, or --batch")
    try:
        result = run_case(args.model, args.data, args.loss, args.mode)
    except (CaseError, KeyError, ValueError, TypeError, RuntimeError, OSError) as e:
        print(f"reference.py: {type(e).__name__}: {e}", file=sys.stderr)
        return 2
    json.dump(result, sys.stdout, allow_nan=False)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
