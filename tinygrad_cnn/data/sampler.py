"""Samplers: the order in which a DataLoader visits a dataset (``torch.utils.data.sampler``).

A sampler is an iterable of dataset indices with a ``__len__``; a batch
sampler is an iterable of lists of indices. Random samplers draw from
``generator`` (a ``tg.Generator``, a numpy Generator or an int seed); without
one they draw from the global generator, so ``tg.manual_seed(s)`` makes them
reproducible. As in PyTorch, each new ``iter(sampler)`` gives a new order.
"""
import numbers

import numpy as np

from .dataset import as_generator


def _check_num_samples(name, num_samples):
    if isinstance(num_samples, bool) or not isinstance(num_samples, numbers.Integral) or num_samples <= 0:
        raise ValueError(f"{name}: num_samples should be a positive integer value, but got "
                         f"num_samples={num_samples}")


def _check_replacement(name, replacement, error):
    if not isinstance(replacement, bool):
        raise error(f"{name}: replacement should be a boolean value, but got replacement={replacement}")


class Sampler:
    """Base class: subclasses define ``__iter__`` (indices) and usually ``__len__``."""

    def __init__(self, data_source=None):      # PyTorch's deprecated argument, ignored there too
        pass

    def __iter__(self):
        raise NotImplementedError(f"{type(self).__name__} must define __iter__")


class SequentialSampler(Sampler):
    """``0, 1, ..., len(data_source) - 1``."""

    def __init__(self, data_source):
        self.data_source = data_source

    def __iter__(self):
        return iter(range(len(self.data_source)))

    def __len__(self):
        return len(self.data_source)


class RandomSampler(Sampler):
    """Random indices of ``data_source``.

    Args:
        data_source: the dataset (only its length is used).
        replacement: draw ``num_samples`` indices independently (with repeats);
            else a random permutation (``num_samples > len`` chains several).
        num_samples: how many indices per pass; default ``len(data_source)``.
        generator: see the module docs.
    """

    def __init__(self, data_source, replacement=False, num_samples=None, generator=None):
        _check_replacement("RandomSampler", replacement, TypeError)
        self.data_source, self.replacement, self._num_samples = data_source, replacement, num_samples
        self.generator = generator
        _check_num_samples("RandomSampler", self.num_samples)

    @property
    def num_samples(self):
        return len(self.data_source) if self._num_samples is None else self._num_samples

    def __iter__(self):
        n, rng = len(self.data_source), as_generator(self.generator, "RandomSampler")
        if self.replacement:
            return iter(rng.integers(0, n, size=self.num_samples).tolist())
        full, rest = divmod(self.num_samples, n)
        return iter(np.concatenate([rng.permutation(n) for _ in range(full)]
                                   + [rng.permutation(n)[:rest]]).tolist())

    def __len__(self):
        return self.num_samples


class SubsetRandomSampler(Sampler):
    """The given ``indices`` in a random order (a new one each pass)."""

    def __init__(self, indices, generator=None):
        self.indices, self.generator = indices, generator

    def __iter__(self):
        order = as_generator(self.generator, "SubsetRandomSampler").permutation(len(self.indices))
        return (self.indices[i] for i in order.tolist())

    def __len__(self):
        return len(self.indices)


class WeightedRandomSampler(Sampler):
    """``num_samples`` indices in ``[0, len(weights))``, index ``i`` drawn with probability
    ``weights[i] / sum(weights)`` (``torch.multinomial``'s rule).

    Args:
        weights: a 1-d sequence of non-negative weights (need not sum to 1).
        num_samples: how many indices per pass.
        replacement: draw with replacement; without, ``num_samples`` must not
            exceed ``len(weights)`` (once the non-zero weights are used up,
            zero-weight indices follow, as in PyTorch).
        generator: see the module docs.
    """

    def __init__(self, weights, num_samples, replacement=True, generator=None):
        _check_num_samples("WeightedRandomSampler", num_samples)
        _check_replacement("WeightedRandomSampler", replacement, ValueError)   # PyTorch's types
        weights = np.asarray(weights, dtype=np.float64)
        if weights.ndim != 1:
            raise ValueError("WeightedRandomSampler: weights should be a 1d sequence but given weights have "
                             f"shape {weights.shape}")
        self.weights, self.num_samples, self.replacement = weights, num_samples, replacement
        self.generator = generator

    def __iter__(self):
        w = self.weights
        if not np.isfinite(w).all() or (w < 0).any() or w.sum() <= 0:
            raise RuntimeError("WeightedRandomSampler: invalid multinomial distribution (weights must be "
                               "finite, non-negative and not all zero)")
        if not self.replacement and self.num_samples > len(w):
            raise RuntimeError(f"WeightedRandomSampler: cannot sample num_samples={self.num_samples} > "
                               f"{len(w)} weights without replacement")
        rng = as_generator(self.generator, "WeightedRandomSampler")
        if self.replacement:
            return iter(rng.choice(len(w), size=self.num_samples, p=w / w.sum()).tolist())
        # Without replacement: the largest w / Exp(1) keys (the exponential race, torch.multinomial's
        # method) are a weighted draw one after another; zero weights have key 0 and come last.
        keys = w / rng.exponential(size=len(w))
        return iter(np.argsort(-keys, kind='stable')[:self.num_samples].tolist())

    def __len__(self):
        return self.num_samples


class BatchSampler(Sampler):
    """Group the indices of ``sampler`` into lists of ``batch_size`` (the last one shorter
    unless ``drop_last``)."""

    def __init__(self, sampler, batch_size, drop_last):
        if isinstance(batch_size, bool) or not isinstance(batch_size, numbers.Integral) or batch_size <= 0:
            raise ValueError(f"BatchSampler: batch_size should be a positive integer value, but got "
                             f"batch_size={batch_size}")
        if not isinstance(drop_last, bool):
            raise ValueError(f"BatchSampler: drop_last should be a boolean value, but got drop_last={drop_last}")
        self.sampler, self.batch_size, self.drop_last = sampler, batch_size, drop_last

    def __iter__(self):
        batch = []
        for index in self.sampler:
            batch.append(index)
            if len(batch) == self.batch_size:
                yield batch
                batch = []
        if batch and not self.drop_last:
            yield batch

    def __len__(self):
        n = len(self.sampler)
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)
