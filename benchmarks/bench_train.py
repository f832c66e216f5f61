"""Training speed and memory of LeNet-5 (batch 128, Adam) against PyTorch CPU.

    python benchmarks/bench_train.py [--batches 50] [--segments 8] [--warmup 5] [--threads N]

Trains LeNet-5 (ReLU, max-pool, padding=2) on Fashion-MNIST batches (random
data of the same shape if the files are absent) with the same loop in
tinygrad_cnn and, when it is installed, PyTorch, in the same process with the
same number of threads, and prints samples per second, the time of a
60,000-sample epoch extrapolated from them, and the ratio to PyTorch.

Memory first: tinygrad_cnn alone trains ``--warmup`` batches, then
``--segments`` segments of ``--batches`` batches, printing the resident
memory after each segment (flat = no graph is kept alive between steps) and
its peak during training (``resource.getrusage`` where Linux cannot reset the
peak after loading the data).

Then speed, segment by segment, the two frameworks back to back (who goes
first alternates): a burst of load on a shared machine then spoils one pair,
not the whole comparison. The times are the medians of the segments, the
ratio is the median of the per-pair ratios (with their range).
"""
import os

os.environ.setdefault('OMP_WAIT_POLICY', 'PASSIVE')   # else numpy's and torch's thread pools spin
import argparse
import resource
import statistics
import sys
import time

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument('--batches', type=int, default=50, help="batches per timed segment")
parser.add_argument('--segments', type=int, default=8)
parser.add_argument('--warmup', type=int, default=5, help="untimed batches first")
parser.add_argument('--batch-size', type=int, default=128)
parser.add_argument('--threads', type=int, default=None,
                    help="BLAS/torch threads (default: the machine's cores)")
parser.add_argument('--no-torch', action='store_true', help="skip PyTorch")
ARGS = parser.parse_args()
THREADS = ARGS.threads or os.cpu_count()
for var in ('OMP_NUM_THREADS', 'OPENBLAS_NUM_THREADS', 'MKL_NUM_THREADS'):
    os.environ[var] = str(THREADS)    # before numpy is imported: its BLAS reads them at start

import numpy as np

import tinygrad_cnn as tg
import tinygrad_cnn.nn.functional as F
from tinygrad_cnn import optim
from tinygrad_cnn.cli import MODELS, load_dataset

EPOCH = 60_000


def _status_mib(field):
    """A memory figure of this process from /proc/self/status (Linux), MiB; None elsewhere."""
    try:
        with open('/proc/self/status') as f:
            for line in f:
                if line.startswith(field + ':'):
                    return int(line.split()[1]) / 1024          # kB
    except OSError:
        pass
    return None


def rss_mib():
    """Resident memory now, MiB."""
    return _status_mib('VmRSS') or peak_rss_mib()


def reset_peak_rss():
    """Start measuring the peak afresh (Linux >= 4.0: writing 5 to clear_refs resets VmHWM),
    so that the peak of loading the data set is not counted as the peak of training."""
    try:
        with open('/proc/self/clear_refs', 'w') as f:
            f.write('5')
        return True
    except OSError:
        return False


def peak_rss_mib():
    """Peak resident memory, MiB: since the last reset_peak_rss() where Linux allows it."""
    hwm = _status_mib('VmHWM')
    if hwm is not None:
        return hwm
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 2 ** 20 if sys.platform == 'darwin' else peak / 2 ** 10   # bytes vs KiB


def load_data():
    try:
        ds, _ = load_dataset('fashion-mnist', train=True)
        x, y = (t.numpy() for t in ds.tensors)
        return x, y, 'Fashion-MNIST'
    except FileNotFoundError:
        rng = np.random.default_rng(0)
        x = rng.standard_normal((EPOCH, 1, 28, 28), dtype=np.float32)
        return x, rng.integers(0, 10, EPOCH), 'random data (Fashion-MNIST files not found)'


class Ours:
    name = 'tinygrad_cnn'

    def __init__(self):
        tg.manual_seed(0)
        self.model = MODELS['lenet5']()
        self.opt = optim.Adam(self.model.parameters(), lr=1e-3)

    def step(self, xb, yb):
        loss = F.cross_entropy(self.model(tg.from_numpy(xb)), tg.from_numpy(yb))
        self.opt.zero_grad()
        loss.backward()
        self.opt.step()
        return loss.item()


class Torch:
    def __init__(self):
        import torch
        from compare_torch_lenet import torch_lenet5
        torch.set_num_threads(THREADS)
        torch.manual_seed(0)
        self.torch = torch
        self.name = f'torch {torch.__version__}'
        self.model = torch_lenet5()
        self.opt = torch.optim.Adam(self.model.parameters(), lr=1e-3)

    def step(self, xb, yb):
        loss = self.torch.nn.functional.cross_entropy(self.model(self.torch.from_numpy(xb)),
                                                      self.torch.from_numpy(yb))
        self.opt.zero_grad()
        loss.backward()
        self.opt.step()
        return loss.item()


def batches(x, y, rng):
    """Endless random batches (contiguous slices: no copy, as a DataLoader's prefetch)."""
    bs = ARGS.batch_size
    while True:
        idx = rng.integers(0, len(x) - bs)
        yield x[idx:idx + bs], y[idx:idx + bs]


def segment(framework, data):
    """Train ``--batches`` batches; seconds per sample."""
    start = time.perf_counter()
    for _ in range(ARGS.batches):
        framework.step(*next(data))
    return (time.perf_counter() - start) / (ARGS.batches * ARGS.batch_size)


def main():
    x, y, source = load_data()
    data_mib = (x.nbytes + y.nbytes) / 2 ** 20
    reset = reset_peak_rss()
    data = batches(x, y, np.random.default_rng(0))
    print(f"LeNet-5 training (ReLU, max-pool, padding=2, Adam, batch {ARGS.batch_size}) on {source}; "
          f"{THREADS} threads; {ARGS.warmup} warm-up batches, {ARGS.segments} x {ARGS.batches} timed")
    ours = Ours()
    for _ in range(ARGS.warmup):
        ours.step(*next(data))
    rss = [rss_mib()]
    times = {ours.name: []}
    for _ in range(ARGS.segments):
        times[ours.name].append(segment(ours, data))
        rss.append(rss_mib())
    print(f"  {ours.name}: RSS after warm-up and after each of {ARGS.segments} segments "
          f"of {ARGS.batches} batches: " + ", ".join(f"{r:.0f}" for r in rss) + " MiB")
    peak_ours = peak_rss_mib()

    torch_fw, ratios = None, []
    if not ARGS.no_torch:
        try:
            torch_fw = Torch()
        except ImportError:
            print("  (PyTorch not installed: no comparison)")
    if torch_fw is not None:
        for _ in range(ARGS.warmup):
            torch_fw.step(*next(data))
        times = {ours.name: [], torch_fw.name: []}
        for i in range(ARGS.segments):
            pair = (ours, torch_fw) if i % 2 == 0 else (torch_fw, ours)
            for framework in pair:
                times[framework.name].append(segment(framework, data))
            ratios.append(times[ours.name][-1] / times[torch_fw.name][-1])

    print(f"{'framework':<22} {'samples/s':>10} {'s / 60k epoch':>14} {'ratio':>6}")
    for name, per_sample in times.items():
        t = statistics.median(per_sample)
        ratio = statistics.median(ratios) if ratios and name == ours.name else 1.0
        print(f"{name:<22} {1 / t:>10.0f} {t * EPOCH:>14.1f} {ratio:>6.2f}")
    if ratios:
        print(f"ratio per back-to-back segment pair: {min(ratios):.2f} to {max(ratios):.2f} "
              f"(median {statistics.median(ratios):.2f})")
    since = "during training" if reset else "of the process, including loading the data"
    print(f"peak RSS {since}: {peak_ours:.0f} MiB (of which the data set: {data_mib:.0f} MiB) before "
          f"PyTorch was loaded" + (f"; {peak_rss_mib():.0f} MiB with PyTorch" if torch_fw else ""))


if __name__ == '__main__':
    main()
