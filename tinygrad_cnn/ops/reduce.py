"""Reductions: sum, max/min, prod, logsumexp, softmax, log_softmax.

``dim`` is None (all elements), an int or a tuple of ints, as in PyTorch.
Backward re-inserts the reduced axes (``keepdim`` shape) and broadcasts the
gradient back over them.
"""
from ..autograd import Function
from ..backend import get_array_module
from .elementwise import _const


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
    return tuple(sorted(set(out))) if ndim else ()


def _keepdim_shape(shape, axes):
    return tuple(1 if i in axes else s for i, s in enumerate(shape))


class Sum(Function):
    def forward(self, x, *, dim=None, keepdim=False):
        self.in_shape = x.shape
        self.axes = _axes(dim, x.ndim)
        return x.sum(axis=self.axes, keepdims=keepdim)

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
    tied maxima, as ``torch.max(x)`` / ``amax``.
    """
    def forward(self, x, *, dim=None, keepdim=False, largest=True):
        xp = get_array_module(x)
        axes = _axes(dim, x.ndim)
        out = (x.max if largest else x.min)(axis=axes, keepdims=True)
        mask = (x == out) | (x != x)      # a nan wins (max propagates it), as in PyTorch
        if dim is not None and isinstance(dim, int) and x.ndim:
            # keep only the first winner along the axis: cumulative count == 1
            mask &= xp.cumsum(mask, axis=axes[0]) == 1
            self.weights = mask.astype(x.dtype)
        else:
            self.weights = mask / mask.sum(axis=axes, keepdims=True).astype(x.dtype)
        self.keep_shape = out.shape
        return out if keepdim else out.reshape([s for i, s in enumerate(x.shape) if i not in axes])

    def backward(self, grad):
        return grad.reshape(self.keep_shape) * _const(self.weights)


class Prod(Function):
    def forward(self, x, *, dim=None, keepdim=False):
        self.axes = _axes(dim, x.ndim)
        self.keep_shape = _keepdim_shape(x.shape, self.axes)
        return x.prod(axis=self.axes, keepdims=keepdim)

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
