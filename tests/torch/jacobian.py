#!/usr/bin/python3
"""PyTorch reference for `backprop jacobian`: torch.autograd.functional.jacobian in float64, per example.

    /usr/bin/python3 tests/torch/jacobian.py --batch < cases.json

reads [{"name", "model", "data", "loss", "mode", "example", "of", "wrt", "layer"}, ...] and prints
{name: {"values": [[..], ..]}, ...} (or {"error": message} for a case that cannot be built), where

- "example" k: the Jacobian of example k, the rest of the batch held fixed (it matters only where the batch couples
  examples: batch normalisation in training mode);
- "of": "output" (one row per output element of example k) or "loss" (one row: the loss of example k alone,
  loss(out[k:k+1], y[k:k+1]));
- "wrt": "input" (x[k]), "params" (every parameter, flattened in named_parameters order, row-major, as
  parameters_to_vector) or one parameter's name ("0.weight");
- "layer": null for the whole network, or i for layer i's local Jacobian: d net[i](h)[k] / d h[k] (or its
  parameters), where h = net[:i](x) is computed once and held fixed.

The networks are those of reference.py (same model files, every weight explicit). The Jacobian is [rows, columns]:
output dimensions flattened first, then input dimensions, as torch.autograd.functional.jacobian returns them.
Exit codes: 0 ok, 2 bad input, 3 torch cannot be imported.
"""

import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from reference import CaseError, build, finite_json, loss_value  # noqa: E402  (exits 3 without torch)

import torch  # noqa: E402
from torch.autograd.functional import jacobian  # noqa: E402
from torch.nn.utils.stateless import functional_call  # noqa: E402


def with_row(x, k, row):
    """x with row k replaced by `row`, differentiably."""
    return torch.cat([x[:k], row.unsqueeze(0), x[k + 1:]])


def run_case(case):
    with open(case["model"], encoding="utf-8") as f:
        model = json.load(f)
    with open(case["data"], encoding="utf-8") as f:
        data = json.load(f)
    net = build(model)
    net.train(case.get("mode", "train") == "train")
    x = torch.tensor(data["x"], dtype=torch.float64)
    y = torch.tensor(data["y"], dtype=torch.float64)
    k, of, wrt, layer = case["example"], case["of"], case["wrt"], case.get("layer")
    if not 0 <= k < x.shape[0]:
        raise CaseError(f"example {k} is out of range")

    if layer is None:
        module, inputs = net, x
        names = [name for name, _ in net.named_parameters()]
    else:
        with torch.no_grad():
            inputs = net[:layer](x) if layer > 0 else x
        module = net[layer]
        names = [f"{layer}.{name}" for name, _ in module.named_parameters()]
    local = {f"{layer}.{name}" if layer is not None else name: name for name, _ in module.named_parameters()}
    params = dict(module.named_parameters())

    def rows(out):
        if of == "output":
            return out[k]
        if of == "loss":
            return loss_value(case["loss"], out[k:k + 1], y[k:k + 1])
        raise CaseError(f"of must be output or loss, got {of!r}")

    if wrt == "input":
        j = jacobian(lambda row: rows(module(with_row(inputs, k, row))), inputs[k].detach().clone())
        return j.reshape(-1 if of == "output" else 1, inputs[k].numel())
    chosen = names if wrt == "params" else [wrt]
    if any(name not in local for name in chosen):
        raise CaseError(f"unknown parameter {wrt!r}; expected one of {names}")
    chosen_local = [local[name] for name in chosen]

    def f(*values):
        replaced = dict(params)
        replaced.update(zip(chosen_local, values))
        return rows(functional_call(module, replaced, (inputs,)))

    parts = jacobian(f, tuple(params[name].detach().clone() for name in chosen_local))
    count = rows(module(inputs)).numel()
    return torch.cat([p.reshape(count, -1) for p in parts], dim=1)


def main():
    if sys.argv[1:] != ["--batch"]:
        print("usage: jacobian.py --batch < cases.json", file=sys.stderr)
        return 2
    torch.set_num_threads(1)
    results = {}
    for case in json.load(sys.stdin):
        try:
            matrix = run_case(case)
            results[case["name"]] = finite_json({"values": matrix.detach().tolist()})
        except (CaseError, KeyError, ValueError, TypeError, RuntimeError, OSError) as e:
            results[case["name"]] = {"error": f"{type(e).__name__}: {e}"}
    json.dump(results, sys.stdout, allow_nan=False)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
