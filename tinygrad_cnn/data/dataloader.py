"""DataLoader: iterate over a dataset in (shuffled) batches (``torch.utils.data.DataLoader``).

Shuffling is reproducible and resumable: epoch ``e`` visits the samples in
the order ``np.random.default_rng([seed, e]).permutation(n)``, where ``seed``
is drawn once from ``generator``. So iterating twice gives two different
orders, and ``state_dict()`` — the seed, the epoch and how many batches of it
were consumed — is all it takes to continue exactly where training stopped.

With ``num_workers > 0`` one background thread (not a process) prepares the
next batches while the model computes: numpy releases the GIL in its copies
and gathers, so loading overlaps compute without pickling datasets into
worker processes.
"""
import queue
import threading
import weakref

import numpy as np

from .collate import default_collate, default_convert
from .dataset import as_generator

_END = object()   # put on the queue after the last batch


class _Raised:
    """An exception raised while loading in the background, re-raised to the consumer."""

    def __init__(self, exc):
        self.exc = exc


def _put(out, item, stop):
    """Put ``item`` on ``out``, giving up once ``stop`` is set. True if it was put."""
    while not stop.is_set():
        try:
            out.put(item, timeout=0.05)
            return True
        except queue.Full:
            pass
    return False


def _produce(batches, out, stop):
    """Body of the background thread. It holds no reference to the iterator, so that an
    abandoned iterator is collected, and its finalizer sets ``stop``, which ends this loop."""
    try:
        for batch in batches:
            if not _put(out, batch, stop):
                return
        _put(out, _END, stop)
    except Exception as e:
        _put(out, _Raised(e), stop)


def _stop_thread(stop, thread):
    stop.set()
    if thread is not threading.current_thread():
        thread.join(timeout=5)


class _Prefetcher:
    """Iterates ``batches`` in a background thread, keeping up to ``size`` batches ready."""

    def __init__(self, batches, size):
        self._queue = queue.Queue(maxsize=size)
        stop = threading.Event()
        self.thread = threading.Thread(target=_produce, args=(batches, self._queue, stop),
                                       name="tinygrad_cnn-DataLoader", daemon=True)
        self.thread.start()
        # Runs on close(), when the iterator is garbage collected, or at interpreter exit.
        self.close = weakref.finalize(self, _stop_thread, stop, self.thread)

    def __next__(self):
        item = self._queue.get()
        if item is _END:
            self.close()
            raise StopIteration
        if isinstance(item, _Raised):
            self.close()
            raise item.exc
        return item


class _DataLoaderIter:
    """One pass over the loader: yields batches and keeps the loader's resume state up to date."""

    def __init__(self, loader, batches, num_batches):
        self._loader = loader
        self._token = loader._active = object()   # only the newest iterator updates the state
        self._num_batches = num_batches
        work = (loader._fetch(indices) for indices in batches)
        if loader.num_workers > 0:
            self._source = _Prefetcher(work, loader.num_workers * loader.prefetch_factor)
        else:
            self._source = work

    def __iter__(self):
        return self

    def __len__(self):
        return self._num_batches

    def __next__(self):
        batch = next(self._source)
        loader = self._loader
        if loader._active is self._token:
            loader._batch += 1
            if loader._batch == self._num_batches:    # epoch done: the next iter() starts the next one
                loader._epoch, loader._batch, loader._continue = loader._epoch + 1, 0, True
        return batch

    def close(self):
        """Stop the background thread now (it also stops when the iterator is garbage collected)."""
        if isinstance(self._source, _Prefetcher):
            self._source.close()


class DataLoader:
    """Iterate over ``dataset`` in batches.

    Args:
        dataset: a map-style dataset (``__getitem__`` and ``__len__``).
        batch_size: samples per batch; None turns batching off: each sample
            comes alone, through ``collate_fn`` (default :func:`default_convert`).
        shuffle: visit the samples in a new random order each epoch.
        sampler: an iterable of indices (with ``__len__``) giving the order
            instead; excludes ``shuffle``.
        num_workers: 0 loads in the main thread; more starts ONE background
            thread (not processes) that keeps ``num_workers * prefetch_factor``
            batches ready.
        collate_fn: turns a list of samples into a batch; default
            :func:`default_collate`. With the default, a dataset's
            ``get_batch(indices)`` is used when it has one (one fancy index per
            batch instead of a loop over samples).
        pin_memory: accepted for PyTorch compatibility; has no effect.
        drop_last: drop the last batch if it is smaller than ``batch_size``.
        generator: source of the shuffling seed: an int seed, a numpy
            Generator, or None (drawn from the global generator at the first
            iteration).
        prefetch_factor: batches kept ready per worker (default 2 when
            ``num_workers > 0``).

    ``len(loader)`` is the number of batches per epoch.
    """

    def __init__(self, dataset, batch_size=1, shuffle=False, sampler=None, *, num_workers=0,
                 collate_fn=None, pin_memory=False, drop_last=False, generator=None,
                 prefetch_factor=None):
        if batch_size is not None and (isinstance(batch_size, bool) or not isinstance(
                batch_size, (int, np.integer)) or batch_size <= 0):
            raise ValueError(f"DataLoader: batch_size should be a positive integer or None, got "
                             f"{batch_size!r}")
        if batch_size is None and drop_last:
            raise ValueError("DataLoader: batch_size=None option disables auto-batching and is "
                             "mutually exclusive with drop_last")
        if sampler is not None and shuffle:
            raise ValueError("DataLoader: sampler option is mutually exclusive with shuffle")
        if num_workers < 0:
            raise ValueError(f"DataLoader: num_workers option should be non-negative, got {num_workers}")
        if prefetch_factor is not None and num_workers == 0:
            raise ValueError("DataLoader: prefetch_factor option could only be specified with num_workers > 0")
        if generator is not None:
            as_generator(generator, "DataLoader")          # check it: an int seed >= 0 or a Generator
        self.dataset = dataset
        self.batch_size = None if batch_size is None else int(batch_size)
        self.shuffle = bool(shuffle)
        self.sampler = sampler
        self.num_workers = num_workers
        self.prefetch_factor = 2 if prefetch_factor is None and num_workers > 0 else prefetch_factor
        if collate_fn is None:
            collate_fn = default_collate if batch_size is not None else default_convert
        self.collate_fn = collate_fn
        self.pin_memory = pin_memory
        self.drop_last = drop_last
        self.generator = generator
        # Resume state: the next batch is batch `_batch` of epoch `_epoch`. `_continue` says the next
        # iter() goes on from there (fresh loader, finished epoch, load_state_dict) rather than
        # leaving an abandoned epoch for the next one.
        self._seed, self._epoch, self._batch, self._continue = None, 0, 0, True
        self._active = None

    def __len__(self):
        n = len(self.sampler) if self.sampler is not None else len(self.dataset)
        bs = self.batch_size or 1
        return n // bs if self.drop_last else -(-n // bs)

    def _shuffle_seed(self):
        if self._seed is None:
            g = self.generator
            is_seed = isinstance(g, (int, np.integer)) and not isinstance(g, bool)
            self._seed = int(g) if is_seed else int(as_generator(g, "DataLoader").integers(2 ** 63))
        return self._seed

    def _order(self, epoch):
        """The sample indices of ``epoch``, in visiting order."""
        if self.sampler is not None:
            return np.fromiter(self.sampler, dtype=np.int64)
        n = len(self.dataset)
        if self.shuffle:
            return np.random.default_rng([self._shuffle_seed(), epoch]).permutation(n)
        return np.arange(n)

    def _fetch(self, indices):
        """The collated batch of samples ``indices`` (an int64 array)."""
        if self.batch_size is None:                  # no batching: one sample, converted
            return self.collate_fn(self.dataset[int(indices[0])])
        if self.collate_fn is default_collate and hasattr(self.dataset, 'get_batch'):
            return self.dataset.get_batch(indices)
        if hasattr(self.dataset, '__getitems__'):
            return self.collate_fn(self.dataset.__getitems__(indices.tolist()))
        return self.collate_fn([self.dataset[i] for i in indices.tolist()])

    def __iter__(self):
        if not self._continue:                 # the last epoch was abandoned: start the next one
            self._epoch, self._batch = self._epoch + 1, 0
        self._continue = False
        order = self._order(self._epoch)
        bs = self.batch_size or 1
        stop = len(order) - len(order) % bs if self.drop_last else len(order)
        starts = range(self._batch * bs, stop, bs)
        batches = (order[i:i + bs] for i in starts)
        return _DataLoaderIter(self, batches, self._batch + len(starts))

    def state_dict(self):
        """Where iteration stands: ``{'seed', 'epoch', 'batch'}`` (the next batch is ``batch`` of ``epoch``).

        After ``load_state_dict`` of it, the next ``iter(loader)`` continues with
        exactly the batches that were still to come (for ``shuffle`` or
        sequential order; a custom ``sampler`` must restore its own state).
        """
        return {'seed': self._shuffle_seed() if self.shuffle else self._seed,
                'epoch': self._epoch, 'batch': self._batch}

    def load_state_dict(self, state):
        """Restore a :meth:`state_dict`; the next ``iter(loader)`` continues from it."""
        self._seed, self._epoch, self._batch = state['seed'], int(state['epoch']), int(state['batch'])
        self._continue, self._active = True, None
