"""DataLoader: iterate over a dataset in (shuffled) batches (``torch.utils.data.DataLoader``).

Shuffling is reproducible and resumable: epoch ``e`` visits the samples in
the order ``np.random.default_rng([seed, e]).permutation(n)``, where ``seed``
is drawn once from ``generator``. So iterating twice gives two different
orders, and ``state_dict()`` — the seed, the epoch and how many batches of it
were consumed — is all it takes to continue exactly where training stopped.

With ``num_workers > 0`` one background thread (not a process) prepares the
next batches while the model computes: numpy releases the GIL in its copies
and gathers, so loading overlaps compute without pickling datasets into
worker processes. A custom ``sampler`` or ``batch_sampler`` gives the order
instead (its own state is then its to save).
"""
import queue
import threading
import weakref

import numpy as np

from .collate import default_collate, default_convert
from .dataset import IterableDataset, as_generator
from .sampler import BatchSampler, RandomSampler, SequentialSampler

_END = object()   # put on the queue after the last batch
_worker = threading.local()     # .info: the WorkerInfo of the background thread


class WorkerInfo:
    """What :func:`get_worker_info` returns inside the loader's background thread:
    ``id`` (0), ``num_workers`` (1: the one thread loads everything, so an
    IterableDataset that shards by ``num_workers`` must not split), ``seed`` and ``dataset``."""

    def __init__(self, id, num_workers, seed, dataset):
        self.id, self.num_workers, self.seed, self.dataset = id, num_workers, seed, dataset

    def __repr__(self):
        return f"WorkerInfo(id={self.id}, num_workers={self.num_workers}, seed={self.seed})"


def get_worker_info():
    """None in the main thread (as PyTorch in the main process); in the background loading
    thread of a ``num_workers > 0`` DataLoader, its :class:`WorkerInfo`."""
    return getattr(_worker, 'info', None)


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


def _produce(batches, out, stop, info, worker_init_fn):
    """Body of the background thread. It holds no reference to the iterator, so that an
    abandoned iterator is collected, and its finalizer sets ``stop``, which ends this loop."""
    _worker.info = info
    try:
        if worker_init_fn is not None:
            worker_init_fn(info.id)
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
    """Iterates ``batches`` in a background thread, keeping up to ``size`` batches ready;
    waiting more than ``timeout`` seconds (0: forever) for one raises RuntimeError."""

    def __init__(self, batches, size, timeout, worker_init_fn, info):
        self._queue = queue.Queue(maxsize=size)
        self._timeout = timeout
        stop = threading.Event()
        self.thread = threading.Thread(target=_produce, args=(batches, self._queue, stop, info, worker_init_fn),
                                       name="tinygrad_cnn-DataLoader", daemon=True)
        self.thread.start()
        # Runs on close(), when the iterator is garbage collected, or at interpreter exit.
        self.close = weakref.finalize(self, _stop_thread, stop, self.thread)

    def __next__(self):
        try:
            item = self._queue.get(timeout=self._timeout or None)
        except queue.Empty:
            self.close()
            raise RuntimeError(f"DataLoader timed out after {self._timeout} seconds") from None
        if item is _END:
            self.close()
            raise StopIteration
        if isinstance(item, _Raised):
            self.close()
            raise item.exc
        return item


class _DataLoaderIter:
    """One pass over the loader: yields batches and keeps the loader's resume state up to date."""

    def __init__(self, loader, work, num_batches):
        """``work`` yields the collated batches; ``num_batches`` is None when the loader does not
        track its position (a custom sampler or an IterableDataset)."""
        self._loader = loader
        self._token = object()
        if num_batches is not None:
            loader._active = self._token          # only the newest iterator updates the state
        self._num_batches = num_batches
        if loader.num_workers > 0:
            seed = int(as_generator(loader.generator, "DataLoader").integers(2 ** 63))   # WorkerInfo.seed
            self._source = _Prefetcher(work, max(loader.num_workers * loader.prefetch_factor, 1),
                                       loader.timeout, loader.worker_init_fn,
                                       WorkerInfo(0, 1, seed, loader.dataset))
        else:
            self._source = work

    def __iter__(self):
        return self

    def __len__(self):
        return len(self._loader) if self._num_batches is None else self._num_batches

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
    """Iterate over ``dataset`` in batches (``torch.utils.data.DataLoader``, same signature).

    Args:
        dataset: a map-style dataset (``__getitem__`` and ``__len__``) or an
            :class:`~tinygrad_cnn.data.IterableDataset` (consecutive samples are batched).
        batch_size: samples per batch; None turns batching off: each sample
            comes alone, through ``collate_fn`` (default :func:`default_collate`, or
            :func:`default_convert` without batching).
        shuffle: visit the samples in a new random order each epoch.
        sampler: an iterable of indices (e.g. a :class:`~tinygrad_cnn.data.RandomSampler`)
            giving the order instead; excludes ``shuffle``.
        batch_sampler: an iterable of lists of indices, one list per batch; excludes
            ``batch_size``, ``shuffle``, ``sampler`` and ``drop_last``.
        num_workers: 0 loads in the main thread; more starts ONE background
            thread (not processes) that keeps ``num_workers * prefetch_factor``
            batches ready.
        collate_fn: turns a list of samples into a batch. With the default, a
            dataset's ``get_batch(indices)`` is used when it has one (one fancy
            index per batch instead of a loop over samples).
        pin_memory: accepted for PyTorch compatibility; has no effect.
        drop_last: drop the last batch if it is smaller than ``batch_size``.
        timeout: with ``num_workers > 0``, seconds to wait for a batch before a
            RuntimeError (0: wait forever).
        worker_init_fn: called as ``worker_init_fn(0)`` in the background thread
            before it loads anything.
        multiprocessing_context: accepted for PyTorch compatibility; unused.
        generator: source of the shuffling seed: an int seed, a ``tg.Generator``,
            a numpy Generator, or None (drawn from the global generator at the first
            iteration).
        prefetch_factor: batches kept ready per worker (default 2 when
            ``num_workers > 0``).
        persistent_workers: accepted (needs ``num_workers > 0``, as PyTorch); the
            thread is cheap, so each epoch starts a new one.
        pin_memory_device, in_order: accepted for PyTorch compatibility; batches
            always come in order.

    ``len(loader)`` is the number of batches per epoch (for an IterableDataset,
    computed from its ``len()``, as PyTorch).
    """

    def __init__(self, dataset, batch_size=1, shuffle=None, sampler=None, batch_sampler=None, num_workers=0,
                 collate_fn=None, pin_memory=False, drop_last=False, timeout=0, worker_init_fn=None,
                 multiprocessing_context=None, generator=None, *, prefetch_factor=None,
                 persistent_workers=False, pin_memory_device='', in_order=True):
        if batch_size is not None and (isinstance(batch_size, bool) or not isinstance(
                batch_size, (int, np.integer)) or batch_size <= 0):
            raise ValueError(f"DataLoader: batch_size should be a positive integer or None, got "
                             f"{batch_size!r}")
        if num_workers < 0:
            raise ValueError(f"DataLoader: num_workers option should be non-negative, got {num_workers}")
        if timeout < 0:
            raise ValueError("DataLoader: timeout option should be non-negative")
        if prefetch_factor is not None and num_workers == 0:
            raise ValueError("DataLoader: prefetch_factor option could only be specified with num_workers > 0")
        if prefetch_factor is not None and prefetch_factor < 0:
            raise ValueError("DataLoader: prefetch_factor option should be non-negative")
        if persistent_workers and num_workers == 0:
            raise ValueError("DataLoader: persistent_workers option needs num_workers > 0")
        if isinstance(dataset, IterableDataset):
            for name, value in (('shuffle', shuffle), ('sampler', sampler), ('batch_sampler', batch_sampler)):
                if value is not None and value is not False:
                    raise ValueError(f"DataLoader with IterableDataset: expected unspecified {name} option, "
                                     f"but got {name}={value}")
        if sampler is not None and shuffle:
            raise ValueError("DataLoader: sampler option is mutually exclusive with shuffle")
        if batch_sampler is not None:
            if batch_size != 1 or shuffle or sampler is not None or drop_last:
                raise ValueError("DataLoader: batch_sampler option is mutually exclusive with batch_size, "
                                 "shuffle, sampler, and drop_last")
            batch_size = None
        elif batch_size is None and drop_last:
            raise ValueError("DataLoader: batch_size=None option disables auto-batching and is "
                             "mutually exclusive with drop_last")
        if generator is not None:
            as_generator(generator, "DataLoader")          # check it: an int seed >= 0 or a Generator
        self.dataset = dataset
        self.batch_size = None if batch_size is None else int(batch_size)
        self.shuffle = bool(shuffle)
        self.num_workers, self.timeout, self.worker_init_fn = num_workers, timeout, worker_init_fn
        self.prefetch_factor = 2 if prefetch_factor is None and num_workers > 0 else prefetch_factor
        self.persistent_workers, self.multiprocessing_context = persistent_workers, multiprocessing_context
        self.pin_memory, self.pin_memory_device, self.in_order = pin_memory, pin_memory_device, in_order
        self.drop_last = drop_last
        self.generator = generator
        # Without a sampler the loader orders the samples itself (seeded, resumable shuffling, see
        # the module docs); `sampler` then shows what that order is, as PyTorch's attribute does.
        self._own_order = sampler is None and batch_sampler is None and not isinstance(dataset, IterableDataset)
        if sampler is None and not isinstance(dataset, IterableDataset):
            sampler = RandomSampler(dataset, generator=generator) if shuffle else SequentialSampler(dataset)
        self.sampler = sampler
        if batch_sampler is None and batch_size is not None and sampler is not None:
            batch_sampler = BatchSampler(sampler, self.batch_size, bool(drop_last))
        self.batch_sampler = batch_sampler
        if collate_fn is None:
            collate_fn = default_collate if self.batch_size is not None or batch_sampler is not None \
                else default_convert
        self.collate_fn = collate_fn
        # Resume state: the next batch is batch `_batch` of epoch `_epoch`. `_continue` says the next
        # iter() goes on from there (fresh loader, finished epoch, load_state_dict) rather than
        # leaving an abandoned epoch for the next one.
        self._seed, self._epoch, self._batch, self._continue = None, 0, 0, True
        self._active = None

    def __len__(self):
        if isinstance(self.dataset, IterableDataset):
            n, bs = len(self.dataset), self.batch_size or 1
            return n // bs if self.drop_last else -(-n // bs)
        if self.batch_sampler is not None:
            return len(self.batch_sampler)
        return len(self.sampler)

    def _shuffle_seed(self):
        if self._seed is None:
            g = self.generator
            is_seed = isinstance(g, (int, np.integer)) and not isinstance(g, bool)
            self._seed = int(g) if is_seed else int(as_generator(g, "DataLoader").integers(2 ** 63))
        return self._seed

    def _order(self, epoch):
        """The sample indices of ``epoch``, in visiting order (when the loader orders them itself)."""
        n = len(self.dataset)
        if self.shuffle:
            return np.random.default_rng([self._shuffle_seed(), epoch]).permutation(n)
        return np.arange(n)

    def _fetch(self, indices):
        """The collated batch of samples ``indices`` (an int64 array or a list of indices)."""
        if self.collate_fn is default_collate and hasattr(self.dataset, 'get_batch'):
            return self.dataset.get_batch(np.asarray(indices, dtype=np.int64))
        if isinstance(indices, np.ndarray):
            indices = indices.tolist()
        if hasattr(self.dataset, '__getitems__'):
            return self.collate_fn(self.dataset.__getitems__(indices))
        return self.collate_fn([self.dataset[i] for i in indices])

    def _stream(self):
        """The batches of an IterableDataset: consecutive samples, ``batch_size`` at a time. A
        generator, so the dataset's ``__iter__`` runs where the batches are made (the loading
        thread, where ``get_worker_info()`` is set)."""
        if self.batch_size is None:
            yield from map(self.collate_fn, self.dataset)
            return
        for batch in BatchSampler(self.dataset, self.batch_size, bool(self.drop_last)):   # groups any iterable
            yield self.collate_fn(batch)

    def __iter__(self):
        if isinstance(self.dataset, IterableDataset):
            return _DataLoaderIter(self, self._stream(), None)
        if not self._own_order:
            if self.batch_sampler is None:            # no batching: one sample at a time, converted
                work = (self.collate_fn(self.dataset[i]) for i in self.sampler)
            else:
                work = (self._fetch(indices) for indices in self.batch_sampler)
            return _DataLoaderIter(self, work, None)
        if not self._continue:                 # the last epoch was abandoned: start the next one
            self._epoch, self._batch = self._epoch + 1, 0
        self._continue = False
        order = self._order(self._epoch)
        if self.batch_size is None:
            return _DataLoaderIter(self, (self.collate_fn(self.dataset[int(i)]) for i in order[self._batch:]),
                                   len(order))
        bs = self.batch_size
        stop = len(order) - len(order) % bs if self.drop_last else len(order)
        starts = range(self._batch * bs, stop, bs)
        return _DataLoaderIter(self, (self._fetch(order[i:i + bs]) for i in starts), self._batch + len(starts))

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
