"""Same start, same batches: does tinygrad_cnn's LeNet-5 learn like PyTorch's?

    python benchmarks/compare_torch_lenet.py [--epochs 1] [--limit N] [--seed 0]

Builds LeNet-5 (ReLU, max-pool, padding=2) in PyTorch, copies its initial
weights into tinygrad_cnn's model through ``state_dict`` (as numpy arrays),
trains both with Adam (lr 1e-3, batch 128) on Fashion-MNIST with the same
batch order, and prints both test accuracies after each epoch. Exits with
status 1 if they differ by more than one percentage point.

Needs PyTorch (CPU) and the Fashion-MNIST files.
"""
import os

os.environ.setdefault('OMP_WAIT_POLICY', 'PASSIVE')   # else numpy's and torch's thread pools spin
import argparse
import time

import numpy as np
import torch

import tinygrad_cnn as tg
import tinygrad_cnn.nn.functional as F
from tinygrad_cnn import optim
from tinygrad_cnn.cli import MODELS, load_dataset


def torch_lenet5():
    """PyTorch's LeNet-5 for 1x28x28 inputs: the layers of ``tinygrad_cnn.models.LeNet5``."""
    nn = torch.nn
    return nn.Sequential(
        nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(16, 120, 5), nn.ReLU(), nn.Flatten(),
        nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, 10))


def copy_weights(torch_model, model):
    """Load ``torch_model``'s parameters into ``model``, matching them in order (names differ:
    ``0.weight`` in the Sequential, ``c1.weight`` in ours) and checking shapes."""
    theirs = [p.detach().numpy().copy() for p in torch_model.state_dict().values()]
    names = list(model.state_dict())
    if len(names) != len(theirs):
        raise RuntimeError(f"copy_weights: {len(theirs)} tensors in PyTorch's state_dict, "
                           f"{len(names)} in ours ({names})")
    for name, array in zip(names, theirs):
        if tuple(model.state_dict()[name].shape) != array.shape:
            raise RuntimeError(f"copy_weights: {name} has shape "
                               f"{tuple(model.state_dict()[name].shape)}, PyTorch's {array.shape}")
    model.load_state_dict(dict(zip(names, theirs)))


def batches(n, batch_size, rng):
    """Index arrays of one epoch's shuffled batches (the same for both frameworks)."""
    order = rng.permutation(n)
    return [order[i:i + batch_size] for i in range(0, n, batch_size)]


def accuracy_ours(model, x, y):
    model.eval()
    with tg.no_grad():
        correct = sum(int((model(tg.from_numpy(x[i:i + 1000])).argmax(dim=1).numpy()
                           == y[i:i + 1000]).sum()) for i in range(0, len(x), 1000))
    model.train()
    return correct / len(x)


def accuracy_torch(model, x, y):
    model.eval()
    with torch.no_grad():
        correct = sum(int((model(torch.from_numpy(x[i:i + 1000])).argmax(dim=1).numpy()
                           == y[i:i + 1000]).sum()) for i in range(0, len(x), 1000))
    model.train()
    return correct / len(x)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--epochs', type=int, default=1)
    parser.add_argument('--limit', type=int, default=None, help="use the first N training samples")
    parser.add_argument('--seed', type=int, default=0)
    args = parser.parse_args()

    train_set, _ = load_dataset('fashion-mnist', True, args.limit)
    test_set, _ = load_dataset('fashion-mnist', False)
    x_train, y_train = (t.numpy() for t in train_set.tensors)
    x_test, y_test = (t.numpy() for t in test_set.tensors)

    torch.manual_seed(args.seed)
    theirs = torch_lenet5()
    ours = MODELS['lenet5']()
    copy_weights(theirs, ours)
    opt_theirs = torch.optim.Adam(theirs.parameters(), lr=1e-3)
    opt_ours = optim.Adam(ours.parameters(), lr=1e-3)
    rng = np.random.default_rng(args.seed)
    print(f"LeNet-5, Adam 1e-3, batch 128, {len(x_train)} training samples, same initial weights "
          f"and batch order; torch {torch.__version__}, {torch.get_num_threads()} threads")
    worst = 0.0
    for epoch in range(1, args.epochs + 1):
        seconds = {'tinygrad_cnn': 0.0, 'torch': 0.0}
        for idx in batches(len(x_train), 128, rng):
            xb, yb = x_train[idx], y_train[idx]
            start = time.perf_counter()
            loss = F.cross_entropy(ours(tg.from_numpy(xb)), tg.from_numpy(yb))
            opt_ours.zero_grad()
            loss.backward()
            opt_ours.step()
            seconds['tinygrad_cnn'] += time.perf_counter() - start
            start = time.perf_counter()
            loss = torch.nn.functional.cross_entropy(theirs(torch.from_numpy(xb)),
                                                     torch.from_numpy(yb))
            opt_theirs.zero_grad()
            loss.backward()
            opt_theirs.step()
            seconds['torch'] += time.perf_counter() - start
        acc_ours = accuracy_ours(ours, x_test, y_test)
        acc_theirs = accuracy_torch(theirs, x_test, y_test)
        worst = max(worst, abs(acc_ours - acc_theirs))
        print(f"epoch {epoch}: test accuracy tinygrad_cnn {acc_ours:.4f} ({seconds['tinygrad_cnn']:.1f} s)"
              f" | torch {acc_theirs:.4f} ({seconds['torch']:.1f} s) | difference "
              f"{100 * (acc_ours - acc_theirs):+.2f} points")
    if worst > 0.01:
        print(f"FAIL: accuracies differ by {100 * worst:.2f} points (> 1)")
        raise SystemExit(1)
    print(f"OK: within {100 * worst:.2f} points (limit 1)")


if __name__ == '__main__':
    main()
