"""The one place that knows which array library holds tensor data.

Every op asks ``get_array_module(*arrays)`` for ``xp`` (numpy or CuPy) and
does its math with ``xp.``; nothing else in the package imports CuPy. CuPy is
imported lazily, and the reason it failed is remembered, so that
``device='cuda'`` can say exactly what is missing (Chainer's pattern).
"""
import ctypes
import os
import sys

import numpy as np

_cupy = None          # the cupy module once imported
_cupy_error = None    # why importing it failed, for the error message


def _import_cupy():
    global _cupy, _cupy_error
    if _cupy is None and _cupy_error is None:
        try:
            import cupy
            cupy.cuda.runtime.getDeviceCount()   # raises without a driver/GPU
            _cupy = cupy
        except Exception as e:                   # ImportError, CUDARuntimeError, ...
            _cupy_error = f"{type(e).__name__}: {e}"
    return _cupy


def cuda_is_available():
    """True when CuPy imports and sees a GPU (``torch.cuda.is_available``)."""
    return _import_cupy() is not None


def _require_cupy():
    cp = _import_cupy()
    if cp is None:
        raise RuntimeError(
            "device 'cuda' needs CuPy and an NVIDIA GPU, but CuPy could not be used "
            f"({_cupy_error}). Install it with `pip install 'tinygrad_cnn[gpu]'` "
            "(cupy-cuda12x) on a machine with a CUDA driver.")
    return cp


def get_array_module(*arrays):
    """numpy, or cupy if any of ``arrays`` lives on the GPU."""
    if _cupy is not None:
        for a in arrays:
            if isinstance(a, _cupy.ndarray):
                return _cupy
    return np


def device_of(array):
    """'cpu' for numpy arrays, 'cuda' for CuPy arrays."""
    return 'cuda' if _cupy is not None and isinstance(array, _cupy.ndarray) else 'cpu'


def normalize_device(device):
    """Accept 'cpu', 'cuda', 'cuda:0' (and None -> 'cpu'); return 'cpu' or 'cuda'."""
    if device is None:
        return 'cpu'
    name = str(device)
    if name == 'cpu':
        return 'cpu'
    if name == 'cuda' or name.startswith('cuda:'):
        return 'cuda'
    raise ValueError(f"device: expected 'cpu' or 'cuda', got {device!r}")


def to_device(array, device):
    """Copy ``array`` to ``device`` ('cpu' or 'cuda'); no copy if already there."""
    device = normalize_device(device)
    if device == device_of(array):
        return array
    if device == 'cuda':
        return _require_cupy().asarray(array)
    return _cupy.asnumpy(array)


def to_numpy(array):
    """A host numpy array for ``array`` (a copy only when it lives on the GPU)."""
    return array if isinstance(array, np.ndarray) else to_device(array, 'cpu')


def scatter_add(target, index, values):
    """``target[index] += values`` with repeated indices accumulated.

    numpy spells this ``np.add.at``; CuPy moved it around between versions
    (``cupy.scatter_add`` was removed in v8), so it is wrapped here once.
    """
    if get_array_module(target) is np:
        np.add.at(target, index, values)
    else:
        import cupyx
        cupyx.scatter_add(target, index, values)
    return target


def _recycle_large_allocations():
    """Let glibc's malloc reuse large freed blocks instead of handing them back to the OS.

    By default glibc serves big blocks (the im2col buffers, activations) with
    fresh pages from ``mmap`` and unmaps them on free, so every training step
    pays the page faults again: a LeNet-5 step takes ~38 ms instead of ~23 ms.
    PyTorch avoids this with its own caching allocator; numpy allocates with
    malloc, so raise malloc's thresholds once instead (what the environment
    variables ``MALLOC_MMAP_THRESHOLD_`` / ``MALLOC_TRIM_THRESHOLD_`` do; if the
    user set those, theirs win). Linux/glibc only; elsewhere nothing happens.
    """
    if not sys.platform.startswith('linux') or 'MALLOC_MMAP_THRESHOLD_' in os.environ \
            or 'MALLOC_TRIM_THRESHOLD_' in os.environ:
        return
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):        # not glibc (e.g. musl)
        return
    M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3          # from glibc's <malloc.h>
    mallopt(M_MMAP_THRESHOLD, 32 * 2**20)                 # blocks below 32 MiB come from the heap
    mallopt(M_TRIM_THRESHOLD, 256 * 2**20)                # keep up to 256 MiB of freed heap for reuse


_recycle_large_allocations()
