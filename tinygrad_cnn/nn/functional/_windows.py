"""Sliding-window machinery shared by convolution, pooling and unfold/fold.

Three ideas carry all of these ops:

* **Window views.** ``window_view`` turns an array ``(*B, *S)`` into a
  read-only strided view ``(*B, *K, *out)`` with
  ``view[..., k, o] = x[..., o * stride + k * dilation]`` -- no copy at all
  (``numpy.lib.stride_tricks.as_strided``). im2col is one ``copyto`` of it.
* **Scatter-adds by kernel offset.** The adjoint of reading windows is adding
  them back (col2im): ``add_windows`` loops over the ``prod(K)`` kernel
  offsets -- 9 Python iterations for a 3x3 kernel -- and adds one strided
  slice per offset; no ``np.add.at``, no per-element loop.
* **Cache-sized blocks.** ``padded_blocks`` copies a few images at a time
  into a reused, padded buffer. Every array touched while working on a
  block stays in the CPU cache: about 1.5x faster than whole-batch buffers
  for a conv layer's forward + backward, and a fraction of the memory.

Also here: argument normalisation (``int`` or tuple -> tuple) and the
output-size formulas, so conv and pool validate alike.
"""
import math

import numpy as np
from numpy.lib.stride_tricks import as_strided

from ...backend import get_array_module

# Working-set size of one block: a few MB keeps each block's buffers in the
# L2/L3 cache (measured on conv fwd/bwd: 1-4 MB beat both 64 KB and 64 MB).
BLOCK_BYTES = 4 << 20


def ntuple(value, n, op, name, minimum=None):
    """``value`` (int or sequence of ``n`` ints) as a tuple of ``n`` Python ints.

    Raises TypeError/ValueError naming ``op`` and the argument ``name``;
    ``minimum`` is the smallest value allowed.
    """
    items = (value,) * n if isinstance(value, (int, np.integer)) else value
    try:
        items = tuple(items)
    except TypeError:
        raise TypeError(f"{op}: {name} must be an int or a tuple of {n} ints, got {value!r}") from None
    if len(items) == 1 and n > 1:
        items = items * n
    if len(items) != n or not all(isinstance(v, (int, np.integer)) and not isinstance(v, bool)
                                  for v in items):
        raise TypeError(f"{op}: {name} must be an int or a tuple of {n} ints, got {value!r}")
    items = tuple(int(v) for v in items)
    if minimum is not None and any(v < minimum for v in items):
        raise ValueError(f"{op}: {name} must be >= {minimum}, got {value!r}")
    return items


def conv_output_size(size, kernel, stride, pad, dilation):
    """Number of windows along one dim: ``floor((S + lo + hi - d (k-1) - 1) / s) + 1``.

    ``pad`` is a ``(lo, hi)`` pair. The value is <= 0 when the dilated kernel
    does not fit into the padded input.
    """
    return (size + pad[0] + pad[1] - dilation * (kernel - 1) - 1) // stride + 1


def pool_output_size(size, kernel, stride, pad, dilation, ceil_mode):
    """PyTorch's pooling output size along one dim (symmetric padding ``pad``).

    ``ceil_mode`` rounds the window count up, but a last window that would
    start in the right padding (or past it) is dropped: every window must
    start inside the input or the left padding.
    """
    span = size + 2 * pad - dilation * (kernel - 1) - 1
    out = (span + (stride - 1 if ceil_mode else 0)) // stride + 1
    if ceil_mode and (out - 1) * stride >= size + pad:
        out -= 1
    return out


def window_view(x, kernel, stride, dilation, out, writeable=False):
    """Strided view ``(*B, *K, *out)`` of ``x`` ``(*B, *S)``: ``[..., k, o] -> x[..., o s + k d]``.

    ``out`` is given by the caller, so it may reach past the logical end of
    ``x`` -- callers that do so (the wide-row trick of ``conv.py``) make sure
    ``x`` lies in a larger buffer with slack behind it. Only write through a
    ``writeable`` view when the windows don't overlap.
    """
    nd = len(kernel)
    lead, spatial = x.strides[:-nd], x.strides[-nd:]
    shape = x.shape[:-nd] + tuple(kernel) + tuple(out)
    strides = (lead + tuple(s * d for s, d in zip(spatial, dilation))
               + tuple(s * st for s, st in zip(spatial, stride)))
    return as_strided(x, shape, strides, writeable=writeable)


def windows_disjoint(kernel, stride, dilation):
    """True when no input element lies in two windows (``(k-1) d < s`` in every dim)."""
    return all((k - 1) * d < s for k, s, d in zip(kernel, stride, dilation))


def kernel_offsets(kernel):
    """All kernel offsets ``(k_1, ..., k_n)`` in row-major order (PyTorch's scan order)."""
    return list(np.ndindex(*kernel))


def offset_view(canvas, offset, stride, dilation, out):
    """Writable strided view ``(*B, *out)`` of ``canvas``: ``[..., o] -> canvas[..., o s + k d]``.

    The windows' elements at one kernel offset ``k`` -- the target of one
    slice-add in col2im.
    """
    nd = len(offset)
    start = canvas[(Ellipsis,) + tuple(slice(k * d, None) for k, d in zip(offset, dilation))]
    strides = canvas.strides[:-nd] + tuple(s * st for s, st in zip(canvas.strides[-nd:], stride))
    return as_strided(start, canvas.shape[:-nd] + tuple(out), strides)


def add_windows(canvas, cols, stride, dilation):
    """col2im: ``canvas (*B, *S) += cols (*B, *K, *out)``, each window added back in place.

    The adjoint of ``window_view``. Overlapping windows accumulate because
    the offsets are added one after another (one strided slice-add each).
    """
    nd = cols.ndim - canvas.ndim
    kernel, out = cols.shape[canvas.ndim - nd:canvas.ndim], cols.shape[canvas.ndim:]
    lead = (slice(None),) * (canvas.ndim - nd)
    for k in kernel_offsets(kernel):
        target = offset_view(canvas, k, stride, dilation, out)
        target += cols[lead + k]
    return canvas


def padded_blocks(x, pads, block, fill=0, slack=0):
    """Iterate over ``x`` in blocks of the leading axis, each padded in a reused buffer.

    Args:
        x: array ``(B, *rest)``; the last ``len(pads)`` dims get padded.
        pads: ``(lo, hi)`` per padded dim.
        block: number of leading-axis entries per block.
        fill: value of the padding.
        slack: extra elements kept *behind* the buffer, so that window views may
            read past its last element (their values are never used).

    Yields:
        ``(start, stop, xb)`` with ``xb`` = ``x[start:stop]`` padded. ``xb`` is
        overwritten by the next iteration. Without padding and slack the
        blocks are views of ``x`` (no copy).
    """
    xp = get_array_module(x)
    nd = len(pads)
    if slack == 0 and not any(lo or hi for lo, hi in pads):
        for start in range(0, x.shape[0], block):
            yield start, min(start + block, x.shape[0]), x[start:start + block]
        return
    shape = (min(block, x.shape[0]),) + x.shape[1:x.ndim - nd] + tuple(
        s + lo + hi for s, (lo, hi) in zip(x.shape[x.ndim - nd:], pads))
    flat = xp.full(math.prod(shape) + slack, fill, dtype=x.dtype)
    buf = flat[:math.prod(shape)].reshape(shape)
    inner = (Ellipsis,) + tuple(slice(lo, lo + s) for s, (lo, _) in zip(x.shape[x.ndim - nd:], pads))
    for start in range(0, x.shape[0], block):
        stop = min(start + block, x.shape[0])
        xb = buf[:stop - start]
        xb[inner] = x[start:stop]
        yield start, stop, xb


def block_size(n, bytes_per_item, budget=None):
    """How many leading-axis entries fit into a block of ``budget`` bytes (default
    ``BLOCK_BYTES``), at least 1."""
    return max(1, min(n, (budget or BLOCK_BYTES) // max(1, bytes_per_item)))
