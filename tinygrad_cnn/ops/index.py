"""Writing by index: the scatter family (``scatter``, ``scatter_add``, ``scatter_reduce``),
``index_add/copy/fill/reduce``, ``index_put``, ``masked_scatter``, ``put`` and the
``select/slice/diagonal_scatter`` ops; and the index checks they share with ``gather``.

They are the adjoints of the reading ops (``gather``, ``index_select``, ``x[mask]``,
``take``): the gradient of the source is read back from the positions it was written to,
and the gradient of ``self`` is zero where it was overwritten. Where they can, they reduce
to the two ops of :mod:`.movement` that write by index: ``SetItem`` (assignment) and
``IndexAdd`` (accumulation, repeated indices adding up); only ``scatter_reduce`` needs an
op of its own.
"""
import numpy as np

from ..autograd import Function
from ..backend import get_array_module, scatter_add, to_device, to_numpy
from .elementwise import Where, _const
from .movement import IndexAdd, SetItem


def index_array(index, op, name='index'):
    """``index`` (a Tensor, list or array of integers) as an int64 array; RuntimeError for
    another dtype, as PyTorch."""
    from ..tensor import Tensor
    data = index.data if isinstance(index, Tensor) else index
    if isinstance(data, (list, tuple)):
        data = np.asarray(data, dtype=np.int64) if len(data) else np.zeros(0, np.int64)
    if data.dtype.kind not in 'iu':
        raise RuntimeError(f"{op}(): Expected dtype int32/int64 for {name}, got {data.dtype}")
    return data.astype(np.int64, copy=False)


def scatter_grids(index, dim):
    """The advanced-index tuple that addresses ``out[i][index[i][j]]`` (for ``dim=1``):
    ``index`` along ``dim``, the position itself along every other dim."""
    xp = get_array_module(index)
    grids = list(xp.indices(index.shape, sparse=True))
    grids[dim] = index
    return tuple(grids)


def check_scatter(op, shape, dim, index, src_shape=None):
    """PyTorch's checks for scatter/gather: same number of dims, the index no larger than
    ``self`` (apart from ``dim``) and than ``src``, its values in range along ``dim``."""
    if index.ndim != len(shape):
        raise RuntimeError(f"{op}(): Index tensor must have the same number of dimensions as "
                           f"self tensor (index shape {tuple(index.shape)}, self shape "
                           f"{tuple(shape)})")
    if src_shape is not None and index.ndim != len(src_shape):
        raise RuntimeError(f"{op}(): Index tensor must have the same number of dimensions as "
                           f"src tensor (index shape {tuple(index.shape)}, src shape "
                           f"{tuple(src_shape)})")
    if any(i > s for d, (i, s) in enumerate(zip(index.shape, shape)) if d != dim) or (
            src_shape is not None and any(i > s for i, s in zip(index.shape, src_shape))):
        raise RuntimeError(f"{op}(): Expected index {list(index.shape)} to be no larger than "
                           f"self {list(shape)} apart from dimension {dim}" +
                           ("" if src_shape is None else
                            f" and to be no larger size than src {list(src_shape)}"))
    size = shape[dim] if shape else 1
    if index.size and (int(index.min()) < 0 or int(index.max()) >= size):   # no counting back
        bad = int(index.min()) if int(index.min()) < 0 else int(index.max())
        raise RuntimeError(f"{op}(): index {bad} is out of bounds for dimension {dim} with size "
                           f"{size}")


def _identity(reduce, dtype):
    """The value that leaves ``reduce`` unchanged: the start of a reduction without self."""
    if reduce in ('sum', 'mean'):
        return 0
    if reduce == 'prod':
        return 1
    if dtype.kind == 'f':
        return -np.inf if reduce == 'amax' else np.inf
    info = np.iinfo(dtype)
    return info.min if reduce == 'amax' else info.max


def _ufunc_at(reduce, target, index, values):
    """``target[index] (op)= values`` with repeated indices combining (numpy's ``ufunc.at``)."""
    if reduce in ('sum', 'mean'):
        return scatter_add(target, index, values)
    ufunc = {'prod': np.multiply, 'amax': np.maximum, 'amin': np.minimum}[reduce]
    if get_array_module(target) is np:
        ufunc.at(target, index, values)
        return target
    # CuPy has no ufunc.at: reduce on the host (these ops are rare next to the convolutions)
    host = to_numpy(target)
    ufunc.at(host, tuple(to_numpy(i) if hasattr(i, 'shape') else i for i in index),
             to_numpy(values))
    target[...] = to_device(host, 'cuda')
    return target


class ScatterReduce(Function):
    """``out = x`` with ``src`` reduced into ``out[index]`` by ``reduce`` ('sum', 'prod',
    'mean', 'amax', 'amin'); ``include_self=False`` leaves the old values out of the
    reduction at the positions written to. ``index`` is an advanced-index tuple (see
    :func:`scatter_grids`) and ``src`` has its shape.

    Backward follows PyTorch's formulas: 'sum' passes the gradient through, 'mean' divides
    it by the count, 'amax'/'amin' share it evenly among the elements equal to the result,
    'prod' divides the result by the element (multiplying the others out where it is 0).
    """
    def forward(self, x, src, *, index, reduce, include_self):
        xp = get_array_module(x)
        self.index, self.reduce, self.include_self = index, reduce, include_self
        out = x.copy()
        if not include_self:
            out[index] = _identity(reduce, x.dtype)
        _ufunc_at(reduce, out, index, src)
        if reduce == 'mean':
            count = xp.ones(x.shape, x.dtype) if include_self else xp.zeros(x.shape, x.dtype)
            scatter_add(count, index, xp.ones(src.shape, x.dtype))
            count[count == 0] = 1
            self.count = count
            out = out // count if x.dtype.kind in 'iub' else out / count   # PyTorch floors ints
        return out

    def backward(self, grad):
        x, src = self.inputs
        index, reduce = self.index, self.reduce
        xp = get_array_module(grad.data)
        if reduce == 'sum':
            g_x, g_src = grad, grad[index]
        elif reduce == 'mean':
            g_x = grad / _const(self.count)
            g_src = g_x[index]
        elif reduce in ('amax', 'amin'):
            result = self.saved_output()
            x_is = _const((x.data == result.data).astype(grad.dtype))
            src_is = _const((src.data == result.data[index]).astype(grad.dtype))
            share = grad / (x_is + IndexAdd.apply(src_is, shape=x.shape, index=index))
            g_x, g_src = x_is * share, src_is * share[index]
        else:
            g_x, g_src = self._prod_grads(grad, x, src)
        if not self.include_self:          # the overwritten values had no part in the result
            kept = xp.ones(x.shape, grad.dtype)
            kept[index] = 0
            g_x = g_x * _const(kept)
        return (g_x if self.needs_input_grad[0] else None,
                g_src if self.needs_input_grad[1] else None)

    def _prod_grads(self, grad, x, src):
        """d/dx_i of a product is the product of the others: result / x_i, or, for the one
        zero of a product, that product recomputed with the zero replaced by 1."""
        index, include_self = self.index, self.include_self
        xp = get_array_module(grad.data)
        one = _const(xp.ones((), x.dtype))
        result = self.saved_output()
        x_zero = x.data == 0
        masked_x = Where.apply(one, x, condition=x_zero)
        g_x = grad * scatter_reduce(masked_x, index, src, 'prod', include_self) / masked_x
        src_zero = src.data == 0
        zeros_per_slot = xp.zeros(x.shape, np.int64)
        scatter_add(zeros_per_slot, index, src_zero.astype(np.int64))
        single_zero = src_zero & (zeros_per_slot[index] == 1)
        masked_src = Where.apply(one, src, condition=single_zero)
        without_zero = scatter_reduce(x, index, masked_src, 'prod', include_self)
        g_src = Where.apply((grad * without_zero)[index],
                            (grad * result)[index] / Where.apply(one, src, condition=src_zero),
                            condition=single_zero)
        return g_x, g_src


def scatter_reduce(x, index, src, reduce, include_self=True):
    """Tensor-level ``ScatterReduce`` (``index``: an advanced-index tuple)."""
    return ScatterReduce.apply(x, src, index=index, reduce=reduce, include_self=include_self)


def index_add(x, index, values):
    """``x`` plus ``values`` accumulated at the advanced index ``index`` (repeats add up)."""
    return x + IndexAdd.apply(values, shape=x.shape, index=index)


def index_set(x, index, values):
    """A copy of ``x`` with ``values`` written at ``index`` (the last of repeats wins)."""
    return SetItem.apply(x, values, index=index)
