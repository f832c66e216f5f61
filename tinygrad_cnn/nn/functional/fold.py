"""``F.unfold`` (im2col) and ``F.fold`` (col2im): sliding blocks <-> columns.

``unfold`` copies every ``kH x kW`` window of a padded ``(N, C, H, W)`` input
into a column: ``(N, C*kH*kW, L)``, ``L`` = number of windows. It is one
``copyto`` from a strided window view. ``fold`` is its adjoint: it adds each
column back onto its window (one strided slice-add per kernel offset), so
overlapping windows sum up. Each is the other's backward.
"""
import math

from ...autograd import Function
from ...backend import get_array_module
from ...tensor import Tensor
from ._windows import (add_windows, block_size, conv_output_size, ntuple, padded_blocks,
                       window_view)

__all__ = ['unfold', 'fold']


class Unfold(Function):
    """x ``(N, C, *S)`` -> ``(N, C*prod(K), L)``: the windows as columns (im2col)."""

    def forward(self, x, *, kernel, dilation, padding, stride, out):
        xp = get_array_module(x)
        self.opts = dict(kernel=kernel, dilation=dilation, padding=padding, stride=stride)
        self.size = x.shape[2:]
        N, C = x.shape[:2]
        cols = xp.empty((N, C) + tuple(kernel) + tuple(out), x.dtype)
        padded = [s + lo + hi for s, (lo, hi) in zip(x.shape[2:], padding)]
        nb = block_size(N, C * math.prod(padded) * x.itemsize)
        for start, stop, xb in padded_blocks(x, padding, nb):
            xp.copyto(cols[start:stop], window_view(xb, kernel, stride, dilation, out))
        return cols.reshape(N, C * math.prod(kernel), math.prod(out))

    def backward(self, grad):
        return Fold.apply(grad, size=self.size, **self.opts)


class Fold(Function):
    """cols ``(N, C*prod(K), L)`` -> ``(N, C, *size)``: each column added onto its window."""

    def forward(self, cols, *, size, kernel, dilation, padding, stride):
        xp = get_array_module(cols)
        self.opts = dict(kernel=kernel, dilation=dilation, padding=padding, stride=stride)
        self.out = tuple(conv_output_size(*a) for a in zip(size, kernel, stride, padding, dilation))
        N, C = cols.shape[0], cols.shape[1] // math.prod(kernel)
        padded = tuple(s + lo + hi for s, (lo, hi) in zip(size, padding))
        canvas = xp.zeros((N, C) + padded, cols.dtype)
        add_windows(canvas, cols.reshape((N, C) + tuple(kernel) + self.out), stride, dilation)
        inner = (Ellipsis,) + tuple(slice(lo, lo + s) for s, (lo, _) in zip(size, padding))
        return xp.ascontiguousarray(canvas[inner])

    def backward(self, grad):
        return Unfold.apply(grad, out=self.out, **self.opts)


def _describe(input):
    return f"input.shape={tuple(input.shape)}" if isinstance(input, Tensor) else type(input).__name__


def _options(op, kernel_size, dilation, padding, stride):
    kernel = ntuple(kernel_size, 2, op, 'kernel_size', minimum=1)
    dilation = ntuple(dilation, 2, op, 'dilation', minimum=1)
    pad = ntuple(padding, 2, op, 'padding', minimum=0)
    stride = ntuple(stride, 2, op, 'stride', minimum=1)
    return dict(kernel=kernel, dilation=dilation, padding=tuple((p, p) for p in pad), stride=stride)


def unfold(input, kernel_size, dilation=1, padding=0, stride=1):
    """Extract sliding ``kernel_size`` blocks as columns (im2col).

    Args:
        input: ``(N, C, H, W)`` or unbatched ``(C, H, W)``.
        kernel_size, dilation, padding, stride: int or pair, as in :func:`conv2d`.

    Returns:
        ``(N, C * kH * kW, L)`` with ``L = H_out * W_out`` windows (conv2d's output
        size); column ``l`` holds window ``l`` in row-major order, channel-major rows.
        ``conv2d(x, w)`` equals ``(w.view(O, -1) @ unfold(x, k)).view(N, O, H_out, W_out)``.
    """
    if not isinstance(input, Tensor) or input.ndim not in (3, 4):
        raise RuntimeError(f"unfold: expected a 3-d (unbatched) or 4-d (batched) input, got "
                           f"{_describe(input)}")
    opts = _options('unfold', kernel_size, dilation, padding, stride)
    x = input if input.ndim == 4 else input.unsqueeze(0)
    out = tuple(conv_output_size(*a) for a in zip(x.shape[2:], opts['kernel'], opts['stride'],
                                                  opts['padding'], opts['dilation']))
    if any(o < 1 for o in out):
        raise RuntimeError(f"unfold: kernel_size={opts['kernel']} with dilation={opts['dilation']} "
                           f"does not fit into the padded input (input.shape={tuple(input.shape)}, "
                           f"padding={padding})")
    cols = Unfold.apply(x, out=out, **opts)
    return cols if input.ndim == 4 else cols.squeeze(0)


def fold(input, output_size, kernel_size, dilation=1, padding=0, stride=1):
    """Sum columns back into an image (col2im), the adjoint of :func:`unfold`.

    Args:
        input: ``(N, C * kH * kW, L)`` or unbatched ``(C * kH * kW, L)``.
        output_size: ``(H, W)`` of the image (int or pair).
        kernel_size, dilation, padding, stride: as in :func:`unfold`.

    Returns:
        ``(N, C, H, W)``; where windows overlap, their values add up.
    """
    if not isinstance(input, Tensor) or input.ndim not in (2, 3):
        raise RuntimeError(f"fold: expected a 2-d (unbatched) or 3-d (batched) input, got "
                           f"{_describe(input)}")
    opts = _options('fold', kernel_size, dilation, padding, stride)
    size = ntuple(output_size, 2, 'fold', 'output_size', minimum=1)
    cols = input if input.ndim == 3 else input.unsqueeze(0)
    kk = math.prod(opts['kernel'])
    if cols.shape[1] % kk:
        raise RuntimeError(f"fold: input.shape[-2]={cols.shape[1]} must be divisible by the kernel "
                           f"size {opts['kernel']} product {kk} (input.shape={tuple(input.shape)})")
    out = tuple(conv_output_size(*a) for a in zip(size, opts['kernel'], opts['stride'],
                                                  opts['padding'], opts['dilation']))
    if any(o < 1 for o in out) or math.prod(out) != cols.shape[2]:
        raise RuntimeError(f"fold: output_size={size} with kernel_size={opts['kernel']}, "
                           f"dilation={opts['dilation']}, padding={padding}, stride={opts['stride']} "
                           f"has {out} = {math.prod(out)} blocks, but input.shape[-1]="
                           f"{cols.shape[2]} (input.shape={tuple(input.shape)})")
    img = Fold.apply(cols, size=size, **opts)
    return img if input.ndim == 3 else img.squeeze(0)
