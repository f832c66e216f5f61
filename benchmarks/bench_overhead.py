"""Per-op cost of the autograd engine: a chain of small elementwise ops, forward + backward.

    python benchmarks/bench_overhead.py [--ops 1000] [--repeats 15]

Prints microseconds per op (forward + backward) for tinygrad_cnn and, when it
is installed, PyTorch eager on the same machine in the same process, and
their ratio. Tensors are tiny (16 elements) so the array math is negligible
and what is measured is the framework's own overhead: building the graph
node, wrapping results, the backward traversal.
"""
import os

os.environ.setdefault('OMP_WAIT_POLICY', 'PASSIVE')   # else numpy's and torch's thread pools spin
import argparse
import statistics
import time

import tinygrad_cnn as tg

try:
    import torch
except ImportError:
    torch = None


def chain(lib, n_ops):
    """Seconds for n_ops elementwise ops (alternating mul and add) and backward."""
    x = lib.ones(16, requires_grad=True)
    start = time.perf_counter()
    y = x
    for _ in range(n_ops // 2):
        y = y * 1.0001
        y = y + 0.5
    y.sum().backward()
    return time.perf_counter() - start


def measure(lib, n_ops, repeats):
    chain(lib, n_ops)                      # warm-up
    return statistics.median(chain(lib, n_ops) for _ in range(repeats)) / n_ops * 1e6


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--ops', type=int, default=1000)
    parser.add_argument('--repeats', type=int, default=15)
    args = parser.parse_args()
    if torch is not None:
        torch.set_num_threads(1)
    rows = []
    # interleave the frameworks so both see the same machine load
    ours, theirs = [], []
    for _ in range(3):
        ours.append(measure(tg, args.ops, args.repeats))
        if torch is not None:
            theirs.append(measure(torch, args.ops, args.repeats))
    rows.append(('tinygrad_cnn', statistics.median(ours)))
    if theirs:
        rows.append((f'torch {torch.__version__}', statistics.median(theirs)))
    print(f"chain of {args.ops} elementwise ops on 16-element tensors, forward + backward "
          f"(median of {args.repeats} runs x 3 rounds)")
    print(f"{'framework':<22}{'us/op':>10}")
    for name, us in rows:
        print(f"{name:<22}{us:>10.2f}")
    if theirs:
        print(f"ratio tinygrad_cnn / torch: {rows[0][1] / rows[1][1]:.2f}x")


if __name__ == '__main__':
    main()
