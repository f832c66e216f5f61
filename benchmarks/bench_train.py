"""Training speed and memory of LeNet-5 (batch 128, Adam) against PyTorch CPU.

    python benchmarks/bench_train.py [--batches 50] [--segments 4] [--warmup 5] [--threads N]

Trains LeNet-5 (ReLU, max-pool, padding=2) on Fashion-MNIST batches (random
data of the same shape if the files are absent) with the same loop in
tinygrad_cnn and, when it is installed, PyTorch, in the same process with the
same number of threads. After ``--warmup`` batches it times ``--segments``
segments of ``--batches`` batches each and prints samples per second, the
time of a 60,000-sample epoch extrapolated from them, the ratio to PyTorch,
and the resident memory after each segment (flat = no graph is kept alive
between steps) and at its peak during training (``resource.getrusage`` where
Linux cannot reset the peak after loading the data).

Order: tinygrad_cnn, then PyTorch, then tinygrad_cnn again (the median of both
tinygrad_cnn rounds is reported), so that a change in machine load shows up
rather than biasing the ratio.
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
parser.add_argument('--segments', type=int, default=4)
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


def run(framework, x, y, rng, report_memory):
    """Seconds per sample of each timed segment; prints RSS after each when asked."""
    bs = ARGS.batch_size

    def batch():
        idx = rng.integers(0, len(x) - bs)
        return x[idx:idx + bs], y[idx:idx + bs]

    for _ in range(ARGS.warmup):
        framework.step(*batch())
    per_sample, rss = [], [rss_mib()]
    for _ in range(ARGS.segments):
        start = time.perf_counter()
        for _ in range(ARGS.batches):
            framework.step(*batch())
        per_sample.append((time.perf_counter() - start) / (ARGS.batches * bs))
        rss.append(rss_mib())
    if report_memory:
        print(f"  {framework.name}: RSS after warm-up and after each of {ARGS.segments} segments "
              f"of {ARGS.batches} batches: " + ", ".join(f"{r:.0f}" for r in rss) + " MiB")
    return per_sample


def main():
    x, y, source = load_data()
    data_mib = (x.nbytes + y.nbytes) / 2 ** 20
    reset = reset_peak_rss()
    rng = np.random.default_rng(0)
    print(f"LeNet-5 training (ReLU, max-pool, padding=2, Adam, batch {ARGS.batch_size}) on {source}; "
          f"{THREADS} threads; {ARGS.warmup} warm-up batches, {ARGS.segments} x {ARGS.batches} timed")
    ours = Ours()
    times = {'ours': run(ours, x, y, rng, report_memory=True)}
    peak_ours = peak_rss_mib()
    torch_fw = None
    if not ARGS.no_torch:
        try:
            torch_fw = Torch()
        except ImportError:
            print("  (PyTorch not installed: no comparison)")
    if torch_fw is not None:
        times['torch'] = run(torch_fw, x, y, rng, report_memory=False)
        times['ours'] += run(ours, x, y, rng, report_memory=True)

    rows = [(ours.name, statistics.median(times['ours']))]
    if torch_fw is not None:
        rows.append((torch_fw.name, statistics.median(times['torch'])))
    print(f"{'framework':<22} {'samples/s':>10} {'s / 60k epoch':>14} {'ratio':>6}")
    for name, t in rows:
        print(f"{name:<22} {1 / t:>10.0f} {t * EPOCH:>14.1f} {t / rows[-1][1]:>6.2f}")
    since = "during training" if reset else "of the process, including loading the data"
    print(f"peak RSS {since}: {peak_ours:.0f} MiB (of which the data set: {data_mib:.0f} MiB) before "
          f"PyTorch was loaded" + (f"; {peak_rss_mib():.0f} MiB with PyTorch" if torch_fw else ""))


if __name__ == '__main__':
    main()
