"""numpy/OpenBLAS reference for the GEMM benchmark, timed the same way as Program.cs (fastest of ~10 ms samples over
about 1.5 s per case). Run with the system python and without this machine's OpenBLAS overrides, e.g.
    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE /usr/bin/python3 bench/Backprop.Benchmarks/openblas_gemm.py
"""
import ctypes
import ctypes.util
import time

import numpy as np


def blas_info():
    """Which OpenBLAS kernel numpy's BLAS runs (what threadpoolctl would report), when the library says so."""
    for name in ("/usr/lib/x86_64-linux-gnu/libblas.so.3", ctypes.util.find_library("openblas")):
        if not name:
            continue
        try:
            lib = ctypes.CDLL(name)
        except OSError:
            continue
        out = []
        for fn in ("openblas_get_config", "openblas_get_corename"):
            f = getattr(lib, fn, None)
            if f is not None:
                f.restype = ctypes.c_char_p
                out.append(f"{fn}: {f().decode()}")
        f = getattr(lib, "openblas_get_num_threads", None)
        if f is not None:
            out.append(f"threads: {f()}")
        if out:
            return "; ".join(out)
    return "not OpenBLAS, or no way to ask it"


def seconds_per_call(op, budget=1.5):
    op()
    t0 = time.perf_counter()
    reps = 0
    while time.perf_counter() - t0 < 0.02:
        op()
        reps += 1
    reps = max(1, int(reps * 0.01 / (time.perf_counter() - t0)))
    best = float("inf")
    start = time.perf_counter()
    while time.perf_counter() - start < budget:
        t = time.perf_counter()
        for _ in range(reps):
            op()
        best = min(best, (time.perf_counter() - t) / reps)
    return best


def gflops(n, dtype, ta=False, tb=False):
    rng = np.random.default_rng(1)
    a = rng.uniform(-1, 1, (n, n)).astype(dtype)
    b = rng.uniform(-1, 1, (n, n)).astype(dtype)
    # a.T and b.T are views (Fortran order): numpy hands BLAS the transpose flags, no copy.
    x = a.T if ta else a
    y = b.T if tb else b
    c = np.empty((n, n), dtype)
    s = seconds_per_call(lambda: np.matmul(x, y, out=c))
    return 2.0 * n ** 3 / s / 1e9


import sys

print(f"numpy {np.__version__}; {blas_info()}")
if "--sgemm" in sys.argv:  # bench/run.sh: square SGEMM only
    for n in (256, 512, 1024, 2048):
        print(f"SGEMM n={n:4} NN {gflops(n, np.float32):7.1f} GFLOP/s")
    sys.exit(0)
for n in (256, 512, 1024, 2048):
    print(f"SGEMM n={n:4} NN {gflops(n, np.float32):7.1f} GFLOP/s")
    print(f"DGEMM n={n:4} NN {gflops(n, np.float64):7.1f} GFLOP/s")
for ta, tb in ((False, False), (False, True), (True, False), (True, True)):
    name = ("T" if ta else "N") + ("T" if tb else "N")
    print(f"SGEMM n=1024 {name} {gflops(1024, np.float32, ta, tb):7.1f} GFLOP/s")
    print(f"DGEMM n=1024 {name} {gflops(1024, np.float64, ta, tb):7.1f} GFLOP/s")
