"""Tensor's indexing and selection: writing and reading by index, diagonals, rearranging,
scans and order statistics, finding and counting.

:class:`IndexMethods` is a base class of :class:`~tinygrad_cnn.tensor.Tensor`; its methods
are thin, as Tensor's own: they check arguments as PyTorch does and call the ops in
:mod:`tinygrad_cnn.ops.index`, :mod:`tinygrad_cnn.ops.search` and
:mod:`tinygrad_cnn.ops.reduce`, or compose differentiable Tensor ops. Functions on several
tensors (``broadcast_tensors``, ``meshgrid``, ``block_diag``, ``hstack``, ``searchsorted``,
...) are here too, as functions, as in PyTorch (``tg.meshgrid``).

In-place forms (``x.scatter_(...)``, ``x.tril_()``) compute the result out of place and
write it into ``x`` (see ``MathMethods._update``).
"""
import collections

import numpy as np

from . import tensor as T
from .backend import device_of, get_array_module, to_device, to_numpy
from .ops import elementwise as E
from .ops import index as I
from .ops import movement as M
from .ops import reduce as R
from .ops import search as S
from .tensor_math import _no_bools

# (values, indices) results, named as PyTorch's torch.return_types
_cummax_result = collections.namedtuple('cummax', ['values', 'indices'])
_cummin_result = collections.namedtuple('cummin', ['values', 'indices'])
_kthvalue_result = collections.namedtuple('kthvalue', ['values', 'indices'])
_mode_result = collections.namedtuple('mode', ['values', 'indices'])
_aminmax_result = collections.namedtuple('aminmax', ['min', 'max'])


def _diagonal_coords(xp, rows, cols, offset):
    """Row and column indices of the ``offset``-th diagonal of a ``rows x cols`` matrix."""
    n = max(0, min(rows - max(-offset, 0), cols - max(offset, 0)))
    return xp.arange(n) + max(-offset, 0), xp.arange(n) + max(offset, 0)


def _wrap(result):
    """An array, or a tuple of arrays, as Tensors outside the graph."""
    if isinstance(result, tuple):
        return tuple(T.Tensor._make(a, False, None) for a in result)
    return T.Tensor._make(result, False, None)


class IndexMethods:
    """Indexing and selection methods of Tensor (mixed into it); see the module docstring."""
    __slots__ = ()

    # ------------------------------------------------------------ writing by index (ops/index.py)
    def _scatter(self, op, dim, index, src, apply):
        """The scatter family: check ``(dim, index, src)`` as PyTorch, cut ``src`` to the
        index's shape (only that part is read) and return ``apply(self, grids, src)``."""
        d = T._dim(dim, self.ndim, op)
        idx = I.index_array(index, op)
        if isinstance(src, T.Tensor) and src.dtype != self.dtype:
            raise RuntimeError(f"{op}(): Expected self.dtype to be equal to src.dtype, got "
                               f"{self.dtype} and {src.dtype}")
        I.check_scatter(op, self.shape, d, idx, src.shape if isinstance(src, T.Tensor) else None)
        x, idx = (self.reshape(1), idx.reshape(1)) if self.ndim == 0 else (self, idx)
        if isinstance(src, T.Tensor):
            src = src.reshape(src.shape or (1,))
            if src.shape != idx.shape:
                src = src[tuple(slice(0, n) for n in idx.shape)]
        else:                                   # a number: PyTorch's ``value``
            src = T.full(idx.shape, src, dtype=self.dtype, device=self.device)
        grids = I.scatter_grids(to_device(idx, self.device), d)
        return apply(x, grids, src).reshape(self.shape)

    def scatter(self, dim, index, src=None, value=None, *, reduce=None):
        """``out = self`` with ``out[i][index[i][j]] = src[i][j]`` (for ``dim=1``), the adjoint
        of ``gather``; ``src`` may be a number (``value``). ``reduce='add'`` or ``'multiply'``
        combines with the old value instead. Where an index repeats, the last write wins
        (PyTorch leaves it unspecified). ``src`` gets the gradient of the written positions."""
        src = value if src is None else src
        if reduce is None:
            return self._scatter('scatter', dim, index, src, I.index_set)
        if reduce not in ('add', 'multiply'):
            raise RuntimeError(f"scatter(): reduce argument must be either add or multiply, "
                               f"got {reduce!r}")
        mode = 'sum' if reduce == 'add' else 'prod'
        return self._scatter('scatter', dim, index, src,
                             lambda x, grids, s: I.scatter_reduce(x, grids, s, mode))

    def scatter_add(self, dim, index, src):
        """``scatter`` that adds ``src`` at ``index`` (repeated indices accumulate)."""
        return self._scatter('scatter_add', dim, index, src, I.index_add)

    def scatter_reduce(self, dim, index, src, reduce, *, include_self=True):
        """Reduce ``src`` into ``self`` at ``index`` by ``reduce`` ('sum', 'prod', 'mean',
        'amax', 'amin'); ``include_self=False`` leaves self's old values out at the positions
        written to. Integer 'mean' rounds down, as PyTorch. Differentiable in self and src."""
        if reduce not in ('sum', 'prod', 'mean', 'amax', 'amin'):
            raise RuntimeError(f"scatter_reduce(): reduce argument must be either sum, prod, "
                               f"mean, amax or amin, got {reduce!r}")
        return self._scatter('scatter_reduce', dim, index, src, lambda x, grids, s:
                             I.scatter_reduce(x, grids, s, reduce, include_self))

    def _index_dim(self, op, dim, index, source=None, error=RuntimeError, negative=False):
        """``(x, key, source_shape)`` for the index_* ops: ``x[key]`` is the slices of ``x``
        along ``dim`` at the 1-d ``index``; ``source`` must have the shape of ``x[key]``.
        Out-of-range indices raise ``error`` (PyTorch's type differs by op); ``negative``
        ones count from the end only where PyTorch allows it (index_fill)."""
        d = T._dim(dim, self.ndim, op)
        idx = I.index_array(index, op)
        if idx.ndim > 1:       # PyTorch: a RuntimeError from index_fill, IndexError otherwise
            raise (RuntimeError if negative else IndexError)(
                f"{op}(): Index has to be a vector/scalar, got shape {tuple(idx.shape)}")
        x = self.reshape(self.shape or (1,))
        idx = idx.reshape(-1)
        n = x.shape[d]
        if idx.size and (int(idx.min()) < (-n if negative else 0) or int(idx.max()) >= n):
            bad = int(idx.max()) if int(idx.max()) >= n else int(idx.min())
            raise error(f"{op}(): index {bad} is out of bounds for dimension {d} with size {n}")
        shape = x.shape[:d] + (idx.size,) + x.shape[d + 1:]
        if source is not None:
            if source.dtype != self.dtype:
                raise RuntimeError(f"{op}(): self ({self.dtype}) and source ({source.dtype}) "
                                   f"must have the same scalar type")
            if source.numel() != int(np.prod(shape)) or source.ndim not in (x.ndim, self.ndim):
                raise error(f"{op}(): source of shape {tuple(source.shape)} does not match self "
                            f"of shape {tuple(self.shape)} with {idx.size} indices at dim {dim}")
        return x, (slice(None),) * d + (to_device(idx, self.device),), shape

    def index_add(self, dim, index, source, *, alpha=1):
        """``self`` with ``alpha * source[..., i, ...]`` added to ``self[..., index[i], ...]``
        along ``dim`` (repeated indices accumulate)."""
        x, key, shape = self._index_dim('index_add', dim, index, source)
        source = source * alpha if alpha != 1 else source
        return I.index_add(x, key, source.reshape(shape)).reshape(self.shape)

    def index_copy(self, dim, index, source):
        """``self`` with its slices along ``dim`` at ``index`` replaced by those of ``source``."""
        x, key, shape = self._index_dim('index_copy', dim, index, source, error=IndexError)
        return I.index_set(x, key, source.reshape(shape)).reshape(self.shape)

    def index_fill(self, dim, index, value):
        """``self`` with its slices along ``dim`` at ``index`` set to ``value`` (a number or a
        0-d Tensor, which then gets the summed gradient of those slices)."""
        if isinstance(value, T.Tensor) and value.ndim:
            raise RuntimeError(f"index_fill_ only supports a 0-dimensional value tensor, but got "
                               f"tensor with {value.ndim} dimension(s)")
        x, key, _ = self._index_dim('index_fill', dim, index, error=IndexError, negative=True)
        xp = get_array_module(self.data)
        # each slice once: a repeated index adds nothing to value's gradient, as PyTorch
        key = key[:-1] + (xp.unique(key[-1] % x.shape[len(key) - 1]),)
        value = value.to(self.dtype) if isinstance(value, T.Tensor) else T.full(
            (), value, dtype=self.dtype, device=self.device)
        return I.index_set(x, key, value).reshape(self.shape)

    def index_put(self, indices, values, accumulate=False):
        """``self`` with ``self[indices] = values`` (``accumulate``: ``+=``, repeated indices
        adding up); ``indices`` is a tuple of index Tensors, as for ``x[indices]``."""
        if values.dtype != self.dtype:
            raise RuntimeError(f"index_put(): Index put requires the source and destination "
                               f"dtypes match, got {self.dtype} for the destination and "
                               f"{values.dtype} for the source")
        key = self._index(tuple(indices))
        if not accumulate:
            return I.index_set(self, key, values)
        xp = get_array_module(self.data)
        shape = xp.broadcast_to(xp.zeros((), bool), self.shape)[key].shape
        try:
            values = values.expand(shape)
        except RuntimeError:
            raise RuntimeError(f"index_put(): values of shape {tuple(values.shape)} cannot be "
                               f"broadcast to the indexed shape {tuple(shape)}") from None
        return I.index_add(self, key, values)

    def put(self, index, source, accumulate=False):
        """``self`` seen as 1-d, with ``source`` written (``accumulate``: added) at ``index``."""
        idx = I.index_array(index, 'put')
        if idx.size != source.numel():
            raise IndexError(f"put_(): Expected source and index to have the same number of "
                             f"elements, but got source.numel() = {source.numel()}, "
                             f"index.numel() = {idx.size}")
        if source.dtype != self.dtype:
            raise RuntimeError(f"put_(): self and source expected to have the same dtype, but got "
                               f"self.dtype = {self.dtype} and source.dtype = {source.dtype}")
        self._check_flat_index(idx)
        flat = self.reshape(-1)
        key = (to_device(idx.reshape(-1), self.device),)
        src = source.reshape(-1)
        out = I.index_add(flat, key, src) if accumulate else I.index_set(flat, key, src)
        return out.reshape(self.shape)

    def masked_scatter(self, mask, source):
        """``self`` with the positions where ``mask`` (broadcast with self) holds filled, in
        row-major order, by the first elements of ``source``."""
        m = self._bool_mask('masked_scatter', mask)
        if source.dtype != self.dtype:
            raise RuntimeError(f"masked_scatter(): expected self and source to have same dtypes "
                               f"but got {self.dtype} and {source.dtype}")
        shape = self._broadcast_shape('masked_scatter', m.shape)
        m = get_array_module(m).broadcast_to(m, shape)
        n = int(m.sum())
        if source.numel() < n:
            raise RuntimeError(f"masked_scatter(): Number of elements of source "
                               f"({source.numel()}) < number of ones in mask ({n})")
        return I.index_set(self.expand(shape), (m,), source.reshape(-1)[:n])

    def _embed(self, op, key, src, view_shape):
        """``self`` with ``src`` written at ``key``, whose view has ``view_shape``: the
        ``*_scatter`` ops (the adjoints of ``select``, slicing and ``diagonal``)."""
        if tuple(src.shape) != tuple(view_shape):
            raise RuntimeError(f"{op}: expected src to have a size equal to the slice of self. "
                               f"src size = {list(src.shape)}, slice size = {list(view_shape)}")
        return I.index_set(self, key, src.to(self.dtype))

    def select_scatter(self, src, dim, index):
        """``self`` with ``self.select(dim, index)`` replaced by ``src``."""
        view = self.select(dim, index)
        key = (slice(None),) * T._dim(dim, self.ndim, 'select_scatter') + (int(index),)
        return self._embed('select_scatter', key, src, view.shape)

    def slice_scatter(self, src, dim=0, start=None, end=None, step=1):
        """``self`` with the slice ``start:end:step`` along ``dim`` replaced by ``src``."""
        key = (slice(None),) * T._dim(dim, self.ndim, 'slice_scatter') + (slice(start, end, step),)
        return self._embed('slice_scatter', key, src, self[key].shape)

    def diagonal_scatter(self, src, offset=0, dim1=0, dim2=1):
        """``self`` with ``self.diagonal(offset, dim1, dim2)`` replaced by ``src``."""
        view = self.diagonal(offset, dim1, dim2)
        a, b = T._dim(dim1, self.ndim, 'diagonal_scatter'), T._dim(dim2, self.ndim, 'diagonal_scatter')
        x = self.movedim((a, b), (-2, -1))
        key = (Ellipsis,) + _diagonal_coords(get_array_module(self.data), *x.shape[-2:], offset)
        return x._embed('diagonal_scatter', key, src, view.shape).movedim((-2, -1), (a, b))

    def index_reduce(self, dim, index, source, reduce, *, include_self=True):
        """Reduce the slices of ``source`` along ``dim`` into ``self``'s slices at ``index`` by
        ``reduce`` ('prod', 'mean', 'amax', 'amin'), as ``scatter_reduce`` does per element."""
        if reduce not in ('prod', 'mean', 'amax', 'amin'):
            raise RuntimeError(f"index_reduce(): Expected reduce to be one of prod, mean, amax or "
                               f"amin but got {reduce}.")
        x, key, shape = self._index_dim('index_reduce', dim, index, source)
        d = len(key) - 1
        grids = I.scatter_grids(get_array_module(x.data).broadcast_to(
            key[-1].reshape([-1 if i == d else 1 for i in range(x.ndim)]), shape), d)
        return I.scatter_reduce(x, grids, source.reshape(shape), reduce,
                                include_self).reshape(self.shape)

    def _bool_mask(self, op, mask):
        m = mask.data if isinstance(mask, T.Tensor) else T._as_array(mask, device=self.device)
        if m.dtype.kind != 'b':
            raise RuntimeError(f"{op}: expected BoolTensor for mask, got dtype {m.dtype}")
        return m

    def _broadcast_shape(self, op, *shapes):
        try:
            return np.broadcast_shapes(self.shape, *shapes)
        except ValueError:
            raise RuntimeError(f"{op}: the shapes {[tuple(self.shape), *map(tuple, shapes)]} "
                               f"cannot be broadcast together") from None

    def _check_flat_index(self, idx):
        n = self.numel()
        if idx.size and (int(idx.min()) < -n or int(idx.max()) >= n):
            bad = int(idx.min()) if int(idx.min()) < -n else int(idx.max())
            raise IndexError(f"out of range: tried to access index {bad} on a tensor of {n} "
                             f"elements.")

    # in-place forms: computed out of place, then written back (see MathMethods._update)
    def scatter_(self, dim, index, src=None, value=None, *, reduce=None):
        return self._update('scatter_', lambda t: t.scatter(dim, index, src, value, reduce=reduce),
                            src)

    def scatter_add_(self, dim, index, src):
        return self._update('scatter_add_', lambda t: t.scatter_add(dim, index, src), src)

    def scatter_reduce_(self, dim, index, src, reduce, *, include_self=True):
        return self._update('scatter_reduce_', lambda t: t.scatter_reduce(
            dim, index, src, reduce, include_self=include_self), src)

    def index_add_(self, dim, index, source, *, alpha=1):
        return self._update('index_add_', lambda t: t.index_add(dim, index, source, alpha=alpha),
                            source)

    def index_copy_(self, dim, index, source):
        return self._update('index_copy_', lambda t: t.index_copy(dim, index, source), source)

    def index_fill_(self, dim, index, value):
        return self._update('index_fill_', lambda t: t.index_fill(dim, index, value), value)

    def index_put_(self, indices, values, accumulate=False):
        return self._update('index_put_', lambda t: t.index_put(indices, values, accumulate),
                            values)

    def put_(self, index, source, accumulate=False):
        return self._update('put_', lambda t: t.put(index, source, accumulate), source)

    def masked_scatter_(self, mask, source):
        return self._update('masked_scatter_', lambda t: t.masked_scatter(mask, source), source)

    def index_reduce_(self, dim, index, source, reduce, *, include_self=True):
        return self._update('index_reduce_', lambda t: t.index_reduce(
            dim, index, source, reduce, include_self=include_self), source)

    def tril_(self, diagonal=0):
        return self._update('tril_', lambda t: t.tril(diagonal))

    def triu_(self, diagonal=0):
        return self._update('triu_', lambda t: t.triu(diagonal))

    # ------------------------------------------------------------ reading by index
    def masked_select(self, mask):
        """The 1-d tensor of the elements where ``mask`` (broadcast with self) holds."""
        m = self._bool_mask('masked_select', mask)
        shape = self._broadcast_shape('masked_select', m.shape)
        return self.expand(shape)[get_array_module(m).broadcast_to(m, shape)]

    def take(self, index):
        """``self`` seen as 1-d, read at ``index`` (any shape; negative counts from the end)."""
        idx = I.index_array(index, 'take')
        self._check_flat_index(idx)
        return self.reshape(-1)[to_device(idx, self.device)]

    def take_along_dim(self, indices, dim=None):
        """``gather`` along ``dim`` with ``self`` and ``indices`` broadcast in the other dims;
        ``dim=None`` reads the flattened tensor."""
        idx = I.index_array(indices, 'take_along_dim')
        if dim is None:
            return self.reshape(-1).gather(0, idx.reshape(-1))
        d = T._dim(dim, self.ndim, 'take_along_dim')
        if idx.ndim != self.ndim:
            raise RuntimeError(f"take_along_dim(): input and indices should have the same number "
                               f"of dimensions, but got {self.ndim} dimensions for input, and "
                               f"{idx.ndim} dimensions for indices")
        shape = list(self._broadcast_shape('take_along_dim', idx.shape[:d] + (self.shape[d],)
                                           + idx.shape[d + 1:]))
        x = self.expand(shape)
        shape[d] = idx.shape[d]
        return x.gather(d, get_array_module(idx).broadcast_to(idx, shape))

    def select(self, dim, index):
        """The slice at ``index`` along ``dim`` (that dim removed): ``x.select(1, i)`` is
        ``x[:, i]``."""
        if self.ndim == 0:
            raise IndexError("select() cannot be applied to a 0-dim tensor.")
        d = T._dim(dim, self.ndim, 'select')
        if not -self.shape[d] <= index < self.shape[d]:
            raise IndexError(f"select(): index {index} out of range for tensor of size "
                             f"{list(self.shape)} at dimension {d}")
        return self[(slice(None),) * d + (int(index),)]

    def nonzero(self, *, as_tuple=False):
        """int64 coordinates of the nonzero elements: an ``(n, ndim)`` tensor, or (``as_tuple``)
        one 1-d tensor per dim."""
        coords = S.nonzero(self.data)
        if not as_tuple:
            return T.Tensor._make(coords, False, None)
        if self.ndim == 0:               # PyTorch treats a 0-d tensor as one element here
            xp = get_array_module(coords)
            return (T.Tensor._make(xp.zeros(coords.shape[0], np.int64), False, None),)
        return tuple(T.Tensor._make(get_array_module(coords).ascontiguousarray(c), False, None)
                     for c in coords.T)

    def argwhere(self):
        """``nonzero()``: the ``(n, ndim)`` int64 coordinates of the nonzero elements."""
        return self.nonzero()

    # ------------------------------------------------------------ diagonals and triangles
    def _triangle(self, op, diagonal, lower):
        if self.ndim < 2:
            raise RuntimeError(f"{op}: input tensor must have at least 2 dimensions, got shape "
                               f"{tuple(self.shape)}")
        xp = get_array_module(self.data)
        rows, cols = self.shape[-2:]
        keep = xp.tri(rows, cols, diagonal, dtype=bool)
        if not lower:
            keep = ~xp.tri(rows, cols, diagonal - 1, dtype=bool)
        return E.Where.apply(self, E._const(xp.zeros((), self.dtype)), condition=keep)

    def tril(self, diagonal=0):
        """The lower triangle of the last two dims (elements with ``col - row <= diagonal``);
        the rest is zero."""
        return self._triangle('tril', diagonal, True)

    def triu(self, diagonal=0):
        """The upper triangle of the last two dims (``col - row >= diagonal``)."""
        return self._triangle('triu', diagonal, False)

    def diagonal(self, offset=0, dim1=0, dim2=1):
        """The diagonal of the (``dim1``, ``dim2``) planes as the last dim; ``offset > 0`` is
        above the main diagonal, ``< 0`` below."""
        a, b = T._dim(dim1, self.ndim, 'diagonal'), T._dim(dim2, self.ndim, 'diagonal')
        if a == b:
            raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
        xp = get_array_module(self.data)
        x = self.movedim((a, b), (-2, -1))
        rows, cols = _diagonal_coords(xp, x.shape[-2], x.shape[-1], offset)
        return x[..., rows, cols]

    def diag(self, diagonal=0):
        """1-d input: the square matrix with it on the ``diagonal``-th diagonal; 2-d input:
        that diagonal of it."""
        if self.ndim == 2:
            return self.diagonal(diagonal)
        if self.ndim != 1:
            raise RuntimeError(f"diag(): Supports 1D or 2D tensors. Got {self.ndim}D")
        return self.diag_embed(diagonal)

    def diag_embed(self, offset=0, dim1=-2, dim2=-1):
        """Matrices with the last dim of ``self`` on their ``offset``-th diagonal; the two new
        dims (of size n + |offset|) go to ``dim1`` and ``dim2`` of the output."""
        if self.ndim == 0:
            raise RuntimeError("diag_embed(): expected a tensor with at least 1 dimension")
        a, b = T._dim(dim1, self.ndim + 1, 'diag_embed'), T._dim(dim2, self.ndim + 1, 'diag_embed')
        if a == b:
            raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
        n = self.shape[-1] + abs(offset)
        rows, cols = _diagonal_coords(get_array_module(self.data), n, n, offset)
        out = M.IndexAdd.apply(self, shape=self.shape[:-1] + (n, n), index=(Ellipsis, rows, cols))
        return out.movedim((-2, -1), (a, b))

    def diagflat(self, offset=0):
        """The flattened tensor on the ``offset``-th diagonal of a square matrix."""
        return self.reshape(-1).diag_embed(offset)

    def trace(self):
        """The sum of the main diagonal of a matrix (int64 for integer input)."""
        if self.ndim != 2:
            raise RuntimeError(f"trace: expected a matrix, but got tensor with dim {self.ndim}")
        _no_bools('trace', self)
        return self.diagonal().sum()

    # ------------------------------------------------------------ rearranging
    def movedim(self, source, destination):
        """Move dims ``source`` (an int or a tuple) to positions ``destination``; the other
        dims keep their order."""
        src = (source,) if isinstance(source, int) else tuple(source)
        dst = (destination,) if isinstance(destination, int) else tuple(destination)
        if len(src) != len(dst):
            raise RuntimeError(f"movedim: Invalid source or destination dims: source "
                               f"({list(src)} dims) should contain the same number of dims as "
                               f"destination ({list(dst)} dims)")
        src = [T._dim(s, self.ndim, 'movedim') for s in src]
        dst = [T._dim(s, self.ndim, 'movedim') for s in dst]
        for name, dims in (('source', src), ('destination', dst)):
            if len(set(dims)) != len(dims):
                raise RuntimeError(f"movedim: repeated dim in `{name}` ({dims})")
        rest = iter(d for d in range(self.ndim) if d not in src)
        to = dict(zip(dst, src))
        return self.permute(*[to[i] if i in to else next(rest) for i in range(self.ndim)])

    moveaxis = movedim

    def fliplr(self):
        """Flip dim 1 (left-right)."""
        if self.ndim < 2:
            raise RuntimeError(f"fliplr: Input must be >= 2-d, got shape {tuple(self.shape)}")
        return self.flip(1)

    def flipud(self):
        """Flip dim 0 (up-down)."""
        if self.ndim < 1:
            raise RuntimeError("flipud: Input must be >= 1-d, got a 0-d tensor")
        return self.flip(0)

    def rot90(self, k=1, dims=(0, 1)):
        """Rotate by 90 degrees ``k`` times in the plane of ``dims``, from the first dim
        towards the second."""
        dims = tuple(dims)
        if len(dims) != 2:
            raise RuntimeError(f"rot90: expected total rotation dims == 2, but got dims = "
                               f"{len(dims)}")
        if self.ndim < 2:
            raise RuntimeError(f"rot90: expected total dims >= 2, but got total dims = "
                               f"{self.ndim}")
        a, b = (T._dim(d, self.ndim, 'rot90') for d in dims)
        if a == b:
            raise RuntimeError(f"rot90: expected rotation dims to be different, but got dim0 = "
                               f"{a} and dim1 = {b}")
        k %= 4
        if k == 1:
            return self.flip(b).transpose(a, b)
        if k == 2:
            return self.flip((a, b))
        if k == 3:
            return self.flip(a).transpose(a, b)
        return self.clone()

    def tile(self, *dims):
        """Repeat the tensor ``dims`` times along each dim; missing leading counts are 1."""
        dims = T._shape_arg(dims)
        return self.repeat((1,) * (self.ndim - len(dims)) + dims)

    def repeat_interleave(self, repeats, dim=None, *, output_size=None):
        """Repeat each element (each slice along ``dim``) ``repeats`` times in place:
        ``[1, 2].repeat_interleave(2)`` is ``[1, 1, 2, 2]``. ``repeats`` is an int or a
        Tensor of one count per element; ``dim=None`` works on the flattened tensor."""
        x = self.reshape(-1) if dim is None else self.reshape(self.shape or (1,))
        d = 0 if dim is None else T._dim(dim, self.ndim, 'repeat_interleave')
        n = x.shape[d]
        xp = get_array_module(self.data)
        if isinstance(repeats, T.Tensor):
            counts = I.index_array(repeats, 'repeat_interleave', 'repeats')
            if counts.ndim > 1 or counts.size not in (1, n):
                raise RuntimeError(f"repeat_interleave: repeats must have the same size as input "
                                   f"along dim, but got repeats.size(0) = {counts.size} and "
                                   f"input.size({d}) = {n}")
            counts = xp.broadcast_to(to_device(counts.reshape(-1), self.device), (n,))
        else:
            counts = xp.full(n, int(repeats), np.int64)
        if counts.size and int(counts.min()) < 0:
            raise RuntimeError("repeat_interleave: repeats can not be negative")
        return x.index_select(d, xp.repeat(xp.arange(n), counts))

    def ravel(self):
        """The flattened tensor."""
        return self.reshape(-1)

    def narrow_copy(self, dim, start, length):
        """``narrow`` as a new tensor rather than a view."""
        return self.narrow(dim, start, length).clone()

    def split_with_sizes(self, split_sizes, dim=0):
        """Split along ``dim`` into pieces of the given sizes (they must add up)."""
        return T.split(self, list(split_sizes), dim)

    def tensor_split(self, indices_or_sections, dim=0):
        """Split along ``dim`` into ``n`` nearly equal pieces (an int: the first ``size % n``
        one longer), or at the given indices (a list or 1-d Tensor); always views."""
        if self.ndim == 0:
            raise RuntimeError("tensor_split expected at least a 1-dimensional tensor, but got a "
                               "tensor with 0 dims")
        d = T._dim(dim, self.ndim, 'tensor_split')
        n = self.shape[d]
        if isinstance(indices_or_sections, T.Tensor):
            arr = I.index_array(indices_or_sections, 'tensor_split', 'indices_or_sections')
            if arr.ndim > 1:
                raise RuntimeError(f"tensor_split expected tensor_indices_or_sections to be a "
                                   f"zero-dimensional or one-dimensional tensor, but got a tensor "
                                   f"with {arr.ndim} dims")
            indices_or_sections = int(arr) if arr.ndim == 0 else to_numpy(arr).tolist()
        if isinstance(indices_or_sections, int):
            sections = indices_or_sections
            if sections <= 0:
                raise RuntimeError(f"number of sections must be larger than 0, got {sections}")
            sizes = [n // sections + (i < n % sections) for i in range(sections)]
            bounds = [sum(sizes[:i]) for i in range(sections + 1)]
        else:
            bounds = [0, *indices_or_sections, n]
        lead = (slice(None),) * d
        return tuple(self[lead + (slice(a, b),)] for a, b in zip(bounds[:-1], bounds[1:]))

    def _split_at(self, op, indices_or_sections, dim, min_dims):
        if self.ndim < min_dims:
            raise RuntimeError(f"torch.{op} requires a tensor with at least {min_dims} dimension, "
                               f"but got a tensor with {self.ndim} dimensions!")
        n = self.shape[dim]
        if isinstance(indices_or_sections, int) and (
                indices_or_sections == 0 or n % indices_or_sections):
            raise RuntimeError(f"torch.{op} attempted to split along dimension {dim}, but the "
                               f"size of the dimension {n} is not divisible by the split_size "
                               f"{indices_or_sections}!")
        return self.tensor_split(indices_or_sections, dim)

    def hsplit(self, indices_or_sections):
        """``tensor_split`` along dim 1 (dim 0 for 1-d); an int must divide the size."""
        return self._split_at('hsplit', indices_or_sections, 1 if self.ndim > 1 else 0, 1)

    def vsplit(self, indices_or_sections):
        """``tensor_split`` along dim 0 of a tensor with at least 2 dims."""
        return self._split_at('vsplit', indices_or_sections, 0, 2)

    def dsplit(self, indices_or_sections):
        """``tensor_split`` along dim 2 of a tensor with at least 3 dims."""
        return self._split_at('dsplit', indices_or_sections, 2, 3)

    def unfold(self, dimension, size, step):
        """All windows of ``size`` elements along ``dimension``, ``step`` apart, as a new last
        dim: shape ``(..., (n - size) // step + 1, ..., size)``. The gradient of overlapping
        windows adds up."""
        d = T._dim(dimension, self.ndim, 'unfold')
        n = self.shape[d] if self.ndim else 1
        if size > n:
            raise RuntimeError(f"unfold: maximum size for tensor at dimension {d} is {n} but "
                               f"size is {size}")
        if step <= 0:
            raise RuntimeError(f"unfold: step is {step} but must be > 0")
        if self.ndim == 0:
            return self.reshape(size)
        xp = get_array_module(self.data)
        starts = xp.arange(0, n - size + 1, step)
        windows = starts[:, None] + xp.arange(size)
        return self[(slice(None),) * d + (windows,)].movedim(d + 1, -1)

    def kron(self, other):
        """The Kronecker product: block ``(i, j)`` is ``self[i, j] * other``, in any number of
        dims (the fewer-dimensional operand gets leading 1s)."""
        nd = max(self.ndim, other.ndim)
        a = self.reshape((1,) * (nd - self.ndim) + self.shape)
        b = other.reshape((1,) * (nd - other.ndim) + other.shape)
        # interleave: a's dims at the even positions, b's at the odd ones
        product = a.reshape([s for n in a.shape for s in (n, 1)]) * \
            b.reshape([s for n in b.shape for s in (1, n)])
        return product.reshape([m * n for m, n in zip(a.shape, b.shape)])

    def cross(self, other, dim=None):
        """The cross product of 3-vectors along ``dim`` (None: the first dim of size 3);
        the operands broadcast."""
        _no_bools('cross', self, other)
        shape = self._broadcast_shape('cross', other.shape)
        if dim is None:
            if 3 not in shape:
                raise RuntimeError(f"cross: no dimension of size 3 in input (shapes "
                                   f"{tuple(self.shape)} and {tuple(other.shape)})")
            d = shape.index(3)
        else:
            d = T._dim(dim, len(shape), 'cross')
        if shape[d] != 3 or (self.ndim != other.ndim):
            raise RuntimeError(f"linalg.cross: inputs dimension {d} must have length 3. Got "
                               f"{self.shape[d] if d < self.ndim else None} and "
                               f"{other.shape[d] if d < other.ndim else None}")
        a, b = self.expand(shape), other.expand(shape)
        # (a1 b2 - a2 b1, a2 b0 - a0 b2, a0 b1 - a1 b0): shift the components by 1 and 2
        return a.roll(-1, d) * b.roll(-2, d) - a.roll(-2, d) * b.roll(-1, d)

    # ------------------------------------------------------------ scans and order statistics
    def cummax(self, dim):
        """Running maximum along ``dim`` as ``(values, indices)``; the index is the last
        position that reached it, and takes the gradient."""
        return self._cumulative_extreme(dim, True, _cummax_result, 'cummax')

    def cummin(self, dim):
        """Running minimum along ``dim`` as ``(values, indices)`` (see ``cummax``)."""
        return self._cumulative_extreme(dim, False, _cummin_result, 'cummin')

    def _cumulative_extreme(self, dim, largest, result, op):
        d = T._dim(dim, self.ndim, op)
        x = self.reshape(self.shape or (1,))
        indices = T.Tensor._make(R.cumulative_extreme_indices(x.data, d, largest), False, None)
        return result(x.gather(d, indices).reshape(self.shape), indices.reshape(self.shape))

    def logcumsumexp(self, dim):
        """Running ``logsumexp`` along ``dim``: ``out[i] = log(exp(x[0]) + ... + exp(x[i]))``."""
        d = T._dim(dim, self.ndim, 'logcumsumexp')
        if self.dtype.kind != 'f':
            raise NotImplementedError(f"logcumsumexp: not implemented for dtype {self.dtype}")
        return R.LogCumSumExp.apply(self.reshape(self.shape or (1,)), dim=d).reshape(self.shape)

    def _select_along(self, dim, keepdim, op, choose, result):
        """``(values, indices)`` for an index per slice along ``dim`` chosen by
        ``choose(array, dim)`` (keepdim shape); the values take the gradient."""
        d = T._dim(dim, self.ndim, op)
        x = self.reshape(self.shape or (1,))
        indices = T.Tensor._make(choose(x.data, d), False, None)
        values = x.gather(d, indices)
        if not keepdim or self.ndim == 0:
            values, indices = values.squeeze(d), indices.squeeze(d)
        return result(values, indices)

    def msort(self):
        """The values sorted along dim 0."""
        return self.sort(0).values

    def kthvalue(self, k, dim=-1, keepdim=False):
        """The ``k``-th smallest element (1-based) along ``dim`` as ``(values, indices)``."""
        n = self.shape[T._dim(dim, self.ndim, 'kthvalue')] if self.ndim else 1
        _no_bools('kthvalue', self)
        if n == 0:
            raise IndexError(f"kthvalue(): Expected reduction dim {dim} to have non-zero size, "
                             f"got input shape {tuple(self.shape)}")
        if not 1 <= k <= n:
            raise RuntimeError(f"kthvalue(): selected number k={k} out of range for dimension "
                               f"{dim} of size {n}")
        xp = get_array_module(self.data)
        return self._select_along(dim, keepdim, 'kthvalue', lambda a, d: xp.take(
            M.argsort(a, d), [k - 1], axis=d), _kthvalue_result)

    def mode(self, dim=-1, keepdim=False):
        """The most frequent value along ``dim`` (the smallest of equally frequent ones) and
        the index of its last occurrence, as ``(values, indices)``."""
        if self.ndim and self.shape[T._dim(dim, self.ndim, 'mode')] == 0:
            raise IndexError(f"mode(): Expected reduction dim {dim} to have non-zero size, got "
                             f"input shape {tuple(self.shape)}")
        return self._select_along(dim, keepdim, 'mode', R.mode_indices, _mode_result)

    def nanmedian(self, dim=None, keepdim=False):
        """``median`` of the elements that are not NaN (NaN where all are)."""
        _no_bools('nanmedian', self)
        if dim is None:
            return R.Median.apply(self, ignore_nan=True)
        d = T._dim(dim, self.ndim, 'nanmedian')
        if self.ndim and self.shape[d] == 0:
            raise IndexError(f"nanmedian: expected reduction dim {dim} to have non-zero size, "
                             f"got input shape {tuple(self.shape)}")
        xp = get_array_module(self.data)

        def choose(a, d):
            valid = (a == a).sum(axis=d, keepdims=True)
            return xp.take_along_axis(M.argsort(a, d), xp.maximum(valid - 1, 0) // 2, axis=d)
        return self._select_along(dim, keepdim, 'nanmedian', choose, T._median_result)

    def quantile(self, q, dim=None, keepdim=False, *, interpolation='linear'):
        """The ``q``-quantiles (``q`` a float or a 1-d Tensor in [0, 1], which adds a leading
        dim) along ``dim`` (None: all elements), interpolating between the sorted values by
        ``interpolation`` ('linear', 'lower', 'higher', 'midpoint', 'nearest'); NaN where a
        slice has a NaN."""
        return R.quantile(self, q, dim, keepdim, interpolation, False, 'quantile')

    def nanquantile(self, q, dim=None, keepdim=False, *, interpolation='linear'):
        """``quantile`` of the elements that are not NaN."""
        return R.quantile(self, q, dim, keepdim, interpolation, True, 'nanquantile')

    def aminmax(self, *, dim=None, keepdim=False):
        """``(min, max)`` as ``amin``/``amax`` over ``dim`` (None: all elements)."""
        if dim is None and self.numel() == 0:
            raise RuntimeError(f"aminmax(): cannot compute aminmax over an empty dimension as the "
                               f"operation has no identity (input shape {tuple(self.shape)})")
        if dim is not None and self.ndim and self.shape[T._dim(dim, self.ndim, 'aminmax')] == 0:
            raise IndexError(f"aminmax: Expected reduction dim {dim} to have non-zero size, got "
                             f"input shape {tuple(self.shape)}")
        return _aminmax_result(self.amin(dim, keepdim), self.amax(dim, keepdim))

    # ------------------------------------------------------------ finding and counting
    def unique(self, sorted=True, return_inverse=False, return_counts=False, dim=None):
        """The sorted unique elements (slices along ``dim``); with ``return_inverse`` the index
        of each element into them, with ``return_counts`` how often each occurs."""
        d = None if dim is None else T._dim(dim, self.ndim, 'unique')
        return _wrap(S.unique(self.data, return_inverse, return_counts, d))

    def unique_consecutive(self, return_inverse=False, return_counts=False, dim=None):
        """Collapse each run of equal consecutive elements (slices along ``dim``) into one."""
        d = None if dim is None else T._dim(dim, self.ndim, 'unique_consecutive')
        return _wrap(S.unique_consecutive(self.data, return_inverse, return_counts, d))

    def bincount(self, weights=None, minlength=0):
        """Counts of 0, 1, ..., max of a 1-d non-negative integer tensor (int64), or the sums
        of ``weights`` (their dtype if floating, else float64)."""
        if self.dtype.kind not in 'iu':
            raise NotImplementedError(f"bincount: not implemented for dtype {self.dtype}")
        if self.ndim != 1 or (
                self.numel() and int(self.data.min()) < 0):
            raise RuntimeError(f"bincount only supports 1-d non-negative integral inputs, got "
                               f"shape {tuple(self.shape)} and dtype {self.dtype}")
        if minlength < 0:
            raise RuntimeError(f"bincount: minlength should be >= 0, got {minlength}")
        w = None if weights is None else weights.data
        if w is not None and w.shape != self.shape:
            raise RuntimeError(f"bincount: weights should be 1-d and have the same length as "
                               f"input, got shapes {tuple(w.shape)} and {tuple(self.shape)}")
        return T.Tensor._make(S.bincount(self.data, w, minlength), False, None)

    def histc(self, bins=100, min=0, max=0):
        """Counts in ``bins`` equal bins over ``[min, max]`` (``min == max``: the data's range),
        in ``self``'s dtype; elements outside are ignored."""
        if self.dtype.kind != 'f':
            raise NotImplementedError(f"histc: not implemented for dtype {self.dtype}")
        if bins <= 0:
            raise RuntimeError(f"histc: bins must be > 0, got {bins}")
        lo, hi = float(min), float(max)
        if lo == hi and self.numel():
            finite = self.data[get_array_module(self.data).isfinite(self.data)]
            lo, hi = (float(finite.min()), float(finite.max())) if finite.size else (lo, hi)
        if lo == hi:                         # PyTorch widens an empty range by 1 either side
            lo, hi = lo - 1, hi + 1
        if lo > hi:
            raise RuntimeError(f"histc: max must be larger than min, got min={min}, max={max}")
        return T.Tensor._make(S.histc(self.data, bins, lo, hi), False, None)


# ---------------------------------------------------------------- functions on several tensors
def broadcast_shapes(*shapes):
    """The shape that ``shapes`` (tuples or ints) broadcast to."""
    shapes = [(s,) if isinstance(s, int) else tuple(s) for s in shapes]
    try:
        return tuple(np.broadcast_shapes(*shapes))
    except ValueError:
        raise RuntimeError(f"broadcast_shapes: shape mismatch: the shapes {shapes} cannot be "
                           f"broadcast to a single shape") from None


def broadcast_tensors(*tensors):
    """The tensors expanded to their common broadcast shape."""
    shape = broadcast_shapes(*[t.shape for t in tensors])
    return tuple(t.expand(shape) for t in tensors)


def broadcast_to(input, shape):
    """``input.expand(shape)``."""
    return input.expand(shape)


def _tensor_list(tensors, op):
    """``f(a, b)`` and ``f([a, b])`` both give ``[a, b]``."""
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tensors[0]
    return list(tensors)


def meshgrid(*tensors, indexing=None):
    """Coordinate grids: ``out[i]`` is ``tensors[i]`` (0-d or 1-d) expanded along a dim of its
    own. ``indexing='ij'`` (the default) gives shape ``(len(t0), len(t1), ...)``; ``'xy'``
    swaps the first two dims (Cartesian, as numpy's default)."""
    tensors = _tensor_list(tensors, 'meshgrid')
    indexing = 'ij' if indexing is None else indexing
    if indexing not in ('ij', 'xy'):
        raise RuntimeError(f'torch.meshgrid: indexing must be one of "xy" or "ij", but received: '
                           f'{indexing}')
    if not tensors:
        raise RuntimeError("meshgrid: expects a non-empty TensorList")
    if any(t.ndim > 1 for t in tensors):
        raise RuntimeError(f"torch.meshgrid: Expected 0D or 1D tensor in the tensor list but got "
                           f"shapes {[tuple(t.shape) for t in tensors]}")
    if len({t.dtype for t in tensors}) > 1:
        raise RuntimeError("meshgrid expects all tensors to have the same dtype")
    swap = indexing == 'xy' and len(tensors) >= 2
    if swap:
        tensors[0], tensors[1] = tensors[1], tensors[0]
    shape = tuple(t.numel() for t in tensors)
    grids = [t.reshape([-1 if i == j else 1 for j in range(len(tensors))]).expand(shape)
             for i, t in enumerate(tensors)]
    if swap:
        grids[0], grids[1] = grids[1], grids[0]
    return tuple(grids)


def cartesian_prod(*tensors):
    """All combinations of the elements of 1-d tensors, as rows ``(n0 * n1 * ..., k)``
    (a single tensor is returned as it is)."""
    tensors = _tensor_list(tensors, 'cartesian_prod')
    if len(tensors) == 1:
        return tensors[0]
    return T.stack([g.reshape(-1) for g in meshgrid(*tensors, indexing='ij')], dim=1)


def block_diag(*tensors):
    """The block diagonal matrix of the tensors (0-d is 1x1, 1-d is one row); zeros
    elsewhere, in their promoted dtype."""
    tensors = _tensor_list(tensors, 'block_diag')
    for i, t in enumerate(tensors):
        if t.ndim > 2:
            raise RuntimeError(f"torch.block_diag: Input tensors must have 2 or fewer dimensions. "
                               f"Input {i} has {t.ndim} dimensions")
    if not tensors:
        return T.zeros(1, 0)
    dtype = T._result_type(*tensors)
    blocks = [(t if t.ndim == 2 else t.reshape(1, t.numel())).to(dtype) for t in tensors]
    width = sum(b.shape[1] for b in blocks)
    rows, left = [], 0
    for b in blocks:
        h, w = b.shape
        pad = [T.zeros(h, left, dtype=dtype, device=b.device), b,
               T.zeros(h, width - left - w, dtype=dtype, device=b.device)]
        rows.append(T.cat(pad, 1))
        left += w
    return T.cat(rows, 0)


def _atleast(tensors, ndim, reshape):
    tensors = _tensor_list(tensors, f'atleast_{ndim}d')
    out = tuple(t if t.ndim >= ndim else reshape(t) for t in tensors)
    return out[0] if len(out) == 1 else out


def atleast_1d(*tensors):
    """0-d tensors as shape ``(1,)``; one tensor in gives one out, several a tuple."""
    return _atleast(tensors, 1, lambda t: t.reshape(1))


def atleast_2d(*tensors):
    """Tensors with fewer than 2 dims as ``(1, n)``."""
    return _atleast(tensors, 2, lambda t: t.reshape(1, -1) if t.ndim else t.reshape(1, 1))


def atleast_3d(*tensors):
    """0-d as ``(1, 1, 1)``, ``(n,)`` as ``(1, n, 1)``, ``(m, n)`` as ``(m, n, 1)``."""
    return _atleast(tensors, 3, lambda t: t.reshape((1,) * (2 - t.ndim) + t.shape + (1,))
                    if t.ndim else t.reshape(1, 1, 1))


def hstack(tensors):
    """Concatenate along dim 1 (dim 0 for 1-d tensors)."""
    tensors = [atleast_1d(t) for t in tensors]
    return T.cat(tensors, 0 if tensors and tensors[0].ndim == 1 else 1)


def vstack(tensors):
    """Concatenate along dim 0, 1-d tensors as rows."""
    return T.cat([atleast_2d(t) for t in tensors], 0)


row_stack = vstack


def dstack(tensors):
    """Concatenate along dim 2 (depth), after ``atleast_3d``."""
    return T.cat([atleast_3d(t) for t in tensors], 2)


def column_stack(tensors):
    """Concatenate along dim 1, 0-d and 1-d tensors as columns."""
    return T.cat([t.reshape(t.numel(), 1) if t.ndim < 2 else t for t in tensors], 1)


def repeat_interleave(input, repeats=None, dim=None, *, output_size=None):
    """``input.repeat_interleave(repeats, dim)``; with only a Tensor of counts,
    ``repeat_interleave(counts)`` repeats ``arange(len(counts))`` by them."""
    if repeats is None:
        return T.arange(input.numel(), device=input.device).repeat_interleave(input.reshape(-1))
    return input.repeat_interleave(repeats, dim, output_size=output_size)


def _triangle_indices(row, col, offset, dtype, device, lower):
    for name, n in (('row', row), ('col', col)):
        if n < 0:
            raise RuntimeError(f"{'tril' if lower else 'triu'}_indices: {name} must be "
                               f"non-negative, got {n}")
    rows, cols = (np.tril_indices if lower else np.triu_indices)(row, offset, col)
    return T.Tensor(np.stack([rows, cols]).astype(dtype).reshape(2, -1), device=device)


def tril_indices(row, col, offset=0, *, dtype=np.int64, device=None):
    """The ``(2, n)`` coordinates of the lower triangle of a ``row x col`` matrix (with
    ``col - row <= offset``), in row-major order."""
    return _triangle_indices(row, col, offset, dtype, device, True)


def triu_indices(row, col, offset=0, *, dtype=np.int64, device=None):
    """The ``(2, n)`` coordinates of the upper triangle (``col - row >= offset``)."""
    return _triangle_indices(row, col, offset, dtype, device, False)


def searchsorted(sorted_sequence, input, *, out_int32=False, right=False, side=None, sorter=None):
    """Where each value of ``input`` would be inserted into ``sorted_sequence`` (its last dim
    sorted) to keep it sorted: the count of smaller elements (``right=True`` or
    ``side='right'``: smaller or equal). int64 (``out_int32``: int32); no gradient."""
    if side is not None:
        if side not in ('left', 'right'):
            raise RuntimeError(f"torch.searchsorted(): side can only be 'left' or 'right' but "
                               f"got {side}")
        if right and side == 'left':
            raise RuntimeError("torch.searchsorted(): side and right can't be set to opposites, "
                               "got side of left while right was True")
        right = side == 'right'
    seq = sorted_sequence.data
    if sorter is not None:
        seq = get_array_module(seq).take_along_axis(seq, I.index_array(sorter, 'searchsorted',
                                                                        'sorter'), axis=-1)
    scalar = not isinstance(input, T.Tensor)
    if scalar and seq.ndim != 1:
        raise RuntimeError(f"torch.searchsorted(): input value can be a scalar only when "
                           f"boundaries tensor dimension is 1, but we got boundaries tensor dim("
                           f"{seq.ndim})")
    values = T._as_array(input, dtype=seq.dtype if scalar else None, device=device_of(seq))
    if seq.ndim > 1 and seq.shape[:-1] != values.shape[:-1]:
        raise RuntimeError(f"torch.searchsorted(): boundaries tensor should be 1 dimension or the "
                           f"first N-1 dimensions of boundaries tensor and input value tensor "
                           f"must match, but we got boundaries tensor {list(seq.shape)} and input "
                           f"value tensor {list(values.shape)}")
    out = S.searchsorted(seq, values, right)
    return T.Tensor._make(out.astype(np.int32) if out_int32 else out, False, None)


def bucketize(input, boundaries, *, out_int32=False, right=False):
    """The index of the bucket of each value: ``boundaries[i-1] < x <= boundaries[i]``
    (``right=True``: ``boundaries[i-1] <= x < boundaries[i]``); ``boundaries`` is 1-d."""
    if boundaries.ndim != 1:
        raise RuntimeError(f"boundaries tensor must be 1 dimension, but got dim({boundaries.ndim})")
    return searchsorted(boundaries, input, out_int32=out_int32, right=right)


def isin(elements, test_elements, *, assume_unique=False, invert=False):
    """Whether each element of ``elements`` occurs in ``test_elements`` (either may be a
    number), as a bool tensor of ``elements``' shape; ``invert`` negates it."""
    ref = elements if isinstance(elements, T.Tensor) else test_elements
    a, b = (x.data if isinstance(x, T.Tensor) else T._as_array(x, device=ref.device)
            for x in (elements, test_elements))
    xp = get_array_module(a)
    return T.Tensor._make(xp.isin(a, b, assume_unique=assume_unique, invert=invert), False, None)


def combinations(input, r=2, with_replacement=False):
    """The length-``r`` combinations of the elements of a 1-d tensor, as rows (in
    ``itertools.combinations`` order); differentiable."""
    import itertools
    if input.ndim != 1:
        raise RuntimeError(f"combinations: Expect a 1D vector, but got shape {list(input.shape)}")
    if r == 0:                              # PyTorch: an empty 1-d tensor, outside the graph
        return T.zeros(0, dtype=input.dtype, device=input.device)
    pick = itertools.combinations_with_replacement if with_replacement else itertools.combinations
    rows = np.array(list(pick(range(input.shape[0]), r)), dtype=np.int64).reshape(-1, r)
    return input[to_device(rows, input.device)]


def var_mean(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    """``(var, mean)`` over ``dim`` in one call."""
    if isinstance(dim, bool):          # var_mean(x, False): the unbiased overload
        dim, unbiased = None, dim
    return (input.var(dim, unbiased, keepdim, correction=correction),
            input.mean(dim, keepdim))


def std_mean(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    """``(std, mean)`` over ``dim`` in one call."""
    if isinstance(dim, bool):
        dim, unbiased = None, dim
    return (input.std(dim, unbiased, keepdim, correction=correction),
            input.mean(dim, keepdim))
