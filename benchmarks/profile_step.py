"""Where a training step's time goes, per op: one model, batch 128, Adam.

    python benchmarks/profile_step.py [fmnist_cnn | lenet5] [--steps 10]

Wraps the ``forward`` and ``backward`` of every ``Function`` subclass (and
``Adam.step``, the max-pool and dropout modules) with a timer and prints the
milliseconds per step spent in each. An op's time includes the ops it runs
inside (a ``backward`` written with Tensor ops counts its ``Mul``s and
``Sum``s), so the rows add up to the step minus the engine's own work
("other"). The wrappers cost a little per call: compare rows between runs,
not the total against an unwrapped step.
"""
import os

os.environ.setdefault('OMP_WAIT_POLICY', 'PASSIVE')
import argparse
import collections
import time

import numpy as np

import tinygrad_cnn as tg
from tinygrad_cnn.autograd import Function
from tinygrad_cnn.models import LeNet5, fmnist_cnn


def _subclasses(cls):
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


class Timers:
    """``wrap(name, f)``: f, timed into ``self.total[name]`` unless an outer timed call runs."""

    def __init__(self):
        self.total, self.depth = collections.defaultdict(float), 0

    def wrap(self, name, f):
        def timed(*args, **kwargs):
            if self.depth:                 # inside another timed op: counted there
                return f(*args, **kwargs)
            self.depth += 1
            start = time.perf_counter()
            try:
                return f(*args, **kwargs)
            finally:
                self.total[name] += time.perf_counter() - start
                self.depth -= 1
        return timed


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('model', nargs='?', default='fmnist_cnn', choices=['fmnist_cnn', 'lenet5'])
    parser.add_argument('--steps', type=int, default=10)
    args = parser.parse_args()
    tg.manual_seed(0)
    rng = np.random.default_rng(0)
    x = tg.tensor(rng.standard_normal((128, 1, 28, 28)).astype(np.float32))
    y = tg.tensor(rng.integers(0, 10, 128))
    model = fmnist_cnn() if args.model == 'fmnist_cnn' else \
        LeNet5(padding=2, activation='relu', pooling='max')
    optimizer = tg.optim.Adam(model.parameters(), 1e-3)

    timers = Timers()
    for cls in set(_subclasses(Function)):
        for name in ('forward', 'backward'):
            if name in cls.__dict__:
                setattr(cls, name, timers.wrap(f'{cls.__name__}.{name}', cls.__dict__[name]))
    for module in model.modules():
        if isinstance(module, (tg.nn.MaxPool2d, tg.nn.Dropout)):
            module.forward = timers.wrap(f'{type(module).__name__} (module)', module.forward)
    optimizer.step = timers.wrap('Adam.step', optimizer.step)

    def step():
        optimizer.zero_grad()
        tg.nn.functional.cross_entropy(model(x), y).backward()
        optimizer.step()

    for _ in range(2):                     # warm-up: first-step allocations, Adam's state
        step()
    timers.total.clear()
    start = time.perf_counter()
    for _ in range(args.steps):
        step()
    per_step = (time.perf_counter() - start) / args.steps
    print(f"{args.model}, batch 128, Adam: {per_step * 1e3:.1f} ms per step "
          f"(mean of {args.steps})")
    for name, seconds in sorted(timers.total.items(), key=lambda kv: -kv[1]):
        if seconds / args.steps >= 5e-5:
            print(f"{name:<32}{seconds / args.steps * 1e3:8.2f}")
    print(f"{'other':<32}{(per_step - sum(timers.total.values()) / args.steps) * 1e3:8.2f}")


if __name__ == '__main__':
    main()
