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

The recipe is Backprop's: the same loss, optimiser (and its state), learning-rate schedule, batch size, seed, the
same seeded validation split and epoch orders (Backprop's xoshiro256** generator and Fisher-Yates, ported below),
the same scaling, standardisation and augmentation. With W ranks every global batch of --batch-size examples is cut
into W consecutive parts, one per rank, and each rank's loss is scaled so that DistributedDataParallel's average of
the gradients is the gradient of the whole batch's mean loss: the same step as one process, up to rounding (batch
normalisation normalises over each rank's part; dropout draws from PyTorch's generator, not Backprop's).
"""
import argparse
import csv
import gzip
import json
import math
import os
import struct
import sys
import time

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


# ---------------------------------------------------------------- data, as Backprop's DatasetSource reads it

def read_idx(path):
    opener = gzip.open if open(path, "rb").read(2) == b"\x1f\x8b" else open
    with opener(path, "rb") as f:
        data = f.read()
    if len(data) < 4 or data[0] != 0 or data[1] != 0:
        raise SystemExit(f"{path}: not an IDX file")
    kinds = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}
    if data[2] not in kinds:
        raise SystemExit(f"{path}: IDX type 0x{data[2]:02x} is not supported")
    dims = data[3]
    shape = struct.unpack_from(f">{dims}I", data, 4)
    return np.frombuffer(data, dtype=kinds[data[2]], offset=4 + 4 * dims, count=int(np.prod(shape))).reshape(shape).astype(np.float32)


def find_idx(directory, split, kind, dims):
    for prefix in (["train"] if split == "train" else ["t10k", "test"]):
        for separator in ("-", "."):
            for suffix in ("", ".gz"):
                path = os.path.join(directory, f"{prefix}-{kind}{separator}idx{dims}-ubyte{suffix}")
                if os.path.exists(path):
                    return path
    return None


def load_idx(directory, classes=None):
    splits = {}
    for split in ("train", "test"):
        images, labels = find_idx(directory, split, "images", 3), find_idx(directory, split, "labels", 1)
        if images is None or labels is None:
            raise SystemExit(f"{directory}: the {split} images or labels are missing (train-images-idx3-ubyte[.gz], ...)")
        x, y = read_idx(images), read_idx(labels).astype(np.int64)
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


def load_csv(paths, label_column):
    tables = []
    for path in paths:
        opener = gzip.open if open(path, "rb").read(2) == b"\x1f\x8b" else open
        with opener(path, "rt", newline="") as f:
            rows = [[c.strip() for c in row] for row in csv.reader(f, skipinitialspace=True) if row]
        header, body = rows[0], rows[1:]
        if label_column not in header:
            raise SystemExit(f"{path}: no column '{label_column}' (use --label-column)")
        k = header.index(label_column)
        x = np.array([[float(c) for j, c in enumerate(r) if j != k] for r in body], dtype=np.float32)
        tables.append((x, [r[k] for r in body]))
    mapping, classes = _labels_to_classes([v for _, labels in tables for v in labels])
    out = [(x, np.array([mapping[v] for v in labels], dtype=np.int64)) for x, labels in tables]
    return out[0], (out[1] if len(out) > 1 else (out[0][0][:0], out[0][1][:0])), classes


def load_dataset(spec, label_column):
    if spec.startswith("csv:"):
        return load_csv(spec[4:].split(","), label_column or "label"), None
    if spec in ("", "fashion-mnist"):
        return load_idx("/usr/share/datasets/fashion-mnist", classes=10), 255.0
    if spec.startswith("idx:"):
        return load_idx(spec[4:]), 255.0
    raise SystemExit(f"unknown dataset '{spec}'; expected fashion-mnist, idx:DIR, csv:TRAIN or csv:TRAIN,TEST")


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
    if args.optimizer == "adamw":
        return torch.optim.AdamW(parameters, lr=args.lr, weight_decay=args.weight_decay)
    raise SystemExit(f"--optimizer: unknown optimizer '{args.optimizer}'")


def load_optimizer_state(optimizer, net, path):
    """Backprop's optimiser state ("0.weight.momentum_buffer", "0.weight.exp_avg", ...) into torch.optim's per-parameter state."""
    tensors, metadata = exported.load_safetensors(path)
    steps = int(metadata.get("step", "0"))
    for name, p in net.named_parameters():
        state = optimizer.state[p]
        for key in ("momentum_buffer", "exp_avg", "exp_avg_sq"):
            if f"{name}.{key}" in tensors:
                state[key] = tensors[f"{name}.{key}"].to(p.dtype).to(p.device).clone()
        if "exp_avg" in state:
            state["step"] = torch.tensor(float(steps))
    return steps


def loss_sum(args, logits, y):
    """The sum over the examples of the loss (the mean is taken over the global batch by the caller)."""
    if args.loss == "cross_entropy":
        return F.cross_entropy(logits, y, reduction="sum", label_smoothing=args.label_smoothing)
    if args.loss == "multiclass_perceptron":
        true = logits.gather(1, y[:, None])
        others = logits.scatter(1, y[:, None], float("-inf"))
        return torch.clamp(others.max(dim=1, keepdim=True).values - true, min=0).sum()
    raise SystemExit(f"--loss: '{args.loss}' is not a classification loss train.py knows")


def evaluate(args, net, x, y, device):
    """Mean plain loss (cross-entropy without smoothing) and accuracy, in evaluation mode."""
    if len(x) == 0:
        return float("nan"), float("nan")
    net.eval()
    total, correct = 0.0, 0
    smoothing, args.label_smoothing = args.label_smoothing, 0.0
    with torch.no_grad():
        for start in range(0, len(x), args.batch_size):
            xb, yb = x[start:start + args.batch_size].to(device), y[start:start + args.batch_size].to(device)
            out = net(xb)
            total += float(loss_sum(args, out, yb))
            correct += int((out.argmax(dim=1) == yb).sum())
    args.label_smoothing = smoothing
    return total / len(x), correct / len(x)


def run(args, rank, world):
    torch.set_num_threads(args.threads)
    device = torch.device(f"cuda:{rank % torch.cuda.device_count()}" if args.device == "cuda" else "cpu")
    if world > 1:
        dist.init_process_group(args.backend or ("nccl" if args.device == "cuda" else "gloo"),
                                init_method=f"tcp://{args.master_addr}:{args.master_port}", rank=rank, world_size=world)

    ((train_x, train_y), (test_x, test_y), classes), scale = load_dataset(args.dataset, args.label_column)
    if args.limit is not None and args.limit < len(train_x):
        train_x, train_y = train_x[:args.limit], train_y[:args.limit]
    train_idx, val_idx = split(len(train_x), args.validation, args.seed)
    # numpy's element-wise IEEE division and subtraction, as Backprop's (torch divides by a scalar through its reciprocal)
    if scale is not None:
        train_x, test_x = train_x / np.float32(scale), test_x / np.float32(scale)
    x_train, x_val = train_x[train_idx], train_x[val_idx]
    mean = std = None
    if args.standardize:
        m, s = standardize_statistics(x_train)
        divisor = np.where(s == 0, np.float32(1), s)
        x_train, x_val, test_x = [((t - m) / divisor).astype(np.float32) for t in (x_train, x_val, test_x)]
        mean, std = torch.from_numpy(m), torch.from_numpy(s)
    x_train, x_val, test_x = [torch.from_numpy(np.ascontiguousarray(t, dtype=np.float32)) for t in (x_train, x_val, test_x)]
    y_train, y_val, y_test = torch.from_numpy(train_y[train_idx]), torch.from_numpy(train_y[val_idx]), torch.from_numpy(test_y)

    net = exported.load(args.weights).to(device)
    net.train()
    if world > 1:
        net_ddp = torch.nn.parallel.DistributedDataParallel(net, device_ids=[device.index] if device.type == "cuda" else None)
    else:
        net_ddp = net
    optimizer = make_optimizer(args, net.parameters())
    first_epoch = 0
    if args.optimizer_state and os.path.exists(args.optimizer_state):
        load_optimizer_state(optimizer, net, args.optimizer_state)
        first_epoch = RECIPE["epochs_done"]
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
                both = torch.tensor([value, float(right)], dtype=torch.float64)
                dist.all_reduce(both)
                value, right = float(both[0]), int(both[1])
            if args.print_steps and step <= args.print_steps and rank == 0:
                print(f"step {step} (epoch {epoch + 1}) loss {value / len(batch):.9g} lr {optimizer.param_groups[0]['lr']!r}", flush=True)
            total[0] += value
            correct += right
        train_loss, train_acc = float(total[0]) / len(x_train), correct / len(x_train)
        val_loss, val_acc = evaluate(args, net, x_val, y_val, device)
        seconds = time.time() - started
        metrics.append((epoch + 1, learning_rate(args, epoch), train_loss, train_acc, val_loss, val_acc, seconds))
        if rank == 0:
            print(f"epoch {epoch + 1}/{args.epochs}: lr {learning_rate(args, epoch):.6g} train loss {train_loss:.6f} acc {train_acc:.4f}"
                  f"  val loss {val_loss:.6f} acc {val_acc:.4f}  {seconds:.1f}s", flush=True)

    test_loss, test_acc = evaluate(args, net, test_x, y_test, device)
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
        prep = {} if mean is None else {"mean": mean, "std": std}
        exported.save_safetensors(os.path.join(args.out, "preprocessing.safetensors"), prep,
                                  {"scale": "none" if scale is None else repr(float(scale)).rstrip("0").rstrip(".")})
        with open(os.path.join(args.out, "metrics.csv"), "w") as f:
            f.write("epoch,learning_rate,train_loss,train_accuracy,validation_loss,validation_accuracy,seconds\n")
            for m in metrics:
                f.write(",".join(repr(v) if isinstance(v, float) else str(v) for v in m[:-1]) + f",{m[-1]:.3f}\n")
        print(f"wrote {args.out}: model.json, model.safetensors, preprocessing.safetensors, metrics.csv", flush=True)
    if world > 1:
        dist.barrier()
        dist.destroy_process_group()


def _spawned(local, args):
    run(args, args.rank + local, args.world_size)


def main(argv=None):
    options = RECIPE["options"]
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--epochs", type=int, default=RECIPE["epochs"], help="total epochs, counting those Backprop did (default %(default)s)")
    p.add_argument("--batch-size", type=int, default=options["batch_size"], help="global batch size (default %(default)s)")
    p.add_argument("--optimizer", default=options["optimizer"], choices=["sgd", "adam", "adamw"])
    p.add_argument("--lr", type=float, default=options["lr"])
    p.add_argument("--momentum", type=float, default=options["momentum"])
    p.add_argument("--nesterov", action=argparse.BooleanOptionalAction, default=options["nesterov"])
    p.add_argument("--weight-decay", type=float, default=options["weight_decay"])
    p.add_argument("--schedule", default=options["schedule"], choices=["constant", "step", "cosine"])
    p.add_argument("--loss", default=options["loss"])
    p.add_argument("--label-smoothing", type=float, default=options["label_smoothing"])
    p.add_argument("--seed", type=int, default=options["seed"])
    p.add_argument("--validation", type=float, default=options["validation"])
    p.add_argument("--standardize", action=argparse.BooleanOptionalAction, default=options["standardize"])
    p.add_argument("--flip", action=argparse.BooleanOptionalAction, default=options["flip"])
    p.add_argument("--shift", type=int, default=options["shift"])
    p.add_argument("--limit", type=int, default=options["limit"], help="use only the first N training examples")
    p.add_argument("--dataset", default=RECIPE["dataset"], help="fashion-mnist, idx:DIR, csv:TRAIN or csv:TRAIN,TEST")
    p.add_argument("--label-column", default=options["label_column"])
    p.add_argument("--weights", default=os.path.join(HERE, "model.safetensors"))
    p.add_argument("--optimizer-state", default=os.path.join(HERE, "optimizer.safetensors"),
                   help="Backprop's optimiser state; continues from epoch epochs_done+1 when the file exists (default %(default)s)")
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

    env = os.environ
    args.rank = args.rank if args.rank is not None else int(env.get("RANK", "0"))
    args.master_addr = args.master_addr or env.get("MASTER_ADDR", "127.0.0.1")
    args.master_port = args.master_port or int(env.get("MASTER_PORT", "29500"))
    local = args.nproc or 1
    args.world_size = args.world_size or int(env.get("WORLD_SIZE", "0")) or local
    args.threads = args.threads or max(1, (os.cpu_count() or 1) // max(local, int(env.get("LOCAL_WORLD_SIZE", "1"))))
    if args.rank + local > args.world_size:
        raise SystemExit(f"--rank {args.rank} with {local} process(es) goes past --world-size {args.world_size}")
    if args.batch_size < 1 or args.epochs < 1:
        raise SystemExit("--batch-size and --epochs must be at least 1")
    if args.nproc and args.nproc > 1:
        torch.multiprocessing.spawn(_spawned, args=(args,), nprocs=args.nproc, join=True)
    else:
        run(args, args.rank, args.world_size)


if __name__ == "__main__":
    main()
