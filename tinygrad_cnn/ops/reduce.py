"""Reductions: sum, max/min, median, prod, logsumexp, softmax, log_softmax, quantile, mode;
and the scans cumsum/cumprod, logcumsumexp and the indices of cummax/cummin.

``dim`` is None (all elements), an int or a tuple of ints, as in PyTorch.
Backward re-inserts the reduced axes (``keepdim`` shape) and broadcasts the
gradient back over them.
"""
import numpy as np

from ..autograd import Function, is_grad_enabled
from ..backend import get_array_module
from .elementwise import Where, _const


def _axes(dim, ndim):
    """Normalise ``dim`` to a sorted tuple of non-negative axes."""
    if dim is None:
        return tuple(range(ndim))
    dims = (dim,) if isinstance(dim, int) else tuple(dim)
    out = []
    for d in dims:
        if not -max(ndim, 1) <= d < max(ndim, 1):
            raise IndexError(f"Dimension out of range (expected to be in range of "
                             f"[{-max(ndim, 1)}, {max(ndim, 1) - 1}], but got {d})")
        out.append(d % max(ndim, 1))
    if len(set(out)) < len(out):
        raise RuntimeError(f"dim {max(out, key=out.count)} appears multiple times in the list of "
                           f"dims {dims}")
    return tuple(sorted(out)) if ndim else ()


def _keepdim_shape(shape, axes):
    return tuple(1 if i in axes else s for i, s in enumerate(shape))


class Sum(Function):
    def forward(self, x, *, dim=None, keepdim=False):
        self.in_shape = x.shape
        self.axes = _axes(dim, x.ndim)
        return x.sum(axis=self.axes, keepdims=keepdim, dtype=x.dtype)   # numpy widens small ints

    def backward(self, grad):
        return grad.reshape(_keepdim_shape(self.in_shape, self.axes)).expand(self.in_shape)


class SumTo(Function):
    """Sum a broadcast array back down to ``shape`` (the adjoint of ``expand``)."""
    def forward(self, x, *, shape):
        self.in_shape = x.shape
        lead = x.ndim - len(shape)
        axes = tuple(range(lead)) + tuple(lead + i for i, s in enumerate(shape)
                                          if s == 1 and x.shape[lead + i] != 1)
        return x.sum(axis=axes, keepdims=True).reshape(shape) if axes else x.reshape(shape)

    def backward(self, grad):
        return grad.expand(self.in_shape)


class Max(Function):
    """max/min over ``dim``.

    With ``dim`` given the gradient goes to the (first) index that won, as
    ``torch.max(x, dim)``; reducing over everything it is shared evenly by
    tied maxima, as ``torch.max(x)``. A NaN wins (max propagates it) and takes
    the gradient. ``amax=True`` is ``amax``/``amin``: tied maxima share the
    gradient too, but a NaN result equals no element, so, as in PyTorch, the
    gradient of a NaN slice is NaN (0 / 0).
    """
    def forward(self, x, *, dim=None, keepdim=False, largest=True, amax=False):
        xp = get_array_module(x)
        axes = _axes(dim, x.ndim)
        out = (x.max if largest else x.min)(axis=axes, keepdims=True)
        mask = x == out
        if not amax:
            mask |= x != x
        if dim is not None and isinstance(dim, int) and x.ndim:
            # keep only the first winner along the axis: cumulative count == 1
            mask &= xp.cumsum(mask, axis=axes[0]) == 1
            self.weights = mask.astype(x.dtype)
        else:
            with np.errstate(invalid='ignore'):       # amax of a NaN slice: 0 / 0 on purpose
                self.weights = mask / mask.sum(axis=axes, keepdims=True).astype(x.dtype)
        self.keep_shape = out.shape
        return out if keepdim else out.reshape([s for i, s in enumerate(x.shape) if i not in axes])

    def backward(self, grad):
        return grad.reshape(self.keep_shape) * _const(self.weights)


class Median(Function):
    """The lower median of all elements (the smaller middle value for an even count, as
    PyTorch), NaN if any element is NaN. As ``torch.median(x)``, the gradient is shared evenly
    by the elements equal to it (by the NaNs if it is NaN). ``x.median(dim)`` is not this op:
    it selects with ``gather`` and gives the gradient to the returned index.
    ``ignore_nan=True`` is ``nanmedian``: the median of the elements that are not NaN.
    """
    def forward(self, x, *, ignore_nan=False):
        xp = get_array_module(x)
        flat = x.reshape(-1)
        nan = flat != flat
        if ignore_nan and nan.any() and not nan.all():
            flat, nan = flat[~nan], nan[~nan]
        if flat.size == 0:
            out = xp.asarray(xp.nan, x.dtype)       # PyTorch: the median of nothing is nan
        elif nan.any():
            out = flat[nan][0]
        else:
            k = (flat.size - 1) // 2
            out = xp.partition(flat, k)[k]           # O(n): no full sort needed
        mask = (x != x) if nan.any() else (x == out)
        self.weights = mask / x.dtype.type(max(int(mask.sum()), 1))
        return xp.asarray(out, x.dtype)

    def backward(self, grad):
        return grad * _const(self.weights)


class Prod(Function):
    def forward(self, x, *, dim=None, keepdim=False):
        self.axes = _axes(dim, x.ndim)
        self.keep_shape = _keepdim_shape(x.shape, self.axes)
        return x.prod(axis=self.axes, keepdims=keepdim, dtype=x.dtype)

    def backward(self, grad):
        # d prod / d x_i is the product of the other elements: out / x_i when
        # no element is zero; with zeros, multiply the others out explicitly.
        (x,) = self.inputs
        grad = grad.reshape(self.keep_shape)
        if not (x.data == 0).any():
            return grad * self.saved_output().reshape(self.keep_shape) / x
        return _prod_others(grad, x, self.axes)


def _prod_others(grad, x, axes):
    """Gradient of prod with zeros present: grad * prod over the axes of all other elements."""
    from ..tensor import cat
    # move reduced axes to the end and flatten them
    keep = [i for i in range(x.ndim) if i not in axes]
    moved = x.permute(*keep, *axes)
    flat = moved.reshape(*moved.shape[:len(keep)], -1)
    n = flat.shape[-1]
    cols = []
    for i in range(n):
        idx = [j for j in range(n) if j != i]
        cols.append(flat[..., idx].prod(-1, keepdim=True) if idx else flat[..., :1] * 0 + 1)
    others = cat(cols, -1) if n > 1 else cols[0]
    others = others.reshape(moved.shape).permute(*_inverse([*keep, *axes]))
    return grad * others


def _inverse(perm):
    inv = [0] * len(perm)
    for i, p in enumerate(perm):
        inv[p] = i
    return inv


def _reverse_cumsum(t, dim):
    """``out[i] = t[i] + t[i+1] + ... + t[n-1]`` along ``dim``: the adjoint of cumsum."""
    return t.flip(dim).cumsum(dim).flip(dim)


class CumSum(Function):
    """Running sum along ``dim``; each x_i feeds every later output, so its gradient is the
    sum of the output gradients from i to the end."""
    def forward(self, x, *, dim):
        self.dim = dim
        return get_array_module(x).cumsum(x, axis=dim)

    def backward(self, grad):
        return _reverse_cumsum(grad, self.dim)


class CumProd(Function):
    """Running product along ``dim``: y_j = x_0 x_1 ... x_j.

    dy_j/dx_i is the product of x_0..x_j without x_i (for j >= i). Without zeros that is
    y_j / x_i, so the gradient is the reverse cumsum of grad * y, divided by x. With zeros,
    let z be a line's first zero: before z the division still works (y_j = 0 from z on);
    at z the other factors are y_(z-1) x_(z+1)..x_j, i.e. the cumprod of x with x_z set to 1;
    after z every product contains x_z = 0. That O(n) rule gives the right gradient, but
    not the right second derivative (after z it is a constant 0, yet it changes with x_z);
    so, as PyTorch, when the gradient is itself differentiated (``create_graph=True``) an
    O(n^2) rule multiplies the other factors out for each i.
    """
    def forward(self, x, *, dim):
        xp = get_array_module(x)
        self.dim, self.before = dim, None
        zero = x == 0
        if zero.any():
            n = x.shape[dim]
            first = xp.where(zero.any(axis=dim, keepdims=True),
                             zero.argmax(axis=dim, keepdims=True), n)
            pos = xp.arange(n).reshape([n if i == dim else 1 for i in range(x.ndim)])
            self.before, self.at = pos < first, pos == first
        return xp.cumprod(x, axis=dim)

    def backward(self, grad):
        (x,) = self.inputs
        y, d = self.saved_output(), self.dim
        if self.before is None:
            return _reverse_cumsum(grad * y, d) / x
        if is_grad_enabled():
            return _cumprod_grad_products(grad, x, d)
        xp = get_array_module(grad.data)
        one, zero = _const(xp.ones((), x.dtype)), _const(xp.zeros((), x.dtype))
        before = Where.apply(x, one, condition=self.before)   # 1 from z on: no division by 0
        at_one = Where.apply(one, x, condition=self.at)
        g_before = _reverse_cumsum(grad * y, d) / before
        g_at = _reverse_cumsum(grad * at_one.cumprod(d), d)
        return Where.apply(g_before, Where.apply(g_at, zero, condition=self.at),
                           condition=self.before)


def _cumprod_grad_products(grad, x, d):
    """grad_i = sum over j >= i of grad_j * (x_0..x_j without x_i), one i at a time: the
    products are written out, so this is differentiable everywhere (zeros included)."""
    from ..tensor import cat
    xp = get_array_module(x.data)
    n = x.shape[d]
    one = _const(xp.ones(_keepdim_shape(x.shape, (d,)), x.dtype))
    grads = []
    for i in range(n):
        # for j = i..n-1: prod(x_0..x_(i-1)) * [1, x_(i+1), x_(i+1) x_(i+2), ...]
        others = cat([one, x.narrow(d, i + 1, n - i - 1).cumprod(d)], d)
        if i:
            others = others * x.narrow(d, 0, i).prod(d, keepdim=True)
        grads.append((grad.narrow(d, i, n - i) * others).sum(d, keepdim=True))
    return cat(grads, d)


class LogSumExp(Function):
    def forward(self, x, *, dim, keepdim=False):
        xp = get_array_module(x)
        self.axes = _axes(dim, x.ndim)
        m = x.max(axis=self.axes, keepdims=True)
        m = xp.where(xp.isfinite(m), m, 0)       # all -inf rows give -inf, not nan
        out = xp.log(xp.exp(x - m).sum(axis=self.axes, keepdims=True)) + m
        self.keep_shape = out.shape
        return out if keepdim else out.reshape([s for i, s in enumerate(x.shape)
                                                 if i not in self.axes])

    def backward(self, grad):
        (x,) = self.inputs
        out = self.saved_output().reshape(self.keep_shape)
        return grad.reshape(self.keep_shape) * (x - out).exp()


class Softmax(Function):
    def forward(self, x, *, dim):
        xp = get_array_module(x)
        self.dim = dim
        e = xp.exp(x - x.max(axis=dim, keepdims=True))
        return e / e.sum(axis=dim, keepdims=True)

    def backward(self, grad):
        y = self.saved_output()
        return y * (grad - (grad * y).sum(self.dim, keepdim=True))


class LogSoftmax(Function):
    def forward(self, x, *, dim):
        xp = get_array_module(x)
        self.dim = dim
        shifted = x - x.max(axis=dim, keepdims=True)
        return shifted - xp.log(xp.exp(shifted).sum(axis=dim, keepdims=True))

    def backward(self, grad):
        return grad - self.saved_output().exp() * grad.sum(self.dim, keepdim=True)


class LogCumSumExp(Function):
    """Running ``log(exp(x_0) + ... + exp(x_i))`` along ``dim``, exact in floating point
    (numpy's ``logaddexp.accumulate``: no overflow, no underflow to -inf).

    d out_j / d x_i = exp(x_i - out_j) for i <= j. Backward sums that in log space, split by
    the sign of the gradient (PyTorch's formula), so it stays finite for large inputs.
    """
    def forward(self, x, *, dim):
        self.dim = dim
        return get_array_module(x).logaddexp.accumulate(x, axis=dim)

    def backward(self, grad):
        (x,) = self.inputs
        out, d = self.saved_output(), self.dim
        xp = get_array_module(grad.data)
        zero = grad.data == 0
        # log 0 as a finite number far below any log: -inf would make second derivatives
        # nan (-inf - -inf); a quarter of the lowest float leaves room to subtract ``out``
        log_zero = _const(xp.asarray(xp.finfo(grad.dtype).min / 4, grad.dtype))
        one = _const(xp.ones((), grad.dtype))
        log_abs = Where.apply(one, grad.abs(), condition=zero).log()   # no log(0) warnings

        def part(sign_mask):          # log of the sum over j >= i of |g_j| exp(-out_j)
            log_g = Where.apply(log_abs, log_zero, condition=sign_mask)
            return ((log_g - out).flip(d).logcumsumexp(d).flip(d) + x).exp()
        return part(grad.data > 0) - part(grad.data < 0)


def cumulative_extreme_indices(x, dim, largest):
    """int64 indices of the running max (``largest``) or min along ``dim``: for each
    position, the last index where the running extreme was reached (PyTorch's ``cummax``
    ties), the NaN's index once a NaN has been seen (NaN propagates)."""
    xp = get_array_module(x)
    running = (xp.maximum if largest else xp.minimum).accumulate(x, axis=dim)
    reached = (x == running) | (x != x)
    pos = xp.arange(x.shape[dim]).reshape([-1 if i == dim else 1 for i in range(x.ndim)])
    return xp.maximum.accumulate(xp.where(reached, pos, 0), axis=dim).astype(np.int64)


def mode_indices(x, dim):
    """int64 index along ``dim`` of the most frequent value (the smallest among equally
    frequent ones), at its last occurrence, as PyTorch's ``mode``."""
    xp = get_array_module(x)
    rows = xp.moveaxis(x, dim, -1)
    n = rows.shape[-1]
    s = xp.sort(rows, axis=-1)
    pos = xp.broadcast_to(xp.arange(n), s.shape)
    new_run = xp.ones(s.shape, bool)
    new_run[..., 1:] = s[..., 1:] != s[..., :-1]
    run_start = xp.maximum.accumulate(xp.where(new_run, pos, 0), axis=-1)
    run_length = pos - run_start + 1          # largest at the last element of each run
    best = xp.take_along_axis(s, run_length.argmax(axis=-1)[..., None], axis=-1)
    last = n - 1 - xp.flip(rows == best, axis=-1).argmax(axis=-1)
    return xp.expand_dims(last.astype(np.int64), dim)


_INTERPOLATIONS = ('linear', 'lower', 'higher', 'midpoint', 'nearest')


def quantile(x, q, dim, keepdim, interpolation, ignore_nan, op):
    """Tensor-level ``quantile``/``nanquantile`` (``ignore_nan``): interpolate between the
    sorted values at rank ``q * (n - 1)``; the gradient flows to the two values used.

    ``q`` is a Python float or a 0-d/1-d Tensor; a 1-d ``q`` adds a leading dim.
    """
    from ..tensor import Tensor, _dim
    xp = get_array_module(x.data)
    if x.dtype.kind != 'f':
        raise RuntimeError(f"{op}() input tensor must be either float or double dtype, got "
                           f"{x.dtype}")
    if interpolation not in _INTERPOLATIONS:
        raise RuntimeError(f"{op}() interpolation must be one of linear, lower, higher, "
                           f"midpoint or nearest. Got {interpolation}")
    if isinstance(q, Tensor):
        if q.ndim > 1:
            raise RuntimeError(f"{op}() q must be a scalar or 1D tensor, got shape "
                               f"{tuple(q.shape)}")
        if q.dtype != x.dtype:
            raise RuntimeError(f"{op}() q tensor must be same dtype as the input tensor, got "
                               f"{q.dtype} and {x.dtype}")
        qs, q_dims = q.data.reshape(-1), q.ndim
    else:
        qs, q_dims = xp.asarray([q], x.dtype), 0
    if qs.size and (float(qs.min()) < 0 or float(qs.max()) > 1):
        raise RuntimeError(f"{op}() q values must be in the range [0, 1], got "
                           f"{qs.tolist() if q_dims else q}")
    if x.numel() == 0:
        raise RuntimeError(f"{op}() input tensor must be non-empty, got shape {tuple(x.shape)}")
    if dim is None:
        out_shape = (1,) * x.ndim if keepdim else ()
        x, dim = x.reshape(-1), 0
    else:
        dim = _dim(dim, x.ndim, op)
        out_shape = tuple(1 if i == dim else s for i, s in enumerate(x.shape)
                          if keepdim or i != dim)
    rows = x.reshape(x.shape or (1,)).sort(dim).values.movedim(dim, -1)   # NaNs sort last
    n = rows.shape[-1]
    nans = (rows.data != rows.data).sum(axis=-1, keepdims=True)
    if ignore_nan:                        # all NaN: rank 0, which is NaN
        rank = qs * xp.maximum(n - nans - 1, 0).astype(x.dtype)
    else:                                 # any NaN: the result is NaN, the last sorted value
        rank = xp.where(nans > 0, x.dtype.type(n - 1), qs * x.dtype.type(n - 1))
    lower, upper = xp.floor(rank), xp.ceil(rank)
    if interpolation == 'nearest':
        lower = upper = xp.round(rank)     # half to even, as PyTorch's round
    elif interpolation == 'lower':
        upper = lower
    elif interpolation == 'higher':
        lower = upper
    below = rows.gather(-1, _const(lower.astype(np.int64)))
    if interpolation not in ('linear', 'midpoint'):
        out = below
    else:
        above = rows.gather(-1, _const(upper.astype(np.int64)))
        weight = xp.full(rank.shape, 0.5, x.dtype) if interpolation == 'midpoint' else rank - lower
        out = below + (above - below) * _const(weight)
    out = out.movedim(-1, 0).reshape((qs.size,) + out_shape)
    return out.reshape(out_shape) if q_dims == 0 else out
