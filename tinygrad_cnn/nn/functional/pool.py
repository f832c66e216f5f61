"""Pooling: max/avg pooling (1-3 d), adaptive pooling, max-unpooling, global pooling.

The ops work on ``(B, *S)`` arrays, ``B = N * C`` (pooling treats every
channel of every image alike), a cache-sized block of ``B`` at a time
(``padded_blocks``), and loop over the kernel offsets: a 2x2 pool is 4
vectorised passes over strided views, never a Python loop per element.

* **Max pooling** = *find the winner* (no gradient) + *select it* (linear).
  ``_max_pool_forward`` returns the max and, per output, the offset of the
  first maximal element of its window in row-major order (PyTorch's tie
  rule). ``ArgmaxGather`` selects those elements; its backward
  ``ArgmaxScatter`` sends each output gradient to its winner (adding up
  where windows overlap), and the backward of that is ``ArgmaxGather``
  again -- so max pooling has second derivatives.
* **Average pooling** is linear: ``AvgPoolNd`` sums the windows and divides,
  its adjoint ``AvgPoolAdjoint`` spreads the divided gradient back over the
  windows (col2im), and each is the other's backward.
* **Big kernels** (global pooling; more kernel offsets than outputs): instead
  of one pass per kernel offset, numpy reduces over the window axes directly.
* **Adaptive pooling**: when the input size is a multiple of the output size
  it is ordinary pooling with ``kernel = stride = S / out``; otherwise avg
  gathers the uneven windows per dim, padded to equal length (avg: with
  zeros, then divides by the true lengths; max: by repeating their last
  element, then max-pools them).

Output size along each dim (``pool_output_size``):
``floor((S + 2 p - d (k - 1) - 1) / s) + 1`` (``ceil`` with ``ceil_mode``,
dropping a last window that would start in the right padding).
"""
import math

import numpy as np

from ...autograd import Function
from ...backend import get_array_module
from ...tensor import Tensor, cat
from ._windows import (add_windows, block_size, kernel_offsets, ntuple, offset_view,
                       padded_blocks, pool_output_size, window_view, windows_disjoint)

__all__ = ['max_pool1d', 'max_pool2d', 'max_pool3d', 'avg_pool1d', 'avg_pool2d', 'avg_pool3d',
           'adaptive_avg_pool1d', 'adaptive_avg_pool2d', 'adaptive_avg_pool3d',
           'adaptive_max_pool1d', 'adaptive_max_pool2d', 'adaptive_max_pool3d',
           'max_unpool1d', 'max_unpool2d', 'max_unpool3d', 'lp_pool1d', 'lp_pool2d', 'lp_pool3d',
           'max_pool1d_with_indices', 'max_pool2d_with_indices', 'max_pool3d_with_indices',
           'adaptive_max_pool1d_with_indices', 'adaptive_max_pool2d_with_indices',
           'adaptive_max_pool3d_with_indices']

# Pooling is memory-bound: blocks of ~1 MB keep a block's passes in the L2 cache.
_POOL_BLOCK_BYTES = 1 << 20


def _is_big(kernel, stride, dilation, out):
    """Few large windows (global pooling): with more kernel offsets than outputs per
    plane, one numpy reduction over the window axes beats a pass per offset."""
    return math.prod(kernel) >= math.prod(out) and windows_disjoint(kernel, stride, dilation)


def _index_dtype(kernel):
    """Smallest integer type that numbers the offsets of a window."""
    return np.uint8 if math.prod(kernel) <= 256 else np.int32


def _flat_windows(windows, nd):
    """Copy ``windows (b, *K, *out)`` to ``(b, *out, prod(K))``: one row per window."""
    xp = get_array_module(windows)
    b, kernel, out = windows.shape[0], windows.shape[1:1 + nd], windows.shape[1 + nd:]
    moved = xp.moveaxis(windows, tuple(range(1, 1 + nd)), tuple(range(-nd, 0)))
    return moved.reshape((b,) + out + (math.prod(kernel),))


# ----------------------------------------------------------------------------- max pooling

def _first_inside(kernel, stride, padding, dilation, out):
    """``(*out)``: per window, the number of its first (row-major) element that is not padding.

    PyTorch only looks at real input elements, so a window of ``-inf`` values
    is won by this element, never by the ``-inf`` padding before it.
    """
    first = np.zeros((), np.int64)
    for k, s, (lo, _), d, o in zip(kernel, stride, padding, dilation, out):
        j = np.clip(-((np.arange(o) * s - lo) // d), 0, k - 1)   # ceil((lo - o s) / d)
        first = np.add.outer(first * k, j)
    return first


def _max_pool_forward(x, kernel, stride, padding, dilation, out):
    """Max of each window of ``x (B, *S)`` and the offset (row-major) of its winner.

    The winner is PyTorch's: the first maximal element of the window, but the
    last NaN if it holds any (the max is then NaN), and never the padding.
    """
    xp = get_array_module(x)
    nd, B = len(kernel), x.shape[0]
    y = xp.empty((B,) + tuple(out), x.dtype)
    argmax = xp.empty((B,) + tuple(out), _index_dtype(kernel))
    # with left padding a window may start in it: an all -inf window needs a fix-up
    first = _first_inside(kernel, stride, padding, dilation, out) \
        if any(lo for lo, _ in padding) else None
    padded = [s + lo + hi for s, (lo, hi) in zip(x.shape[1:], padding)]
    nb = block_size(B, math.prod(padded) * x.itemsize, _POOL_BLOCK_BYTES)
    offsets = kernel_offsets(kernel)
    big = _is_big(kernel, stride, dilation, out)
    greater = step = None
    for start, stop, xb in padded_blocks(x, padding, nb, fill=-np.inf):
        windows = window_view(xb, kernel, stride, dilation, out)
        yb, ab = y[start:stop], argmax[start:stop]
        if big:
            rows = _flat_windows(windows, nd)
            ab[...] = rows.argmax(axis=-1)
            yb[...] = xp.take_along_axis(rows, ab[..., None].astype(np.intp), axis=-1)[..., 0]
        else:
            if greater is None or greater.shape != yb.shape:
                greater, step = xp.empty(yb.shape, bool), xp.empty(yb.shape, ab.dtype)
            xp.copyto(yb, windows[(slice(None),) + offsets[0]])
            ab.fill(0)
            for i, k in enumerate(offsets[1:], 1):
                candidate = windows[(slice(None),) + k]
                xp.greater(candidate, yb, out=greater)   # strictly greater: the first max wins
                xp.maximum(yb, candidate, out=yb)        # (and NaN propagates)
                # argmax = i where greater: arithmetic on uint8 beats a masked copy 10x
                xp.subtract(i, ab, out=step)
                xp.multiply(step, greater, out=step)
                xp.add(ab, step, out=ab)
        # rare cases, fixed up afterwards to keep the loop lean (one reduction to detect NaN)
        if first is not None:
            xp.copyto(ab, xp.asarray(first, ab.dtype), where=yb == -np.inf)
        if xp.isnan(yb.max()):                           # the last NaN of a window wins
            for i, k in enumerate(offsets):
                xp.copyto(ab, i, where=xp.isnan(windows[(slice(None),) + k]))
    return y, argmax


def _argmax_scatter(g, argmax, kernel, stride, padding, dilation, size):
    """``gx (B, *size)``: each ``g`` value added at its window's ``argmax`` element."""
    xp = get_array_module(g)
    nd, B, out = len(kernel), g.shape[0], g.shape[1:]
    gx = xp.zeros((B,) + tuple(size), g.dtype)
    padded = tuple(s + lo + hi for s, (lo, hi) in zip(size, padding))
    direct = padded == tuple(size)                  # no padding: write straight into gx
    nb = block_size(B, math.prod(padded) * g.itemsize, _POOL_BLOCK_BYTES)
    canvas = None if direct else xp.empty((nb,) + padded, g.dtype)
    inner = (Ellipsis,) + tuple(slice(lo, lo + s) for s, (lo, _) in zip(size, padding))
    disjoint, big = windows_disjoint(kernel, stride, dilation), _is_big(kernel, stride, dilation, out)
    for start in range(0, B, nb):
        stop = min(start + nb, B)
        gb, ab = g[start:stop], argmax[start:stop]
        cv = gx[start:stop] if direct else canvas[:stop - start]
        if not direct:
            cv.fill(0)
        if big:
            rows = xp.zeros(gb.shape + (math.prod(kernel),), g.dtype)
            xp.put_along_axis(rows, ab[..., None].astype(np.intp), gb[..., None], axis=-1)
            target = window_view(cv, kernel, stride, dilation, out, writeable=True)
            xp.copyto(target, xp.moveaxis(rows.reshape(gb.shape + tuple(kernel)),
                                          tuple(range(-nd, 0)), tuple(range(1, 1 + nd))))
        else:
            mask, tmp = xp.empty(gb.shape, bool), xp.empty(gb.shape, g.dtype)
            for i, k in enumerate(kernel_offsets(kernel)):
                xp.equal(ab, i, out=mask)
                target = offset_view(cv, k, stride, dilation, out)
                if disjoint:                        # each element in one window: write
                    xp.multiply(gb, mask, out=target)
                else:                               # overlapping windows: accumulate
                    target += xp.multiply(gb, mask, out=tmp)
        if not direct:
            gx[start:stop] = cv[inner]
    return gx


def _argmax_gather(x, argmax, kernel, stride, padding, dilation):
    """``y (B, *out)``: the ``argmax`` element of each window of ``x (B, *S)``."""
    xp = get_array_module(x)
    nd, B, out = len(kernel), x.shape[0], argmax.shape[1:]
    y = xp.zeros((B,) + tuple(out), x.dtype)
    padded = [s + lo + hi for s, (lo, hi) in zip(x.shape[1:], padding)]
    nb = block_size(B, math.prod(padded) * x.itemsize, _POOL_BLOCK_BYTES)
    big = _is_big(kernel, stride, dilation, out)
    for start, stop, xb in padded_blocks(x, padding, nb):
        windows = window_view(xb, kernel, stride, dilation, out)
        yb, ab = y[start:stop], argmax[start:stop]
        if big:
            rows = _flat_windows(windows, nd)
            yb[...] = xp.take_along_axis(rows, ab[..., None].astype(np.intp), axis=-1)[..., 0]
            continue
        for i, k in enumerate(kernel_offsets(kernel)):
            yb += windows[(slice(None),) + k] * (ab == i)
    return y


class ArgmaxGather(Function):
    """Select from each window of x ``(B, *S)`` its element number ``argmax`` -> ``(B, *out)``.

    With ``argmax`` the winners of a max pool this *is* the max pool (its
    ``values``, already known, are passed in to skip the gather).
    """

    def forward(self, x, *, argmax, kernel, stride, padding, dilation, values=None):
        self.geometry = dict(kernel=kernel, stride=stride, padding=padding, dilation=dilation)
        self.argmax, self.size = argmax, x.shape[1:]
        return values if values is not None else _argmax_gather(x, argmax, **self.geometry)

    def backward(self, grad):
        return ArgmaxScatter.apply(grad, argmax=self.argmax, size=self.size, **self.geometry)


class ArgmaxScatter(Function):
    """Max-pool backward: each gradient ``(B, *out)`` goes to its window's winner in
    ``(B, *size)``; where windows overlap, the contributions add up."""

    def forward(self, g, *, argmax, size, kernel, stride, padding, dilation):
        self.geometry = dict(kernel=kernel, stride=stride, padding=padding, dilation=dilation)
        self.argmax = argmax
        return _argmax_scatter(g, argmax, size=size, **self.geometry)

    def backward(self, grad):
        return ArgmaxGather.apply(grad, argmax=self.argmax, **self.geometry)


# ----------------------------------------------------------------------------- avg pooling

def _avg_pool_forward(x, kernel, stride, padding, out, divisor):
    """Window sums of ``x (B, *S)`` (zero padding) divided by ``divisor`` (array ``out`` or scalar)."""
    xp = get_array_module(x)
    nd, B = len(kernel), x.shape[0]
    y = xp.empty((B,) + tuple(out), x.dtype)
    padded = [s + lo + hi for s, (lo, hi) in zip(x.shape[1:], padding)]
    nb = block_size(B, math.prod(padded) * x.itemsize, _POOL_BLOCK_BYTES)
    dilation = (1,) * nd
    offsets = kernel_offsets(kernel)
    big = _is_big(kernel, stride, dilation, out)
    for start, stop, xb in padded_blocks(x, padding, nb):
        windows = window_view(xb, kernel, stride, dilation, out)
        yb = y[start:stop]
        if big:
            windows.sum(axis=tuple(range(1, 1 + nd)), out=yb)
        else:
            xp.copyto(yb, windows[(slice(None),) + offsets[0]])
            for k in offsets[1:]:
                yb += windows[(slice(None),) + k]
        yb /= divisor
    return y


def _avg_pool_adjoint(g, kernel, stride, padding, size, divisor):
    """``gx (B, *size)``: each ``g / divisor`` spread evenly over its window (col2im)."""
    xp = get_array_module(g)
    nd, B, out = len(kernel), g.shape[0], g.shape[1:]
    gx = xp.empty((B,) + tuple(size), g.dtype)
    padded = tuple(s + lo + hi for s, (lo, hi) in zip(size, padding))
    nb = block_size(B, math.prod(padded) * g.itemsize, _POOL_BLOCK_BYTES)
    canvas = xp.empty((nb,) + padded, g.dtype)
    inner = (Ellipsis,) + tuple(slice(lo, lo + s) for s, (lo, _) in zip(size, padding))
    dilation = (1,) * nd
    for start in range(0, B, nb):
        stop = min(start + nb, B)
        share = g[start:stop] / divisor
        cv = canvas[:stop - start]
        cv.fill(0)
        spread = xp.broadcast_to(share.reshape(share.shape[:1] + (1,) * nd + share.shape[1:]),
                                 share.shape[:1] + tuple(kernel) + share.shape[1:])
        if windows_disjoint(kernel, stride, dilation):   # one write per window
            xp.copyto(window_view(cv, kernel, stride, dilation, out, writeable=True), spread)
        else:                                            # overlaps add up: col2im
            add_windows(cv, spread, stride, dilation)
        gx[start:stop] = cv[inner]
    return gx


class AvgPoolNd(Function):
    """Average pooling of x ``(B, *S)`` -> ``(B, *out)``: window sums / ``divisor``."""

    def forward(self, x, *, kernel, stride, padding, out, divisor):
        self.opts = dict(kernel=kernel, stride=stride, padding=padding, divisor=divisor)
        self.size = x.shape[1:]
        return _avg_pool_forward(x, out=out, **self.opts)

    def backward(self, grad):
        return AvgPoolAdjoint.apply(grad, size=self.size, **self.opts)


class AvgPoolAdjoint(Function):
    """Avg-pool backward (and its transpose): spread ``g / divisor`` over each window."""

    def forward(self, g, *, kernel, stride, padding, size, divisor):
        self.opts = dict(kernel=kernel, stride=stride, padding=padding, divisor=divisor)
        self.out = g.shape[1:]
        return _avg_pool_adjoint(g, size=size, **self.opts)

    def backward(self, grad):
        return AvgPoolNd.apply(grad, out=self.out, **self.opts)


# ----------------------------------------------------------------------------- max unpooling

class IndexScatter(Function):
    """``out[b, indices[b, j]] = x[b, j]`` into zeros ``(B, size)`` (max_unpool)."""

    def forward(self, x, *, indices, size):
        xp = get_array_module(x)
        self.indices = indices
        out = xp.zeros((x.shape[0], size), x.dtype)
        xp.put_along_axis(out, indices, x, axis=1)
        return out

    def backward(self, grad):
        return IndexGather.apply(grad, indices=self.indices)


class IndexGather(Function):
    """``out[b, j] = x[b, indices[b, j]]`` (the backward of max_unpool)."""

    def forward(self, x, *, indices):
        self.indices, self.size = indices, x.shape[1]
        return get_array_module(x).take_along_axis(x, indices, axis=1)

    def backward(self, grad):
        return IndexScatter.apply(grad, indices=self.indices, size=self.size)


# ----------------------------------------------------------------------------- argument checks

_SPATIAL = {1: 'L', 2: 'H, W', 3: 'D, H, W'}


def _check_input(op, nd, input):
    """Return the input as ``(N, C, *S)`` and whether it had the batch dim."""
    if not isinstance(input, Tensor):
        raise TypeError(f"{op}: input must be a Tensor, got {type(input).__name__}")
    if input.ndim not in (nd + 1, nd + 2) or 0 in input.shape[-nd - 1:]:
        raise RuntimeError(f"{op}: expected a non-empty input of shape (N, C, {_SPATIAL[nd]}) or "
                           f"(C, {_SPATIAL[nd]}), got input.shape={tuple(input.shape)}")
    if input.dtype.kind != 'f':
        raise TypeError(f"{op}: expected a floating point input, got dtype {input.dtype}")
    batched = input.ndim == nd + 2
    return (input if batched else input.unsqueeze(0)), batched


def _geometry(op, nd, x, kernel_size, stride, padding, dilation, ceil_mode):
    """Normalised kernel/stride/dilation, (lo, hi) buffer padding and output size."""
    kernel = ntuple(kernel_size, nd, op, 'kernel_size', minimum=1)
    if stride is None or (isinstance(stride, (tuple, list)) and len(stride) == 0):
        stride = kernel                               # PyTorch's default: stride = kernel
    stride = ntuple(stride, nd, op, 'stride', minimum=1)
    pad = ntuple(padding, nd, op, 'padding', minimum=0)
    dilation = ntuple(dilation, nd, op, 'dilation', minimum=1)
    if any(p > k // 2 for p, k in zip(pad, kernel)):
        raise ValueError(f"{op}: padding={pad} should be at most half of kernel_size={kernel}")
    size = tuple(x.shape[2:])
    out = tuple(pool_output_size(*a, ceil_mode) for a in zip(size, kernel, stride, pad, dilation))
    if any(o < 1 for o in out):
        raise RuntimeError(f"{op}: output size {out} is too small for input.shape="
                           f"{tuple(x.shape)} (kernel_size={kernel}, stride={stride}, "
                           f"padding={pad}, dilation={dilation})")
    # the buffer holds every window; a ceil_mode window may end past the right padding
    padding = tuple((p, max(0, (o - 1) * s + d * (k - 1) + 1 - n - p))
                    for n, k, s, p, d, o in zip(size, kernel, stride, pad, dilation, out))
    return dict(kernel=kernel, stride=stride, padding=padding, dilation=dilation), out, pad


def _per_channel(x):
    """``(N, C, *S)`` -> ``(N*C, *S)``: pooling treats all channels alike."""
    return x.reshape((x.shape[0] * x.shape[1],) + tuple(x.shape[2:]))


def _flat_indices(argmax, geometry, pad, size):
    """PyTorch's ``return_indices``: window winners as flat indices into each input plane."""
    kernel, stride, dilation = geometry['kernel'], geometry['stride'], geometry['dilation']
    xp = get_array_module(argmax)
    offsets = xp.unravel_index(argmax.astype(np.int64), kernel)
    flat = xp.zeros(argmax.shape, np.int64)
    for dim, (k_dim, s, p, d, n) in enumerate(zip(offsets, stride, pad, dilation, size)):
        start = (xp.arange(argmax.shape[1 + dim]) * s - p).reshape(
            (-1,) + (1,) * (len(size) - dim - 1))
        flat = flat * n + start + k_dim * d
    return flat


def _max_pool(op, nd, input, kernel_size, stride, padding, dilation, ceil_mode, return_indices):
    x, batched = _check_input(op, nd, input)
    geometry, out, pad = _geometry(op, nd, x, kernel_size, stride, padding, dilation, ceil_mode)
    planes = _per_channel(x)
    values, argmax = _max_pool_forward(planes.data, out=out, **geometry)
    y = ArgmaxGather.apply(planes, argmax=argmax, values=values, **geometry)
    y = y.reshape(tuple(x.shape[:2]) + out)
    y = y if batched else y.squeeze(0)
    if not return_indices:
        return y
    indices = _flat_indices(argmax, geometry, pad, x.shape[2:]).reshape(y.shape)
    return y, Tensor(indices)


def _avg_divisor(size, geometry, pad, out, count_include_pad, divisor_override, dtype):
    """Per-output divisor as PyTorch: the window's size clipped to the padded input, or
    (``count_include_pad=False``) its number of real input elements."""
    if divisor_override is not None:
        return np.asarray(divisor_override, dtype)
    divisor = np.ones((), dtype)
    for n, k, s, p, o in zip(size, geometry['kernel'], geometry['stride'], pad, out):
        start = np.arange(o) * s - p
        end = np.minimum(start + k, n + p)
        count = end - start if count_include_pad else np.minimum(end, n) - np.maximum(start, 0)
        divisor = np.multiply.outer(divisor, count.astype(dtype))
    return divisor


def _avg_pool(op, nd, input, kernel_size, stride, padding, ceil_mode, count_include_pad,
              divisor_override=None):
    x, batched = _check_input(op, nd, input)
    if divisor_override is not None and (not isinstance(divisor_override, (int, np.integer))
                                         or divisor_override == 0):
        raise ValueError(f"{op}: divisor_override must be a non-zero int, got {divisor_override!r}")
    geometry, out, pad = _geometry(op, nd, x, kernel_size, stride, padding, 1, ceil_mode)
    geometry.pop('dilation')
    divisor = _avg_divisor(x.shape[2:], geometry, pad, out, count_include_pad, divisor_override,
                           x.dtype)
    xp = get_array_module(x.data)
    y = AvgPoolNd.apply(_per_channel(x), out=out, divisor=xp.asarray(divisor), **geometry)
    y = y.reshape(tuple(x.shape[:2]) + out)
    return y if batched else y.squeeze(0)


def _adaptive_size(op, nd, x, output_size):
    sizes = (output_size,) * nd if isinstance(output_size, (int, np.integer)) or output_size is None \
        else tuple(output_size)
    if len(sizes) == 1 and nd > 1:
        sizes = sizes * nd
    if len(sizes) != nd:
        raise ValueError(f"{op}: output_size must be an int or a tuple of {nd} ints/None, "
                         f"got {output_size!r}")
    out = tuple(int(s) if s is not None else int(n) for s, n in zip(sizes, x.shape[2:]))
    if any(o < 1 for o in out):
        raise ValueError(f"{op}: output_size must be positive, got {output_size!r}")
    return out


def _adaptive_table(n, o, fill=None):
    """``(o, width)`` input positions of PyTorch's adaptive windows along one dim.

    Window ``i`` is ``[floor(i n / o), ceil((i + 1) n / o))``; windows are
    uneven, so each row is padded to the longest with ``fill`` (default: the
    window's last position). Also returns the window lengths ``(o,)``.
    """
    i = np.arange(o)
    start, end = (i * n) // o, -((-(i + 1) * n) // o)
    table = start[:, None] + np.arange(int((end - start).max()))
    past = table >= end[:, None]
    table[past] = np.broadcast_to(end[:, None] - 1 if fill is None else fill, table.shape)[past]
    return table, end - start


def _adaptive_avg(op, nd, input, output_size):
    x, batched = _check_input(op, nd, input)
    out = _adaptive_size(op, nd, x, output_size)
    size = tuple(x.shape[2:])
    if all(n % o == 0 for n, o in zip(size, out)):   # even windows: plain average pooling
        kernel = tuple(n // o for n, o in zip(size, out))
        y = _avg_pool(op, nd, x, kernel, kernel, 0, False, True)
    else:
        # per dim: gather the windows, padded to equal length by pointing at an
        # appended zero (a 0-weight matrix product would turn inf into NaN), then average
        y = x
        for dim, (n, o) in enumerate(zip(size, out)):
            axis = 2 + dim
            table, count = _adaptive_table(n, o, fill=n)
            zero = Tensor(np.zeros(y.shape[:axis] + (1,) + y.shape[axis + 1:], x.dtype),
                          device=x.device)
            y = cat([y, zero], axis).index_select(axis, Tensor(table.reshape(-1)))
            y = y.unflatten(axis, table.shape).sum(axis + 1)
            y = y / Tensor(count.astype(x.dtype).reshape((o,) + (1,) * (nd - dim - 1)),
                           device=x.device)
    return y if batched else y.squeeze(0)


def _adaptive_max(op, nd, input, output_size, return_indices):
    x, batched = _check_input(op, nd, input)
    out = _adaptive_size(op, nd, x, output_size)
    size = tuple(x.shape[2:])
    if all(n % o == 0 for n, o in zip(size, out)):   # even windows: plain max pooling
        kernel = tuple(n // o for n, o in zip(size, out))
        result = _max_pool(op, nd, x, kernel, kernel, 0, 1, False, return_indices)
    else:
        # gather the uneven windows, padded to the longest by repeating their last
        # element (a repeat comes after the original, so the winner is unchanged)
        gathered, tables = x, []
        for dim, (n, o) in enumerate(zip(size, out)):
            table, _ = _adaptive_table(n, o)
            tables.append(table)
            gathered = gathered.index_select(2 + dim, Tensor(table.reshape(-1)))
        width = tuple(t.shape[1] for t in tables)
        result = _max_pool(op, nd, gathered, width, width, 0, 1, False, return_indices)
        if return_indices:                           # positions in ``gathered`` -> in ``x``
            y, idx = result
            xp = get_array_module(idx.data)
            coords = xp.unravel_index(idx.data, tuple(t.size for t in tables))
            flat = xp.zeros(idx.shape, np.int64)
            for c, t, n in zip(coords, tables, size):
                flat = flat * n + xp.asarray(t.reshape(-1))[c]
            result = y, Tensor(flat)
    if batched:
        return result
    return tuple(r.squeeze(0) for r in result) if return_indices else result.squeeze(0)


def _max_unpool(op, nd, input, indices, kernel_size, stride, padding, output_size):
    x, batched = _check_input(op, nd, input)
    idx = indices if isinstance(indices, Tensor) else Tensor(np.asarray(indices))
    if tuple(idx.shape) != tuple(input.shape) or idx.dtype.kind not in 'iu':
        raise RuntimeError(f"{op}: expected integer indices of the input's shape "
                           f"{tuple(input.shape)}, got indices.shape={tuple(idx.shape)} "
                           f"(dtype {idx.dtype})")
    kernel = ntuple(kernel_size, nd, op, 'kernel_size', minimum=1)
    stride = kernel if stride is None or (isinstance(stride, (tuple, list)) and not stride) \
        else ntuple(stride, nd, op, 'stride', minimum=1)
    pad = ntuple(padding, nd, op, 'padding', minimum=0)
    default = tuple((n - 1) * s - 2 * p + k for n, s, p, k in zip(x.shape[2:], stride, pad, kernel))
    if output_size is None:
        size = default
    else:
        size = tuple(int(s) for s in tuple(output_size)[-nd:])
        if len(tuple(output_size)) not in (nd, nd + 2) or any(   # (*S) or (N, C, *S)
                not d - s < n < d + s for n, d, s in zip(size, default, stride)):
            raise ValueError(f"{op}: output_size={tuple(output_size)} must hold {nd} sizes (or "
                             f"{nd + 2}, batch and channels first) within one stride {stride} of "
                             f"the default size {default}")
    N, C, plane = x.shape[0], x.shape[1], math.prod(size)
    flat_idx = idx.data.reshape(N * C, -1).astype(np.intp)
    if flat_idx.size and (flat_idx.min() < 0 or flat_idx.max() >= plane):
        bad = int(flat_idx.min() if flat_idx.min() < 0 else flat_idx.max())
        raise RuntimeError(f"{op}: found an invalid max index {bad} (output planes are of size "
                           f"{size}, input.shape={tuple(input.shape)})")
    y = IndexScatter.apply(x.reshape(N * C, -1), indices=flat_idx, size=plane)
    y = y.reshape((N, C) + size)
    return y if batched else y.squeeze(0)


# ----------------------------------------------------------------------------- public API

def max_pool1d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False):
    """1-d max pooling of ``(N, C, L)`` or ``(C, L)``; options as :func:`max_pool2d`."""
    return _max_pool('max_pool1d', 1, input, kernel_size, stride, padding, dilation, ceil_mode,
                     return_indices)


def max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False):
    """2-d max pooling.

    Args:
        input: ``(N, C, H, W)`` or unbatched ``(C, H, W)``.
        kernel_size: window size, int or pair.
        stride: defaults to ``kernel_size`` (PyTorch's default, not 1).
        padding: implicit ``-inf`` padding on both sides, at most ``kernel_size // 2``.
        dilation: spacing between window elements.
        ceil_mode: round the output size up (a window must still start inside the
            input or the left padding).
        return_indices: also return the winners' flat indices ``h * W + w`` (for
            :func:`max_unpool2d`).

    Returns:
        ``(N, C, H_out, W_out)``, ``H_out = floor((H + 2 p - d (k - 1) - 1) / s) + 1``.
        The gradient of each output goes to the first maximal element of its window.
    """
    return _max_pool('max_pool2d', 2, input, kernel_size, stride, padding, dilation, ceil_mode,
                     return_indices)


def max_pool3d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False):
    """3-d max pooling of ``(N, C, D, H, W)`` or ``(C, D, H, W)``; options as :func:`max_pool2d`."""
    return _max_pool('max_pool3d', 3, input, kernel_size, stride, padding, dilation, ceil_mode,
                     return_indices)


def avg_pool1d(input, kernel_size, stride=None, padding=0, ceil_mode=False,
               count_include_pad=True):
    """1-d average pooling of ``(N, C, L)`` or ``(C, L)``; options as :func:`avg_pool2d`."""
    return _avg_pool('avg_pool1d', 1, input, kernel_size, stride, padding, ceil_mode,
                     count_include_pad)


def avg_pool2d(input, kernel_size, stride=None, padding=0, ceil_mode=False,
               count_include_pad=True, divisor_override=None):
    """2-d average pooling.

    Args:
        input: ``(N, C, H, W)`` or unbatched ``(C, H, W)``.
        kernel_size, stride, padding, ceil_mode: as :func:`max_pool2d` (zero padding).
        count_include_pad: divide by the window size including padding (default)
            or, if False, by the number of real input elements in the window.
        divisor_override: divide every window sum by this instead.

    Returns:
        ``(N, C, H_out, W_out)``, sizes as :func:`max_pool2d`.
    """
    return _avg_pool('avg_pool2d', 2, input, kernel_size, stride, padding, ceil_mode,
                     count_include_pad, divisor_override)


def avg_pool3d(input, kernel_size, stride=None, padding=0, ceil_mode=False,
               count_include_pad=True, divisor_override=None):
    """3-d average pooling of ``(N, C, D, H, W)`` or ``(C, D, H, W)``; options as
    :func:`avg_pool2d`."""
    return _avg_pool('avg_pool3d', 3, input, kernel_size, stride, padding, ceil_mode,
                     count_include_pad, divisor_override)


def adaptive_avg_pool1d(input, output_size):
    """Average over ``output_size`` windows covering ``(N, C, L)`` (see :func:`adaptive_avg_pool2d`)."""
    return _adaptive_avg('adaptive_avg_pool1d', 1, input, output_size)


def adaptive_avg_pool2d(input, output_size):
    """Average pooling to a fixed output size, whatever the input size.

    Output element ``i`` averages input ``[floor(i S / o), ceil((i + 1) S / o))``
    along each dim; ``output_size`` is an int or a pair whose ``None`` entries keep
    the input size. ``output_size=1`` is global average pooling.
    """
    return _adaptive_avg('adaptive_avg_pool2d', 2, input, output_size)


def adaptive_avg_pool3d(input, output_size):
    """3-d :func:`adaptive_avg_pool2d`."""
    return _adaptive_avg('adaptive_avg_pool3d', 3, input, output_size)


def adaptive_max_pool1d(input, output_size, return_indices=False):
    """Max over ``output_size`` windows covering ``(N, C, L)`` (see :func:`adaptive_max_pool2d`)."""
    return _adaptive_max('adaptive_max_pool1d', 1, input, output_size, return_indices)


def adaptive_max_pool2d(input, output_size, return_indices=False):
    """Max pooling to a fixed output size (windows as :func:`adaptive_avg_pool2d`).

    ``output_size=1`` is global max pooling; ``return_indices`` gives flat
    indices ``h * W + w`` of the winners.
    """
    return _adaptive_max('adaptive_max_pool2d', 2, input, output_size, return_indices)


def adaptive_max_pool3d(input, output_size, return_indices=False):
    """3-d :func:`adaptive_max_pool2d`."""
    return _adaptive_max('adaptive_max_pool3d', 3, input, output_size, return_indices)


def max_unpool1d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    """Inverse of :func:`max_pool1d` (see :func:`max_unpool2d`)."""
    return _max_unpool('max_unpool1d', 1, input, indices, kernel_size, stride, padding,
                       output_size)


def max_unpool2d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    """Put each value of ``input`` back at its max-pool position ``indices``; zeros elsewhere.

    Args:
        input, indices: ``(N, C, H, W)`` (or ``(C, H, W)``), as returned by
            ``max_pool2d(..., return_indices=True)``.
        kernel_size, stride, padding: those of the max pool.
        output_size: default ``(H - 1) stride - 2 padding + kernel_size`` per dim;
            give the pooled input's size when it was ambiguous.
    """
    return _max_unpool('max_unpool2d', 2, input, indices, kernel_size, stride, padding,
                       output_size)


def max_unpool3d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    """3-d :func:`max_unpool2d`."""
    return _max_unpool('max_unpool3d', 3, input, indices, kernel_size, stride, padding,
                       output_size)


def _lp_pool(op, nd, input, norm_type, kernel_size, stride, ceil_mode):
    """PyTorch's formula: ``(sum over the window of x^p)^(1/p)``, computed as the average of
    ``x^p`` times the kernel size (so a ``ceil_mode`` window cut by the border counts
    only its part inside, times the full kernel size)."""
    kernel = ntuple(kernel_size, nd, op, 'kernel_size', minimum=1)
    out = _avg_pool(op, nd, input ** norm_type, kernel, stride, 0, ceil_mode, True)
    return (out.sign() * out.abs().relu() * math.prod(kernel)) ** (1.0 / norm_type)


def lp_pool1d(input, norm_type, kernel_size, stride=None, ceil_mode=False):
    """Power-average pooling of ``(N, C, L)``: ``(sum_window x^p)^(1/p)``, ``p = norm_type``
    (p = 1: sum pooling; p -> infinity: max pooling)."""
    return _lp_pool('lp_pool1d', 1, input, norm_type, kernel_size, stride, ceil_mode)


def lp_pool2d(input, norm_type, kernel_size, stride=None, ceil_mode=False):
    """2-d :func:`lp_pool1d` of ``(N, C, H, W)``; ``stride`` defaults to ``kernel_size``."""
    return _lp_pool('lp_pool2d', 2, input, norm_type, kernel_size, stride, ceil_mode)


def lp_pool3d(input, norm_type, kernel_size, stride=None, ceil_mode=False):
    """3-d :func:`lp_pool1d` of ``(N, C, D, H, W)``."""
    return _lp_pool('lp_pool3d', 3, input, norm_type, kernel_size, stride, ceil_mode)


def max_pool1d_with_indices(input, kernel_size, stride=None, padding=0, dilation=1,
                            ceil_mode=False, return_indices=False):
    """``max_pool1d(..., return_indices=True)``: always ``(values, indices)``."""
    return max_pool1d(input, kernel_size, stride, padding, dilation, ceil_mode, True)


def max_pool2d_with_indices(input, kernel_size, stride=None, padding=0, dilation=1,
                            ceil_mode=False, return_indices=False):
    """``max_pool2d(..., return_indices=True)``: always ``(values, indices)``."""
    return max_pool2d(input, kernel_size, stride, padding, dilation, ceil_mode, True)


def max_pool3d_with_indices(input, kernel_size, stride=None, padding=0, dilation=1,
                            ceil_mode=False, return_indices=False):
    """``max_pool3d(..., return_indices=True)``: always ``(values, indices)``."""
    return max_pool3d(input, kernel_size, stride, padding, dilation, ceil_mode, True)


def adaptive_max_pool1d_with_indices(input, output_size, return_indices=False):
    """``adaptive_max_pool1d(..., return_indices=True)``: always ``(values, indices)``."""
    return adaptive_max_pool1d(input, output_size, True)


def adaptive_max_pool2d_with_indices(input, output_size, return_indices=False):
    """``adaptive_max_pool2d(..., return_indices=True)``: always ``(values, indices)``."""
    return adaptive_max_pool2d(input, output_size, True)


def adaptive_max_pool3d_with_indices(input, output_size, return_indices=False):
    """``adaptive_max_pool3d(..., return_indices=True)``: always ``(values, indices)``."""
    return adaptive_max_pool3d(input, output_size, True)
