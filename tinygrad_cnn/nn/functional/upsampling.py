"""Resizing: ``interpolate`` (nearest, nearest-exact, (bi/tri)linear, bicubic, lanczos, area)
and its deprecated aliases ``upsample``, ``upsample_nearest``, ``upsample_bilinear``.

Every mode but ``'area'`` is *separable*: along one spatial dim, output
position ``i`` is a weighted sum of a few input positions (1 tap for nearest,
2 for linear, 4 for cubic), the same for every row. So a resize is a chain of
1-d resamplings, one per dim, each described by a small table
(``index (out, taps)``, ``weight (out, taps)``) and run by :class:`Resample`:
``taps`` vectorised gathers along one axis. The last dim goes first and the
taps are added in order, which is the order PyTorch's kernels sum in, so
float32 results agree with PyTorch's to the rounding of the last bit.

Resampling is linear, and its adjoint (the backward) is again a resampling,
with the *transposed* table: for each input position, the outputs that read it
and their weights (``_Table.transposed``). ``'area'`` is adaptive average
pooling.

The tables follow PyTorch's index arithmetic exactly (``aten/native/UpSample.h``):
the scale is ``1 / scale_factor`` when a scale factor reaches the kernel, else
``in / out`` (``(in - 1) / (out - 1)`` with ``align_corners``); source positions
are computed in the input's dtype; nearest uses float32 and ``floor(i * scale)``
(``floor((i + 0.5) * scale)`` for nearest-exact); cubic clamps its four taps to
the border and uses ``A = -0.75``. ``antialias=True`` builds the tables of
Pillow's filters instead (``_antialias_table``).
"""
import math
import warnings

import numpy as np

from ...autograd import Function
from ...backend import get_array_module
from ...tensor import Tensor
from .pool import adaptive_avg_pool1d, adaptive_avg_pool2d, adaptive_avg_pool3d

__all__ = ['interpolate', 'upsample', 'upsample_nearest', 'upsample_bilinear']

_MODES = ('nearest', 'nearest-exact', 'linear', 'bilinear', 'bicubic', 'trilinear', 'lanczos',
          'area')
_RANK = {'linear': 3, 'bilinear': 4, 'bicubic': 4, 'trilinear': 5, 'lanczos': 4}  # input ranks
_CUBIC_A = -0.75


class _Table:
    """A 1-d resampling ``size`` -> ``len(index)`` positions: ``y[i] = sum_t weight[i, t] *
    x[index[i, t]]``; an ``index`` equal to ``size`` reads a zero (pads short rows)."""

    def __init__(self, index, weight, size):
        self.index, self.weight, self.size = index, weight, size
        self._transposed = None
        self.forward_of_backward = self    # the table whose transpose is the backward

    def transposed(self):
        """The adjoint table ``len(index)`` -> ``size``: row ``j`` lists the outputs that read
        input ``j`` (in output order, the order PyTorch's backward accumulates in)."""
        if self._transposed is None:
            out, taps = self.index.shape
            cols, weights = self.index.ravel(), self.weight.ravel()
            rows = np.repeat(np.arange(out), taps)
            real = cols < self.size
            order = np.argsort(cols[real], kind='stable')
            cols, rows, weights = cols[real][order], rows[real][order], weights[real][order]
            counts = np.bincount(cols, minlength=self.size)
            slot = np.arange(cols.size) - np.repeat(np.cumsum(counts) - counts, counts)
            width = max(int(counts.max(initial=0)), 1)
            index = np.full((self.size, width), out)
            weight = np.zeros((self.size, width), self.weight.dtype)
            index[cols, slot], weight[cols, slot] = rows, weights
            self._transposed = _Table(index, weight, out)
            self._transposed._transposed = self
        return self._transposed

    def is_identity(self):
        """True when both this resampling and its backward change nothing."""
        return (self.forward_of_backward is self and len(self.index) == self.size
                and (self.index[:, 0] == np.arange(self.size)).all()
                and (self.weight[:, 0] == 1).all() and not self.weight[:, 1:].any())


class Resample(Function):
    """Resample ``x`` along ``axis`` with a :class:`_Table`:
    ``y[..., i, ...] = sum_t weight[i, t] * x[..., index[i, t], ...]``."""

    def forward(self, x, *, axis, table):
        xp = get_array_module(x)
        self.axis, self.table = axis, table
        if (table.index == table.size).any():       # short rows read an appended zero
            zero = xp.zeros(x.shape[:axis] + (1,) + x.shape[axis + 1:], x.dtype)
            x = xp.concatenate([x, zero], axis)
        index = xp.asarray(table.index)
        shape = (-1,) + (1,) * (x.ndim - axis - 1)   # weights broadcast along the later axes
        weight = xp.asarray(table.weight.astype(x.dtype, copy=False))
        y = xp.take(x, index[:, 0], axis) * weight[:, 0].reshape(shape)
        for t in range(1, index.shape[1]):
            y += xp.take(x, index[:, t], axis) * weight[:, t].reshape(shape)
        return y

    def backward(self, grad):
        return Resample.apply(grad, axis=self.axis,
                              table=self.table.forward_of_backward.transposed())


# ----------------------------------------------------------------------------- index tables

def _scale(n, out, align_corners, scale_factor, dtype):
    """PyTorch's ``area_pixel_compute_scale``: source step per output step, in ``dtype``."""
    T = dtype.type
    if align_corners:
        return T(n - 1) / T(out - 1) if out > 1 else T(0)
    if scale_factor is not None and scale_factor > 0:
        return T(1.0 / scale_factor)
    return T(n) / T(out)


def _source(scale, out, align_corners, dtype):
    """Real source position of each output position (``area_pixel_compute_source_index``)."""
    T = dtype.type
    i = np.arange(out).astype(dtype)
    return scale * i if align_corners else scale * (i + T(0.5)) - T(0.5)


def _floor_index(src, n):
    """PyTorch's ``min(int(floorf(src)), n - 1)``: floorf rounds to float32 first."""
    return np.minimum(np.floor(src.astype(np.float32)).astype(np.int64), n - 1)


def _nearest_table(n, out, scale_factor, exact, shortcuts):
    """Nearest source position per output. PyTorch's 2-d kernels copy (``out = n``) and halve
    (``out = 2 n``) indices whatever the scale factor; its 1-d and 3-d forward kernels
    always use ``floor(i * scale)`` but their backward kernels take the shortcuts, so
    there the backward is the transpose of the ``shortcuts`` table."""
    table = _nearest_index_table(n, out, scale_factor, exact, shortcuts)
    if not shortcuts and not exact:
        table.forward_of_backward = _nearest_index_table(n, out, scale_factor, exact, True)
    return table


def _nearest_index_table(n, out, scale_factor, exact, shortcuts):
    if scale_factor is not None and scale_factor > 0:
        scale = np.float32(1.0 / scale_factor)
    else:
        scale = np.float32(n) / np.float32(out)
    i = np.arange(out)
    if exact:      # (i + 0.5) * scale is computed in double, then floorf'd
        index = _floor_index((i + 0.5) * np.float64(scale), n)
    elif shortcuts and out == n:
        index = i
    elif shortcuts and out == 2 * n:
        index = i >> 1
    else:
        index = _floor_index(i.astype(np.float32) * scale, n)
    return _Table(index[:, None], np.ones((out, 1), np.float32), n)


def _linear_table(n, out, align_corners, scale_factor, dtype):
    if out == n:
        return _Table(np.arange(n)[:, None], np.ones((n, 1), dtype), n)
    T = dtype.type
    src = _source(_scale(n, out, align_corners, scale_factor, dtype), out, align_corners, dtype)
    src = np.maximum(src, T(0))
    i0 = _floor_index(src, n)
    lambda1 = np.clip(src - i0.astype(dtype), T(0), T(1))
    index = np.stack([i0, i0 + (i0 < n - 1)], 1)
    return _Table(index, np.stack([T(1) - lambda1, lambda1], 1), n)


def _cubic_table(n, out, align_corners, scale_factor, dtype):
    T = dtype.type
    src = _source(_scale(n, out, align_corners, scale_factor, dtype), out, align_corners, dtype)
    i0 = _floor_index(src, n)
    t = np.clip(src - i0.astype(dtype), T(0), T(1))
    A = T(_CUBIC_A)

    def near(x):        # |x| <= 1
        return ((A + T(2)) * x - (A + T(3))) * x * x + T(1)

    def far(x):         # 1 < |x| < 2
        return ((A * x - T(5) * A) * x + T(8) * A) * x - T(4) * A

    weight = np.stack([far(t + T(1)), near(t), near(T(1) - t), far(T(2) - t)], 1)
    # taps i0 - 1 ... i0 + 2, clamped to the border (the border value repeats)
    index = np.clip(i0[:, None] + np.arange(-1, 3), 0, n - 1)
    return _Table(index, weight, n)


def _antialias_table(mode, n, out, align_corners, scale_factor, dtype):
    """PyTorch's (and Pillow's) antialiased resampling: when shrinking by ``scale`` the
    filter (triangle, cubic with ``a = -0.5``, or Lanczos with ``a = 3``) is stretched by
    ``scale``, so each output averages all the input pixels it covers; the weights of a
    row are normalised to sum to 1. The float32 casts follow PyTorch's mixed float/double
    arithmetic."""
    T, f64 = dtype.type, np.float64
    scale = _scale(n, out, align_corners, scale_factor, dtype)
    half = {'bilinear': 1.0, 'bicubic': 2.0, 'lanczos': 3.0}[mode]   # half the filter's width
    support = T(half * f64(scale)) if scale >= 1 else T(half)
    invscale = T(1.0 / f64(scale)) if scale >= 1 else T(1)
    width = int(math.ceil(support)) * 2 + 1
    center = (f64(scale) * (np.arange(out) + 0.5)).astype(dtype)
    start = np.maximum(((center - support).astype(f64) + 0.5).astype(np.int64), 0)
    count = np.clip(np.minimum(((center + support).astype(f64) + 0.5).astype(np.int64), n) - start,
                    0, width)
    j = np.arange(width)
    x = (((start[:, None] + j).astype(dtype) - center[:, None]).astype(f64) + 0.5) * f64(invscale)
    x = np.abs(x.astype(dtype))
    if mode == 'lanczos':      # sinc(x) sinc(x / 3)
        a, pi = T(3), T(np.pi)
        safe = np.where(x == 0, T(1), x)           # the limit at 0 is 1: no 0 / 0
        w = np.where(x == 0, T(1), np.where(x < a, a * np.sin(pi * safe) * np.sin(pi * safe / a)
                                            / (pi * pi * safe * safe), T(0)))
    elif mode == 'bicubic':
        a = T(-0.5)
        w = np.where(x < 1, ((a + T(2)) * x - (a + T(3))) * x * x + T(1),
                     np.where(x < 2, (((x - T(5)) * x + T(8)) * x - T(4)) * a, T(0)))
    else:
        w = np.maximum(T(1) - x, T(0))
    inside = j < count[:, None]
    w = np.where(inside, w, T(0)).astype(dtype)
    total = np.zeros(out, dtype)
    for t in range(width):                             # summed in order, as PyTorch
        total += w[:, t]
    w = np.where(total[:, None] != 0, w / np.where(total == 0, T(1), total)[:, None], w)
    table = _Table(np.where(inside, start[:, None] + j, n), w.astype(dtype), n)
    if out == n:
        # PyTorch's forward leaves a dim of unchanged size alone, whatever the scale factor,
        # but its backward still uses the scale's weights
        identity = _Table(np.arange(n)[:, None], np.ones((n, 1), dtype), n)
        identity.forward_of_backward = table
        return identity
    return table


def _table(mode, nd, n, out, align_corners, scale_factor, dtype, antialias=False):
    if antialias:
        return _antialias_table(mode, n, out, align_corners, scale_factor, dtype)
    if mode in ('nearest', 'nearest-exact'):
        return _nearest_table(n, out, scale_factor, mode == 'nearest-exact', nd == 2)
    if mode == 'bicubic':
        return _cubic_table(n, out, align_corners, scale_factor, dtype)
    return _linear_table(n, out, align_corners, scale_factor, dtype)


# ----------------------------------------------------------------------------- public API

def _is_integer(v):
    return isinstance(v, (int, np.integer)) and not isinstance(v, bool) or (
        isinstance(v, Tensor) and v.dtype.kind in 'iu')


def _output_size(input, nd, size, scale_factor, recompute_scale_factor, mode):
    """``(output sizes, scale factors passed to the kernel or None)``, as PyTorch decides them."""
    spatial = list(input.shape[2:])
    if size is not None and scale_factor is not None:
        raise ValueError("only one of size or scale_factor should be defined")
    if size is not None:
        if isinstance(size, (list, tuple)):
            if len(size) != nd:
                raise ValueError(
                    f"Input and output must have the same number of spatial dimensions, but got "
                    f"input with spatial dimensions of {spatial} and output size of {size}. Please "
                    f"provide input tensor in (N, C, d1, d2, ...,dK) format and output size in "
                    f"(o1, o2, ...,oK) format.")
            if not all(_is_integer(s) for s in size):
                raise TypeError(f"expected size to be one of int or Tuple[int] or Tuple[int, int] "
                                f"or Tuple[int, int, int], but got size with types "
                                f"{[type(s) for s in size]}")
            out = [int(s) for s in size]
        else:
            out = [int(size)] * nd
        if recompute_scale_factor:
            raise ValueError("recompute_scale_factor is not meaningful with an explicit size.")
        return out, None
    if scale_factor is None:
        raise ValueError("either size or scale_factor should be defined")
    if isinstance(scale_factor, (list, tuple)):
        if len(scale_factor) != nd:
            raise ValueError(
                f"Input and scale_factor must have the same number of spatial dimensions, but got "
                f"input with spatial dimensions of {spatial} and scale_factor of shape "
                f"{scale_factor}. Please provide input tensor in (N, C, d1, d2, ...,dK) format "
                f"and scale_factor in (s1, s2, ...,sK) format.")
        scales = [float(s) for s in scale_factor]
    else:
        scales = [float(scale_factor)] * nd
    out = [int(n * s) for n, s in zip(spatial, scales)]      # truncation, as PyTorch
    # 'area' and recompute_scale_factor=True use in / out, not the given factor
    return out, None if mode == 'area' or recompute_scale_factor else scales


def interpolate(input, size=None, scale_factor=None, mode='nearest', align_corners=None,
                recompute_scale_factor=None, antialias=False):
    """Resize ``input`` ``(N, C, *S)`` (1 to 3 spatial dims) to ``size`` or ``S * scale_factor``.

    Args:
        input: ``(N, C, L)``, ``(N, C, H, W)`` or ``(N, C, D, H, W)``.
        size: output spatial size, an int or one per dim.
        scale_factor: multiplier(s) for the spatial size; the output size is
            ``floor(S * scale_factor)``.
        mode: ``'nearest'`` (source ``floor(i * S / out)``, PyTorch's legacy rule),
            ``'nearest-exact'`` (``floor((i + 0.5) * S / out)``), ``'linear'`` (3-d input),
            ``'bilinear'``/``'bicubic'`` (4-d), ``'trilinear'`` (5-d), ``'lanczos'`` (4-d,
            needs ``antialias=True``) or ``'area'`` (adaptive average pooling).
        align_corners: linear/cubic modes only (default False). True maps the corner
            pixels' centres onto each other (``src = i (S - 1) / (out - 1)``); False maps
            the corners' edges (``src = (i + 0.5) / scale - 0.5``).
        recompute_scale_factor: if True, a given ``scale_factor`` only sets the output
            size and positions use ``S / out``; otherwise they use ``1 / scale_factor``.
        antialias: for ``'bilinear'``/``'bicubic'``/``'lanczos'`` downsampling, widen the
            filter by the scale so that every input pixel contributes (as Pillow; no
            aliasing).

    Returns:
        ``(N, C, *out)``, differentiable with respect to ``input``.
    """
    if mode not in _MODES:
        raise NotImplementedError(
            f"Input Error: Only 3D, 4D and 5D input Tensors supported (got {input.ndim}D) for "
            f"the modes: nearest | linear | bilinear | bicubic | trilinear | lanczos | area | "
            f"nearest-exact (got {mode})")
    if mode in ('nearest', 'area', 'nearest-exact'):
        if align_corners is not None:
            raise ValueError("align_corners option can only be set with the interpolating "
                             "modes: linear | bilinear | bicubic | trilinear")
    elif align_corners is None:
        align_corners = False
    nd = input.ndim - 2
    out, scales = _output_size(input, nd, size, scale_factor, recompute_scale_factor, mode)
    if antialias and not (mode in ('bilinear', 'bicubic', 'lanczos') and input.ndim == 4):
        raise ValueError("Anti-alias option is restricted to bilinear, bicubic, and lanczos "
                         "modes and requires a 4-D tensor as input")
    if input.ndim == 4 and mode == 'lanczos':
        if align_corners:
            raise ValueError("Lanczos mode does not support align_corners=True")
        if not antialias:
            raise ValueError("Lanczos mode requires antialias=True")
    if input.ndim not in (3, 4, 5) or mode in _RANK and input.ndim != _RANK[mode]:
        if input.ndim in (3, 4, 5) and mode not in ('bicubic', 'lanczos'):
            raise NotImplementedError(f"Got {input.ndim}D input, but {mode} mode needs "
                                      f"{_RANK[mode]}D input")
        raise NotImplementedError(
            f"Input Error: Only 3D, 4D and 5D input Tensors supported (got {input.ndim}D) for "
            f"the modes: nearest | linear | bilinear | bicubic | trilinear | lanczos | area | "
            f"nearest-exact (got {mode})")
    spatial = tuple(input.shape[2:])
    if 0 in spatial or mode != 'area' and any(o <= 0 for o in out) or input.shape[1] == 0:
        raise RuntimeError(f"interpolate: input and output sizes should be greater than 0, but "
                           f"got input.shape={tuple(input.shape)} and output size {tuple(out)}")
    if input.dtype.kind != 'f' and not (input.dtype == np.uint8 and mode.startswith('nearest')):
        raise NotImplementedError(f"interpolate: mode {mode!r} is not implemented for dtype "
                                  f"{input.dtype} (use a floating point input)")
    if mode == 'area':
        if 0 in out:            # an empty result (PyTorch's adaptive pooling allows it)
            return input.flatten(2)[:, :, :0].reshape(tuple(input.shape[:2]) + tuple(out))
        pool = (adaptive_avg_pool1d, adaptive_avg_pool2d, adaptive_avg_pool3d)[nd - 1]
        return pool(input, tuple(out) if nd > 1 else out[0])
    y = input
    scales = scales or [None] * nd
    for axis in reversed(range(nd)):      # last dim first: PyTorch's summation order
        table = _table(mode, nd, spatial[axis], out[axis], align_corners, scales[axis], input.dtype,
                       antialias)
        if not table.is_identity():
            y = Resample.apply(y, axis=2 + axis, table=table)
    return y if y is not input else input.clone()


def upsample(input, size=None, scale_factor=None, mode='nearest', align_corners=None):
    """Deprecated alias of :func:`interpolate` (warns, as PyTorch)."""
    warnings.warn("`nn.functional.upsample` is deprecated. Use `nn.functional.interpolate` "
                  "instead.", stacklevel=2)
    return interpolate(input, size, scale_factor, mode, align_corners)


def upsample_nearest(input, size=None, scale_factor=None):
    """Deprecated: ``interpolate(input, size, scale_factor, mode='nearest')``."""
    warnings.warn("`nn.functional.upsample_nearest` is deprecated. Use "
                  "`nn.functional.interpolate` instead.", stacklevel=2)
    return interpolate(input, size, scale_factor, mode='nearest')


def upsample_bilinear(input, size=None, scale_factor=None):
    """Deprecated: ``interpolate(input, size, scale_factor, mode='bilinear',
    align_corners=True)``."""
    warnings.warn("`nn.functional.upsample_bilinear` is deprecated. Use "
                  "`nn.functional.interpolate` instead.", stacklevel=2)
    return interpolate(input, size, scale_factor, mode='bilinear', align_corners=True)
