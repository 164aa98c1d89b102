"""Continues training {{TITLE}} in PyTorch with Backprop's recipe, in one process or several (DistributedDataParallel).

Written by `backprop export --format pytorch`. Beside it: model.py (the network, a safetensors reader and writer),
model.safetensors (the weights and buffers), model.json, preprocessing.safetensors and, when the export came from a
checkpoint, optimizer.safetensors (the optimiser's state and step count).

    python3 train.py                                    # one process, the recipe below
    python3 train.py --nproc 2 --threads 1              # two processes on this machine (gloo, loopback)
    python3 train.py --rank 0 --world-size 2 --master-addr HOST --master-port 29500   # one rank per command, any machine
    torchrun --nproc_per_node 2 train.py                # where torchrun works (RANK, WORLD_SIZE, MASTER_ADDR from it)
    python3 train.py --device cuda --nproc 4            # one GPU per rank, NCCL

It writes --out/model.safetensors (the same state_dict names), model.json, preprocessing.safetensors and metrics.csv:
a folder that `backprop eval --model OUT` opens.

The recipe is Backprop's: the same loss, optimiser (and its state), learning-rate schedule, batch size, seed, early
stopping (--patience), the same seeded validation split and epoch orders (Backprop's xoshiro256** generator and
Fisher-Yates, ported below), the same augmentation, and the model's own preprocessing (preprocessing.safetensors,
used and written back as it is). Options are checked as `backprop train` checks them; bad input is one line,
"error: ...", and exit code 2. Another --optimizer than the run's starts with a fresh state (and the learning rate
`backprop train` takes for it, unless --lr is given). With W ranks every global batch of --batch-size examples is cut
into W consecutive parts, one per rank, and each rank's loss is scaled so that DistributedDataParallel's average of
the gradients is the gradient of the whole batch's mean loss: the same step as one process, up to rounding (batch
normalisation normalises over each rank's part; dropout draws from PyTorch's generator, not Backprop's).
"""
import argparse
import csv
import decimal
import gzip
import io
import json
import math
import os
import re
import struct
import sys
import time
import unicodedata
import zlib

import numpy as np
import torch
import torch.distributed as dist
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import model as exported  # noqa: E402  (model.py beside this file)

# What Backprop's run was: its options (as `backprop train` names them), the epochs it had done and the dataset.
RECIPE = json.loads(r'''{{RECIPE}}''')

MASK = (1 << 64) - 1


def _mix(z):
    z = (z + 0x9E3779B97F4A7C15) & MASK
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
    return z ^ (z >> 31)


class Rng:
    """Backprop's generator (xoshiro256**, seeded through SplitMix64), so that splits, orders and augmentations repeat."""

    def __init__(self, seed):
        x, words = seed & MASK, []
        for _ in range(4):
            x = (x + 0x9E3779B97F4A7C15) & MASK
            words.append(_mix((x - 0x9E3779B97F4A7C15) & MASK))
        self.s = words

    def next_uint64(self):
        s0, s1, s2, s3 = self.s
        r = (((s1 * 5) & MASK) << 7 | ((s1 * 5) & MASK) >> 57) & MASK
        result = (r * 9) & MASK
        t = (s1 << 17) & MASK
        s2 ^= s0
        s3 ^= s1
        s1 ^= s2
        s0 ^= s3
        s2 ^= t
        s3 = ((s3 << 45) | (s3 >> 19)) & MASK
        self.s = [s0, s1, s2, s3]
        return result

    def next_double(self):
        return (self.next_uint64() >> 11) * (1.0 / (1 << 53))

    def next_int(self, n):
        threshold = ((1 << 64) - n) % n
        while True:
            r = self.next_uint64()
            if r >= threshold:
                return r % n


def permute(count, rng):
    order = list(range(count))
    for i in range(count - 1, 0, -1):
        j = rng.next_int(i + 1)
        order[i], order[j] = order[j], order[i]
    return order


def epoch_seed(seed, epoch):
    return _mix((seed & MASK) ^ _mix((epoch + 0x5EED000000000001) & MASK))


AUGMENTATION_STREAM = 0xF1F1F1F100000000


# ---------------------------------------------------------------- bad input

class Refused(Exception):
    """Input train.py cannot use: main() prints "error: MESSAGE" in one line and exits with 2, as `backprop` does."""


class ArgumentParser(argparse.ArgumentParser):
    """argparse, with its errors as one line and exit code 2 (not the usage text)."""

    def error(self, message):
        raise Refused(message)


def number(v):
    """
    A number as Backprop's messages show it, .NET's shortest form that reads back: 5 (not 5.0), 0.0001, 1E-05,
    1E+17, -0, NaN, Infinity.
    """
    if math.isnan(v):
        return "NaN"
    if math.isinf(v):
        return "Infinity" if v > 0 else "-Infinity"
    sign = "-" if math.copysign(1.0, v) < 0 else ""
    if v == 0:
        return sign + "0"
    value = decimal.Decimal(repr(abs(v))).normalize()  # repr: the shortest digits that read back, as .NET's
    exponent = value.adjusted()
    if -5 < exponent < 17:  # as .NET: fixed-point from 0.0001 to 17 digits before the point, otherwise 1E-05, 1E+17
        return sign + format(value, "f")
    digits = "".join(map(str, value.as_tuple().digits))
    mantissa = digits[0] + ("." + digits[1:] if len(digits) > 1 else "")
    return f"{sign}{mantissa}E{'+' if exponent >= 0 else '-'}{abs(exponent):02d}"


def shown(text, limit=60):
    """Backprop's JsonInput.Shown: text for a message, cut after limit characters, control characters escaped, so that it stays one line."""
    out = []
    for c in text:
        if len("".join(out)) >= limit:
            out.append("…")
            break
        if unicodedata.category(c) != "Cc":
            out.append(c)
        else:
            out.append({"\n": "\\n", "\r": "\\r", "\t": "\\t"}.get(c, f"\\u{ord(c):04x}"))
    return "".join(out)


def one_line(e):
    return " ".join(line.strip() for line in str(e).splitlines() if line.strip())


def from_safetensors(path, read):
    """
    read(path): model.py's load_safetensors, preparation or load (which also fits the weights into the network). A
    file that is missing, a directory, not safetensors or not the model's is refused in one line naming it.
    """
    try:
        return read(path)
    except FileNotFoundError:
        raise Refused(f"{path}: file not found") from None
    except OSError as e:
        raise Refused(f"{path}: cannot open the file: {e.strerror or e}") from None
    except (struct.error, ValueError, KeyError, TypeError, UnicodeError, RuntimeError) as e:
        message = one_line(e)  # model.py's own messages name the file already; load_state_dict's and others' do not
        raise Refused(message if message.startswith(f"{path}: ") else f"{path}: {message}") from None


def environment_integer(name, default):
    """An integer from the environment variable name (torchrun's RANK, WORLD_SIZE, ...), refused naming it when it is not one."""
    text = os.environ.get(name, "").strip()
    if not text:
        return default
    try:
        return int(text)
    except ValueError:
        raise Refused(f"{name}: expected an integer, got '{shown(text)}'") from None


def shape(dims):
    return "[" + ", ".join(str(d) for d in dims) + "]"


# ---------------------------------------------------------------- data, as Backprop's DatasetSource reads it

FASHION_MNIST = "/usr/share/datasets/fashion-mnist"


def read_bytes(path):
    """The file's bytes, decompressed when it is gzip; a missing or unreadable file is refused, naming it."""
    try:
        with open(path, "rb") as f:
            data = f.read()
    except FileNotFoundError:
        raise Refused(f"{path}: file not found") from None
    except OSError as e:
        raise Refused(f"{path}: cannot open the file: {e.strerror}") from None
    try:
        return gzip.decompress(data) if data[:2] == b"\x1f\x8b" else data
    except (OSError, EOFError, zlib.error) as e:
        raise Refused(f"{path}: corrupt gzip data: {e}") from None


def read_idx(path):
    data = read_bytes(path)
    if len(data) < 4 or data[0] != 0 or data[1] != 0:
        raise Refused(f"{path}: not an IDX file")
    kinds = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}
    if data[2] not in kinds:
        raise Refused(f"{path}: IDX type 0x{data[2]:02x} is not supported")
    dims = data[3]
    if len(data) < 4 + 4 * dims:
        raise Refused(f"{path}: truncated header")
    dims_shape = struct.unpack_from(f">{dims}I", data, 4)
    count, itemsize = int(np.prod(dims_shape)), np.dtype(kinds[data[2]]).itemsize
    if len(data) != 4 + 4 * dims + count * itemsize:
        raise Refused(f"{path}: the header declares {shape(dims_shape)}, but the file holds {len(data) - 4 - 4 * dims} bytes of data")
    return np.frombuffer(data, dtype=kinds[data[2]], offset=4 + 4 * dims, count=count).reshape(dims_shape).astype(np.float32)


def find_idx(directory, split, kind, dims):
    for prefix in (["train"] if split == "train" else ["t10k", "test"]):
        for separator in ("-", "."):
            for suffix in ("", ".gz"):
                path = os.path.join(directory, f"{prefix}-{kind}{separator}idx{dims}-ubyte{suffix}")
                if os.path.exists(path):
                    return path
    return None


def load_idx(directory, classes=None, missing=None):
    """The four IDX files of a directory; missing(name) is the message when one is missing."""
    missing = missing or (lambda name: f"idx:{directory}: no {name}[.gz] in the directory")
    splits = {}
    for split in ("train", "test"):
        paths = []
        for kind, dims in (("images", 3), ("labels", 1)):
            path = find_idx(directory, split, kind, dims)
            if path is None:
                raise Refused(missing(f"{'train' if split == 'train' else 't10k'}-{kind}-idx{dims}-ubyte"))
            paths.append(path)
        x, y = read_idx(paths[0]), read_idx(paths[1]).astype(np.int64)
        if len(x) != len(y):
            raise Refused(f"{paths[1]}: {len(y)} labels, but {paths[0]} has {len(x)} examples")
        if x.ndim == 3:
            x = x[:, None, :, :]
        splits[split] = (x, y)
    k = classes or int(max(splits["train"][1].max(), splits["test"][1].max())) + 1
    return splits["train"], splits["test"], k


def _labels_to_classes(values):
    def integer(v):
        try:
            f = float(v)
            return int(f) if f == int(f) else None
        except (ValueError, OverflowError):
            return None
    ints = [integer(v) for v in values]
    if all(i is not None and i >= 0 for i in ints):
        return {v: i for v, i in zip(values, ints)}, max(ints) + 1
    if all(i is not None for i in ints):
        distinct = sorted(set(ints))
        return {v: distinct.index(i) for v, i in zip(values, ints)}, len(distinct)
    distinct = sorted(set(values))
    return {v: i for i, v in enumerate(distinct)}, len(distinct)


# .NET's NumberStyles.Float in the invariant culture (what Backprop's CsvReader parses), on a field already trimmed:
# no thousands separators, no underscores, no "inf"; NaN and Infinity parse, and are refused as not finite.
FINITE_SYNTAX = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")
NOT_FINITE_SYNTAX = re.compile(r"[+-]?(NaN|Infinity|∞)", re.IGNORECASE)


def parse_feature(text, path, line, column, name):
    """Backprop's CsvReader.ParseFeature: a number finite in float32, or a refusal with its message."""
    finite_syntax = FINITE_SYNTAX.fullmatch(text) is not None
    if finite_syntax:
        value = float(text)
        with np.errstate(over="ignore"):
            if math.isfinite(np.float32(value)):
                return value
    where = f"{path}: line {line}, column {column + 1} ('{shown(name)}')"
    if not text.strip():
        raise Refused(f"{where}: empty cell; expected a number")
    cut = shown(text[:41], 40)
    if finite_syntax and math.isfinite(float(text)):
        raise Refused(f"{where}: {cut} is outside the float32 range")
    if finite_syntax or NOT_FINITE_SYNTAX.fullmatch(text):
        raise Refused(f"{where}: {cut} is not a finite number")
    raise Refused(f"{where}: '{cut}' is not a number")


def find_label_column(header, label_column, path, line):
    """Backprop's CsvReader.FindLabelColumn: the column of that name, else the one column of that name in any case."""
    exact = [c for c, h in enumerate(header) if h == label_column]
    if len(exact) > 1:
        raise Refused(f"{path}: line {line}: the label column '{label_column}' appears twice (columns {exact[0] + 1} and {exact[1] + 1})")
    if exact:
        return exact[0]
    ignoring_case = [c for c, h in enumerate(header) if h.lower() == label_column.lower()]
    if len(ignoring_case) == 1:
        return ignoring_case[0]
    columns = ", ".join(f"'{shown(h)}'" for h in header[:12]) + (f", … ({len(header)} columns)" if len(header) > 12 else "")
    raise Refused(f"{path}: line {line}: no label column '{label_column}' in the header; the columns are {columns}")


def load_csv(paths, label_column):
    """Backprop's CsvReader: a header, then rows of finite float32 features and a label, refused with its messages."""
    tables = []
    for path in paths:
        # As Backprop's reader: bytes that are not UTF-8 read as U+FFFD, refused where a number should be.
        text = read_bytes(path).decode("utf-8-sig", errors="replace")
        reader = csv.reader(io.StringIO(text), skipinitialspace=True)
        header, body = None, []
        try:
            for row in reader:
                if not row or all(not c.strip() for c in row):
                    continue
                row = [c.strip() for c in row]
                line = reader.line_num
                if header is None:
                    header = row
                    k = find_label_column(header, label_column, path, line)
                    if len(header) < 2:
                        raise Refused(f"{path}: line {line}: the header has only the label column '{shown(header[k])}'; expected at least one feature column")
                    continue
                if len(row) != len(header):
                    raise Refused(f"{path}: line {line}: {len(row)} field{'' if len(row) == 1 else 's'}, but the header has {len(header)} columns")
                if not row[k]:
                    raise Refused(f"{path}: line {line}, column {k + 1} ('{shown(header[k])}'): empty label")
                features = [parse_feature(c, path, line, j, header[j]) for j, c in enumerate(row) if j != k]
                body.append((features, row[k]))
        except csv.Error as e:
            raise Refused(f"{path}: line {reader.line_num}: {e}") from None
        if header is None:
            raise Refused(f"{path}: empty file; expected a header row of column names")
        if not body:
            raise Refused(f"{path}: no data rows after the header")
        tables.append((np.array([f for f, _ in body], dtype=np.float32), [label for _, label in body]))
    mapping, classes = _labels_to_classes([v for _, labels in tables for v in labels])
    out = [(x, np.array([mapping[v] for v in labels], dtype=np.int64)) for x, labels in tables]
    return out[0], out[1], classes


def is_csv(spec):
    """Backprop's DatasetSource.IsCsv: csv:, in any case, after any spaces."""
    return spec.strip()[:4].lower() == "csv:"


def load_dataset(spec, label_column):
    """((train x, y), (test x, y), classes) of a --dataset, refused as Backprop's DatasetSource.Load refuses it."""
    s = spec.strip()
    if is_csv(s):
        paths = [p.strip() for p in s[4:].split(",")]
        if len(paths) > 2 or "" in paths:
            raise Refused(f"dataset 'csv:{s[4:]}': expected csv:TRAIN or csv:TRAIN,TEST (file names may not contain commas)")
        if len(paths) == 1:  # `backprop train` reads the test split too, and refuses a CSV dataset without one
            raise Refused(f"dataset 'csv:{s[4:]}': no test file; use csv:TRAIN,TEST")
        return load_csv(paths, label_column or "label")
    if label_column is not None:
        raise Refused(f"dataset '{spec}': a label column ('{label_column}') applies only to csv: datasets")
    if s == "" or s.lower() == "fashion-mnist":
        if not os.path.isdir(FASHION_MNIST):
            raise Refused(f"Fashion-MNIST is not installed: {FASHION_MNIST} does not exist; install the Debian package dataset-fashion-mnist, or use --dataset idx:DIR")
        return load_idx(FASHION_MNIST, classes=10,
                        missing=lambda name: f"Fashion-MNIST is incomplete: {os.path.join(FASHION_MNIST, name)}[.gz] does not exist")
    if s[:4].lower() == "idx:":
        if len(s) == 4:
            raise Refused(f"dataset '{spec}': idx: needs a directory, e.g. idx:/data/mnist")
        if not os.path.isdir(s[4:]):
            raise Refused(f"idx:{s[4:]}: the directory does not exist")
        return load_idx(s[4:])
    raise Refused(f"unknown dataset '{spec}'; expected fashion-mnist, idx:DIR, csv:TRAIN or csv:TRAIN,TEST")


def scale_for(spec):
    """Backprop's DataPreparation.ScaleFor: images are divided by 255, CSV features are taken as they are."""
    return None if is_csv(spec) else 255.0


def check_fits(name, x, classes):
    """Backprop's Classifier.CheckData: the examples have the model's input shape, and the model an output per class."""
    if tuple(x.shape[1:]) != exported.INPUT_SHAPE:
        raise Refused(f"{name}: examples have shape {shape(x.shape[1:])}, but the model's input is {shape(exported.INPUT_SHAPE)}")
    if len(exported.OUTPUT_SHAPE) != 1 or exported.OUTPUT_SHAPE[0] < classes:
        raise Refused(f"{name}: {classes} classes, but the model's output is [N, {', '.join(map(str, exported.OUTPUT_SHAPE))}]")


def split(count, fraction, seed):
    """Backprop's seeded validation split: round(fraction * count) examples, drawn by Fisher-Yates; both parts sorted."""
    v = int(math.floor(fraction * count + 0.5))
    order = permute(count, Rng(_mix((seed & MASK) ^ 0x5B117)))
    return sorted(order[v:]), sorted(order[:v])


def standardize_statistics(x):
    """Population mean and standard deviation per feature, two passes in float64, rounded to float32."""
    flat = x.reshape(len(x), -1).astype(np.float64)
    mean = flat.sum(axis=0) / len(flat)
    std = np.sqrt(((flat - mean) ** 2).sum(axis=0) / len(flat))
    return mean.astype(np.float32).reshape(x.shape[1:]), std.astype(np.float32).reshape(x.shape[1:])


def augment(x, rng, flip, shift):
    """Backprop's augmentation of a batch [N, C, H, W] in place: a mirror with probability 1/2, then a shift by (dy, dx)."""
    h, w = x.shape[2], x.shape[3]
    for n in range(x.shape[0]):
        if flip and rng.next_double() < 0.5:
            x[n] = x[n].flip(-1)
        if shift > 0:
            dy, dx = rng.next_int(2 * shift + 1) - shift, rng.next_int(2 * shift + 1) - shift
            if dy or dx:
                moved = torch.zeros_like(x[n])
                moved[:, max(0, dy):h + min(0, dy), max(0, dx):w + min(0, dx)] = x[n][:, max(0, -dy):h - max(0, dy), max(0, -dx):w - max(0, dx)]
                x[n] = moved


# ---------------------------------------------------------------- the recipe

def check_options(a):
    """Backprop's TrainingOptions.Validate, message for message and in its order: the first option at fault."""
    if a.epochs < 1:
        raise Refused(f"--epochs: expected at least 1, got {a.epochs}")
    if a.batch_size < 1:
        raise Refused(f"--batch-size: expected at least 1, got {a.batch_size}")
    if not (a.lr > 0) or not math.isfinite(a.lr):
        raise Refused(f"--lr: expected a positive number, got {number(a.lr)}")
    if not (0 <= a.momentum < 1):
        raise Refused(f"--momentum: expected a number in [0, 1), got {number(a.momentum)}")
    if not (a.weight_decay >= 0) or not math.isfinite(a.weight_decay):
        raise Refused(f"--weight-decay: expected a number ≥ 0, got {number(a.weight_decay)}")
    if not (0 <= a.validation < 1):
        raise Refused(f"--validation: expected a fraction in [0, 1), got {number(a.validation)}")
    if a.patience is not None and a.patience < 1:
        raise Refused(f"--patience: expected at least 1, got {a.patience}")
    if a.shift < 0:
        raise Refused(f"--shift: expected a number of pixels ≥ 0, got {a.shift}")
    if not (0 <= a.label_smoothing <= 1):
        raise Refused(f"--label-smoothing: expected a number in [0, 1], got {number(a.label_smoothing)}")
    if a.label_smoothing > 0 and a.loss != "cross_entropy":
        raise Refused(f"--label-smoothing: only the cross_entropy loss has label smoothing, not '{a.loss}'")
    if a.standardize and (a.flip or a.shift > 0):
        raise Refused("--standardize cannot be combined with --flip or --shift: it gives each pixel its own mean and deviation, "
                      "and a flip or shift would move pixels away from their statistics")
    if a.limit is not None and a.limit < 1:
        raise Refused(f"--limit: expected at least 1, got {a.limit}")


def learning_rate(args, epoch):
    if args.schedule == "cosine":
        return (args.lr - 0.0) * (1 + math.cos(math.pi * epoch / args.epochs)) / 2 + 0.0
    if args.schedule == "step":
        lr = args.lr
        for _ in range(epoch // max(1, args.epochs // 3)):
            lr *= 0.1
        return lr
    return args.lr


def make_optimizer(args, parameters):
    if args.optimizer == "sgd":
        return torch.optim.SGD(parameters, lr=args.lr, momentum=args.momentum, nesterov=args.nesterov, weight_decay=args.weight_decay)
    if args.optimizer == "adam":
        return torch.optim.Adam(parameters, lr=args.lr, weight_decay=args.weight_decay)
    return torch.optim.AdamW(parameters, lr=args.lr, weight_decay=args.weight_decay)


OPTIMIZER_BUFFERS = ("momentum_buffer", "exp_avg", "exp_avg_sq")


def read_optimizer_state(args, net):
    """
    Backprop's optimiser state ("0.weight.momentum_buffer", "0.weight.exp_avg", ...) for net's parameters, checked as
    Backprop checks a checkpoint's: ({parameter: {buffer: tensor}}, steps, None). A file of another model (a tensor
    of no parameter, one of another shape, one missing) is refused naming the tensor. When --optimizer is not the
    one the state is of: (None, 0, the note to print); another optimiser starts fresh, since one optimiser's buffers
    mean nothing to another (SGD's momentum is not Adam's first moment).
    """
    path = args.optimizer_state
    tensors, metadata = from_safetensors(path, exported.load_safetensors)
    saved = metadata.get("optimizer", "an unnamed optimiser")
    if saved != args.optimizer:
        return None, 0, (f"note: {path} holds the state of {saved}; --optimizer {args.optimizer} starts with a fresh state "
                         f"(one optimiser's state does not carry over to another)")
    try:
        steps = int(metadata.get("step", "0"))
    except ValueError:
        raise Refused(f"{path}: __metadata__.step: expected a number of steps, got '{shown(str(metadata['step']))}'") from None
    parameters = dict(net.named_parameters())
    owners = {f"{name}.{key}": (name, key) for name in parameters for key in OPTIMIZER_BUFFERS}
    for tensor_name in tensors:
        if tensor_name not in owners:
            raise Refused(f"{path}: tensor '{tensor_name}' is the state of no parameter of this model "
                          f"(its parameters are {', '.join(list(parameters)[:12])}{', …' if len(parameters) > 12 else ''})")
    state = {name: {} for name in parameters}
    for tensor_name, (name, key) in owners.items():
        p = parameters[name]
        if tensor_name in tensors:
            value = tensors[tensor_name]
            if tuple(value.shape) != tuple(p.shape):
                raise Refused(f"{path}: tensor '{tensor_name}' is {shape(value.shape)} but the parameter's state is {shape(p.shape)}")
            state[name][key] = value
        elif any(f"{other}.{key}" in tensors for other in parameters):
            raise Refused(f"{path}: no tensor '{tensor_name}' {shape(p.shape)}: the file lacks the state of its {saved} optimiser")
    return state, steps, None


def load_optimizer_state(optimizer, net, state, steps):
    """The state read_optimizer_state read into torch.optim's per-parameter state."""
    for name, p in net.named_parameters():
        for key, value in state[name].items():
            optimizer.state[p][key] = value.to(p.dtype).to(p.device).clone()
        if "exp_avg" in optimizer.state[p]:
            optimizer.state[p]["step"] = torch.tensor(float(steps))


def loss_sum(args, logits, y):
    """The sum over the examples of the loss (the mean is taken over the global batch by the caller)."""
    if args.loss == "cross_entropy":
        return F.cross_entropy(logits, y, reduction="sum", label_smoothing=args.label_smoothing)
    true = logits.gather(1, y[:, None])  # multiclass_perceptron
    others = logits.scatter(1, y[:, None], float("-inf"))
    return torch.clamp(others.max(dim=1, keepdim=True).values - true, min=0).sum()


def evaluate(args, net, x, y, device, batch_size):
    """Mean plain loss (cross-entropy without smoothing) and accuracy, in evaluation mode, in batches of batch_size."""
    if len(x) == 0:
        return float("nan"), float("nan")
    net.eval()
    total, correct = 0.0, 0
    smoothing, args.label_smoothing = args.label_smoothing, 0.0
    with torch.no_grad():
        for start in range(0, len(x), batch_size):
            xb, yb = x[start:start + batch_size].to(device), y[start:start + batch_size].to(device)
            out = net(xb)
            total += float(loss_sum(args, out, yb))
            correct += int((out.argmax(dim=1) == yb).sum())
    args.label_smoothing = smoothing
    return total / len(x), correct / len(x)


def prepare_data(args):
    """
    The run's data as Backprop's TrainingRun prepares it: the first --limit training examples, the seeded validation
    split, then the model's preprocessing (preprocessing.safetensors of the export: the preprocessing belongs to the
    model, whatever data it is given), or, for a model without one, the dataset's scaling and, with --standardize,
    the statistics of the training part. Returns the tensors and the preprocessing to write back.
    """
    (train_x, train_y), (test_x, test_y), classes = load_dataset(args.dataset, args.label_column)
    if args.limit is not None and args.limit < len(train_x):
        train_x, train_y = train_x[:args.limit], train_y[:args.limit]
    train_idx, val_idx = split(len(train_x), args.validation, args.seed)
    check_fits(args.dataset, train_x, classes)
    check_fits(args.dataset, test_x, classes)
    if args.preprocessing is not None:
        scale, mean, std = from_safetensors(args.preprocessing, exported.preparation)
        mean, std = (None, None) if mean is None else (mean.numpy(), std.numpy())
        written = from_safetensors(args.preprocessing, exported.load_safetensors)  # written back as it is
    else:
        scale, mean, std = scale_for(args.dataset), None, None
        written = None
    # numpy's element-wise IEEE division and subtraction, as Backprop's (torch divides by a scalar through its reciprocal)
    if scale is not None:
        train_x, test_x = train_x / np.float32(scale), test_x / np.float32(scale)
    x_train, x_val = train_x[train_idx], train_x[val_idx]
    if args.standardize and mean is None:
        mean, std = standardize_statistics(x_train)
    if mean is not None:
        divisor = np.where(std == 0, np.float32(1), std)
        x_train, x_val, test_x = [((t - mean) / divisor).astype(np.float32) for t in (x_train, x_val, test_x)]
    x_train, x_val, test_x = [torch.from_numpy(np.ascontiguousarray(t, dtype=np.float32)) for t in (x_train, x_val, test_x)]
    y_train, y_val, y_test = torch.from_numpy(train_y[train_idx]), torch.from_numpy(train_y[val_idx]), torch.from_numpy(test_y)
    preprocessing = written or ({} if mean is None else {"mean": torch.from_numpy(mean), "std": torch.from_numpy(std)},
                                {"scale": "none" if scale is None else repr(float(scale)).rstrip("0").rstrip(".")})
    return (x_train, y_train), (x_val, y_val), (test_x, y_test), preprocessing


def run(args, rank, world):
    torch.set_num_threads(args.threads)
    device = torch.device(f"cuda:{rank % torch.cuda.device_count()}" if args.device == "cuda" else "cpu")
    (x_train, y_train), (x_val, y_val), (test_x, y_test), preprocessing = prepare_data(args)
    net = load_weights(args.weights).to(device)
    if world > 1:
        dist.init_process_group(args.backend or ("nccl" if args.device == "cuda" else "gloo"),
                                init_method=f"tcp://{args.master_addr}:{args.master_port}", rank=rank, world_size=world)
    net.train()
    if world > 1:
        net_ddp = torch.nn.parallel.DistributedDataParallel(net, device_ids=[device.index] if device.type == "cuda" else None)
    else:
        net_ddp = net
    optimizer = make_optimizer(args, net.parameters())
    if args.optimizer_state is not None:
        state, steps, note = read_optimizer_state(args, net)
        if note is not None and rank == 0:
            print(note, file=sys.stderr, flush=True)
        if state is not None:
            load_optimizer_state(optimizer, net, state, steps)
    # The weights are those after the epochs Backprop did, with or without the optimiser's state: the schedule and
    # early stopping go on from there.
    first_epoch = RECIPE["epochs_done"]
    best = RECIPE["best_validation_loss"] if RECIPE["best_validation_loss"] is not None else math.inf
    without_improvement = RECIPE["epochs_without_improvement"]
    if rank == 0:
        print(f"training {sum(p.numel() for p in net.parameters()):,} parameters on {len(x_train):,} examples "
              f"(validation {len(x_val):,}, test {len(test_x):,}), {args.optimizer} lr {args.lr}, batch {args.batch_size}, "
              f"seed {args.seed}, {world} process{'es' if world > 1 else ''}, epochs {first_epoch + 1}..{args.epochs}", flush=True)

    metrics, step = [], 0
    for epoch in range(first_epoch, args.epochs):
        started = time.time()
        for group in optimizer.param_groups:
            group["lr"] = learning_rate(args, epoch)
        order = permute(len(x_train), Rng(epoch_seed(args.seed, epoch)))
        rng = Rng(epoch_seed(args.seed ^ AUGMENTATION_STREAM, epoch)) if (args.flip or args.shift > 0) else None
        net.train()
        total, correct = torch.zeros(2, dtype=torch.float64), 0
        for start in range(0, len(order), args.batch_size):
            batch = order[start:start + args.batch_size]
            xb = x_train[batch].clone()
            yb = y_train[batch]
            if rng is not None:
                augment(xb, rng, args.flip, args.shift)  # every rank draws the whole batch's augmentation: same stream
            # this rank's consecutive part of the global batch
            lo, hi = len(batch) * rank // world, len(batch) * (rank + 1) // world
            weight = 1.0
            if hi == lo:  # fewer examples than ranks: take one with weight 0, so that every rank joins the all-reduce
                lo, hi, weight = 0, 1, 0.0
            xr, yr = xb[lo:hi].to(device), yb[lo:hi].to(device)
            optimizer.zero_grad(set_to_none=False)
            out = net_ddp(xr)
            summed = loss_sum(args, out, yr)
            (summed * (weight * world / len(batch))).backward()
            optimizer.step()
            step += 1
            value = float(summed) * weight
            right = int((out.argmax(dim=1) == yr).sum()) if weight else 0
            if world > 1:
                both = torch.tensor([value, float(right)], dtype=torch.float64, device=device)
                dist.all_reduce(both)
                value, right = float(both[0]), int(both[1])
            if args.print_steps and step <= args.print_steps and rank == 0:
                print(f"step {step} (epoch {epoch + 1}) loss {value / len(batch):.9g} lr {optimizer.param_groups[0]['lr']!r}", flush=True)
            total[0] += value
            correct += right
        train_loss, train_acc = float(total[0]) / len(x_train), correct / len(x_train)
        # validation in batches of --batch-size, as Backprop's training evaluates it
        val_loss, val_acc = evaluate(args, net, x_val, y_val, device, args.batch_size)
        seconds = time.time() - started
        metrics.append((epoch + 1, learning_rate(args, epoch), train_loss, train_acc, val_loss, val_acc, seconds))
        if rank == 0:
            print(f"epoch {epoch + 1}/{args.epochs}: lr {learning_rate(args, epoch):.6g} train loss {train_loss:.6f} acc {train_acc:.4f}"
                  f"  val loss {val_loss:.6f} acc {val_acc:.4f}  {seconds:.1f}s", flush=True)
        # Early stopping as Backprop's: stop when the validation loss has not improved for --patience epochs (never
        # after the last epoch); the weights are the last epoch's, not the best one's.
        if len(x_val) > 0 and val_loss < best:
            best, without_improvement = val_loss, 0
        else:
            without_improvement += 1
        stop = args.patience is not None and len(x_val) > 0 and without_improvement >= args.patience and epoch + 1 < args.epochs
        if world > 1:  # rank 0 decides for all, so that no rank waits for a step the others do not take
            decision = torch.tensor([int(stop)], device=device)
            dist.broadcast(decision, 0)
            stop = bool(decision[0])
        if stop:
            if rank == 0:
                print(f"early stopping: no improvement of the validation loss for {args.patience} epochs", flush=True)
            break

    # the test figures in the batches of `backprop eval`, so that eval on the folder written below gives them
    test_loss, test_acc = evaluate(args, net, test_x, y_test, device, RECIPE["evaluation_batch_size"])
    state = {k: v.detach().cpu() for k, v in net.state_dict().items()}
    digest = __import__("hashlib").sha256(b"".join(t.numpy().tobytes() for t in state.values())).hexdigest()
    # Every rank prints this line, so it goes out in one write: print() writes the text and the newline separately,
    # and two ranks sharing a pipe interleaved them ("...rank 0: ...aerank 1: ...").
    sys.stdout.flush()
    os.write(sys.stdout.fileno(), f"rank {rank}: weights sha256 {digest}\n".encode())
    if rank == 0:
        print(f"test loss {test_loss:.6f} accuracy {test_acc:.4f} ({int(round(test_acc * len(test_x)))}/{len(test_x)})", flush=True)
        os.makedirs(args.out, exist_ok=True)
        exported.save_safetensors(os.path.join(args.out, "model.safetensors"), state, {"format": "pt"})
        with open(os.path.join(HERE, "model.json"), "rb") as f:
            architecture = f.read()
        with open(os.path.join(args.out, "model.json"), "wb") as f:
            f.write(architecture)
        exported.save_safetensors(os.path.join(args.out, "preprocessing.safetensors"), *preprocessing)
        with open(os.path.join(args.out, "metrics.csv"), "w") as f:
            f.write("epoch,learning_rate,train_loss,train_accuracy,validation_loss,validation_accuracy,seconds\n")
            for m in metrics:
                f.write(",".join(repr(v) if isinstance(v, float) else str(v) for v in m[:-1]) + f",{m[-1]:.3f}\n")
        print(f"wrote {args.out}: model.json, model.safetensors, preprocessing.safetensors, metrics.csv", flush=True)
    if world > 1:
        dist.barrier()
        dist.destroy_process_group()


def load_weights(path):
    """model.py's network with the weights of path, strict=True; a file that does not fit is refused in one line."""
    return from_safetensors(path, exported.load)


def _spawned(local, args):
    run(args, args.rank + local, args.world_size)


def main(argv=None):
    try:
        args = parse_arguments(argv)
        if args.nproc and args.nproc > 1:
            # The checks of the data and weights run here, once: a dataset that does not fit is one line and exit
            # code 2, rather than a failure in each rank.
            prepare_data(args)
            net = load_weights(args.weights)
            if args.optimizer_state is not None:
                read_optimizer_state(args, net)
            torch.multiprocessing.spawn(_spawned, args=(args,), nprocs=args.nproc, join=True)
        else:
            run(args, args.rank, args.world_size)
    except Refused as e:
        sys.stderr.write(f"error: {e}\n")
        sys.exit(2)


def parse_arguments(argv):
    """The options (each defaulting to the run's), checked as `backprop train` checks them."""
    options = RECIPE["options"]
    p = ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--epochs", type=int, default=RECIPE["epochs"], help="total epochs, counting those Backprop did (default %(default)s)")
    p.add_argument("--batch-size", type=int, default=options["batch_size"], help="global batch size (default %(default)s)")
    p.add_argument("--optimizer", default=options["optimizer"], choices=["sgd", "adam", "adamw"],
                   help="(default %(default)s); another optimiser than the run's starts with a fresh state")
    p.add_argument("--lr", type=float, default=None,
                   help=f"learning rate (default: {options['lr']!r} with {options['optimizer']}, the run's; otherwise backprop train's default "
                        f"for the optimiser: {', '.join(f'{k} {v!r}' for k, v in RECIPE['default_lr'].items())})")
    p.add_argument("--momentum", type=float, default=options["momentum"])
    p.add_argument("--nesterov", action=argparse.BooleanOptionalAction, default=options["nesterov"])
    p.add_argument("--weight-decay", type=float, default=options["weight_decay"])
    p.add_argument("--schedule", default=options["schedule"], choices=["constant", "step", "cosine"])
    p.add_argument("--loss", default=options["loss"], choices=["cross_entropy", "multiclass_perceptron"])
    p.add_argument("--label-smoothing", type=float, default=options["label_smoothing"])
    p.add_argument("--seed", type=int, default=options["seed"])
    p.add_argument("--validation", type=float, default=options["validation"])
    p.add_argument("--patience", type=int, default=options["patience"],
                   help="stop after this many epochs without a better validation loss, as backprop train (default %(default)s: never)")
    p.add_argument("--standardize", action=argparse.BooleanOptionalAction, default=None,
                   help="standardise the features (default: as the model's preprocessing.safetensors, which is used as it is; the run's without one)")
    p.add_argument("--flip", action=argparse.BooleanOptionalAction, default=options["flip"])
    p.add_argument("--shift", type=int, default=options["shift"])
    p.add_argument("--limit", type=int, default=options["limit"], help="use only the first N training examples (default %(default)s: all)")
    p.add_argument("--dataset", default=RECIPE["dataset"], help="fashion-mnist, idx:DIR or csv:TRAIN,TEST (default %(default)s)")
    p.add_argument("--label-column", default=options["label_column"])
    p.add_argument("--weights", default=os.path.join(HERE, "model.safetensors"))
    p.add_argument("--optimizer-state", default=None,
                   help="Backprop's optimiser state (default: optimizer.safetensors beside this file, when it exists)")
    p.add_argument("--out", default=os.path.join(HERE, "trained"))
    p.add_argument("--nproc", type=int, default=None, help="start this many ranks here: --rank, --rank+1, ...")
    p.add_argument("--rank", type=int, default=None, help="this process's rank (the first one with --nproc)")
    p.add_argument("--world-size", type=int, default=None)
    p.add_argument("--master-addr", default=None)
    p.add_argument("--master-port", type=int, default=None)
    p.add_argument("--backend", default=None, help="gloo (default on CPUs) or nccl (default with --device cuda)")
    p.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    p.add_argument("--threads", type=int, default=None, help="threads per rank (default: the cores shared out among this machine's ranks)")
    p.add_argument("--print-steps", type=int, default=0, help="print the loss of the first N steps")
    args = p.parse_args(argv)

    if args.lr is None:  # as `backprop train`: the run's rate goes with the run's optimiser
        args.lr = options["lr"] if args.optimizer == options["optimizer"] else RECIPE["default_lr"][args.optimizer]
    # The model's preprocessing goes with it: --standardize follows it, and may not contradict it.
    beside = os.path.join(HERE, "preprocessing.safetensors")
    args.preprocessing = beside if os.path.exists(beside) else None
    standardized = options["standardize"] if args.preprocessing is None else from_safetensors(args.preprocessing, exported.preparation)[1] is not None
    asked, args.standardize = args.standardize, standardized if args.standardize is None else args.standardize
    check_options(args)
    if args.preprocessing is not None and asked is not None and asked != standardized:
        raise Refused(f"--standardize: the model's preprocessing ({args.preprocessing}) has no mean and std; it belongs to the model, "
                      f"and train.py uses it as it is" if asked else
                      f"--no-standardize: the model's preprocessing ({args.preprocessing}) standardises with its mean and std; it belongs "
                      f"to the model, and train.py uses it as it is")
    if args.epochs < RECIPE["epochs_done"]:
        raise Refused(f"--epochs: {args.epochs} is fewer than the {RECIPE['epochs_done']} epochs Backprop has done; give the total, counting those")
    if args.optimizer_state is None:
        beside = os.path.join(HERE, "optimizer.safetensors")
        args.optimizer_state = beside if os.path.exists(beside) else None
    elif not os.path.exists(args.optimizer_state):
        raise Refused(f"--optimizer-state: {args.optimizer_state}: file not found")

    # torchrun's variables where the options are not given
    args.rank = args.rank if args.rank is not None else environment_integer("RANK", 0)
    args.master_addr = args.master_addr or os.environ.get("MASTER_ADDR", "127.0.0.1")
    port_source = "--master-port" if args.master_port is not None else "MASTER_PORT"
    args.master_port = args.master_port if args.master_port is not None else environment_integer("MASTER_PORT", 29500)
    if not 1 <= args.master_port <= 65535:
        raise Refused(f"{port_source}: expected a port in 1..65535, got {args.master_port}")
    if args.nproc is not None and args.nproc < 1:
        raise Refused(f"--nproc: expected at least 1, got {args.nproc}")
    if args.threads is not None and args.threads < 1:
        raise Refused(f"--threads: expected at least 1, got {args.threads}")
    local = args.nproc or 1
    args.world_size = args.world_size or environment_integer("WORLD_SIZE", 0) or local
    args.threads = args.threads or max(1, (os.cpu_count() or 1) // max(local, environment_integer("LOCAL_WORLD_SIZE", 1)))
    if args.rank < 0 or args.rank + local > args.world_size:
        raise Refused(f"--rank {args.rank} with {local} process(es) goes past --world-size {args.world_size}")
    return args


if __name__ == "__main__":
    main()
