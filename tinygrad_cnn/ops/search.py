"""Finding and counting: ``nonzero``, ``unique``, ``unique_consecutive``, ``searchsorted``
(and ``bucketize``), ``bincount``, ``histc``.

Their results are positions or counts, piecewise constant in the input, so they have no
gradient (as in PyTorch); they work on arrays and return arrays (int64 for positions).
"""
import numpy as np

from ..backend import get_array_module


def nonzero(x):
    """The ``(n, ndim)`` int64 coordinates of the nonzero elements, in row-major order
    (a 0-d input has ``ndim`` 0: shape ``(1, 0)`` or ``(0, 0)``)."""
    xp = get_array_module(x)
    if x.ndim == 0:
        return xp.zeros((int(bool(x)), 0), np.int64)
    return xp.stack(xp.nonzero(x), axis=1).astype(np.int64)


def unique(x, return_inverse, return_counts, dim):
    """Sorted unique elements (``dim=None``) or slices along ``dim``; with the index of each
    input element (slice) into them, and how often each occurs."""
    xp = get_array_module(x)
    # every NaN is its own unique value, as in PyTorch
    nan = {'equal_nan': False} if dim is None else {}
    values, inverse, counts = xp.unique(x, return_inverse=True, return_counts=True, axis=dim, **nan)
    inverse = inverse.reshape(x.shape if dim is None else (x.shape[dim],))
    return _unique_result(values, inverse.astype(np.int64), counts.astype(np.int64),
                          return_inverse, return_counts)


def unique_consecutive(x, return_inverse, return_counts, dim):
    """Collapse runs of equal consecutive elements (slices along ``dim``) into one."""
    xp = get_array_module(x)
    rows = x.reshape(-1, 1) if dim is None else xp.moveaxis(x, dim, 0).reshape(x.shape[dim], -1)
    starts = xp.ones(rows.shape[0], bool)
    starts[1:] = (rows[1:] != rows[:-1]).any(axis=1)
    inverse = (xp.cumsum(starts) - 1).astype(np.int64)
    first = xp.nonzero(starts)[0]
    counts = xp.diff(xp.append(first, rows.shape[0])).astype(np.int64)
    if dim is None:
        values, inverse = x.reshape(-1)[first], inverse.reshape(x.shape)
    else:
        values = xp.take(x, first, axis=dim)
    return _unique_result(values, inverse, counts, return_inverse, return_counts)


def _unique_result(values, inverse, counts, return_inverse, return_counts):
    if not (return_inverse or return_counts):
        return values
    return (values,) + ((inverse,) if return_inverse else ()) + ((counts,) if return_counts else ())


def searchsorted(sorted_sequence, values, right):
    """For each value, the number of elements of its row of ``sorted_sequence`` that are
    smaller (``right``: smaller or equal), i.e. where it would be inserted to keep the row
    sorted. A 1-d sequence serves every value; else its leading dims match ``values``'."""
    xp = get_array_module(sorted_sequence)
    side = 'right' if right else 'left'
    if sorted_sequence.ndim == 1:
        return xp.searchsorted(sorted_sequence, values, side=side).astype(np.int64)
    seq, v = sorted_sequence[..., None, :], values[..., None]   # compare every pair in a row
    return ((seq <= v) if right else (seq < v)).sum(axis=-1).astype(np.int64)


def bincount(x, weights, minlength):
    """How often each of 0, 1, ..., max(x) occurs in ``x`` (summing ``weights`` instead of
    ones when given); at least ``minlength`` bins."""
    xp = get_array_module(x)
    counts = xp.bincount(x, weights=weights, minlength=minlength)
    if weights is None:
        return counts.astype(np.int64)
    # PyTorch: float weights keep their dtype, other weights count in float64
    return counts.astype(weights.dtype if weights.dtype.kind == 'f' else np.float64)


def histc(x, bins, low, high):
    """Counts of ``x`` in ``bins`` equal-width bins over ``[low, high]`` (the last bin
    includes ``high``; values outside, and NaN, are not counted), in ``x``'s dtype."""
    xp = get_array_module(x)
    edges = xp.linspace(low, high, bins + 1).astype(x.dtype)
    flat = x.reshape(-1)
    flat = flat[(flat >= edges[0]) & (flat <= edges[-1])]
    # the bin from the edges themselves, as PyTorch: so a value on an edge starts that bin
    pos = xp.searchsorted(edges, flat, side='right') - 1
    pos = xp.minimum(pos, bins - 1)                 # high itself falls in the last bin
    return xp.bincount(pos, minlength=bins).astype(x.dtype)
