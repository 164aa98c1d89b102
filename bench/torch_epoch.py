"""PyTorch's side of bench/run.sh: one timed training epoch of Backprop's built-in mlp, cnn or vgg on Fashion-MNIST.

    /usr/bin/python3 bench/torch_epoch.py mlp|cnn|vgg [--threads 2] [--batch-size 128] [--lr 0.05] [--momentum 0.9]

The same work as `Backprop.Benchmarks epoch`: the 60,000 training images scaled by 1/255, shuffled once per epoch,
batches of 128, SGD with momentum; each step copies its batch, zeroes the gradients, runs forward, cross-entropy,
backward and the optimiser step, and reads the loss and the number of correct predictions (as Backprop's
Trainer.TrainEpoch does). A warm-up on a slice of 2,048 images comes first; only the full epoch's loop is timed.
Prints one line: `torch ARCH threads T epoch_seconds S loss L accuracy A openblas_core K torch_version V`.

    /usr/bin/python3 bench/torch_epoch.py vgg --recipe 15

runs `backprop train`'s whole default recipe instead (15 epochs, 6,000 images held out, cosine schedule, evaluation
mode for validation and test), for the accuracy side of the comparison (docs/performance.md).
"""
import argparse
import ctypes
import gzip
import math
import os
import time

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

DATA = "/usr/share/datasets/fashion-mnist"


def openblas_core():
    """The kernel OpenBLAS picked (torch's BLAS here is Debian's libopenblas0-pthread, as libblas.so.3)."""
    try:
        f = ctypes.CDLL("/usr/lib/x86_64-linux-gnu/libblas.so.3").openblas_get_corename
        f.restype = ctypes.c_char_p
        return f().decode()
    except (OSError, AttributeError):
        return "unknown"


def read_idx(path):
    """An IDX file (gzip) as a numpy array: magic (0, 0, type, dims), big-endian sizes, then the data."""
    with gzip.open(path, "rb") as f:
        raw = f.read()
    dims = raw[3]
    shape = tuple(int.from_bytes(raw[4 + 4 * i:8 + 4 * i], "big") for i in range(dims))
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)


def build(arch):
    if arch == "mlp":
        return nn.Sequential(nn.Flatten(), nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 128), nn.ReLU(), nn.Linear(128, 10))
    if arch == "vgg":
        def block(cin, cout):
            return [nn.Conv2d(cin, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU()]
        return nn.Sequential(
            *block(1, 32), *block(32, 32), nn.MaxPool2d(2),
            *block(32, 64), *block(64, 64), nn.MaxPool2d(2),
            nn.Flatten(), nn.Linear(3136, 128), nn.ReLU(), nn.Dropout(0.5), nn.Linear(128, 10))
    return nn.Sequential(
        nn.Conv2d(1, 16, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(16, 32, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(1568, 10))


def epoch(model, opt, x, y, batch, generator):
    order = torch.randperm(x.shape[0], generator=generator)
    loss_sum, correct = 0.0, 0
    for start in range(0, x.shape[0], batch):
        idx = order[start:start + batch]
        xb, yb = x[idx], y[idx]
        opt.zero_grad()
        out = model(xb)
        loss = F.cross_entropy(out, yb)
        loss.backward()
        opt.step()
        loss_sum += loss.item() * xb.shape[0]
        correct += int((out.argmax(1) == yb).sum())
    return loss_sum / x.shape[0], correct / x.shape[0]


def accuracy(model, x, y, batch=1000):
    """Loss and accuracy in evaluation mode (running statistics, no dropout), as `backprop train` reports them."""
    model.eval()
    loss_sum, correct = 0.0, 0
    with torch.no_grad():
        for start in range(0, x.shape[0], batch):
            out = model(x[start:start + batch])
            loss_sum += float(F.cross_entropy(out, y[start:start + batch], reduction="sum"))
            correct += int((out.argmax(1) == y[start:start + batch]).sum())
    model.train()
    return loss_sum / x.shape[0], correct / x.shape[0]


def recipe(a, x, y):
    """`backprop train`'s defaults in full: 10% held out for validation (seeded), SGD with momentum, the learning rate
    on a cosine per epoch (lr·(1 + cos(π·e/E))/2 for epoch e = 0..E−1), training mode for the steps, evaluation mode for
    validation and test; one line per epoch and a closing line with the test accuracy and the median epoch time."""
    g = torch.Generator().manual_seed(0)
    order = torch.randperm(x.shape[0], generator=g)
    n_val = x.shape[0] // 10
    xv, yv, xt, yt = x[order[:n_val]], y[order[:n_val]], x[order[n_val:]], y[order[n_val:]]
    images = read_idx(os.path.join(DATA, "t10k-images-idx3-ubyte.gz"))
    labels = read_idx(os.path.join(DATA, "t10k-labels-idx1-ubyte.gz"))
    x_test = torch.from_numpy(images.astype(np.float32) / np.float32(255)).reshape(-1, 1, 28, 28)
    y_test = torch.from_numpy(labels.astype(np.int64))
    model = build(a.arch)
    opt = torch.optim.SGD(model.parameters(), lr=a.lr, momentum=a.momentum)
    times = []
    for e in range(a.epochs):
        lr = a.lr * (1 + math.cos(math.pi * e / a.epochs)) / 2
        for group in opt.param_groups:
            group["lr"] = lr
        t0 = time.perf_counter()
        loss, acc = epoch(model, opt, xt, yt, a.batch_size, g)
        times.append(time.perf_counter() - t0)
        vloss, vacc = accuracy(model, xv, yv)
        print(f"epoch {e + 1}/{a.epochs}: train loss {loss:.4f} acc {acc:.4f} | validation loss {vloss:.4f} acc {vacc:.4f} "
              f"| lr {lr:.4g} | {times[-1]:.1f}s", flush=True)
    tloss, tacc = accuracy(model, x_test, y_test)
    times.sort()
    print(f"torch {a.arch} threads {torch.get_num_threads()} recipe_epochs {a.epochs} median_epoch_seconds "
          f"{times[len(times) // 2]:.3f} validation_accuracy {vacc:.4f} test_loss {tloss:.4f} test_accuracy {tacc:.4f} "
          f"torch_version {torch.__version__}", flush=True)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("arch", choices=["mlp", "cnn", "vgg"])
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--batch-size", type=int, default=128)
    p.add_argument("--lr", type=float, default=0.05)
    p.add_argument("--momentum", type=float, default=0.9)
    p.add_argument("--limit", type=int, default=None, help="train on the first N images only")
    p.add_argument("--recipe", type=int, default=None, metavar="EPOCHS",
                   help="instead of one timed epoch: train's whole default recipe for EPOCHS epochs (validation split, cosine, test accuracy)")
    a = p.parse_args()

    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    images = read_idx(os.path.join(DATA, "train-images-idx3-ubyte.gz"))
    labels = read_idx(os.path.join(DATA, "train-labels-idx1-ubyte.gz"))
    if a.limit:
        images, labels = images[:a.limit], labels[:a.limit]
    x = torch.from_numpy(images.astype(np.float32) / np.float32(255)).reshape(-1, 1, 28, 28)
    y = torch.from_numpy(labels.astype(np.int64))

    if a.recipe:
        a.epochs = a.recipe
        recipe(a, x, y)
        return

    model = build(a.arch)
    opt = torch.optim.SGD(model.parameters(), lr=a.lr, momentum=a.momentum)
    g = torch.Generator().manual_seed(0)
    epoch(model, opt, x[:2048], y[:2048], a.batch_size, g)  # warm-up: allocator, oneDNN primitives, thread pool

    t0 = time.perf_counter()
    loss, acc = epoch(model, opt, x, y, a.batch_size, g)
    seconds = time.perf_counter() - t0
    print(f"torch {a.arch} threads {torch.get_num_threads()} epoch_seconds {seconds:.3f} loss {loss:.4f} accuracy {acc:.4f} "
          f"openblas_core {openblas_core()} torch_version {torch.__version__}", flush=True)


if __name__ == "__main__":
    main()
