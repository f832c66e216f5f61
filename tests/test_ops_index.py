"""Indexing, shape and selection ops: the scatter family, index_*/masked_*/take/put, diagonals
and triangles, rearranging and splitting, scans (cummax, logcumsumexp), order statistics
(kthvalue, mode, nanmedian, quantile), finding and counting (nonzero, unique, bincount, histc,
searchsorted). Values against numpy references and literals checked with PyTorch, float64
gradcheck/gradgradcheck, hypothesis properties, PyTorch's errors, and the in-place forms."""
import re

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import tinygrad_cnn as tg
from tinygrad_cnn import Tensor
from tinygrad_cnn.testing import strategies as tst

A = np.arange(12.0).reshape(3, 4) / 5 - 1          # distinct values, float64
A3 = np.arange(24.0).reshape(2, 3, 4) / 7 - 1.5


def t(a, grad=False):
    return Tensor(np.array(a), requires_grad=grad)


# ---------------------------------------------------------------- scatter family: values
X23 = [[1., 2, 3], [4, 5, 6]]
IDX = [[1, 0, 1], [1, 1, 0]]
SRC = [[10., 20, 30], [40, 50, 60]]

# verified with PyTorch 2: x.scatter_reduce(0, IDX, SRC, reduce, include_self=...)
SCATTER_REDUCE = {
    ('sum', True): [[1, 22, 63], [54, 55, 36]], ('sum', False): [[1, 20, 60], [50, 50, 30]],
    ('prod', True): [[1, 40, 180], [1600, 250, 180]],
    ('prod', False): [[1, 20, 60], [400, 50, 30]],
    ('mean', True): [[1, 11, 31.5], [18, 27.5, 18]], ('mean', False): [[1, 20, 60], [25, 50, 30]],
    ('amax', True): [[1, 20, 60], [40, 50, 30]], ('amax', False): [[1, 20, 60], [40, 50, 30]],
    ('amin', True): [[1, 2, 3], [4, 5, 6]], ('amin', False): [[1, 20, 60], [10, 50, 30]],
}


@pytest.mark.parametrize('reduce,include_self', list(SCATTER_REDUCE))
def test_scatter_reduce_values(reduce, include_self):
    out = t(X23).scatter_reduce(0, tg.tensor(IDX), t(SRC), reduce, include_self=include_self)
    np.testing.assert_allclose(out.numpy(), SCATTER_REDUCE[reduce, include_self])


def test_scatter_and_scatter_add_values():
    x, idx, src = t(X23), tg.tensor(IDX), t(SRC)
    np.testing.assert_array_equal(x.scatter(0, idx[:1], src).numpy(), [[1, 20, 3], [10, 5, 30]])
    np.testing.assert_array_equal(x.scatter_add(0, idx, src).numpy(), [[1, 22, 63], [54, 55, 36]])
    np.testing.assert_array_equal(tg.scatter(x, 1, tg.tensor([[2], [0]]), -1.).numpy(),
                                  [[1, 2, -1], [-1, 5, 6]])
    np.testing.assert_array_equal(x.scatter(0, idx, src, reduce='multiply').numpy(),
                                  [[1, 40, 180], [1600, 250, 180]])
    np.testing.assert_array_equal(x.scatter(0, idx, 1.5, reduce='add').numpy(),
                                  [[1, 3.5, 4.5], [7, 6.5, 7.5]])
    # integer mean rounds down, as PyTorch: (2 - 5) / 2 = -1.5 -> -2
    out = tg.tensor([[2, 3]]).scatter_reduce(0, tg.tensor([[0, 0]]), tg.tensor([[-5, 4]]), 'mean')
    assert out.dtype == np.int64 and out.tolist() == [[-2, 3]]
    # only the part of src that the index covers is read; a 0-d tensor scatters as one element
    big = Tensor(np.arange(12.0).reshape(3, 4))
    np.testing.assert_array_equal(t(X23).scatter(1, tg.tensor([[2], [1]]), big).numpy(),
                                  [[1, 2, 0], [4, 4, 6]])
    assert t(3.).scatter_add(0, tg.tensor(0), t(2.)).item() == 5


def _scatter_reduce_reference(x, dim, index, src, reduce, include_self):
    """Loop reference: each written position reduces its own list of values."""
    out = x.copy()
    lists = {}
    for pos in np.ndindex(*index.shape):
        target = list(pos)
        target[dim] = index[pos]
        lists.setdefault(tuple(target), []).append(src[pos])
    fn = {'sum': np.sum, 'prod': np.prod, 'mean': np.mean, 'amax': np.max, 'amin': np.min}[reduce]
    for target, values in lists.items():
        out[target] = fn(values + ([x[target]] if include_self else []))
    return out


@settings(max_examples=25)
@given(shape=tst.shapes(min_dims=1, max_dims=3, max_side=4), data=st.data(),
       reduce=st.sampled_from(['sum', 'prod', 'mean', 'amax', 'amin']), include_self=st.booleans())
def test_scatter_reduce_matches_loop_reference(shape, data, reduce, include_self):
    x = data.draw(tst.arrays(shape))
    dim = data.draw(tst.dims(len(shape)))
    index_shape = tuple(data.draw(st.integers(0, s)) for s in shape)
    index = data.draw(tst.arrays(index_shape, dtype=np.float64, low=0, high=shape[dim] - 1,
                                 min_magnitude=0)).astype(np.int64)
    src = data.draw(tst.arrays(index_shape))
    out = Tensor(x).scatter_reduce(dim, Tensor(index), Tensor(src), reduce,
                                   include_self=include_self)
    np.testing.assert_allclose(out.numpy(), _scatter_reduce_reference(
        x, dim % len(shape), index, src, reduce, include_self), rtol=1e-12)


# ---------------------------------------------------------------- index_* / masked / take / put
def test_index_ops_values():
    x = Tensor(A)
    src = Tensor(np.arange(6.0).reshape(3, 2))
    ref = A.copy()
    np.add.at(ref, (slice(None), [3, 3]), 2 * np.arange(6.0).reshape(3, 2))
    np.testing.assert_allclose(x.index_add(1, tg.tensor([3, 3]), src, alpha=2).numpy(), ref)
    ref = A.copy()
    ref[:, [2, 0]] = np.arange(6.0).reshape(3, 2)
    np.testing.assert_allclose(tg.index_copy(x, 1, tg.tensor([2, 0]), src).numpy(), ref)
    ref = A.copy()
    ref[[0, 2]] = 7
    np.testing.assert_allclose(x.index_fill(0, tg.tensor([0, -1]), 7).numpy(), ref)
    ref = A.copy()
    np.add.at(ref, ([0, 0, 2], [1, 1, 3]), [1., 2., 3.])
    np.testing.assert_allclose(x.index_put((tg.tensor([0, 0, 2]), tg.tensor([1, 1, 3])),
                                           t([1., 2., 3.]), accumulate=True).numpy(), ref)
    ref = A.copy()
    ref[[0, 2]] = [1., 2., 3., 4.]                 # values broadcast over the indexed rows
    np.testing.assert_allclose(x.index_put((tg.tensor([0, 2]),), t([1., 2., 3., 4.])).numpy(), ref)


def test_masked_take_put_values():
    x = Tensor(A)
    mask = A > 0
    np.testing.assert_allclose(x.masked_select(tg.tensor(mask)).numpy(), A[mask])
    np.testing.assert_allclose(x.masked_select(tg.tensor(mask[:1])).numpy(),
                               A[np.broadcast_to(mask[:1], A.shape)])       # mask broadcasts
    ref = A.copy()
    ref[mask] = np.arange(100.0)[:mask.sum()]
    np.testing.assert_allclose(x.masked_scatter(tg.tensor(mask), Tensor(np.arange(100.0))).numpy(),
                               ref)
    index = np.array([[0, -1], [5, 3]])
    np.testing.assert_allclose(x.take(tg.tensor(index)).numpy(), np.take(A, index))
    ref = A.copy()
    np.put(ref, [1, -2], [10., 20.])
    np.testing.assert_allclose(x.put(tg.tensor([1, -2]), t([10., 20.])).numpy(), ref)
    np.testing.assert_allclose(tg.put(x, tg.tensor([1, 1]), t([10., 20.]), accumulate=True)
                               .numpy().ravel()[1], A.ravel()[1] + 30)
    order = np.argsort(A3, axis=1)
    np.testing.assert_allclose(Tensor(A3).take_along_dim(tg.tensor(order), 1).numpy(),
                               np.take_along_axis(A3, order, 1))
    np.testing.assert_allclose(x.take_along_dim(tg.tensor([[2]]), dim=0).numpy(),
                               A[2:3])                  # the index broadcasts to shape (1, 4)
    np.testing.assert_allclose(x.take_along_dim(tg.tensor([0, 11])).numpy(), A.ravel()[[0, 11]])
    np.testing.assert_allclose(x.select(1, -1).numpy(), A[:, -1])


def test_nonzero_and_argwhere():
    a = np.array([[0., 1.5, 0.], [2., 0., -1.]])
    out = Tensor(a).nonzero()
    assert out.dtype == np.int64
    np.testing.assert_array_equal(out.numpy(), np.argwhere(a))
    np.testing.assert_array_equal(tg.argwhere(Tensor(a)).numpy(), np.argwhere(a))
    rows, cols = Tensor(a).nonzero(as_tuple=True)
    np.testing.assert_array_equal(rows.numpy(), [0, 1, 1])
    np.testing.assert_array_equal(cols.numpy(), [1, 0, 2])
    assert tg.tensor(0.).nonzero().shape == (0, 0) and tg.tensor(2.).nonzero().shape == (1, 0)
    assert [i.tolist() for i in tg.tensor(2.).nonzero(as_tuple=True)] == [[0]]


# ---------------------------------------------------------------- numpy references, values only
REFERENCES = {
    'tril': (lambda x: x.tril(), lambda a: np.tril(a)),
    'tril-1': (lambda x: tg.tril(x, -1), lambda a: np.tril(a, -1)),
    'triu1': (lambda x: x.triu(diagonal=1), lambda a: np.triu(a, 1)),
    'diag': (lambda x: x[0].diag(1), lambda a: np.diag(a[0], 1)),
    'diag2d': (lambda x: x[0].diag(-1), lambda a: np.diag(a[0], -1)),
    'diagonal': (lambda x: x.diagonal(1, 2, 0), lambda a: np.diagonal(a, 1, 2, 0)),
    'diagonal_neg': (lambda x: tg.diagonal(x, -2, -1, -2), lambda a: np.diagonal(a, -2, -1, -2)),
    'diag_embed': (lambda x: x[0].diag_embed(1, 0, 2),
                   lambda a: np.moveaxis(np.stack([np.diag(r, 1) for r in a[0]]), 0, 1)),
    'diagflat': (lambda x: x[0].diagflat(-1), lambda a: np.diagflat(a[0], -1)),
    'trace': (lambda x: x[1].trace(), lambda a: np.trace(a[1])),
    'movedim': (lambda x: x.movedim((0, 2), (2, 0)), lambda a: np.moveaxis(a, (0, 2), (2, 0))),
    'moveaxis': (lambda x: tg.moveaxis(x, -1, 0), lambda a: np.moveaxis(a, -1, 0)),
    'fliplr': (lambda x: x.fliplr(), lambda a: np.fliplr(a)),
    'flipud': (lambda x: tg.flipud(x), lambda a: np.flipud(a)),
    'rot90': (lambda x: x.rot90(), lambda a: np.rot90(a)),
    'rot90_k': (lambda x: x.rot90(-3, (2, 0)), lambda a: np.rot90(a, -3, (2, 0))),
    'tile': (lambda x: x.tile((2,)), lambda a: np.tile(a, 2)),
    'tile_more': (lambda x: tg.tile(x, (2, 1, 1, 2)), lambda a: np.tile(a, (2, 1, 1, 2))),
    'repeat_interleave': (lambda x: x.repeat_interleave(2), lambda a: np.repeat(a, 2)),
    'repeat_interleave_dim': (lambda x: x.repeat_interleave(tg.tensor([2, 0, 1]), dim=1),
                              lambda a: np.repeat(a, [2, 0, 1], axis=1)),
    'ravel': (lambda x: x.transpose(0, 2).ravel(), lambda a: a.transpose(2, 1, 0).ravel()),
    'narrow_copy': (lambda x: x.narrow_copy(2, 1, 2), lambda a: a[:, :, 1:3]),
    'unfold': (lambda x: x.unfold(2, 2, 1),
               lambda a: np.lib.stride_tricks.sliding_window_view(a, 2, axis=2)),
    'unfold_step': (lambda x: x.unfold(1, 2, 2),
                    lambda a: np.lib.stride_tricks.sliding_window_view(a, 2, axis=1)[:, ::2]),
    'kron': (lambda x: x[0].kron(x[1, :2]), lambda a: np.kron(a[0], a[1, :2])),
    'kron_mixed': (lambda x: tg.kron(x[0, 0], x), lambda a: np.kron(a[0, 0], a)),
    'cross': (lambda x: x[:, :, :3].cross(x[:, :, 1:], dim=-1),
              lambda a: np.cross(a[:, :, :3], a[:, :, 1:])),
    'cross_default': (lambda x: tg.cross(x, x.flip(1)), lambda a: np.cross(a, a[:, ::-1], axis=1)),
    'cummax': (lambda x: x.cummax(2).values, lambda a: np.maximum.accumulate(a, 2)),
    'cummin': (lambda x: tg.cummin(x, 0).values, lambda a: np.minimum.accumulate(a, 0)),
    'logcumsumexp': (lambda x: x.logcumsumexp(1), lambda a: np.logaddexp.accumulate(a, 1)),
    'quantile': (lambda x: x.quantile(0.3, dim=2), lambda a: np.quantile(a, 0.3, axis=2)),
    'nanmedian': (lambda x: x.nanmedian(), lambda a: np.sort(a.ravel())[(a.size - 1) // 2]),
    'aminmax': (lambda x: x.aminmax(dim=1).max, lambda a: a.max(1)),
    'msort': (lambda x: tg.msort(x), lambda a: np.sort(a, 0)),
    'select_scatter': (lambda x: x.select_scatter(x[:, 0] * 0, 1, -1),
                       lambda a: np.concatenate([a[:, :2], 0 * a[:, :1]], 1)),
    'slice_scatter': (lambda x: x.slice_scatter(x[:, :, ::2] + 1, 2, 0, None, 2),
                      lambda a: np.stack([a[..., 0] + 1, a[..., 1], a[..., 2] + 1, a[..., 3]], -1)),
    'diagonal_scatter': (lambda x: tg.diagonal_scatter(x[0], x[0].diagonal() * 0),
                         lambda a: a[0] * (1 - np.eye(3, 4))),
    'index_reduce': (lambda x: x.index_reduce(2, tg.tensor([1, 1]), x[..., 2:], 'amax'),
                     lambda a: np.stack([a[..., 0], np.maximum(a[..., 1], a[..., 2:].max(-1)),
                                         a[..., 2], a[..., 3]], -1)),
    'take_numpy_index': (lambda x: x.take_along_dim(np.array([[[1], [0], [2]]]), 1),
                         lambda a: np.take_along_axis(a, np.array([[[1], [0], [2]]] * 2), 1)),
}


@pytest.mark.parametrize('name', list(REFERENCES))
def test_values_against_numpy(name):
    fn, ref = REFERENCES[name]
    np.testing.assert_allclose(fn(Tensor(A3)).numpy(), ref(A3), rtol=1e-12, atol=1e-12)


def test_ordered_results_are_named_tuples_with_int64_indices():
    x = tg.tensor([1., 3., 2., 3., 1.])
    values, indices = x.cummax(0)
    assert values.tolist() == [1, 3, 3, 3, 3] and indices.tolist() == [0, 1, 1, 3, 3]
    assert x.cummin(0).indices.tolist() == [0, 0, 0, 0, 4]       # ties: the last index
    mode = tg.tensor([3., 1., 3., 2., 1., 2.]).mode()
    assert (mode.values.item(), mode.indices.item()) == (1, 4)    # smallest, last occurrence
    kth = tg.kthvalue(tg.tensor([3., 1., 4., 1., 5.]), 2)
    assert (kth.values.item(), kth.indices.item()) == (1, 3)
    med = tg.tensor([[1., np.nan, 3.], [4., 5., 6.]]).nanmedian(1)
    assert med.values.tolist() == [1, 5] and med.indices.tolist() == [0, 1]
    mm = Tensor(A).aminmax()
    assert (mm.min.item(), mm.max.item()) == (A.min(), A.max())
    assert all(i.dtype == np.int64 for i in (indices, mode.indices, kth.indices, med.indices))


# ---------------------------------------------------------------- gradients
def _idx(a):
    return tg.tensor(np.array(a))


GRADCHECK = {
    'scatter': lambda x: x.scatter(1, _idx([[0, 2], [1, 3], [3, 0]]), x[:, 1:3] ** 2),
    'scatter_add': lambda x: x.scatter_add(0, _idx([[0, 0, 2, 0]]), x[1:2] * 3),
    'scatter_reduce_prod': lambda x: x.scatter_reduce(0, _idx([[0, 0, 2, 0], [0, 1, 0, 0]]),
                                                      x[1:] * 2, 'prod'),
    'scatter_reduce_mean': lambda x: x.scatter_reduce(0, _idx([[0, 0, 2, 0], [0, 1, 0, 0]]),
                                                      x[1:] ** 2, 'mean', include_self=False),
    'scatter_reduce_amax': lambda x: x.scatter_reduce(1, _idx([[0, 0], [1, 1], [3, 3]]),
                                                      x[:, 2:] * 2, 'amax'),
    'scatter_reduce_amin': lambda x: x.scatter_reduce(1, _idx([[0, 0], [1, 1], [3, 3]]),
                                                      x[:, 2:] * 2, 'amin', include_self=False),
    'index_add': lambda x: x.index_add(1, _idx([3, 0, 3]), x[:, :3] ** 2, alpha=2),
    'index_copy': lambda x: x.index_copy(0, _idx([2, 0]), x[:2].exp()),
    'index_fill': lambda x: x.index_fill(1, _idx([1, 1, 3]), x[0, 0] * 2),
    'index_put': lambda x: x.index_put((_idx([0, 0, 2]), _idx([1, 1, 3])), x[1, :3] ** 2,
                                       accumulate=True),
    'masked_select': lambda x: x.masked_select(tg.tensor(A > 0)),
    'masked_scatter': lambda x: x.masked_scatter(tg.tensor(A < 0), x.flip(1) ** 2),
    'take': lambda x: x.take(_idx([[0, -1], [5, 5]])),
    'take_along_dim': lambda x: x.take_along_dim(_idx([[0], [3], [1]]), 1),
    'put': lambda x: x.put(_idx([1, 1, 5]), x[0, :3] ** 2, accumulate=True),
    'tril': lambda x: x.tril(1),
    'triu': lambda x: x.triu(-1),
    'diagonal': lambda x: x.diagonal(-1),
    'diag_embed': lambda x: x.diag_embed(1, 0, 2),
    'trace': lambda x: x.trace(),
    'rot90': lambda x: x.rot90(3),
    'repeat_interleave': lambda x: x.repeat_interleave(_idx([1, 0, 2]), dim=0),
    'tensor_split': lambda x: x.tensor_split([1, 3], dim=1)[1],
    'unfold': lambda x: x.unfold(1, 2, 1),
    'kron': lambda x: x.kron(x[:2, :2]),
    'cross': lambda x: x[:, :3].cross(x[:, 1:], dim=1),
    'cummax': lambda x: x.cummax(1).values,
    'logcumsumexp': lambda x: x.logcumsumexp(1),
    'kthvalue': lambda x: x.kthvalue(2, 0).values,
    'mode': lambda x: x.round().mode(1).values * x[:, 0],
    'nanmedian': lambda x: x.nanmedian(),
    'quantile': lambda x: x.quantile(tg.tensor([0.2, 0.7], dtype=tg.float64), 1),
    'nanquantile': lambda x: x.nanquantile(0.5, 0, interpolation='midpoint'),
    'aminmax': lambda x: x.aminmax(dim=0),
    'block_diag': lambda x: tg.block_diag(x, x[0], x[0, 0]),
    'meshgrid': lambda x: tg.meshgrid(x[0], x[1, :2], indexing='xy'),
    'cartesian_prod': lambda x: tg.cartesian_prod(x[0], x[1, :2]),
    'hstack': lambda x: tg.hstack([x, x[:, :1]]),
    'column_stack': lambda x: tg.column_stack([x[0, :3], x[:, 1:]]),
    'broadcast_tensors': lambda x: tg.broadcast_tensors(x[:, :1], x[0]),
    'std_mean': lambda x: tg.std_mean(x, 1),
    'select_scatter': lambda x: x.select_scatter(x[0] ** 2, 0, 2),
    'slice_scatter': lambda x: tg.slice_scatter(x, x[:, :2].exp(), 1, 1, None, 2),
    'diagonal_scatter': lambda x: x.diagonal_scatter(x.diagonal(1) ** 2, 1),
    'index_reduce': lambda x: x.index_reduce(0, _idx([0, 2, 0]), x * 2, 'prod'),
    'combinations': lambda x: tg.combinations(x[0], 2),
    'gather': lambda x: x.gather(1, np.array([[0, 3, 3], [1, 1, 0], [2, 0, 1]])),
}


@pytest.mark.parametrize('name', list(GRADCHECK))
def test_gradcheck(name):
    x = Tensor(A + 0.05 * np.sin(np.arange(12)).reshape(3, 4), requires_grad=True)
    assert tg.gradcheck(GRADCHECK[name], (x,))


@pytest.mark.parametrize('name', ['scatter_reduce_prod', 'scatter_reduce_amax', 'index_add',
                                  'masked_scatter', 'unfold', 'logcumsumexp', 'quantile', 'kron'])
def test_gradgradcheck(name):
    x = Tensor(A + 0.05 * np.sin(np.arange(12)).reshape(3, 4), requires_grad=True)
    assert tg.gradgradcheck(GRADCHECK[name], (x,))


def test_gradients_of_source_and_self():
    x, src = t(X23, grad=True), t(SRC, grad=True)
    out = x.scatter(0, tg.tensor([[1, 0, 1]]), src)
    out.backward(Tensor(np.arange(6.0).reshape(2, 3)))
    np.testing.assert_array_equal(x.grad.numpy(), [[0, 0, 2], [0, 4, 0]])   # overwritten: 0
    np.testing.assert_array_equal(src.grad.numpy(), [[3, 1, 5], [0, 0, 0]])  # unread part: 0
    # amax ties share the gradient, as PyTorch; include_self=False zeroes self at written slots
    x, src = t([[5., 1.]], grad=True), t([[5., 2.], [3., 2.]], grad=True)
    x.scatter_reduce(0, tg.tensor([[0, 0], [0, 0]]), src, 'amax').sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[0.5, 0]])
    np.testing.assert_array_equal(src.grad.numpy(), [[0.5, 0.5], [0, 0.5]])
    # a repeated index_fill index still counts once for value's gradient (PyTorch)
    v = t(2., grad=True)
    Tensor(A).index_fill(1, tg.tensor([1, 1]), v).sum().backward()
    assert v.grad.item() == 3


def test_prod_gradient_with_zeros():
    # values checked with PyTorch: single zero in a product, several zeros, zero in self
    x = t([[0., 2., 3.], [1., 0., 3.]], grad=True)
    src = t([[1., 0., 3.], [0., 0., 2.]], grad=True)
    index = tg.tensor([[1, 1, 0], [1, 1, 0]])
    x.scatter_reduce(0, index, src, 'prod').sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[1, 1, 6], [0, 0, 1]])
    np.testing.assert_array_equal(src.grad.numpy(), [[0, 0, 6], [1, 0, 9]])


@settings(max_examples=15)
@given(x=tst.tensors(tst.shapes(min_dims=2, max_dims=3, max_side=4), requires_grad=True),
       data=st.data())
def test_unfold_and_diagonal_properties(x, data):
    d = data.draw(tst.dims(x.ndim))
    n = x.shape[d]
    size, step = data.draw(st.integers(1, n)), data.draw(st.integers(1, 3))
    windows = x.unfold(d, size, step)
    ref = np.lib.stride_tricks.sliding_window_view(x.numpy(), size, axis=d).take(
        np.arange(0, n - size + 1, step), axis=d % x.ndim)
    np.testing.assert_array_equal(windows.numpy(), ref)
    windows.sum().backward()        # each element gets the number of windows that hold it
    counts = np.zeros(n)
    for s in range(0, n - size + 1, step):
        counts[s:s + size] += 1
    shape = [1] * x.ndim
    shape[d] = n
    np.testing.assert_array_equal(x.grad.numpy(), np.broadcast_to(counts.reshape(shape), x.shape))
    offset = data.draw(st.integers(-4, 4))
    np.testing.assert_array_equal(x.diagonal(offset, 0, -1).numpy(),
                                  np.diagonal(x.numpy(), offset, 0, -1))
    assert tg.gradcheck(lambda x: x.diagonal(offset, 0, -1), (x,))


@pytest.mark.filterwarnings('ignore:All-NaN slice:RuntimeWarning')     # numpy's reference
@settings(max_examples=15)
@given(x=tst.tensors(tst.shapes(min_dims=1, max_dims=3, max_side=5)), data=st.data(),
       interpolation=st.sampled_from(['linear', 'lower', 'higher', 'midpoint', 'nearest']))
def test_quantile_matches_numpy(x, data, interpolation):
    q = data.draw(st.lists(st.floats(0, 1), min_size=1, max_size=3))
    dim = data.draw(tst.dims(x.ndim, allow_none=True))
    out = x.quantile(tg.tensor(q, dtype=tg.float64), dim, interpolation=interpolation)
    ref = np.quantile(x.numpy(), q, axis=dim, method=interpolation)
    np.testing.assert_allclose(out.numpy(), ref, rtol=1e-12, atol=1e-12)
    a = x.numpy().copy()
    a.flat[0] = np.nan
    out = Tensor(a).nanquantile(q[0], dim, interpolation=interpolation)
    np.testing.assert_allclose(out.numpy(), np.nanquantile(a, q[0], axis=dim, method=interpolation),
                               rtol=1e-12, atol=1e-12)


@settings(max_examples=15)
@given(x=tst.tensors(tst.shapes(min_dims=1, max_dims=3, max_side=5)), data=st.data())
def test_splits_and_moves_match_numpy(x, data):
    d = data.draw(tst.dims(x.ndim))
    sections = data.draw(st.integers(1, 6))
    for piece, ref in zip(x.tensor_split(sections, d), np.array_split(x.numpy(), sections, d)):
        np.testing.assert_array_equal(piece.numpy(), ref)
    cut = sorted(data.draw(st.lists(st.integers(0, 6), max_size=3)))
    for piece, ref in zip(tg.tensor_split(x, cut, d), np.split(x.numpy(), cut, d)):
        np.testing.assert_array_equal(piece.numpy(), ref)
    dest = data.draw(tst.dims(x.ndim))
    np.testing.assert_array_equal(x.movedim(d, dest).numpy(), np.moveaxis(x.numpy(), d, dest))
    counts = data.draw(st.lists(st.integers(0, 3), min_size=x.shape[d], max_size=x.shape[d]))
    np.testing.assert_array_equal(x.repeat_interleave(tg.tensor(counts), d).numpy(),
                                  np.repeat(x.numpy(), counts, axis=d))


# ---------------------------------------------------------------- several tensors
def test_stacking_functions_match_numpy():
    a0, a1, a2 = np.array(1.), np.arange(3.), np.arange(6.).reshape(2, 3)
    for name in ('hstack', 'vstack', 'dstack', 'column_stack'):
        for parts in ([a1, a1], [a2, a2], [a0, a0]):
            np.testing.assert_array_equal(getattr(tg, name)([Tensor(p) for p in parts]).numpy(),
                                          getattr(np, name)(parts))
    for name in ('atleast_1d', 'atleast_2d', 'atleast_3d'):
        for a in (a0, a1, a2):
            assert getattr(tg, name)(Tensor(a)).shape == getattr(np, name)(a).shape
    assert [p.shape for p in tg.atleast_2d(Tensor(a0), Tensor(a1))] == [(1, 1), (1, 3)]
    assert [p.tolist() for p in Tensor(np.arange(6.)).hsplit([1, 4])] == [[0], [1, 2, 3], [4, 5]]
    assert [p.shape for p in Tensor(A3).dsplit(2)] == [(2, 3, 2)] * 2
    assert [p.shape for p in tg.vsplit(Tensor(A), [1])] == [(1, 4), (2, 4)]


def test_grids_and_products():
    a, b = tg.tensor([1, 2]), tg.tensor([3, 4, 5])
    gi, gj = tg.meshgrid(a, b, indexing='ij')
    ni, nj = np.meshgrid([1, 2], [3, 4, 5], indexing='ij')
    np.testing.assert_array_equal(gi.numpy(), ni)
    np.testing.assert_array_equal(gj.numpy(), nj)
    gx, gy = tg.meshgrid([a, b], indexing='xy')
    nx, ny = np.meshgrid([1, 2], [3, 4, 5])
    np.testing.assert_array_equal(gx.numpy(), nx)
    np.testing.assert_array_equal(gy.numpy(), ny)
    assert tg.cartesian_prod(a, b).tolist() == [[1, 3], [1, 4], [1, 5], [2, 3], [2, 4], [2, 5]]
    out = tg.block_diag(tg.tensor(1), tg.tensor([2., 3.]), tg.ones(2, 1, dtype=tg.int32))
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out.numpy(), [[1, 0, 0, 0], [0, 2, 3, 0], [0, 0, 0, 1],
                                                [0, 0, 0, 1]])
    assert tg.block_diag().shape == (1, 0)
    assert tg.broadcast_shapes((2, 1), (3,), ()) == (2, 3)
    assert tg.broadcast_shapes(2, (3, 1)) == (3, 2)
    assert [x.shape for x in tg.broadcast_tensors(Tensor(A[:, :1]), Tensor(A[0]))] == [(3, 4)] * 2
    assert tg.broadcast_to(Tensor(A[0]), (2, 3, 4)).shape == (2, 3, 4)
    np.testing.assert_array_equal(tg.tril_indices(3, 4, 1).numpy(), np.tril_indices(3, 1, 4))
    np.testing.assert_array_equal(tg.triu_indices(4, 3, -1).numpy(), np.triu_indices(4, -1, 3))
    assert tg.tril_indices(0, 2).shape == (2, 0) and tg.triu_indices(2, 2).dtype == np.int64
    var, mean = tg.var_mean(Tensor(A), 1, keepdim=True)
    np.testing.assert_allclose(var.numpy(), A.var(1, ddof=1, keepdims=True))
    np.testing.assert_allclose(mean.numpy(), A.mean(1, keepdims=True))
    std, _ = tg.std_mean(Tensor(A), correction=0)
    np.testing.assert_allclose(std.item(), A.std())
    assert tg.repeat_interleave(tg.tensor([1, 0, 3])).tolist() == [0, 2, 2, 2]
    assert tg.combinations(b).tolist() == [[3, 4], [3, 5], [4, 5]]
    assert tg.combinations(a, 3, with_replacement=True).tolist() == [
        [1, 1, 1], [1, 1, 2], [1, 2, 2], [2, 2, 2]]
    assert tg.combinations(b, 4).shape == (0, 4) and tg.combinations(b, 0).shape == (0,)
    assert tg.isin(tg.tensor([[1, 2], [3, 4]]), tg.tensor([2, 5, 4])).tolist() == [
        [False, True], [False, True]]
    assert tg.isin(tg.tensor([1, 2, 3]), 2, invert=True).tolist() == [True, False, True]


# ---------------------------------------------------------------- finding and counting
def test_unique_family():
    x = tg.tensor([[3, 1, 3, 2], [1, 1, 2, 2], [3, 1, 3, 2]])
    values, inverse, counts = x.unique(return_inverse=True, return_counts=True)
    ref_values, ref_inverse, ref_counts = np.unique(x.numpy(), return_inverse=True,
                                                    return_counts=True)
    np.testing.assert_array_equal(values.numpy(), ref_values)
    np.testing.assert_array_equal(inverse.numpy(), ref_inverse.reshape(3, 4))   # input's shape
    np.testing.assert_array_equal(counts.numpy(), ref_counts)
    rows, inverse = tg.unique(x, dim=0, return_inverse=True)
    assert rows.tolist() == [[1, 1, 2, 2], [3, 1, 3, 2]] and inverse.tolist() == [1, 0, 1]
    assert tg.tensor([2., np.nan, 1., np.nan]).unique().shape == (4,)    # NaNs stay apart
    values, inverse, counts = tg.tensor([3, 3, 1, 2, 2, 1]).unique_consecutive(True, True)
    assert values.tolist() == [3, 1, 2, 1] and inverse.tolist() == [0, 0, 1, 2, 2, 3]
    assert counts.tolist() == [2, 1, 2, 1] and counts.dtype == np.int64
    cols, counts = x.unique_consecutive(return_counts=True, dim=1)
    assert cols.shape == (3, 4) and counts.tolist() == [1, 1, 1, 1]


def test_bincount_histc_searchsorted():
    b = tg.tensor([2, 0, 5, 2, 2])
    assert b.bincount().tolist() == [1, 0, 3, 0, 0, 1] and b.bincount().dtype == np.int64
    assert tg.bincount(b, minlength=8).shape == (8,)
    w = tg.tensor([0.5, 1., 1., 1., 1.])
    assert b.bincount(w).dtype == np.float32 and b.bincount(w).tolist() == [1, 0, 2.5, 0, 0, 1]
    assert b.bincount(b).dtype == np.float64           # integer weights count in float64
    h = tg.tensor([0.1, 0.2, 0.35, 0.4, 1.0, 2.0, -0.1]).histc(4, 0, 1)
    assert h.dtype == np.float32 and h.tolist() == [2, 2, 0, 1]     # checked with PyTorch
    assert tg.histc(tg.tensor([1., 2., 3.]), bins=4).tolist() == [1, 0, 1, 1]   # data's range
    np.testing.assert_array_equal(tg.histc(Tensor(A), 5, -1, 1).numpy(),
                                  np.histogram(A, 5, (-1, 1))[0])
    seq = tg.tensor([1., 3., 5., 7., 9.])
    values = tg.tensor([[3., 6., 9.], [0., 10., 5.]])
    for right in (False, True):
        side = 'right' if right else 'left'
        ref = np.searchsorted(seq.numpy(), values.numpy(), side=side)
        np.testing.assert_array_equal(tg.searchsorted(seq, values, right=right).numpy(), ref)
        np.testing.assert_array_equal(tg.searchsorted(seq, values, side=side).numpy(), ref)
        np.testing.assert_array_equal(tg.bucketize(values, seq, right=right).numpy(), ref)
    rows = tg.tensor([[1., 3., 5.], [2., 4., 6.]])
    assert tg.searchsorted(rows, tg.tensor([[3.], [3.]])).tolist() == [[1], [1]]
    assert tg.searchsorted(seq, 5, out_int32=True).dtype == np.int32
    assert tg.searchsorted(tg.tensor([9., 1., 5.]), tg.tensor([4.]),
                           sorter=tg.tensor([1, 2, 0])).tolist() == [1]


# ---------------------------------------------------------------- errors, as PyTorch
ERRORS = [
    (lambda: Tensor(A).scatter(0, tg.tensor([0, 1]), 1.), RuntimeError, 'same number of dim'),
    (lambda: Tensor(A).scatter(0, tg.tensor([[5]]), 1.), RuntimeError, 'out of bounds'),
    (lambda: Tensor(A).scatter(0, tg.tensor([[0.]]), 1.), RuntimeError, 'int32/int64'),
    (lambda: Tensor(A).scatter(1, tg.tensor([[0]] * 4), 1.), RuntimeError, 'no larger than'),
    (lambda: Tensor(A).scatter(0, tg.tensor([[0]]), tg.ones(1, 1)), RuntimeError, 'dtype'),
    (lambda: Tensor(A).scatter(0, tg.tensor([[0]]), 1., reduce='max'), RuntimeError, 'reduce'),
    (lambda: Tensor(A).scatter_reduce(0, tg.tensor([[0]]), Tensor(A), 'max'), RuntimeError,
     'reduce'),
    (lambda: Tensor(A).index_add(1, tg.tensor([4]), Tensor(A[:, :1])), RuntimeError, 'bounds'),
    (lambda: Tensor(A).index_add(1, tg.tensor([0, 1]), Tensor(A[:, :1])), RuntimeError, 'shape'),
    (lambda: Tensor(A).index_copy(1, tg.tensor([4]), Tensor(A[:, :1])), IndexError, 'bounds'),
    (lambda: Tensor(A).index_fill(1, tg.tensor([4]), 1.), IndexError, 'bounds'),
    (lambda: Tensor(A).index_fill(1, tg.tensor([0]), tg.ones(1)), RuntimeError, '0-dimensional'),
    (lambda: Tensor(A).masked_select(tg.tensor([1, 0, 1, 0])), RuntimeError, 'BoolTensor'),
    (lambda: Tensor(A).masked_scatter(tg.tensor(A > -9), tg.ones(2, dtype=tg.float64)),
     RuntimeError, 'source'),
    (lambda: Tensor(A).take(tg.tensor([12])), IndexError, 'out of range'),
    (lambda: Tensor(A).put(tg.tensor([0, 1]), t([1.])), IndexError, 'same number of elements'),
    (lambda: Tensor(A).select(1, 4), IndexError, 'out of range'),
    (lambda: Tensor(A).take_along_dim(tg.tensor([0]), 1), RuntimeError, 'number of dimensions'),
    (lambda: Tensor(A[0]).tril(), RuntimeError, 'at least 2 dimensions'),
    (lambda: Tensor(A3).diag(), RuntimeError, '1D or 2D'),
    (lambda: Tensor(A).diagonal(0, 1, -1), RuntimeError, 'identical'),
    (lambda: Tensor(A3).trace(), RuntimeError, 'matrix'),
    (lambda: Tensor(A).movedim((0, 0), (1, 0)), RuntimeError, 'repeated dim'),
    (lambda: Tensor(A).movedim((0, 1), 0), RuntimeError, 'same number of dims'),
    (lambda: Tensor(A).rot90(1, (0, 0)), RuntimeError, 'different'),
    (lambda: Tensor(A[0]).rot90(), RuntimeError, 'total dims'),
    (lambda: Tensor(A[0]).fliplr(), RuntimeError, '2-d'),
    (lambda: Tensor(A).repeat_interleave(tg.tensor([1, 2]), 0), RuntimeError, 'same size'),
    (lambda: Tensor(A).repeat_interleave(-1), RuntimeError, 'negative'),
    (lambda: Tensor(A).tensor_split(0), RuntimeError, 'larger than 0'),
    (lambda: Tensor(A).hsplit(3), RuntimeError, 'divisible'),
    (lambda: Tensor(A).dsplit(2), RuntimeError, 'at least 3'),
    (lambda: Tensor(A).unfold(1, 5, 1), RuntimeError, 'maximum size'),
    (lambda: Tensor(A).unfold(1, 2, 0), RuntimeError, 'step'),
    (lambda: Tensor(A[:2]).cross(Tensor(A[:2])), RuntimeError, 'size 3'),
    (lambda: Tensor(A).kthvalue(5), RuntimeError, 'out of range'),
    (lambda: Tensor(A).quantile(1.5), RuntimeError, 'range [0, 1]'),
    (lambda: tg.tensor([1, 2]).quantile(0.5), RuntimeError, 'float or double'),
    (lambda: Tensor(A).quantile(0.5, interpolation='near'), RuntimeError, 'interpolation'),
    (lambda: Tensor(A).quantile(tg.tensor([0.5])), RuntimeError, 'same dtype'),
    (lambda: Tensor(A[:0]).aminmax(), RuntimeError, 'empty'),
    (lambda: tg.tensor([-1, 2]).bincount(), RuntimeError, 'non-negative'),
    (lambda: Tensor(A[0]).bincount(), NotImplementedError, 'dtype'),
    (lambda: tg.tensor([1, 2]).logcumsumexp(0), NotImplementedError, 'dtype'),
    (lambda: Tensor(A).histc(0), RuntimeError, 'bins'),
    (lambda: tg.broadcast_shapes((2,), (3,)), RuntimeError, 'broadcast'),
    (lambda: tg.meshgrid(Tensor(A), Tensor(A[0])), RuntimeError, '0D or 1D'),
    (lambda: tg.meshgrid(Tensor(A[0]), indexing='ab'), RuntimeError, 'indexing'),
    (lambda: tg.block_diag(Tensor(A3)), RuntimeError, '2 or fewer'),
    (lambda: tg.searchsorted(Tensor(A), Tensor(A3)), RuntimeError, 'boundaries'),
    (lambda: tg.searchsorted(Tensor(A[0]), 1., side='left', right=True), RuntimeError,
     'opposites'),
    (lambda: tg.bucketize(Tensor(A), Tensor(A)), RuntimeError, '1 dimension'),
    (lambda: Tensor(A).gather(1, tg.tensor([[4]])), RuntimeError, 'out of bounds'),
    (lambda: Tensor(A).gather(1, tg.tensor([[-1]])), RuntimeError, 'out of bounds'),
    (lambda: Tensor(A).gather(1, tg.tensor([0])), RuntimeError, 'same number of dim'),
    (lambda: Tensor(A).select_scatter(tg.ones(4), 1, 0), RuntimeError, 'slice size'),
    (lambda: Tensor(A).diagonal_scatter(tg.ones(2), 1), RuntimeError, 'slice size'),
    (lambda: Tensor(A).index_reduce(0, tg.tensor([0]), Tensor(A[:1]), 'sum'), RuntimeError,
     'prod, mean, amax or amin'),
    (lambda: tg.combinations(Tensor(A)), RuntimeError, '1D'),
]


@pytest.mark.parametrize('case', range(len(ERRORS)))
def test_errors(case):
    fn, error, fragment = ERRORS[case]
    with pytest.raises(error, match=re.escape(fragment)):
        fn()


# ---------------------------------------------------------------- in-place forms
INPLACE = {
    'scatter_': (lambda x: x.scatter_(1, _idx([[0], [2], [1]]), 5.),
                 lambda x: x.scatter(1, _idx([[0], [2], [1]]), 5.)),
    'scatter_add_': (lambda x: x.scatter_add_(0, _idx([[1, 1, 1, 1]]), Tensor(A)),
                     lambda x: x.scatter_add(0, _idx([[1, 1, 1, 1]]), Tensor(A))),
    'scatter_reduce_': (lambda x: x.scatter_reduce_(0, _idx([[1, 1]]), Tensor(A), 'amin'),
                        lambda x: x.scatter_reduce(0, _idx([[1, 1]]), Tensor(A), 'amin')),
    'index_add_': (lambda x: x.index_add_(0, _idx([2, 2]), Tensor(A[:2])),
                   lambda x: x.index_add(0, _idx([2, 2]), Tensor(A[:2]))),
    'index_copy_': (lambda x: x.index_copy_(1, _idx([3]), Tensor(A[:, :1])),
                    lambda x: x.index_copy(1, _idx([3]), Tensor(A[:, :1]))),
    'index_fill_': (lambda x: x.index_fill_(1, _idx([0, 2]), -1),
                    lambda x: x.index_fill(1, _idx([0, 2]), -1)),
    'index_put_': (lambda x: x.index_put_((_idx([0, 0]),), Tensor(A[0]), accumulate=True),
                   lambda x: x.index_put((_idx([0, 0]),), Tensor(A[0]), accumulate=True)),
    'put_': (lambda x: x.put_(_idx([0, 11]), t([7., 8.])),
             lambda x: x.put(_idx([0, 11]), t([7., 8.]))),
    'masked_scatter_': (lambda x: x.masked_scatter_(tg.tensor(A > 0), Tensor(A.ravel())),
                        lambda x: x.masked_scatter(tg.tensor(A > 0), Tensor(A.ravel()))),
    'masked_fill_': (lambda x: x.masked_fill_(tg.tensor(A > 0), 3.),
                     lambda x: x.masked_fill(tg.tensor(A > 0), 3.)),
    'index_reduce_': (lambda x: x.index_reduce_(0, _idx([1, 1]), Tensor(A[:2]), 'mean'),
                      lambda x: x.index_reduce(0, _idx([1, 1]), Tensor(A[:2]), 'mean')),
    'tril_': (lambda x: x.tril_(-1), lambda x: x.tril(-1)),
    'triu_': (lambda x: x.triu_(1), lambda x: x.triu(1)),
}


@pytest.mark.parametrize('name', list(INPLACE))
def test_inplace_forms(name):
    inplace, outplace = INPLACE[name]
    expected = outplace(Tensor(A)).numpy()
    array = A.copy()
    x = tg.from_numpy(array)
    assert inplace(x) is x
    np.testing.assert_array_equal(array, expected)          # written into the shared memory
    leaf = Tensor(A, requires_grad=True)
    with pytest.raises(RuntimeError, match='leaf'):
        inplace(leaf)
    y = leaf * 2                                            # in a graph: recorded for backward
    inplace(y)
    np.testing.assert_allclose(y.numpy(), outplace(Tensor(A * 2)).numpy())
    y.sum().backward()
    g = Tensor(A * 2, requires_grad=True)
    outplace(g).sum().backward()
    np.testing.assert_allclose(leaf.grad.numpy(), 2 * g.grad.numpy())


def test_inplace_source_gradient_and_version_check():
    w = tg.ones(3, requires_grad=True)
    src = tg.tensor([1., 2.], requires_grad=True)
    y = w * 2
    y.index_copy_(0, tg.tensor([2, 0]), src)
    (y * tg.tensor([1., 2., 3.])).sum().backward()
    assert w.grad.tolist() == [0, 4, 0] and src.grad.tolist() == [3, 1]
    y = w * 2
    z = y * y                                # saves y; changing it afterwards must be caught
    y.scatter_(0, tg.tensor([0]), 0.)
    with pytest.raises(RuntimeError, match='modified by an inplace operation'):
        z.sum().backward()


def test_float32_stays_float32():
    x = Tensor(A.astype(np.float32), requires_grad=True)
    outs = [x.scatter_reduce(0, _idx([[0, 1, 2, 0]]), x[:1] * 2, 'mean'), x.logcumsumexp(1),
            x.quantile(0.3, 1), x.unfold(1, 2, 1), x.cross(x.flip(0), dim=0), x.diag_embed(),
            x.index_add(0, _idx([1]), x[:1]), x.masked_scatter(x > 0, x), x.cummax(0).values]
    assert all(o.dtype == np.float32 for o in outs)
    sum(o.sum() for o in outs).backward()
    assert x.grad.dtype == np.float32
