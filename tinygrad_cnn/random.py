"""The global random number generator behind weights, dropout and shuffling.

One numpy ``Generator`` seeded by ``tg.manual_seed``; its state can be saved
and restored (``get_rng_state``/``set_rng_state``) so training resumes exactly.
"""
import numpy as np

_rng = np.random.default_rng()


def get_rng():
    """The global ``np.random.Generator``."""
    return _rng


def manual_seed(seed):
    """Re-seed the global generator (as ``torch.manual_seed``)."""
    global _rng
    _rng = np.random.default_rng(int(seed))
    return _rng


def seed():
    """Seed the global generator from fresh OS entropy; returns nothing useful to replay."""
    global _rng
    _rng = np.random.default_rng()


def get_rng_state():
    """The generator's state as a JSON-serialisable dict."""
    return _rng.bit_generator.state


def set_rng_state(state):
    """Restore a state returned by :func:`get_rng_state`."""
    _rng.bit_generator.state = state
