"""The lectures' block CNN on Fashion-MNIST (~93% test accuracy), PyTorch-tutorial style.

    python examples/fmnist_cnn.py [--epochs 12] [--limit N] [--batch-size 128] [--lr 1e-3]

Two blocks of (conv 3x3 - ReLU - batch norm) x 2 - max pool - dropout, with 32
and then 64 filters, then dense 512 and dense 10: 1.7 million parameters,
48 times the multiply-adds of LeNet-5, so an epoch takes minutes on a laptop CPU.

Every piece is spelled out: the data set and its transforms, the DataLoader,
the model, the loss and the optimiser, the training loop and the evaluation.
Swap the imports for torch / torchvision and the same code runs in PyTorch.
(``python -m tinygrad_cnn train`` does the same with checkpoints and plots.)
"""
import argparse
import sys
import time

import tinygrad_cnn as tg
import tinygrad_cnn.nn as nn
import tinygrad_cnn.optim as optim
from tinygrad_cnn.data import DataLoader, FashionMNIST, Subset, transforms
from tinygrad_cnn.models import fmnist_cnn


def train_one_epoch(model, loader, loss_fn, optimizer):
    """One pass over the training data; returns the mean loss and the accuracy."""
    model.train()                                   # training mode: dropout on, batch norm learns
    total_loss, correct, seen = 0.0, 0, 0
    for images, labels in loader:
        outputs = model(images)                     # forward: (N, 10) scores
        loss = loss_fn(outputs, labels)
        optimizer.zero_grad()                       # forget the previous step's gradients
        loss.backward()                             # backward: fill p.grad for every parameter
        optimizer.step()                            # update the parameters
        total_loss += loss.item() * len(labels)
        correct += (outputs.argmax(dim=1) == labels).sum().item()
        seen += len(labels)
    return total_loss / seen, correct / seen


@tg.no_grad()                                       # no graph: evaluation needs no gradients
def evaluate(model, loader, loss_fn):
    """Mean loss and accuracy on ``loader``."""
    model.eval()                                    # dropout off, batch norm uses its running stats
    total_loss, correct, seen = 0.0, 0, 0
    for images, labels in loader:
        outputs = model(images)
        total_loss += loss_fn(outputs, labels).item() * len(labels)
        correct += (outputs.argmax(dim=1) == labels).sum().item()
        seen += len(labels)
    return total_loss / seen, correct / seen


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--epochs', type=int, default=12)
    parser.add_argument('--limit', type=int, default=None,
                        help="use only the first N training (and test) images, for a quick try")
    parser.add_argument('--batch-size', type=int, default=128)
    parser.add_argument('--lr', type=float, default=1e-3)
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--data-root', default=None, help="directory of the Fashion-MNIST files")
    args = parser.parse_args()
    tg.manual_seed(args.seed)                       # same weights and batch order on every run

    # 1. Data: uint8 28x28 images -> float tensors (1, 28, 28), normalised with the
    #    training set's mean and standard deviation.
    transform = transforms.Compose([transforms.ToTensor(),
                                    transforms.Normalize((0.2860,), (0.3530,))])
    try:
        train_set = FashionMNIST(root=args.data_root, train=True, transform=transform)
        test_set = FashionMNIST(root=args.data_root, train=False, transform=transform)
    except FileNotFoundError as err:
        sys.exit(f"Fashion-MNIST not found: {err}")
    if args.limit:
        train_set = Subset(train_set, range(min(args.limit, len(train_set))))
        test_set = Subset(test_set, range(min(args.limit, len(test_set))))
    train_loader = DataLoader(train_set, batch_size=args.batch_size, shuffle=True)
    test_loader = DataLoader(test_set, batch_size=1000)

    # 2. Model, loss, optimiser.
    model = fmnist_cnn()
    loss_fn = nn.CrossEntropyLoss()
    optimizer = optim.Adam(model.parameters(), lr=args.lr)
    print(model)

    # 3. The loop: train an epoch, then measure on images the model has never seen.
    for epoch in range(1, args.epochs + 1):
        start = time.perf_counter()
        train_loss, train_acc = train_one_epoch(model, train_loader, loss_fn, optimizer)
        seconds = time.perf_counter() - start
        test_loss, test_acc = evaluate(model, test_loader, loss_fn)
        print(f"epoch {epoch}: train loss {train_loss:.4f} acc {train_acc:.4f} | "
              f"test loss {test_loss:.4f} acc {test_acc:.4f} | {seconds:.1f} s")
    print(f"test accuracy: {test_acc:.4f}")


if __name__ == '__main__':
    main()
