"""``F.pad``: constant, reflect, replicate and circular padding.

``pad`` lists amounts for the *last* dim first, as PyTorch:
``(left, right)`` pads the last dim, ``(left, right, top, bottom)`` the last
two. Negative amounts crop.

Constant padding is one Function: copy into a filled array; its backward
crops the gradient -- which is constant padding by the negated amounts, so
the op is its own backward. The other modes copy border slices of the input
(mirrored, repeated or wrapped around) and concatenate them with it, dim by
dim, using differentiable Tensor ops (slicing, ``flip``, ``cat``): their
gradients add the border gradients back onto the slices they came from.
"""
from ...autograd import Function
from ...backend import get_array_module
from ...tensor import Tensor, cat

__all__ = ['pad']


class ConstantPad(Function):
    """Pad the trailing dims of x by ``pads`` (``(lo, hi)`` per dim, first dim first)
    with ``value``; negative amounts crop."""

    def forward(self, x, *, pads, value):
        xp = get_array_module(x)
        self.pads = pads
        lead = x.ndim - len(pads)
        kept = [n - max(-lo, 0) - max(-hi, 0) for n, (lo, hi) in zip(x.shape[lead:], pads)]
        shape = x.shape[:lead] + tuple(k + max(lo, 0) + max(hi, 0) for k, (lo, hi) in zip(kept, pads))
        out = xp.full(shape, value, dtype=x.dtype)
        src = (Ellipsis,) + tuple(slice(max(-lo, 0), max(-lo, 0) + k) for k, (lo, _) in zip(kept, pads))
        dst = (Ellipsis,) + tuple(slice(max(lo, 0), max(lo, 0) + k) for k, (lo, _) in zip(kept, pads))
        out[dst] = x[src]
        return out

    def backward(self, grad):
        # remove what was added, zero-fill what was cropped
        return ConstantPad.apply(grad, pads=tuple((-lo, -hi) for lo, hi in self.pads), value=0)


def _border_pad(x, dim, left, right, mode):
    """Pad one dim by ``left``/``right`` (>= 0) copies of the input's own border."""
    n = x.shape[dim]
    parts = []
    if mode == 'reflect':          # mirror without repeating the edge: x[left], ..., x[1] | x | ...
        if left:
            parts.append(x.narrow(dim, 1, left).flip(dim))
        parts.append(x)
        if right:
            parts.append(x.narrow(dim, n - 1 - right, right).flip(dim))
    elif mode == 'replicate':      # repeat the edge element
        edge_shape = list(x.shape)
        if left:
            edge_shape[dim] = left
            parts.append(x.narrow(dim, 0, 1).expand(*edge_shape))
        parts.append(x)
        if right:
            edge_shape[dim] = right
            parts.append(x.narrow(dim, n - 1, 1).expand(*edge_shape))
    else:                          # circular: wrap around
        if left:
            parts.append(x.narrow(dim, n - left, left))
        parts.append(x)
        if right:
            parts.append(x.narrow(dim, 0, right))
    return cat(parts, dim) if len(parts) > 1 else x


def pad(input, pad, mode='constant', value=None):
    """Pad (or, with negative amounts, crop) the last ``len(pad) // 2`` dims.

    Args:
        input: a Tensor.
        pad: ``(last_lo, last_hi, second_last_lo, second_last_hi, ...)``.
        mode: ``'constant'`` (fill with ``value``, default 0), ``'reflect'``
            (mirror, without repeating the edge; amounts < the dim size),
            ``'replicate'`` (repeat the edge) or ``'circular'`` (wrap around;
            amounts <= the dim size). The non-constant modes pad the last 1, 2 or 3
            dims of a (un)batched ``(N, C, ...)`` input, as PyTorch.
        value: fill value for ``'constant'``.

    Returns:
        The padded Tensor; each padded dim grows by ``lo + hi``.

    Negative amounts crop: ``'constant'`` and ``'circular'`` crop first (by at
    most the dim size), the other modes pad first and crop the result.
    """
    if not isinstance(input, Tensor):
        raise TypeError(f"pad: input must be a Tensor, got {type(input).__name__}")
    try:
        amounts = [int(p) for p in pad]
    except TypeError:
        raise TypeError(f"pad: pad must be a sequence of ints, got {pad!r}") from None
    # the checks and exception types of PyTorch, in its order
    if len(amounts) % 2:
        raise RuntimeError(f"pad: the pad length must be even (a (lo, hi) pair per dim), "
                           f"got {pad!r}")
    n = len(amounts) // 2
    if n > input.ndim:
        raise RuntimeError(f"pad: pad={tuple(amounts)} pads {n} dims but input.shape="
                           f"{tuple(input.shape)} has only {input.ndim}")
    pairs = [(amounts[2 * i], amounts[2 * i + 1]) for i in range(n)]   # last dim first
    dims = [input.ndim - 1 - i for i in range(n)]
    if mode not in ('constant', 'reflect', 'replicate', 'circular'):
        raise NotImplementedError(f"pad: mode must be 'constant', 'reflect', 'replicate' or "
                                  f"'circular', got {mode!r}")
    if mode == 'constant':
        for d, (lo, hi) in zip(dims, pairs):
            if max(-lo, 0) + max(-hi, 0) > input.shape[d]:     # PyTorch crops first
                raise RuntimeError(f"pad: padding ({lo}, {hi}) crops more than dim {d} of "
                                   f"input.shape={tuple(input.shape)}")
        return ConstantPad.apply(input, pads=tuple(reversed(pairs)), value=0 if value is None else value)
    if value is not None and value != 0:
        raise RuntimeError(f"pad: mode '{mode}' doesn't take a value argument (got value={value!r})")
    if not 1 <= n <= 3 or input.ndim not in (n + 1, n + 2):
        raise NotImplementedError(
            f"pad: '{mode}' padding of the last {n} dims needs a {n + 1}-d or {n + 2}-d input "
            f"(unbatched or batched (N, C, ...)), got input.shape={tuple(input.shape)} and "
            f"pad={tuple(amounts)}")
    sizes = [input.shape[d] + lo + hi for d, (lo, hi) in zip(dims, pairs)]
    if mode != 'circular' and (min(sizes) < 0 or max(sizes) < 1):   # (PyTorch allows some 0s)
        raise RuntimeError(f"pad: '{mode}' padding {tuple(amounts)} leaves no output of "
                           f"input.shape={tuple(input.shape)}")
    out = input
    for d, (lo, hi) in zip(dims, pairs):
        crop_lo, crop_hi = max(-lo, 0), max(-hi, 0)
        # PyTorch crops before circular padding (it wraps what is kept), after the others
        if mode == 'circular' and (crop_lo or crop_hi):
            if crop_lo + crop_hi > out.shape[d]:
                raise RuntimeError(f"pad: padding ({lo}, {hi}) crops more than dim {d} of "
                                   f"input.shape={tuple(input.shape)}")
            out = out.narrow(d, crop_lo, out.shape[d] - crop_lo - crop_hi)
            crop_lo = crop_hi = 0
        size, left, right = out.shape[d], max(lo, 0), max(hi, 0)
        if (mode == 'reflect' and max(left, right) >= size) or \
                (mode == 'circular' and max(left, right) > size) or (mode == 'replicate' and size == 0):
            limit = {'reflect': 'less than', 'circular': 'at most', 'replicate': 'with a non-empty'}
            raise RuntimeError(f"pad: '{mode}' padding ({lo}, {hi}) of dim {d} must be {limit[mode]} "
                               f"the dim size {size} (input.shape={tuple(input.shape)})")
        out = _border_pad(out, d, left, right, mode)
        if crop_lo or crop_hi:
            out = out.narrow(d, crop_lo, out.shape[d] - crop_lo - crop_hi)
    return out
