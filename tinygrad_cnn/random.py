"""Random number generators: the global one behind weights, dropout and shuffling, and
``tg.Generator`` objects for private streams.

Each :class:`Generator` wraps a numpy ``np.random.Generator`` (PCG64). The global one,
``tg.default_generator``, starts from PyTorch's default seed (67280421310721), so a
fresh process draws the same numbers every run, as in PyTorch (the numbers
themselves differ from PyTorch's: the algorithms differ). ``tg.manual_seed``
re-seeds it; ``get_rng_state``/``set_rng_state`` save and restore it so training
resumes exactly. Functions with a ``generator=`` keyword draw from that generator
instead of the global one.
"""
import numpy as np

_DEFAULT_SEED = 67280421310721       # torch.initial_seed() of a fresh process


class Generator:
    """``Generator(device='cpu')``: an independent random stream, as ``torch.Generator``.

    ``manual_seed(s)`` (returns self), ``seed()``, ``initial_seed()``, ``get_state()``
    / ``set_state(state)`` (the state is numpy's bit-generator dict, not a ByteTensor).
    """

    def __init__(self, device='cpu'):
        self.device = device
        self.manual_seed(_DEFAULT_SEED)

    def manual_seed(self, seed):
        """Re-seed with the integer ``seed``; returns self."""
        seed = int(seed)
        # PyTorch accepts negative seeds by reading them as unsigned 64-bit numbers
        self._seed = seed % 2 ** 64
        self.rng = np.random.default_rng(self._seed)
        return self

    def seed(self):
        """Re-seed from OS entropy; returns the new seed."""
        self.manual_seed(int(np.random.SeedSequence().generate_state(1, np.uint64)[0]))
        return self._seed

    def initial_seed(self):
        """The seed this generator was last seeded with."""
        return self._seed

    def get_state(self):
        """The generator's state (a JSON-serialisable dict)."""
        return self.rng.bit_generator.state

    def set_state(self, new_state):
        """Restore a state returned by :meth:`get_state`; returns self."""
        self.rng.bit_generator.state = new_state
        return self


default_generator = Generator()


def get_rng(generator=None):
    """The ``np.random.Generator`` to draw from: ``generator``'s (a :class:`Generator` or a
    numpy Generator), or the global one when it is None."""
    if generator is None:
        return default_generator.rng
    if isinstance(generator, Generator):
        return generator.rng
    if isinstance(generator, np.random.Generator):
        return generator
    raise TypeError(f"generator must be a tg.Generator or None, got {type(generator).__name__}")


def manual_seed(seed):
    """Re-seed the global generator (as ``torch.manual_seed``); returns it."""
    return default_generator.manual_seed(seed)


def seed():
    """Re-seed the global generator from OS entropy; returns the seed (as ``torch.seed``)."""
    return default_generator.seed()


def initial_seed():
    """The seed of the global generator (as ``torch.initial_seed``)."""
    return default_generator.initial_seed()


def get_rng_state():
    """The global generator's state as a JSON-serialisable dict."""
    return default_generator.get_state()


def set_rng_state(state):
    """Restore a state returned by :func:`get_rng_state`."""
    default_generator.set_state(state)
