#!/usr/bin/python3
"""PyTorch side of `backprop summary`'s cross-check (tests/Backprop.Tests/CrossCheck/SummaryTorchTests.cs).

    /usr/bin/python3 tests/torch/summary.py < cases.json

reads [{"name": .., "model": path}, ...] (model files with every value, as ModelFile.Write writes them), builds each
as reference.py does (the equivalent nn.Sequential), runs a batch of two zero examples through it in evaluation mode
with a forward hook on every module, and prints {name: {"layers": [{"output_shape", "parameters", "buffers",
"multiply_adds"}, ...]}, ...}, or {name: {"error": message}} for a case it cannot build.

Multiply-adds per example are counted as torchinfo counts a layer's weight: Linear in_features * out_features,
ConvNd output elements * in_channels / groups * prod(kernel_size) (torchinfo also adds one per bias element, which
Backprop leaves out, as the literature does); for the layers torchinfo gives no rule, the ones Backprop's summary
documents: BatchNorm one per element (evaluation mode's x * scale + shift), AvgPool2d one per window element, every
other module none. Exit codes as reference.py's: 3 when torch cannot be imported.
"""

import json
import math
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import reference  # noqa: E402  (exits 3 without torch)
from reference import nn, torch  # noqa: E402


def multiply_adds(module, x, y):
    """Multiply-adds of one example through `module`, from its input x and output y (both with the batch first)."""
    per_example = lambda t: t[0].numel()
    if isinstance(module, nn.Linear):
        return module.in_features * module.out_features
    if isinstance(module, (nn.Conv1d, nn.Conv2d)):
        return per_example(y) * module.in_channels // module.groups * math.prod(module.kernel_size)
    if isinstance(module, (nn.BatchNorm1d, nn.BatchNorm2d)):
        return per_example(x)
    if isinstance(module, nn.AvgPool2d):
        k = module.kernel_size
        return per_example(y) * (math.prod(k) if isinstance(k, tuple) else k * k)
    return 0


def summarise(model_path):
    with open(model_path) as f:
        spec = json.load(f)
    model = reference.build(spec).eval()
    rows = []

    def hook(module, inputs, output):
        rows.append({
            "output_shape": list(output.shape[1:]),
            "parameters": sum(p.numel() for p in module.parameters()),
            "buffers": sum(b.numel() for b in module.buffers()),
            "multiply_adds": multiply_adds(module, inputs[0], output),
        })

    for module in model:
        module.register_forward_hook(hook)
    with torch.no_grad():
        model(torch.zeros([2] + spec["input"]))
    return {"layers": rows}


def main():
    results = {}
    for case in json.load(sys.stdin):
        try:
            results[case["name"]] = summarise(case["model"])
        except (reference.CaseError, RuntimeError, ValueError, KeyError) as e:
            results[case["name"]] = {"error": f"{type(e).__name__}: {e}"}
    json.dump(results, sys.stdout)


if __name__ == "__main__":
    main()
