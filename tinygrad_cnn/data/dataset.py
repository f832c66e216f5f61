"""Datasets: anything with ``__getitem__`` and ``__len__`` (``torch.utils.data``).

A dataset maps an index to one sample, usually a tuple ``(input, target)``.
Besides PyTorch's protocol, a dataset may define ``get_batch(indices)``, which
returns the already collated batch (what ``default_collate([ds[i] for i in
indices])`` gives) with one fancy index per array instead of a Python loop
over samples. :class:`~tinygrad_cnn.data.DataLoader` uses it when it collates
with the default ``collate_fn``; it is what makes in-memory datasets fast.
"""
import bisect
import math
import warnings

import numpy as np

from tinygrad_cnn.random import Generator, get_rng
from tinygrad_cnn.tensor import Tensor
from .collate import default_collate


def as_generator(generator, op):
    """A numpy Generator from ``generator``: None (the global one, which ``tg.manual_seed`` reseeds),
    an int seed, a ``tg.Generator`` or a numpy Generator."""
    if generator is None or isinstance(generator, (Generator, np.random.Generator)):
        return get_rng(generator)
    if isinstance(generator, (int, np.integer)) and not isinstance(generator, bool):
        if generator < 0:
            raise ValueError(f"{op}: an int generator is a seed and must be non-negative, got {generator}")
        return np.random.default_rng(int(generator))
    raise TypeError(f"{op}: generator must be None, an int seed, a tg.Generator or a numpy Generator, "
                    f"got {type(generator).__name__}")


class Dataset:
    """Base class of map-style datasets: subclasses define ``__getitem__(index)`` and ``__len__()``."""

    def __getitem__(self, index):
        raise NotImplementedError(f"{type(self).__name__} must define __getitem__")

    def __add__(self, other):
        return ConcatDataset([self, other])


class VisionDataset(Dataset):
    """Base of the image data sets (torchvision's ``VisionDataset``): subclasses set ``root``,
    ``transform`` and ``target_transform``; this applies the transforms to a sample and
    prints the summary ``Dataset NAME / Number of datapoints / Root location / ...``."""

    def _transformed(self, img, target):
        """``(transform(img), target_transform(target))``, each only where given."""
        if self.transform is not None:
            img = self.transform(img)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return img, target

    def extra_repr(self):
        """Lines of the summary after the root location (e.g. ``Split: Train``)."""
        return ""

    def __repr__(self):
        body = [f"Number of datapoints: {len(self)}"]
        if getattr(self, 'root', None) is not None:
            body.append(f"Root location: {self.root}")
        body += self.extra_repr().splitlines()
        if self.transform is not None or self.target_transform is not None:
            # torchvision's StandardTransform block: only its first line gets the indent
            block = ["StandardTransform"]
            for head, t in (("Transform: ", self.transform), ("Target transform: ", self.target_transform)):
                if t is not None:
                    lines = repr(t).splitlines()
                    block += [head + lines[0]] + [" " * len(head) + line for line in lines[1:]]
            body.append("\n".join(block))
        return "\n".join([f"Dataset {type(self).__name__}"] + ["    " + line for line in body])


class IterableDataset(Dataset):
    """Base class of stream datasets: subclasses define ``__iter__`` (yielding samples).

    A :class:`~tinygrad_cnn.data.DataLoader` over one iterates it and groups
    consecutive samples into batches; ``a + b`` chains two (:class:`ChainDataset`).
    """

    def __iter__(self):
        raise NotImplementedError(f"{type(self).__name__} must define __iter__")

    def __add__(self, other):
        return ChainDataset([self, other])


def _check_iterable(dataset):
    if not isinstance(dataset, IterableDataset):     # PyTorch asserts this
        raise AssertionError(f"ChainDataset only supports IterableDataset, got {type(dataset).__name__}")


class ChainDataset(IterableDataset):
    """The samples of several IterableDatasets, one stream after the other."""

    def __init__(self, datasets):
        self.datasets = datasets

    def __iter__(self):
        for d in self.datasets:
            _check_iterable(d)
            yield from d

    def __len__(self):
        for d in self.datasets:
            _check_iterable(d)
        return sum(len(d) for d in self.datasets)


class StackDataset(Dataset):
    """Zip datasets of equal length: ``StackDataset(a, b)[i] == (a[i], b[i])``,
    ``StackDataset(x=a, y=b)[i] == {'x': a[i], 'y': b[i]}``."""

    def __init__(self, *args, **kwargs):
        if args and kwargs:
            raise ValueError("StackDataset: supported either tuple-like (via args) or dict-like (via kwargs) "
                             "input/output, but both types are given")
        datasets = list(args or kwargs.values())
        if not datasets:
            raise ValueError("StackDataset: at least one dataset should be passed")
        lengths = [len(d) for d in datasets]
        if len(set(lengths)) > 1:
            raise ValueError(f"StackDataset: size mismatch between datasets, got lengths {lengths}")
        self._length = lengths[0]
        self.datasets = args if args else kwargs

    def __getitem__(self, index):
        if isinstance(self.datasets, dict):
            return {k: d[index] for k, d in self.datasets.items()}
        return tuple(d[index] for d in self.datasets)

    def __len__(self):
        return self._length


class TensorDataset(Dataset):
    """Samples are the ``index``-th rows of each tensor: ``ds[i] == (t0[i], t1[i], ...)``.

    Args:
        *tensors: Tensors or numpy arrays with the same first dimension N.
    """

    def __init__(self, *tensors):
        sizes = [t.shape[0] for t in tensors]
        if len(set(sizes)) > 1:
            raise RuntimeError("TensorDataset: all tensors must have the same size in dimension 0, "
                               f"got shapes {[tuple(t.shape) for t in tensors]}")
        self.tensors = tensors

    def __getitem__(self, index):
        return tuple(t[index] for t in self.tensors)

    def __len__(self):
        return self.tensors[0].shape[0] if self.tensors else 0

    def get_batch(self, indices):
        """``[Tensor(t[indices]) for t in tensors]``: one gather per tensor (the DataLoader fast path)."""
        return [Tensor(t.data[indices] if isinstance(t, Tensor) else t[indices]) for t in self.tensors]


class Subset(Dataset):
    """The samples of ``dataset`` at positions ``indices`` (a sequence of ints), in that order."""

    def __init__(self, dataset, indices):
        self.dataset = dataset
        self.indices = np.asarray(indices, dtype=np.int64)

    def __getitem__(self, index):
        return self.dataset[int(self.indices[index])]

    def __len__(self):
        return len(self.indices)

    def get_batch(self, indices):
        """The collated batch of samples ``indices``: one gather when the wrapped dataset has ``get_batch``."""
        inner = self.indices[indices]
        if hasattr(self.dataset, 'get_batch'):
            return self.dataset.get_batch(inner)
        return default_collate([self.dataset[int(i)] for i in inner])


class ConcatDataset(Dataset):
    """The samples of several datasets one after another."""

    def __init__(self, datasets):
        self.datasets = list(datasets)
        if not self.datasets:
            raise ValueError("ConcatDataset: datasets should not be an empty iterable")
        if any(isinstance(d, IterableDataset) for d in self.datasets):
            raise AssertionError("ConcatDataset does not support IterableDataset (use ChainDataset)")
        self.cumulative_sizes = np.cumsum([len(d) for d in self.datasets]).tolist()

    def __len__(self):
        return self.cumulative_sizes[-1]

    def __getitem__(self, index):
        if index < 0:
            if -index > len(self):
                raise ValueError("ConcatDataset: absolute value of index should not exceed dataset length")
            index += len(self)
        which = bisect.bisect_right(self.cumulative_sizes, index)
        start = self.cumulative_sizes[which - 1] if which > 0 else 0
        return self.datasets[which][index - start]


def random_split(dataset, lengths, generator=None):
    """Split ``dataset`` into non-overlapping random :class:`Subset` s of the given lengths.

    Args:
        dataset: the dataset to split.
        lengths: sizes that sum to ``len(dataset)``, or fractions that sum to 1
            (each gets ``floor(n * frac)`` samples; the remainder is dealt out one
            by one from the first split on, as in PyTorch).
        generator: None (the global generator), an int seed or a numpy Generator.

    Returns:
        A list of Subsets, one per length.
    """
    rng = as_generator(generator, "random_split")
    n = len(dataset)
    if math.isclose(sum(lengths), 1) and sum(lengths) <= 1:
        for i, frac in enumerate(lengths):
            if not 0 <= frac <= 1:
                raise ValueError(f"random_split: fraction at index {i} is not between 0 and 1, got {frac}")
        lengths = [int(math.floor(n * frac)) for frac in lengths]
        for i in range(n - sum(lengths)):
            lengths[i % len(lengths)] += 1
        for i, length in enumerate(lengths):
            if length == 0:
                warnings.warn(f"random_split: length of split at index {i} is 0; this split will be empty")
    if sum(lengths) != n:
        raise ValueError(f"random_split: sum of input lengths {list(lengths)} = {sum(lengths)} "
                         f"does not equal the length of the input dataset ({n})")
    order = rng.permutation(n)
    ends = np.cumsum(lengths)
    return [Subset(dataset, order[end - length:end]) for end, length in zip(ends, lengths)]
