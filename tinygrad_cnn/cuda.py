"""``tg.cuda``: the few ``torch.cuda`` calls that device-agnostic scripts make.

``device = 'cuda' if torch.cuda.is_available() else 'cpu'`` and the seeding
boilerplate (``torch.cuda.manual_seed_all(seed)``) run unchanged. GPU arrays
are CuPy's (see :mod:`tinygrad_cnn.backend`); there is one GPU device.
"""
from .backend import _import_cupy, cuda_is_available


def is_available():
    """True when CuPy imports and sees a GPU."""
    return cuda_is_available()


def device_count():
    """The number of usable GPUs: 1 when one is available (only device 0 is used), else 0."""
    return int(cuda_is_available())


def current_device():
    """The index of the GPU in use: always 0."""
    return 0


def manual_seed(seed):
    """Accepted for compatibility; does nothing: random tensors on the GPU are drawn from the
    global generator that ``tg.manual_seed`` seeds."""


manual_seed_all = manual_seed


def synchronize(device=None):
    """Wait for the GPU to finish its queued work (a no-op without a GPU)."""
    cupy = _import_cupy()
    if cupy is not None:
        cupy.cuda.Device().synchronize()


def empty_cache():
    """Return CuPy's cached, unused GPU memory blocks to the driver (a no-op without a GPU)."""
    cupy = _import_cupy()
    if cupy is not None:
        cupy.get_default_memory_pool().free_all_blocks()
