"""Fractional max pooling (Graham 2014): max pooling whose output size is any fraction of the
input size, with pseudo-random window positions.

Along each dim, the ``out`` windows of size ``k`` start at PyTorch's positions
``floor((i + u) a) - floor(u a)`` (``a = (S - k) / (out - 1)``, the last one at ``S - k``)
for one random ``u`` in [0, 1) per (sample, channel, dim) -- ``_random_samples``
``(N, C, nd)``, drawn from the global generator unless given (pass it for
deterministic results). So the windows differ between channels; the winners
are found on arrays (first maximum in row-major order, the last NaN if any, as
max pooling) and then gathered from the flattened input, which gives the
gradient (a scatter-add to the winners).
"""
import math

import numpy as np

from ...backend import get_array_module, to_device
from ...random import get_rng
from ...tensor import Tensor
from ._windows import ntuple

__all__ = ['fractional_max_pool2d', 'fractional_max_pool3d',
           'fractional_max_pool2d_with_indices', 'fractional_max_pool3d_with_indices']

_SPATIAL = {2: 'H, W', 3: 'T, H, W'}
_NAMES = {2: ('height', 'width'), 3: ('time', 'height', 'width')}
# which of a plane's random samples each spatial dim uses: (W, H) for 2-d, (T, H, W) for 3-d
_SAMPLE = {2: (1, 0), 3: (0, 1, 2)}


def _window_starts(u, size, out, kernel, dtype):
    """``(*u.shape, out)`` window starts along one dim for samples ``u`` (``generate_intervals``,
    in the input's dtype as PyTorch computes them)."""
    starts = np.empty(u.shape + (out,), np.int64)
    if out > 1:
        alpha = dtype.type(size - kernel) / dtype.type(out - 1)
        i = np.arange(out - 1).astype(dtype)
        u = u.astype(dtype)[..., None]
        starts[..., :-1] = ((i + u) * alpha).astype(np.int64) - (u * alpha).astype(np.int64)
    if out > 0:
        starts[..., -1] = size - kernel
    return starts


def _fractional_max_pool(op, nd, input, kernel_size, output_size, output_ratio, _random_samples):
    if not isinstance(input, Tensor) or input.ndim not in (nd + 1, nd + 2):
        shape = tuple(input.shape) if isinstance(input, Tensor) else type(input).__name__
        raise RuntimeError(f"{op}(): expected {nd + 1}D or {nd + 2}D tensor of shape (N, C, "
                           f"{_SPATIAL[nd]}) or (C, {_SPATIAL[nd]}), got input.shape={shape}")
    if input.dtype.kind != 'f':
        raise TypeError(f"{op}: expected a floating point input, got dtype {input.dtype}")
    if output_size is None and output_ratio is None:
        raise ValueError(f"{op} requires specifying either an output_size or an output_ratio")
    batched = input.ndim == nd + 2
    x = input if batched else input.unsqueeze(0)
    size = tuple(x.shape[2:])
    kernel = ntuple(kernel_size, nd, op, 'kernel_size', minimum=1)
    if output_size is None:
        ratio = (output_ratio,) * nd if isinstance(output_ratio, (int, float)) \
            else tuple(output_ratio)
        if len(ratio) == 1:
            ratio *= nd
        if len(ratio) != nd:
            raise ValueError(f"{op} requires output_ratio to either be a single Int or tuple of "
                             f"Ints.")
        out = tuple(int(s * r) for s, r in zip(size, ratio))
    else:
        out = ntuple(output_size, nd, op, 'output_size')
    for name, s, o, k in zip(_NAMES[nd], size, out, kernel):
        # PyTorch's 3-d kernel also refuses windows that exactly fit (o + k - 1 = s)
        if o + k - 1 > s or nd == 3 and o + k - 1 == s:
            raise RuntimeError(f"{op}_out(): pool {name} {k} too large relative to input {name} "
                               f"{s} (output {name} {o}, input.shape={tuple(input.shape)})")
    n, c = x.shape[:2]
    if _random_samples is None:
        samples = get_rng().random((n, c, nd)).astype(x.dtype)
    else:
        samples = np.asarray(_random_samples.numpy() if isinstance(_random_samples, Tensor)
                             else _random_samples)
        if samples.shape != (n, c, nd):
            raise RuntimeError(f"{op}(): expected _random_samples of shape {(n, c, nd)} for "
                               f"input.shape={tuple(input.shape)}, got {samples.shape}")
    xp = get_array_module(x.data)
    # flat input index of every window's first element: (N, C, *out)
    first = np.zeros((n, c) + (1,) * nd, np.int64)
    for d in range(nd):
        starts = _window_starts(samples[..., _SAMPLE[nd][d]], size[d], out[d], kernel[d], x.dtype)
        shape = (n, c) + (1,) * d + (out[d],) + (1,) * (nd - d - 1)
        first = first * size[d] + starts.reshape(shape)
    strides = [math.prod(size[d + 1:]) for d in range(nd)]
    offsets = np.array([sum(k * s for k, s in zip(pos, strides)) for pos in np.ndindex(*kernel)])
    flat = x.data.reshape(n, c, -1)
    index = to_device(first, x.device)[..., None] + xp.asarray(offsets)      # (N, C, *out, K)
    values = xp.take_along_axis(flat, index.reshape(n, c, -1), axis=2).reshape(index.shape)
    winner = values.argmax(axis=-1)                                          # the first maximum
    nan = xp.isnan(values)
    if nan.any():                                                            # the last NaN wins
        last_nan = nan.shape[-1] - 1 - nan[..., ::-1].argmax(axis=-1)
        winner = xp.where(nan.any(axis=-1), last_nan, winner)
    indices = xp.take_along_axis(index, winner[..., None], axis=-1)[..., 0]
    y = x.flatten(2).gather(2, Tensor(indices.reshape(n, c, -1))).reshape((n, c) + out)
    indices = Tensor(indices)
    return (y, indices) if batched else (y.squeeze(0), indices.squeeze(0))


def fractional_max_pool2d_with_indices(input, kernel_size, output_size=None, output_ratio=None,
                                       return_indices=False, _random_samples=None):
    """:func:`fractional_max_pool2d` that always returns ``(values, indices)``."""
    return _fractional_max_pool('fractional_max_pool2d', 2, input, kernel_size, output_size,
                                output_ratio, _random_samples)


def fractional_max_pool2d(input, kernel_size, output_size=None, output_ratio=None,
                          return_indices=False, _random_samples=None):
    """Fractional max pooling of ``(N, C, H, W)`` or ``(C, H, W)``.

    Args:
        kernel_size: window size, int or pair.
        output_size: ``(oH, oW)`` (or an int), or else
        output_ratio: output size as a fraction of the input size, in (0, 1).
        return_indices: also return the winners' flat indices ``h * W + w``.
        _random_samples: ``(N, C, 2)`` values in [0, 1) that place the windows (sample 0
            for the width, 1 for the height, as PyTorch); drawn when None.
    """
    y, indices = fractional_max_pool2d_with_indices(input, kernel_size, output_size,
                                                    output_ratio, return_indices, _random_samples)
    return (y, indices) if return_indices else y


def fractional_max_pool3d_with_indices(input, kernel_size, output_size=None, output_ratio=None,
                                       return_indices=False, _random_samples=None):
    """:func:`fractional_max_pool3d` that always returns ``(values, indices)``."""
    return _fractional_max_pool('fractional_max_pool3d', 3, input, kernel_size, output_size,
                                output_ratio, _random_samples)


def fractional_max_pool3d(input, kernel_size, output_size=None, output_ratio=None,
                          return_indices=False, _random_samples=None):
    """Fractional max pooling of ``(N, C, T, H, W)`` or ``(C, T, H, W)``; as
    :func:`fractional_max_pool2d`, with ``_random_samples`` ``(N, C, 3)`` for (T, H, W)."""
    y, indices = fractional_max_pool3d_with_indices(input, kernel_size, output_size,
                                                    output_ratio, return_indices, _random_samples)
    return (y, indices) if return_indices else y
