"""Convolutions: ``conv1d/2d/3d`` and ``conv_transpose1d/2d/3d``, one N-d implementation.

Three linear maps do all the work, each a :class:`Function` whose backward
is written with the other two, so every gradient is itself differentiable
(second derivatives, ``gradgradcheck``):

==================  =======================================  ==========================
Function            computes                                 backward (w.r.t. inputs)
==================  =======================================  ==========================
``ConvNd``          ``y = conv(x, w) + b``                   ``ConvTransposeNd``, ``ConvWeightGrad``
``ConvTransposeNd`` ``z = conv_transpose(u, w) + b``         ``ConvNd``, ``ConvWeightGrad``
``ConvWeightGrad``  ``dw = sum_n,p gy[n, o, p] x-window``    ``ConvTransposeNd``, ``ConvNd``
==================  =======================================  ==========================

How the arrays are computed (details and pictures in ``docs/conv.md``):

* **im2col + one GEMM per block of images.** A few images at a time are
  copied into a padded buffer; their windows (a strided view, no copy) are
  copied once into ``cols`` laid out ``(C*kH*kW, images*positions)``, and
  ``W (O, C*kH*kW) @ cols`` is one large matrix product per group. The block
  is sized to stay in the CPU cache, so the copies run at cache speed and
  the im2col buffer never exists for the whole batch.
* **Wide rows.** With stride 1 along the last dim, the output is computed on
  rows as wide as the *padded* input: then each im2col row is one long
  contiguous run of memory instead of ``H`` short ones (faster copies and
  scatter-adds). The ``d (k-1)`` extra columns per row read neighbouring
  data and are cropped away.
* **col2im** (``conv_transpose`` and the input gradient) is the same GEMM
  transposed, ``W^T @ grad``, followed by one strided slice-add per kernel
  offset (``add_windows``): 9 vectorised adds for a 3x3 kernel. With stride 1
  each of those adds is a single contiguous one for the whole block
  (``_col2im_flat``).
* **Weight gradient**: ``grad (O, images*positions) @ cols^T``, one GEMM per block.
* **A kernel as large as the input** (one window per image) skips all of
  this: the three maps are plain matrix products (``_dense``).
* **Stride-1 conv_transpose with C >= O >= 64 channels** runs as the adjoint
  stride-1 conv (channel axes swapped, kernel flipped): im2col copies O*K
  values per position where col2im would add C*K (``_adjoint_weight``).
"""
import math

import numpy as np

from ...autograd import Function
from ...backend import get_array_module
from ...tensor import Tensor
from ._windows import (add_windows, block_size, conv_output_size, kernel_offsets, ntuple,
                       padded_blocks, window_view)

__all__ = ['conv1d', 'conv2d', 'conv3d', 'conv_transpose1d', 'conv_transpose2d',
           'conv_transpose3d']


# ----------------------------------------------------------------------------- array kernels

def _grid(out, padded, stride):
    """The output grid the GEMM runs on: ``out``, with the last dim widened to the
    padded width when its stride is 1 (the wide-row trick; extra columns are garbage).
    Not when most columns would be garbage (a 5x5 kernel on a 5x5 input: 1 of 5 real)."""
    wide = stride[-1] == 1 and padded[-1] <= 3 * out[-1]
    return tuple(out[:-1]) + (padded[-1],) if wide else tuple(out)


def _slack(padded, kernel, stride, dilation, grid):
    """How far (in elements) the windows of ``grid`` read past the end of one padded image."""
    flat = [math.prod(padded[i + 1:]) for i in range(len(padded))]
    last = sum(((g - 1) * s + (k - 1) * d) * f
               for g, s, k, d, f in zip(grid, stride, kernel, dilation, flat))
    return max(0, last + 1 - math.prod(padded))


def _dense(size, kernel, padding, dilation):
    """True when one window covers the whole unpadded input (a kernel as large as the
    image, LeNet's C5): the convolution is then a plain matrix product, no im2col."""
    return (tuple(size) == tuple(kernel) and all(d == 1 for d in dilation)
            and not any(lo or hi for lo, hi in padding))


def _matmul(a, b, out):
    """``a @ b`` into ``out``. With an inner dimension of 1 (depthwise convs) numpy's
    matmul leaves BLAS and is ~10x slower; that product is an outer product."""
    xp = get_array_module(a, b)
    return xp.multiply(a, b, out=out) if a.shape[-1] == 1 else xp.matmul(a, b, out=out)


def _im2col(xb, kernel, stride, dilation, grid, buffer):
    """Copy the windows of a padded block ``xb (m, C, *padded)`` into ``buffer``,
    laid out ``(C, *K, m, *grid)`` -- the GEMM operand ``(C*prod(K), m*prod(grid))``."""
    nd = len(kernel)
    view = window_view(xb.swapaxes(0, 1), kernel, stride, dilation, grid)  # (C, m, *K, *grid)
    cols = buffer[:view.size].reshape((xb.shape[1],) + tuple(kernel) + (xb.shape[0],) + grid)
    get_array_module(xb).copyto(cols, get_array_module(xb).moveaxis(view, 1, 1 + nd))
    return cols


def _widen(values, grid, buffer):
    """``values (m, O, *out)`` as ``(O, m, *grid)`` in ``buffer``, zero in the extra
    (garbage) columns of a wide grid, so that they contribute nothing to a GEMM."""
    m, channels, last = values.shape[0], values.shape[1], values.shape[-1]
    wide = buffer[:channels * m * math.prod(grid)].reshape((channels, m) + grid)
    if grid[-1] != last:
        wide[..., last:] = 0
    wide[..., :last] = values.swapaxes(0, 1)
    return wide


def conv_forward(x, w, b, stride, padding, dilation, groups, out):
    """``y (N, O, *out) = conv(x (N, C, *S), w (O, C/groups, *K)) + b``; padding: (lo, hi) pairs."""
    xp = get_array_module(x)
    N, C, O, K = x.shape[0], x.shape[1], w.shape[0], w.shape[2:]
    nd, ck = len(K), w.shape[1] * math.prod(K)
    wmat = w.reshape(groups, O // groups, ck)
    bias = None if b is None else b.reshape((O,) + (1,) * nd)
    if _dense(x.shape[2:], K, padding, dilation):
        # (groups, N, ck) @ (groups, ck, O/groups): the one window of each image
        y = xp.matmul(x.reshape(N, groups, ck).swapaxes(0, 1), wmat.swapaxes(1, 2))
        y = y.swapaxes(0, 1).reshape((N, O) + tuple(out))
        return y if bias is None else y + bias
    padded = tuple(s + lo + hi for s, (lo, hi) in zip(x.shape[2:], padding))
    grid = _grid(out, padded, stride)
    positions = math.prod(grid)
    nb = block_size(N, C * math.prod(K) * positions * x.itemsize)
    cols_buf = xp.empty(nb * C * math.prod(K) * positions, x.dtype)
    res_buf = xp.empty(nb * O * positions, x.dtype)
    y = xp.empty((N, O) + tuple(out), x.dtype)
    slack = _slack(padded, K, stride, dilation, grid)
    for start, stop, xb in padded_blocks(x, padding, nb, slack=slack):
        m = stop - start
        cols = _im2col(xb, K, stride, dilation, grid, cols_buf)
        res = _matmul(wmat, cols.reshape(groups, ck, m * positions),
                      res_buf[:O * m * positions].reshape(groups, O // groups, m * positions))
        res = res.reshape((O, m) + grid).swapaxes(0, 1)[..., :out[-1]]   # crop wide rows
        if bias is None:
            y[start:stop] = res
        else:
            xp.add(res, bias, out=y[start:stop])
    return y


def conv_weight_grad(x, gy, stride, padding, dilation, groups, kernel):
    """``dw (O, C/groups, *K) = sum over n, p of gy[n, o, p] * window_p(x)[n, c, k]``."""
    xp = get_array_module(x, gy)
    N, C, O, out = x.shape[0], x.shape[1], gy.shape[1], gy.shape[2:]
    ck = C // groups * math.prod(kernel)
    if _dense(x.shape[2:], kernel, padding, dilation):
        # (groups, O/groups, N) @ (groups, N, ck): sum over the images of gy x^T
        dw = xp.matmul(gy.reshape(N, groups, O // groups).transpose(1, 2, 0),
                       x.reshape(N, groups, ck).swapaxes(0, 1))
        return dw.reshape((O, C // groups) + tuple(kernel))
    padded = tuple(s + lo + hi for s, (lo, hi) in zip(x.shape[2:], padding))
    grid = _grid(out, padded, stride)
    positions = math.prod(grid)
    nb = block_size(N, C * math.prod(kernel) * positions * x.itemsize)
    cols_buf = xp.empty(nb * C * math.prod(kernel) * positions, x.dtype)
    gy_buf = xp.empty(nb * O * positions, x.dtype)
    # A long, thin product (inner dim m*positions): OpenBLAS runs it up to 1.5x faster
    # with the larger of ck and O as the output's rows, so then compute dw^T = cols gy^T
    transposed = ck > O // groups
    dw = xp.zeros((groups,) + ((ck, O // groups) if transposed else (O // groups, ck)), x.dtype)
    part = xp.empty_like(dw)
    slack = _slack(padded, kernel, stride, dilation, grid)
    for start, stop, xb in padded_blocks(x, padding, nb, slack=slack):
        m = stop - start
        cols = _im2col(xb, kernel, stride, dilation, grid, cols_buf).reshape(groups, ck, -1)
        g = _widen(gy[start:stop], grid, gy_buf).reshape(groups, O // groups, -1)
        if transposed:
            xp.matmul(cols, g.swapaxes(1, 2), out=part)
        else:
            xp.matmul(g, cols.swapaxes(1, 2), out=part)
        dw += part
    if transposed:
        dw = xp.ascontiguousarray(dw.swapaxes(1, 2))
    return dw.reshape((O, C // groups) + tuple(kernel))


def _col2im_strided(u, wmat_t, kernel, stride, dilation, padded):
    """col2im for any stride: yields ``(start, stop, canvas)``, ``canvas (m, C, *padded)``
    the sum of the windows of ``cols = W^T @ u[start:stop]`` (one slice-add per kernel
    offset onto a padded canvas, ``add_windows``). ``canvas`` is reused by the next block."""
    xp = get_array_module(u)
    N, O, out, nd = u.shape[0], u.shape[1], u.shape[2:], len(kernel)
    groups, ck = wmat_t.shape[0], wmat_t.shape[1]
    C = groups * ck // math.prod(kernel)
    grid = _grid(out, padded, stride)
    positions = math.prod(grid)
    nb = block_size(N, groups * ck * positions * u.itemsize)
    u_buf = xp.empty(nb * O * positions, u.dtype)
    cols_buf = xp.empty(nb * groups * ck * positions, u.dtype)
    canvas_buf = xp.zeros(nb * C * math.prod(padded)
                          + _slack(padded, kernel, stride, dilation, grid), u.dtype)
    canvas = canvas_buf[:nb * C * math.prod(padded)].reshape((nb, C) + padded)
    for start in range(0, N, nb):
        stop = min(start + nb, N)
        m = stop - start
        g = _widen(u[start:stop], grid, u_buf)
        cols = _matmul(wmat_t, g.reshape(groups, O // groups, m * positions),
                       cols_buf[:groups * ck * m * positions].reshape(groups, ck, m * positions))
        cols = cols.reshape((C,) + tuple(kernel) + (m,) + grid)
        block = canvas[:m]
        block.fill(0)
        add_windows(block.swapaxes(0, 1), xp.moveaxis(cols, 1 + nd, 1), stride, dilation)
        yield start, stop, block


def _col2im_flat(u, wmat_t, kernel, dilation, padded):
    """col2im for stride 1, yielding like ``_col2im_strided``.

    With stride 1 a window starts at every position of the padded image, and
    kernel tap ``k`` of the window starting at flat index ``p`` is element
    ``p + shift[k]``, the same shift everywhere. So ``u`` is put on the padded
    grid (zeros where no window starts) with the block's images one after
    another, and col2im is one *contiguous* slice-add per kernel tap for all
    channels and images at once -- 25 long adds for a 5x5 kernel instead of
    25 x channels x images x rows short ones (LeNet's C3: 2x faster), for a
    GEMM over ``prod(padded)`` instead of ``prod(out)`` columns. The zeros'
    columns add nothing where they spill into the next image.
    """
    xp = get_array_module(u)
    N, O, out = u.shape[0], u.shape[1], u.shape[2:]
    groups, ck = wmat_t.shape[0], wmat_t.shape[1]
    C, taps, P = groups * ck // math.prod(kernel), math.prod(kernel), math.prod(padded)
    strides = [math.prod(padded[i + 1:]) for i in range(len(padded))]
    shifts = [sum(k * d * s for k, d, s in zip(tap, dilation, strides))
              for tap in kernel_offsets(kernel)]
    nb = block_size(N, C * taps * P * u.itemsize)
    g_buf = xp.zeros((O, nb) + padded, u.dtype)        # only the window starts get written
    cols_buf = xp.empty(groups * ck * nb * P, u.dtype)
    canvas_buf = xp.empty((C, nb * P + shifts[-1]), u.dtype)
    starts = (slice(None), slice(None)) + tuple(slice(0, o) for o in out)
    for start in range(0, N, nb):
        stop = min(start + nb, N)
        m = stop - start
        g = g_buf[:, :m]
        g[starts] = u[start:stop].swapaxes(0, 1)
        cols = _matmul(wmat_t, g.reshape(groups, O // groups, m * P),
                       cols_buf[:groups * ck * m * P].reshape(groups, ck, m * P))
        cols = cols.reshape(C, taps, m * P)
        canvas = canvas_buf[:, :m * P + shifts[-1]]
        canvas.fill(0)
        for tap, shift in enumerate(shifts):
            canvas[:, shift:shift + m * P] += cols[:, tap]
        yield start, stop, canvas[:, :m * P].reshape((C, m) + padded).swapaxes(0, 1)


# Stride-1 conv_transpose with C >= O channels runs as the adjoint conv from this many
# input channels O on; below, GEMM + col2im measured faster (docs/conv.md).
ADJOINT_MIN_CHANNELS = 64


def _adjoint_padding(out, size, kernel, padding, dilation):
    """Padding ``(lo, hi)`` per dim of the stride-1 conv that maps ``(*out)`` back to
    ``(*size)`` as the adjoint of a conv with ``padding``: ``x[i]`` meets ``y[i + p - k d]``,
    so ``y`` is padded by ``d (k-1) - p`` in front (negative: a crop, not handled)."""
    lo = [d * (k - 1) - p for k, d, (p, _) in zip(kernel, dilation, padding)]
    return tuple((l, s - o - l + d * (k - 1))
                 for l, s, o, k, d in zip(lo, size, out, kernel, dilation))


def _adjoint_weight(w, groups):
    """``(O, C/groups, *K)`` -> ``(C, O/groups, *K)``: per group the channel axes swapped
    and the kernel flipped in space -- the weight of the adjoint stride-1 conv."""
    O, Cg, K = w.shape[0], w.shape[1], w.shape[2:]
    wg = w.reshape((groups, O // groups, Cg) + K).swapaxes(1, 2)
    flipped = wg[(Ellipsis,) + (slice(None, None, -1),) * len(K)]
    return get_array_module(w).ascontiguousarray(flipped).reshape((groups * Cg, O // groups) + K)


def conv_transpose_forward(u, w, b, stride, padding, dilation, groups, size):
    """``z (N, C, *size) = conv_transpose(u (N, O, *out), w (O, C/groups, *K)) + b``.

    The adjoint of ``conv_forward`` in ``x``: ``cols = W^T @ u`` (GEMM), then
    col2im adds each window back onto a padded canvas, which is cropped.
    """
    xp = get_array_module(u, w)
    N, O, K = u.shape[0], u.shape[1], w.shape[2:]
    nd, C, ck = len(K), w.shape[1] * groups, w.shape[1] * math.prod(K)
    wmat = w.reshape(groups, O // groups, ck)
    bias = None if b is None else b.reshape((C,) + (1,) * nd)
    if _dense(size, K, padding, dilation):
        # (groups, N, O/groups) @ (groups, O/groups, ck): the one window of each image
        z = xp.matmul(u.reshape(N, groups, O // groups).swapaxes(0, 1), wmat)
        z = z.swapaxes(0, 1).reshape((N, C) + tuple(size))
        return z if bias is None else z + bias
    if all(s == 1 for s in stride) and C >= O >= ADJOINT_MIN_CHANNELS:
        # The adjoint of a stride-1 conv is a stride-1 conv: im2col + GEMM copies O*K values
        # per position where GEMM + col2im adds C*K, so it wins when C >= O (the input
        # gradient of the 3x3 convs of VGG/ResNet blocks) -- measured, from 64 channels on
        pads = _adjoint_padding(u.shape[2:], size, K, padding, dilation)
        if all(lo >= 0 and hi >= 0 for lo, hi in pads):
            return conv_forward(u, _adjoint_weight(w, groups), b, stride, pads, dilation, groups,
                                out=tuple(size))
    padded = tuple(s + lo + hi for s, (lo, hi) in zip(size, padding))
    wmat_t = wmat.swapaxes(1, 2)
    blocks = (_col2im_flat(u, wmat_t, K, dilation, padded) if all(s == 1 for s in stride)
              else _col2im_strided(u, wmat_t, K, stride, dilation, padded))
    inner = (Ellipsis,) + tuple(slice(lo, lo + s) for s, (lo, _) in zip(size, padding))
    z = xp.empty((N, C) + tuple(size), u.dtype)
    for start, stop, canvas in blocks:
        if bias is None:
            z[start:stop] = canvas[inner]
        else:
            xp.add(canvas[inner], bias, out=z[start:stop])
    return z


# ----------------------------------------------------------------------------- Functions

def _bias_grad(grad):
    """Sum of ``grad (N, C, *S)`` over everything but channels."""
    return grad.sum(dim=(0,) + tuple(range(2, grad.ndim)))


class ConvNd(Function):
    """``y = conv(x, w) + b``: x ``(N, C, *S)``, w ``(O, C/groups, *K)``, b ``(O,)`` or None
    -> y ``(N, O, *out)``. ``padding`` is a ``(lo, hi)`` pair per spatial dim; ``out``
    (the number of windows per dim) is given by the caller."""

    def forward(self, x, w, b, *, stride, padding, dilation, groups, out):
        self.opts = dict(stride=stride, padding=padding, dilation=dilation, groups=groups)
        return conv_forward(x, w, b, out=out, **self.opts)

    def backward(self, grad):
        x, w, _ = self.inputs
        need_x, need_w, need_b = self.needs_input_grad
        # conv_transpose is the adjoint of conv in x: it gives the input gradient
        gx = ConvTransposeNd.apply(grad, w, None, size=x.shape[2:], **self.opts) if need_x else None
        gw = ConvWeightGrad.apply(x, grad, kernel=w.shape[2:], **self.opts) if need_w else None
        return gx, gw, _bias_grad(grad) if need_b else None


class ConvTransposeNd(Function):
    """``z = conv_transpose(u, w) + b``: u ``(N, O, *out)``, w ``(O, C/groups, *K)``,
    b ``(C,)`` or None -> z ``(N, C, *size)``. Same options as :class:`ConvNd`: this is
    the conv whose adjoint it is (``size`` is that conv's input size)."""

    def forward(self, u, w, b, *, stride, padding, dilation, groups, size):
        self.opts = dict(stride=stride, padding=padding, dilation=dilation, groups=groups)
        return conv_transpose_forward(u, w, b, size=size, **self.opts)

    def backward(self, grad):
        u, w, _ = self.inputs
        need_u, need_w, need_b = self.needs_input_grad
        gu = ConvNd.apply(grad, w, None, out=u.shape[2:], **self.opts) if need_u else None
        # the weight enters bilinearly, with grad in the role of conv's input
        gw = ConvWeightGrad.apply(grad, u, kernel=w.shape[2:], **self.opts) if need_w else None
        return gu, gw, _bias_grad(grad) if need_b else None


class ConvWeightGrad(Function):
    """The weight gradient of a conv: ``dw (O, C/groups, *K)`` from x ``(N, C, *S)`` and
    gy ``(N, O, *out)``. Bilinear in (x, gy), so its own backward is a conv_transpose
    (w.r.t. x) and a conv (w.r.t. gy) with the incoming gradient as the weight."""

    def forward(self, x, gy, *, stride, padding, dilation, groups, kernel):
        self.opts = dict(stride=stride, padding=padding, dilation=dilation, groups=groups)
        return conv_weight_grad(x, gy, kernel=kernel, **self.opts)

    def backward(self, grad):
        x, gy = self.inputs
        need_x, need_gy = self.needs_input_grad
        gx = ConvTransposeNd.apply(gy, grad, None, size=x.shape[2:], **self.opts) if need_x else None
        ggy = ConvNd.apply(x, grad, None, out=gy.shape[2:], **self.opts) if need_gy else None
        return gx, ggy


# ----------------------------------------------------------------------------- argument checks

_SPATIAL = {1: 'L', 2: 'H, W', 3: 'D, H, W'}
_KERNEL = {1: 'kL', 2: 'kH, kW', 3: 'kD, kH, kW'}


def _shape(t):
    return tuple(t.shape)


def _check_input(op, nd, input, weight):
    """Check ranks and dtypes; return (batched input, whether it was batched)."""
    if not isinstance(input, Tensor) or not isinstance(weight, Tensor):
        raise TypeError(f"{op}: input and weight must be Tensors, got {type(input).__name__} "
                        f"and {type(weight).__name__}")
    if input.ndim not in (nd + 1, nd + 2):
        raise RuntimeError(f"{op}: expected input of shape (N, C, {_SPATIAL[nd]}) or "
                           f"(C, {_SPATIAL[nd]}), got input.shape={_shape(input)}")
    if weight.ndim != nd + 2:
        raise RuntimeError(f"{op}: expected a {nd + 2}-d weight, got weight.shape={_shape(weight)}")
    if input.dtype != weight.dtype:
        raise RuntimeError(f"{op}: input dtype {input.dtype} and weight dtype {weight.dtype} "
                           "differ (cast one of them, e.g. with .float())")
    batched = input.ndim == nd + 2
    return (input if batched else input.unsqueeze(0)), batched


def _check_groups(op, groups):
    if not isinstance(groups, (int, np.integer)) or isinstance(groups, bool) or groups < 1:
        raise ValueError(f"{op}: groups must be a positive int, got {groups!r}")
    return int(groups)


def _check_bias(op, bias, channels, input):
    if bias is not None and (not isinstance(bias, Tensor) or _shape(bias) != (channels,)):
        raise RuntimeError(f"{op}: expected bias of shape ({channels},), got "
                           f"bias.shape={_shape(bias) if isinstance(bias, Tensor) else bias!r} "
                           f"for input.shape={_shape(input)}")
    if bias is not None and bias.dtype != input.dtype:
        raise RuntimeError(f"{op}: bias dtype {bias.dtype} differs from input dtype {input.dtype}")


def _conv_padding(op, padding, nd, kernel, stride, dilation):
    """``padding`` (int, tuple, 'valid', 'same') as (lo, hi) pairs."""
    if isinstance(padding, str):
        if padding == 'valid':
            return ((0, 0),) * nd
        if padding != 'same':
            raise ValueError(f"{op}: padding must be an int, a tuple, 'valid' or 'same', "
                             f"got {padding!r}")
        if any(s != 1 for s in stride):
            raise ValueError(f"{op}: padding='same' is not supported for strided convolutions "
                             f"(stride={stride})")
        # PyTorch puts the odd extra element of an even kernel on the right
        total = [d * (k - 1) for k, d in zip(kernel, dilation)]
        return tuple((t // 2, t - t // 2) for t in total)
    return tuple((p, p) for p in ntuple(padding, nd, op, 'padding', minimum=0))


def _convnd(op, nd, input, weight, bias, stride, padding, dilation, groups):
    x, batched = _check_input(op, nd, input, weight)
    groups = _check_groups(op, groups)
    stride = ntuple(stride, nd, op, 'stride', minimum=1)
    dilation = ntuple(dilation, nd, op, 'dilation', minimum=1)
    C, O, K = x.shape[1], weight.shape[0], tuple(weight.shape[2:])
    if C % groups or O % groups:
        raise RuntimeError(f"{op}: in_channels={C} and out_channels={O} must both be divisible "
                           f"by groups={groups} (input.shape={_shape(input)}, "
                           f"weight.shape={_shape(weight)})")
    if weight.shape[1] != C // groups:
        raise RuntimeError(f"{op}: expected weight of shape (out, in/groups, {_KERNEL[nd]}) with "
                           f"in/groups={C // groups}, got weight.shape={_shape(weight)} for "
                           f"input.shape={_shape(input)}")
    _check_bias(op, bias, O, input)
    pads = _conv_padding(op, padding, nd, K, stride, dilation)
    out = tuple(conv_output_size(s, k, st, p, d)
                for s, k, st, p, d in zip(x.shape[2:], K, stride, pads, dilation))
    if any(o < 1 for o in out):
        padded = tuple(s + lo + hi for s, (lo, hi) in zip(x.shape[2:], pads))
        effective = tuple(d * (k - 1) + 1 for k, d in zip(K, dilation))
        raise RuntimeError(f"{op}: kernel size {K} (dilated: {effective}) can't be greater than "
                           f"the padded input size {padded} (input.shape={_shape(input)}, "
                           f"padding={padding!r})")
    y = ConvNd.apply(x, weight, bias, stride=stride, padding=pads, dilation=dilation,
                     groups=groups, out=out)
    return y if batched else y.squeeze(0)


def _conv_transposend(op, nd, input, weight, bias, stride, padding, output_padding, groups,
                      dilation):
    x, batched = _check_input(op, nd, input, weight)
    groups = _check_groups(op, groups)
    stride = ntuple(stride, nd, op, 'stride', minimum=1)
    dilation = ntuple(dilation, nd, op, 'dilation', minimum=1)
    if isinstance(padding, str):
        raise ValueError(f"{op}: padding must be an int or a tuple of ints, got {padding!r}")
    pad = ntuple(padding, nd, op, 'padding', minimum=0)
    output_padding = ntuple(output_padding, nd, op, 'output_padding', minimum=0)
    if any(op_ >= max(s, d) for op_, s, d in zip(output_padding, stride, dilation)):
        raise ValueError(f"{op}: output_padding={output_padding} must be smaller than either "
                         f"stride={stride} or dilation={dilation}")
    C_in, K = x.shape[1], tuple(weight.shape[2:])
    if weight.shape[0] != C_in or C_in % groups:
        raise RuntimeError(f"{op}: expected weight of shape (in, out/groups, {_KERNEL[nd]}) with "
                           f"in={C_in} divisible by groups={groups}, got "
                           f"weight.shape={_shape(weight)} for input.shape={_shape(input)}")
    C_out = weight.shape[1] * groups
    _check_bias(op, bias, C_out, input)
    size = tuple((i - 1) * s - 2 * p + d * (k - 1) + o + 1 for i, s, p, d, k, o in
                 zip(x.shape[2:], stride, pad, dilation, K, output_padding))
    if any(s < 1 for s in size):
        raise RuntimeError(f"{op}: output size {size} is too small (input.shape={_shape(input)}, "
                           f"weight.shape={_shape(weight)}, stride={stride}, padding={pad})")
    z = ConvTransposeNd.apply(x, weight, bias, stride=stride, padding=tuple((p, p) for p in pad),
                              dilation=dilation, groups=groups, size=size)
    return z if batched else z.squeeze(0)


# ----------------------------------------------------------------------------- public API

def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """1-d convolution (cross-correlation, as PyTorch).

    Args:
        input: ``(N, C, L)`` or unbatched ``(C, L)``.
        weight: ``(out_channels, C/groups, kL)``.
        bias: ``(out_channels,)`` or None.
        stride, padding, dilation: int or 1-tuple; padding may also be
            ``'valid'`` (0) or ``'same'`` (output length = input length, stride 1 only).
        groups: split the channels into ``groups`` independent convolutions.

    Returns:
        ``(N, out_channels, L_out)`` with
        ``L_out = floor((L + 2 padding - dilation (kL - 1) - 1) / stride) + 1``.
    """
    return _convnd('conv1d', 1, input, weight, bias, stride, padding, dilation, groups)


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """2-d convolution (cross-correlation, as PyTorch).

    Args:
        input: ``(N, C, H, W)`` or unbatched ``(C, H, W)``.
        weight: ``(out_channels, C/groups, kH, kW)``.
        bias: ``(out_channels,)`` or None.
        stride, padding, dilation: int or pair; padding may also be ``'valid'`` or
            ``'same'`` (stride 1 only; an odd total padding puts the extra row/column
            at the bottom/right, as PyTorch).
        groups: ``groups == C`` is a depthwise convolution.

    Returns:
        ``(N, out_channels, H_out, W_out)``, per dim
        ``floor((H + 2 padding - dilation (kH - 1) - 1) / stride) + 1``.
    """
    return _convnd('conv2d', 2, input, weight, bias, stride, padding, dilation, groups)


def conv3d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """3-d convolution: input ``(N, C, D, H, W)`` or ``(C, D, H, W)``, weight
    ``(out_channels, C/groups, kD, kH, kW)``; options as :func:`conv2d`."""
    return _convnd('conv3d', 3, input, weight, bias, stride, padding, dilation, groups)


def conv_transpose1d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1,
                     dilation=1):
    """1-d transposed convolution: input ``(N, C_in, L)``, weight ``(C_in, C_out/groups, kL)``;
    options as :func:`conv_transpose2d`."""
    return _conv_transposend('conv_transpose1d', 1, input, weight, bias, stride, padding,
                             output_padding, groups, dilation)


def conv_transpose2d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1,
                     dilation=1):
    """2-d transposed convolution ("deconvolution"), the adjoint of :func:`conv2d`.

    Args:
        input: ``(N, C_in, H, W)`` or unbatched ``(C_in, H, W)``.
        weight: ``(C_in, C_out/groups, kH, kW)`` (note: in-channels first).
        bias: ``(C_out,)`` or None.
        stride, padding, dilation: those of the conv this is the transpose of;
            ``padding`` crops ``padding`` rows/columns from each side of the full output.
        output_padding: extra rows/columns added on the bottom/right (< stride or
            dilation), to pick among the input sizes that conv maps to the same size.

    Returns:
        ``(N, C_out, H_out, W_out)`` with
        ``H_out = (H - 1) stride - 2 padding + dilation (kH - 1) + output_padding + 1``.
    """
    return _conv_transposend('conv_transpose2d', 2, input, weight, bias, stride, padding,
                             output_padding, groups, dilation)


def conv_transpose3d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1,
                     dilation=1):
    """3-d transposed convolution: input ``(N, C_in, D, H, W)``, weight
    ``(C_in, C_out/groups, kD, kH, kW)``; options as :func:`conv_transpose2d`."""
    return _conv_transposend('conv_transpose3d', 3, input, weight, bias, stride, padding,
                             output_padding, groups, dilation)
