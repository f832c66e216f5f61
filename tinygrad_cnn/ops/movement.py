"""Ops that move or select elements: reshape, permute, expand, indexing, cat, flip, roll;
and ``argsort``, which finds the order that sort/topk/median then select with ``gather``.

Their backward moves the gradient back: reshape back, permute by the inverse
permutation, sum over expanded axes, scatter the selected elements.
"""
from ..autograd import Function
from ..backend import get_array_module, scatter_add
from .elementwise import _const


class Reshape(Function):
    def forward(self, x, *, shape):
        self.in_shape = x.shape
        return x.reshape(shape)

    def backward(self, grad):
        return grad.reshape(self.in_shape)


class Permute(Function):
    def forward(self, x, *, dims):
        self.dims = dims
        return x.transpose(dims)

    def backward(self, grad):
        inverse = [0] * len(self.dims)
        for i, d in enumerate(self.dims):
            inverse[d] = i
        return grad.permute(*inverse)


class Expand(Function):
    """Broadcast to ``shape`` without copying (a read-only strided view)."""
    def forward(self, x, *, shape):
        self.in_shape = x.shape
        return get_array_module(x).broadcast_to(x, shape)

    def backward(self, grad):
        return grad._sum_to(self.in_shape)


def _has_advanced(index):
    """True if a normalised index tuple uses integer or boolean arrays."""
    return any(not isinstance(i, (int, slice, type(None), type(Ellipsis))) for i in index)


class GetItem(Function):
    """``x[index]``: basic indexing gives a view, array indexing a copy."""
    def forward(self, x, *, index):
        self.in_shape, self.index = x.shape, index
        return x[index]

    def backward(self, grad):
        return IndexAdd.apply(grad, shape=self.in_shape, index=self.index)


class IndexAdd(Function):
    """Scatter ``values`` into zeros of ``shape`` at ``index`` (the adjoint of GetItem).

    Repeated integer indices must accumulate, so array indices use
    ``scatter_add``; plain slices cannot repeat and use assignment.
    """
    def forward(self, values, *, shape, index):
        xp = get_array_module(values)
        self.index = index
        out = xp.zeros(shape, dtype=values.dtype)
        if _has_advanced(index):
            scatter_add(out, index, values)
        else:
            out[index] = values
        return out

    def backward(self, grad):
        return grad[self.index]


class SetItem(Function):
    """``x[index] = value`` out of place: a copy of x with ``value`` written at ``index``.

    The written positions take their gradient from ``value``, the others from ``x``.
    """
    def forward(self, x, value, *, index):
        self.index, self.value_shape = index, value.shape
        out = x.copy()
        out[index] = value
        return out

    def backward(self, grad):
        xp = get_array_module(grad.data)
        gx = gv = None
        if self.needs_input_grad[0]:
            kept = xp.ones(grad.shape, grad.dtype)
            kept[self.index] = 0
            gx = grad * _const(kept)
        if self.needs_input_grad[1]:
            g = grad[self.index]
            lead = len(self.value_shape) - g.ndim      # value may have extra leading 1s
            gv = (g.reshape((1,) * lead + g.shape) if lead > 0 else g)._sum_to(self.value_shape)
        return gx, gv


class Cat(Function):
    """Concatenate along ``dim``; backward slices the gradient apart."""
    def forward(self, *xs, dim):
        xp = get_array_module(*xs)
        self.dim = dim
        self.sizes = [x.shape[dim] for x in xs]
        return xp.concatenate(xs, axis=dim)

    def backward(self, grad):
        grads, start = [], 0
        lead = (slice(None),) * self.dim
        for size, needed in zip(self.sizes, self.needs_input_grad):
            grads.append(grad[lead + (slice(start, start + size),)] if needed else None)
            start += size
        return tuple(grads)


class Flip(Function):
    def forward(self, x, *, dims):
        self.dims = dims
        return get_array_module(x).flip(x, axis=dims)

    def backward(self, grad):
        return grad.flip(self.dims)


class Roll(Function):
    """Shift elements by ``shifts`` along ``dims``, wrapping around; backward shifts back."""
    def forward(self, x, *, shifts, dims):
        self.shifts, self.dims = shifts, dims
        return get_array_module(x).roll(x, shifts, axis=dims)

    def backward(self, grad):
        return grad.roll(tuple(-s for s in self.shifts), self.dims)


def argsort(x, axis, descending=False):
    """int64 indices that sort array ``x`` along ``axis``, stably: equal elements keep their
    index order, as PyTorch's CPU sort; NaN sorts above every number, as in PyTorch.

    Descending sorts the reversed array ascending and reverses the result back (negating
    would break ties in the wrong order, leave NaN last and fail on bools).
    """
    xp = get_array_module(x)
    if not descending:
        return xp.argsort(x, axis=axis, kind='stable').astype(xp.int64, copy=False)
    order = xp.flip(xp.argsort(xp.flip(x, axis), axis=axis, kind='stable'), axis)
    return (x.shape[axis] - 1 - order).astype(xp.int64, copy=False)


class Matmul(Function):
    """Batched matrix product of (..., n, k) and (..., k, m) with broadcast batch dims.

    1-d operands are promoted to matrices by ``Tensor.matmul`` before this op.
    """
    def forward(self, x, y):
        return x @ y

    def backward(self, grad):
        x, y = self.inputs
        gx = (grad @ y.mT)._sum_to(x.shape) if self.needs_input_grad[0] else None
        gy = (x.mT @ grad)._sum_to(y.shape) if self.needs_input_grad[1] else None
        return gx, gy
