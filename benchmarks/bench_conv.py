"""Convolution and pooling speed: tinygrad_cnn vs PyTorch CPU, forward + backward.

    python benchmarks/bench_conv.py            # full table (about 1 minute on 2 idle cores)
    python benchmarks/bench_conv.py --repeats 3 --markdown
    BENCH_THREADS=1 python benchmarks/bench_conv.py   # single-threaded numpy and torch

For every case: the median (over ``--repeats`` runs, after a warm-up) of one
forward + backward pass, effective GFLOP/s (convolutions: 3 x the forward
multiply-adds x 2 -- forward, input gradient, weight gradient) and the ratio
to PyTorch run in the same process with the same number of threads (when
torch is installed). Ours and PyTorch's runs alternate, so background load
hits both alike. Finally, the peak memory of one conv fwd+bwd, measured with
tracemalloc (numpy reports its buffers to it), against the unavoidable
input + output + weight, their gradients and one whole-batch im2col buffer.
"""
import argparse
import os
import sys

# Passive OpenMP threads: PyTorch's spinning workers would otherwise steal the
# cores from numpy's BLAS between calls. Must be set before numpy/torch load.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
THREADS = int(os.environ.get("BENCH_THREADS", len(os.sched_getaffinity(0))))
for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(var, str(THREADS))

import time  # noqa: E402
import tracemalloc  # noqa: E402

import numpy as np  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
import tinygrad_cnn as tg  # noqa: E402
import tinygrad_cnn.nn.functional as F  # noqa: E402

try:
    import torch
    torch.set_num_threads(THREADS)
except ImportError:
    torch = None

# (N, C, H, W), out channels, kernel, stride, padding, groups, target ratio
CONV_CASES = [
    ((128, 1, 32, 32), 6, 5, 1, 0, 1, 2.0),      # LeNet C1
    ((128, 6, 14, 14), 16, 5, 1, 0, 1, 2.0),     # LeNet C3
    ((64, 32, 28, 28), 32, 3, 1, 1, 1, 1.5),
    ((32, 64, 56, 56), 64, 3, 1, 1, 1, 1.5),
    ((32, 128, 28, 28), 128, 3, 1, 1, 1, 1.5),
    ((32, 64, 56, 56), 128, 3, 2, 1, 1, 1.5),
    ((32, 64, 56, 56), 64, 3, 1, 1, 64, None),   # depthwise
]
# name, (N, C, H, W), our op, torch op, target ratio
POOL_CASES = [
    ("max_pool2d 2x2/2", (64, 32, 28, 28), lambda m, x: m.max_pool2d(x, 2), 1.5),
    ("max_pool2d 2x2/2", (32, 64, 56, 56), lambda m, x: m.max_pool2d(x, 2), 1.5),
    ("avg_pool2d 3x3/2 p1", (32, 64, 56, 56), lambda m, x: m.avg_pool2d(x, 3, 2, 1), None),
]


def fwd_bwd(op, inputs, grad):
    """One forward + backward; gradients reset so they never accumulate."""
    def run():
        for t in inputs:
            t.grad = None
        op(*inputs).backward(grad)
    return run


def timed(runs, repeats):
    """Median seconds of each function in ``runs``, interleaved, after one warm-up each."""
    for f in runs:
        f()
    times = [[] for _ in runs]
    for _ in range(repeats):
        for f, ts in zip(runs, times):
            start = time.perf_counter()
            f()
            ts.append(time.perf_counter() - start)
    return [float(np.median(ts)) for ts in times]


def conv_case(shape, out_ch, k, stride, pad, groups, repeats, rng):
    x = rng.standard_normal(shape, dtype=np.float32)
    w = rng.standard_normal((out_ch, shape[1] // groups, k, k), dtype=np.float32) * 0.1
    b = rng.standard_normal(out_ch, dtype=np.float32)
    ours = [tg.tensor(a, requires_grad=True) for a in (x, w, b)]
    y = F.conv2d(*ours, stride=stride, padding=pad, groups=groups)
    gy = rng.standard_normal(y.shape, dtype=np.float32)
    runs = [fwd_bwd(lambda x, w, b: F.conv2d(x, w, b, stride, pad, 1, groups), ours, tg.tensor(gy))]
    if torch is not None:
        theirs = [torch.tensor(a, requires_grad=True) for a in (x, w, b)]
        runs.append(fwd_bwd(lambda x, w, b: torch.nn.functional.conv2d(x, w, b, stride, pad, 1, groups),
                            theirs, torch.tensor(gy)))
    flops = 3 * 2 * y.numel() * (shape[1] // groups) * k * k
    return timed(runs, repeats), flops


def pool_case(shape, op, repeats, rng):
    x = rng.standard_normal(shape, dtype=np.float32)
    ours = tg.tensor(x, requires_grad=True)
    gy = rng.standard_normal(op(F, ours).shape, dtype=np.float32)
    runs = [fwd_bwd(lambda v: op(F, v), [ours], tg.tensor(gy))]
    if torch is not None:
        runs.append(fwd_bwd(lambda v: op(torch.nn.functional, v), [torch.tensor(x, requires_grad=True)],
                            torch.tensor(gy)))
    return timed(runs, repeats)


def conv_peak_memory(rng):
    """Peak traced bytes of one conv2d fwd+bwd on (32,64,56,56)->64, k3, p1, and the unavoidable part."""
    shape, out_ch, k = (32, 64, 56, 56), 64, 3
    x = tg.tensor(rng.standard_normal(shape, dtype=np.float32), requires_grad=True)
    w = tg.tensor(rng.standard_normal((out_ch, shape[1], k, k), dtype=np.float32), requires_grad=True)
    gy = tg.tensor(np.ones((shape[0], out_ch) + shape[2:], np.float32))
    tracemalloc.start()
    tracemalloc.reset_peak()
    base = tracemalloc.get_traced_memory()[0]
    F.conv2d(x, w, padding=1).backward(gy)
    peak = tracemalloc.get_traced_memory()[1] - base
    tracemalloc.stop()
    item = 4
    io = (x.numel() + w.numel() + gy.numel()) * item            # input, weight, output
    unavoidable = 2 * io + shape[0] * shape[1] * k * k * shape[2] * shape[3] * item   # + grads + im2col
    # x, w and gy existed before tracing started; count them in our total too
    return peak + io, unavoidable


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=7, help="timed runs per case (median reported)")
    parser.add_argument("--markdown", action="store_true", help="print a markdown table")
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    print(f"numpy {np.__version__}, torch {torch.__version__ if torch else 'not installed'}, "
          f"{THREADS} threads, median of {args.repeats} runs, float32, forward + backward, "
          f"load average {os.getloadavg()[0]:.1f}")
    header = ["case", "ours ms", "torch ms", "ratio", "target", "ours GFLOP/s", "torch GFLOP/s"]
    rows = []
    for shape, out_ch, k, stride, pad, groups, target in CONV_CASES:
        (ours, *theirs), flops = conv_case(shape, out_ch, k, stride, pad, groups, args.repeats, rng)
        name = f"conv2d {shape}->{out_ch} k{k}" + (f" s{stride}" if stride > 1 else "") + \
            (f" p{pad}" if pad else "") + (" depthwise" if groups > 1 else "")
        rows.append([name, ours * 1e3, theirs[0] * 1e3 if theirs else None,
                     ours / theirs[0] if theirs else None, target, flops / ours / 1e9,
                     flops / theirs[0] / 1e9 if theirs else None])
        _print_row(rows[-1], args.markdown, header if len(rows) == 1 else None)
    for name, shape, op, target in POOL_CASES:
        ours, *theirs = pool_case(shape, op, args.repeats, rng)
        rows.append([f"{name} {shape}", ours * 1e3, theirs[0] * 1e3 if theirs else None,
                     ours / theirs[0] if theirs else None, target, None, None])
        _print_row(rows[-1], args.markdown, None)
    peak, unavoidable = conv_peak_memory(rng)
    print(f"\npeak memory conv2d (32,64,56,56)->64 k3 p1 fwd+bwd: {peak / 2**20:.0f} MiB "
          f"(unavoidable incl. one whole-batch im2col buffer: {unavoidable / 2**20:.0f} MiB, "
          f"ratio {peak / unavoidable:.2f})")
    load = os.getloadavg()[0]
    print(f"load average at the end: {load:.1f} on {os.cpu_count()} cores")
    if load > 1.5 and THREADS > 1:
        # OpenBLAS threads that must wait for a busy core stall a whole scheduler slice per call
        print("warning: the machine is busy; multi-threaded BLAS timings are unreliable. Rerun "
              "when idle, or compare single-threaded with BENCH_THREADS=1.")
    missed = [r[0] for r in rows if r[3] is not None and r[4] is not None and r[3] > r[4]]
    if missed:
        print("above target:", ", ".join(missed))


def _fmt(v, digits=1):
    return "-" if v is None else f"{v:.{digits}f}"


def _print_row(row, markdown, header):
    name, ours, theirs, ratio, target, gf, tgf = row
    cells = [name, _fmt(ours), _fmt(theirs), _fmt(ratio, 2), f"<= {target}" if target else "-",
             _fmt(gf), _fmt(tgf)]
    if markdown:
        if header:
            print("| " + " | ".join(header) + " |")
            print("|" + "|".join("---" for _ in header) + "|")
        print("| " + " | ".join(cells) + " |", flush=True)
    else:
        if header:
            print(f"{header[0]:<44} {'ours ms':>9} {'torch ms':>9} {'ratio':>6} {'target':>7} "
                  f"{'GFLOP/s':>8} {'torch':>7}")
        print(f"{cells[0]:<44} {cells[1]:>9} {cells[2]:>9} {cells[3]:>6} {cells[4]:>7} {cells[5]:>8} "
              f"{cells[6]:>7}", flush=True)


if __name__ == "__main__":
    main()
