"""Shape ops, indexing, cat/stack/split/chunk and matmul: values against numpy, gradients
(scatter-back, repeated indices accumulating), gradcheck, hypothesis and clear errors."""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import tinygrad_cnn as tg
from tinygrad_cnn import Tensor
from tinygrad_cnn.testing import strategies as tst

A = np.arange(24.0).reshape(2, 3, 4) / 7 - 1      # distinct values, float64


def grad_of(fn, a, w_seed=0):
    """(output array, input gradient) of ``(fn(x) * w).sum()`` for a random weight ``w``."""
    x = Tensor(a, requires_grad=True)
    y = fn(x)
    w = np.random.default_rng(w_seed).standard_normal(y.shape)
    (y * Tensor(w)).sum().backward()
    return y.numpy(), x.grad.numpy(), w


# name: (tg op, numpy reference); the gradient of a pure data movement is checked generically
# by moving an identity-tagged array: see test_shape_op_values_and_grad
SHAPE_OPS = {
    'reshape': (lambda x: x.reshape(4, -1), lambda a: a.reshape(4, -1)),
    'reshape_tuple': (lambda x: x.reshape((3, 8)), lambda a: a.reshape(3, 8)),
    'view': (lambda x: x.view(6, 4), lambda a: a.reshape(6, 4)),
    'view_as': (lambda x: x.view_as(Tensor(np.zeros((4, 6)))), lambda a: a.reshape(4, 6)),
    'flatten': (lambda x: x.flatten(), lambda a: a.reshape(-1)),
    'flatten1': (lambda x: x.flatten(1), lambda a: a.reshape(2, 12)),
    'flatten01': (lambda x: x.flatten(0, 1), lambda a: a.reshape(6, 4)),
    'flatten_neg': (lambda x: x.flatten(-2, -1), lambda a: a.reshape(2, 12)),
    'unflatten': (lambda x: x.unflatten(2, (2, 2)), lambda a: a.reshape(2, 3, 2, 2)),
    'unflatten_neg': (lambda x: x.unflatten(-1, (-1, 2)), lambda a: a.reshape(2, 3, 2, 2)),
    'unsqueeze0': (lambda x: x.unsqueeze(0), lambda a: a[None]),
    'unsqueeze_neg': (lambda x: x.unsqueeze(-1), lambda a: a[..., None]),
    'unsqueeze_mid': (lambda x: x.unsqueeze(2), lambda a: a[:, :, None]),
    'squeeze_all': (lambda x: x[:, None, :, None].squeeze(), lambda a: a),
    'squeeze_dim': (lambda x: x[:, None].squeeze(1), lambda a: a),
    'squeeze_noop': (lambda x: x.squeeze(0), lambda a: a),
    'squeeze_tuple': (lambda x: x[None, :, None].squeeze((0, 2)), lambda a: a),
    'transpose': (lambda x: x.transpose(0, 2), lambda a: a.transpose(2, 1, 0)),
    'transpose_neg': (lambda x: x.transpose(-1, -2), lambda a: a.swapaxes(-1, -2)),
    'permute': (lambda x: x.permute(2, 0, 1), lambda a: a.transpose(2, 0, 1)),
    'permute_tuple': (lambda x: x.permute((1, -1, 0)), lambda a: a.transpose(1, 2, 0)),
    'T': (lambda x: x.T, lambda a: a.transpose(2, 1, 0)),
    'mT': (lambda x: x.mT, lambda a: a.swapaxes(-1, -2)),
    't': (lambda x: x[0].t(), lambda a: a[0].T),
    'expand': (lambda x: x[:, :1].expand(2, 3, 4), lambda a: np.broadcast_to(a[:, :1], (2, 3, 4))),
    'expand_new': (lambda x: x.expand(3, 2, 3, 4), lambda a: np.broadcast_to(a, (3, 2, 3, 4))),
    'expand_minus1': (lambda x: x[:, :1].expand(-1, 5, -1),
                      lambda a: np.broadcast_to(a[:, :1], (2, 5, 4))),
    'expand_as': (lambda x: x[:1].expand_as(Tensor(A)), lambda a: np.broadcast_to(a[:1], A.shape)),
    'repeat': (lambda x: x.repeat(2, 1, 3), lambda a: np.tile(a, (2, 1, 3))),
    'repeat_more': (lambda x: x.repeat(2, 1, 1, 2), lambda a: np.tile(a, (2, 1, 1, 2))),
    'contiguous': (lambda x: x.transpose(0, 1).contiguous(), lambda a: a.transpose(1, 0, 2)),
    'flip': (lambda x: x.flip((0, 2)), lambda a: a[::-1, :, ::-1]),
    'flip_int': (lambda x: x.flip(-1), lambda a: a[..., ::-1]),
    'narrow': (lambda x: x.narrow(2, 1, 2), lambda a: a[:, :, 1:3]),
    'narrow_neg': (lambda x: x.narrow(-1, -3, 2), lambda a: a[:, :, 1:3]),
    'fn_reshape': (lambda x: tg.reshape(x, (12, 2)), lambda a: a.reshape(12, 2)),
    'fn_permute': (lambda x: tg.permute(x, (1, 0, 2)), lambda a: a.transpose(1, 0, 2)),
    'fn_flatten': (lambda x: tg.flatten(x, 1), lambda a: a.reshape(2, 12)),
    'fn_squeeze': (lambda x: tg.squeeze(tg.unsqueeze(x, 1)), lambda a: a),
    'fn_transpose': (lambda x: tg.transpose(x, 0, 1), lambda a: a.swapaxes(0, 1)),
}


@pytest.mark.parametrize('name', SHAPE_OPS)
def test_shape_op_values_and_grad(name):
    fn, ref = SHAPE_OPS[name]
    out, grad, w = grad_of(fn, A)
    np.testing.assert_array_equal(out, ref(A))
    # the adjoint of a data movement: each input element collects the weights of the outputs
    # it was copied to (ids are the values of the distinct-valued input A)
    expected = np.zeros(A.size)
    ids = np.searchsorted(np.sort(A.ravel()), ref(A).ravel())
    np.add.at(expected, np.argsort(A.ravel())[ids], w.ravel())
    np.testing.assert_allclose(grad, expected.reshape(A.shape), rtol=1e-12)


@pytest.mark.parametrize('name', ['reshape', 'permute', 'expand', 'repeat', 'flip', 'narrow',
                                  'unflatten', 'squeeze_all', 'contiguous', 'T'])
def test_shape_op_gradcheck_and_gradgradcheck(name):
    x = Tensor(A[:, :2, :2].copy(), requires_grad=True)
    fn = {'reshape': lambda x: x.reshape(-1, 2), 'unflatten': lambda x: x.unflatten(0, (1, 2)),
          'narrow': lambda x: x.narrow(1, 1, 1), 'expand': lambda x: x[:1].expand(3, 2, 2),
          'repeat': lambda x: x.repeat(1, 2, 1)}.get(name, SHAPE_OPS[name][0])
    assert tg.gradcheck(fn, (x,))
    assert tg.gradgradcheck(lambda x: fn(x) * fn(x), (x,))


def test_unbind_and_sizes():
    x = Tensor(A, requires_grad=True)
    parts = x.unbind(1)
    assert len(parts) == 3 and all(p.shape == (2, 4) for p in parts)
    np.testing.assert_array_equal(tg.unbind(x, -1)[3].numpy(), A[..., 3])
    (parts[0] * 2 + parts[2]).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.broadcast_to([[2], [0], [1]], A.shape))
    assert x.size() == (2, 3, 4) and x.size(1) == 3 and x.numel() == 24 and x.dim() == 3
    assert Tensor(5.0).flatten().shape == (1,)
    assert Tensor(A).transpose(0, 1).contiguous().data.flags.c_contiguous


@settings(deadline=None, max_examples=20)
@given(shape=tst.shapes(min_dims=1, max_dims=4, max_side=3), data=st.data())
def test_permute_transpose_property(shape, data):
    a = data.draw(tst.arrays(shape))
    perm = data.draw(st.permutations(range(len(shape))))
    d0, d1 = data.draw(tst.dims(len(shape))), data.draw(tst.dims(len(shape)))
    x = Tensor(a, requires_grad=True)
    np.testing.assert_array_equal(x.permute(*perm).numpy(), a.transpose(perm))
    np.testing.assert_array_equal(x.transpose(d0, d1).numpy(), a.swapaxes(d0, d1))
    assert tg.gradcheck(lambda x: x.permute(*perm).flatten() * Tensor(np.arange(a.size)), (x,))


@settings(deadline=None, max_examples=20)
@given(shapes=tst.broadcastable_shapes(2, min_dims=1, max_dims=3, max_side=3), data=st.data())
def test_expand_and_reshape_property(shapes, data):
    small, other = shapes
    target = np.broadcast_shapes(small, other)
    a = data.draw(tst.arrays(small))
    x = Tensor(a, requires_grad=True)
    y = x.expand(*target)
    np.testing.assert_array_equal(y.numpy(), np.broadcast_to(a, target))
    y.reshape(-1).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(),
                                  np.full(small, np.prod(target) / max(a.size, 1)))
    assert tg.gradcheck(lambda x: x.expand(*target).reshape(-1).cos(), (x,))


def test_shape_op_errors():
    x = Tensor(np.ones((2, 3)))
    with pytest.raises(RuntimeError, match=r"reshape.*\[4, 2\].*\(2, 3\)"):
        x.reshape(4, 2)
    with pytest.raises(RuntimeError, match="reshape"):
        x.view(-1, 4)
    with pytest.raises(RuntimeError, match=r"expand.*\(2, 3\)"):
        x.expand(3, 3)
    with pytest.raises(RuntimeError, match="expand.*-1"):
        x.expand(-1, 2, 3)
    with pytest.raises(RuntimeError, match="expand.*fewer"):
        x.expand(3)
    with pytest.raises(RuntimeError, match=r"permute.*\(2, 3\)"):
        x.permute(0, 0)
    with pytest.raises(IndexError, match="transpose"):
        x.transpose(0, 2)
    with pytest.raises(IndexError, match="unsqueeze"):
        x.unsqueeze(3)
    with pytest.raises(RuntimeError, match="flatten"):
        x.flatten(1, 0)
    with pytest.raises(RuntimeError, match=r"unflatten.*\(4, 2\).*\(2, 3\)"):
        x.unflatten(1, (4, 2))
    with pytest.raises(RuntimeError, match="repeat"):
        x.repeat(2)
    with pytest.raises(RuntimeError, match="t: "):
        Tensor(A).t()


# ---------------------------------------------------------------- indexing

INDICES = {
    'int': 1, 'neg_int': -1, 'tuple_ints': (1, -2), 'slice': slice(1, None),
    'slices_step': (slice(None), slice(None, None, 2), slice(1, 4, 2)),
    'neg_step': (slice(None, None, -1), 1, slice(None, None, -2)),
    'none': (None, 0, None), 'ellipsis': (Ellipsis, 1), 'ellipsis_mid': (0, Ellipsis, None),
    'int_list_repeats': ([0, 0, 1, 0],), 'int_lists_pair': ([0, 1, 1], [2, 2, 0]),
    'list_slice_list': ([1, 1], slice(None), [0, 3]), 'adv_after_slice': (slice(None), [2, 0, 2]),
    'np_array': (slice(None), np.array([0, 2, 2])), 'tensor_index': Tensor([1, 1, 0]),
    'tensor_2d': Tensor([[0, 1], [1, 1]]), 'neg_array': (slice(None), [-1, -1]),
    'scalar_tensor': Tensor(1), 'bool_mask_full': 'mask', 'bool_rows': Tensor([True, False]),
    'bool_list': [False, True], 'bool_np_mid': (slice(None), np.array([True, False, True])),
    'empty_list': [],
}


def resolve(index):
    return A > 0 if isinstance(index, str) else index


def np_index(index):
    if isinstance(index, Tensor):
        return index.numpy()
    if isinstance(index, tuple):
        return tuple(np_index(i) for i in index)
    if isinstance(index, list) and not index:
        return np.zeros(0, np.int64)
    return index


@pytest.mark.parametrize('name', INDICES)
def test_indexing_values_and_grad(name):
    index = resolve(INDICES[name])
    ref = np_index(index)
    out, grad, w = grad_of(lambda x: x[index], A)
    np.testing.assert_array_equal(out, A[ref])
    expected = np.zeros_like(A)
    np.add.at(expected, ref, w)                  # repeated indices accumulate
    np.testing.assert_allclose(grad, expected, rtol=1e-12)


def test_repeated_index_gradient_accumulates():
    x = Tensor([1.0, 2.0, 3.0], requires_grad=True)
    x[[0, 0, 2, 0]].sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [3, 0, 1])
    x = Tensor(np.ones((2, 2)), requires_grad=True)
    (x[Tensor([1, 1]), Tensor([0, 0])] * Tensor([2.0, 5.0])).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[0, 0], [7, 0]])


@pytest.mark.parametrize('name', ['slices_step', 'neg_step', 'int_list_repeats', 'bool_mask_full',
                                  'list_slice_list', 'none'])
def test_indexing_gradcheck(name):
    x = Tensor(A[:, :2, :3].copy(), requires_grad=True)
    index = {'bool_mask_full': x.numpy() > 0,
             'list_slice_list': ([1, 1], slice(None), [0, 2])}.get(name, INDICES[name])
    assert tg.gradcheck(lambda x: x[index], (x,))
    assert tg.gradgradcheck(lambda x: x[index] ** 2, (x,))


@settings(deadline=None, max_examples=20)
@given(shape=tst.shapes(min_dims=1, max_dims=3, max_side=4), data=st.data())
def test_indexing_property(shape, data):
    a = data.draw(tst.arrays(shape))
    dim = data.draw(tst.dims(len(shape)))
    n = shape[dim]
    kind = data.draw(st.sampled_from(['ints', 'slice', 'mask']))
    if kind == 'ints':
        sel = np.array(data.draw(st.lists(st.integers(-n, n - 1), min_size=1, max_size=5)))
    elif kind == 'slice':
        sel = slice(data.draw(st.integers(-n, n)), data.draw(st.integers(-n, n)),
                    data.draw(st.sampled_from([1, 2, -1, -2])))
    else:
        sel = np.array(data.draw(st.lists(st.booleans(), min_size=n, max_size=n)))
    index = (slice(None),) * (dim % len(shape)) + (sel,)
    x = Tensor(a, requires_grad=True)
    np.testing.assert_array_equal(x[index].numpy(), a[index])
    x[index].sum().backward()
    expected = np.zeros_like(a)
    np.add.at(expected, index, 1.0)
    np.testing.assert_array_equal(x.grad.numpy(), expected)


def test_gather_and_index_select():
    x = Tensor(A, requires_grad=True)
    idx = np.array([[[0, 2, 1, 0]], [[2, 2, 2, 2]]])
    y = x.gather(1, Tensor(idx))
    np.testing.assert_array_equal(y.numpy(), np.take_along_axis(A, idx, 1))
    y.sum().backward()
    expected = np.zeros_like(A)
    for i in range(2):
        for k in range(4):
            expected[i, idx[i, 0, k], k] += 1
    np.testing.assert_array_equal(x.grad.numpy(), expected)
    z = tg.index_select(x, 2, Tensor([3, 0, 3]))
    np.testing.assert_array_equal(z.numpy(), A[:, :, [3, 0, 3]])
    assert tg.gradcheck(lambda x: x.gather(-1, Tensor(idx[..., :2] % 2)),
                        (Tensor(A[:, :, :2].copy(), requires_grad=True),))


def test_setitem_writes_data():
    x = Tensor(np.zeros((2, 3)))
    x[0, 1:] = 5.0
    x[Tensor([1]), 0] = Tensor([7.0])
    x[x.numpy() == 0] = -1.0
    np.testing.assert_array_equal(x.numpy(), [[-1, 5, 5], [7, -1, -1]])
    e = Tensor(np.zeros(3)).expand(2, 3)      # a read-only broadcast view gets its own copy
    e[0, 0] = 1.0
    assert e.numpy().tolist() == [[1, 0, 0], [0, 0, 0]]


def test_index_errors():
    x = Tensor(np.ones((2, 3)))
    with pytest.raises(IndexError, match=r"out of bounds.*\(2, 3\)"):
        x[5]
    with pytest.raises(IndexError, match="out of bounds"):
        x[:, [0, 3]]
    with pytest.raises(IndexError, match="too many indices"):
        x[0, 0, 0]
    with pytest.raises(IndexError, match="long, int or bool"):
        x[Tensor([0.0])]
    with pytest.raises(IndexError, match="boolean index"):
        x[Tensor([True, False, True])]


# ---------------------------------------------------------------- cat, stack, split, chunk

def test_cat_and_stack(rng):
    a, b, c = rng.standard_normal((2, 3)), rng.standard_normal((2, 1)), rng.standard_normal((2, 3))
    x, y, z = (Tensor(v, requires_grad=True) for v in (a, b, c))
    np.testing.assert_array_equal(tg.cat([x, y, z], 1).numpy(), np.concatenate([a, b, c], 1))
    np.testing.assert_array_equal(tg.cat((x, y), dim=-1).numpy(), np.concatenate([a, b], -1))
    np.testing.assert_array_equal(tg.concat([x, z]).numpy(), np.concatenate([a, c]))
    s = tg.stack([x, z], 1)
    np.testing.assert_array_equal(s.numpy(), np.stack([a, c], 1))
    np.testing.assert_array_equal(tg.stack((x, z), dim=-1).numpy(), np.stack([a, c], -1))
    w = rng.standard_normal((2, 7))
    (tg.cat([x, y, z], 1) * Tensor(w)).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), w[:, :3])
    np.testing.assert_array_equal(y.grad.numpy(), w[:, 3:4])
    np.testing.assert_array_equal(z.grad.numpy(), w[:, 4:])
    assert tg.gradcheck(lambda x, y: tg.cat([x, y, x], 1), (x, y))
    assert tg.gradcheck(lambda x, z: tg.stack([x, z * z], 0), (x, z))
    assert tg.gradgradcheck(lambda x, y: tg.cat([x * x, y], 1), (x, y))
    const = Tensor(np.ones((2, 3)))                   # inputs that need no grad are skipped
    tg.cat([const, x]).sum().backward()
    assert const.grad is None


def test_cat_stack_errors():
    with pytest.raises(RuntimeError, match=r"cat.*\(2, 3\).*\(2, 4\)"):
        tg.cat([Tensor(np.ones((2, 3))), Tensor(np.ones((2, 4)))])
    with pytest.raises(RuntimeError, match="cat.*non-empty"):
        tg.cat([])
    with pytest.raises(RuntimeError, match=r"stack.*\(2,\).*\(3,\)"):
        tg.stack([Tensor(np.ones(2)), Tensor(np.ones(3))])
    with pytest.raises(IndexError, match="cat"):
        tg.cat([Tensor(np.ones(2))], dim=1)
    with pytest.raises(RuntimeError, match="cat.*zero-dimensional"):
        tg.cat([Tensor(1.0), Tensor(2.0)])


@pytest.mark.parametrize('n,arg,sizes', [(7, 3, [3, 3, 1]), (6, 3, [3, 3]), (2, 5, [2]),
                                         (5, [1, 4], [1, 4]), (5, (2, 0, 3), [2, 0, 3])])
def test_split_sizes_follow_pytorch(n, arg, sizes):
    x = Tensor(np.arange(float(n)), requires_grad=True)
    parts = x.split(arg)
    assert [p.shape[0] for p in parts] == sizes
    np.testing.assert_array_equal(np.concatenate([p.numpy() for p in parts]), np.arange(n))
    assert [p.shape for p in tg.split(x, arg, 0)] == [p.shape for p in parts]
    sum(((i + 1) * p).sum() for i, p in enumerate(parts)).backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.repeat(np.arange(1, len(sizes) + 1), sizes))


@pytest.mark.parametrize('n,chunks,sizes', [(6, 4, [2, 2, 2]), (5, 4, [2, 2, 1]), (6, 3, [2, 2, 2]),
                                            (3, 5, [1, 1, 1]), (7, 2, [4, 3])])
def test_chunk_sizes_follow_pytorch(n, chunks, sizes):
    x = Tensor(np.arange(2.0 * n).reshape(2, n))
    assert [c.shape[1] for c in x.chunk(chunks, 1)] == sizes
    assert [c.shape[1] for c in tg.chunk(x, chunks, dim=-1)] == sizes


def test_split_errors():
    x = Tensor(np.ones(5))
    with pytest.raises(RuntimeError, match=r"split.*\[2, 2\].*5"):
        x.split([2, 2])
    with pytest.raises(ValueError, match="split"):
        x.split(0)


@settings(deadline=None, max_examples=15)
@given(shape=tst.shapes(min_dims=1, max_dims=3, max_side=4), data=st.data())
def test_split_cat_roundtrip_property(shape, data):
    dim = data.draw(tst.dims(len(shape)))
    size = data.draw(st.integers(1, 4))
    a = data.draw(tst.arrays(shape))
    x = Tensor(a, requires_grad=True)
    parts = x.split(size, dim)
    assert len(parts) == -(-shape[dim] // size)
    expected = np.split(a, range(size, shape[dim], size), axis=dim)
    assert [p.shape for p in parts] == [e.shape for e in expected]
    y = tg.cat([p * (i + 1) for i, p in enumerate(parts)], dim)
    np.testing.assert_allclose(y.numpy(), np.concatenate([e * (i + 1) for i, e in
                                                          enumerate(expected)], dim))
    assert tg.gradcheck(lambda x: tg.cat(x.chunk(2, dim)[::-1], dim), (x,))


# ---------------------------------------------------------------- matmul

MATMUL_SHAPES = [((3,), (3,)), ((2, 3), (3,)), ((3,), (3, 4)), ((2, 3), (3, 4)),
                 ((5, 2, 3), (3, 4)), ((2, 3), (5, 3, 4)), ((5, 1, 2, 3), (4, 3, 2)),
                 ((3,), (5, 3, 2)), ((5, 2, 3), (3,)), ((2, 2, 3), (2, 3, 1))]


@pytest.mark.parametrize('sa,sb', MATMUL_SHAPES)
def test_matmul_values_and_grads(sa, sb, rng):
    a, b = rng.standard_normal(sa), rng.standard_normal(sb)
    x, y = Tensor(a, requires_grad=True), Tensor(b, requires_grad=True)
    z = x @ y
    np.testing.assert_allclose(z.numpy(), a @ b, rtol=1e-12)
    assert z.shape == np.matmul(a, b).shape
    assert tg.gradcheck(lambda x, y: tg.matmul(x, y), (x, y))


def test_matmul_grad_formula_and_forms(rng):
    a, b = rng.standard_normal((4, 2, 3)), rng.standard_normal((3, 5))
    x, y = Tensor(a, requires_grad=True), Tensor(b, requires_grad=True)
    w = rng.standard_normal((4, 2, 5))
    (x.matmul(y) * Tensor(w)).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), w @ b.T, rtol=1e-12)
    np.testing.assert_allclose(y.grad.numpy(), np.einsum('bik,bij->kj', a, w), rtol=1e-12)
    m, n = Tensor(a[0]), Tensor(b)
    np.testing.assert_allclose(m.mm(n).numpy(), a[0] @ b)
    assert Tensor(a).bmm(Tensor(rng.standard_normal((4, 3, 1)))).shape == (4, 2, 1)
    assert Tensor([1.0, 2.0]).dot(Tensor([3.0, 4.0])).item() == 11
    assert (Tensor([[1, 2]]) @ Tensor([[3], [4]])).tolist() == [[11]]           # int @ int
    with pytest.raises(RuntimeError, match="matmul.*same dtype.*int64.*float32"):  # as PyTorch
        Tensor([[1, 2]]) @ Tensor([[0.5], [1.5]])
    assert tg.gradgradcheck(lambda x, y: x @ y, (Tensor(a[:2, :1], requires_grad=True),
                                                 Tensor(b[:, :2], requires_grad=True)))


@settings(deadline=None, max_examples=15)
@given(batch=tst.broadcastable_shapes(2, max_dims=2, max_side=2),
       nkm=st.tuples(st.integers(1, 3), st.integers(1, 3), st.integers(1, 3)), data=st.data())
def test_matmul_property(batch, nkm, data):
    n, k, m = nkm
    a = data.draw(tst.arrays(batch[0] + (n, k)))
    b = data.draw(tst.arrays(batch[1] + (k, m)))
    x, y = Tensor(a, requires_grad=True), Tensor(b, requires_grad=True)
    np.testing.assert_allclose((x @ y).numpy(), a @ b, rtol=1e-12, atol=1e-12)
    assert tg.gradcheck(lambda x, y: x @ y, (x, y))


def test_matmul_errors():
    with pytest.raises(RuntimeError, match=r"matmul.*\(2, 3\).*\(2, 3\)"):
        Tensor(np.ones((2, 3))) @ Tensor(np.ones((2, 3)))
    with pytest.raises(RuntimeError, match=r"matmul.*\(3,\).*\(4,\)"):
        Tensor(np.ones(3)) @ Tensor(np.ones(4))
    with pytest.raises(RuntimeError, match=r"matmul.*batch.*\(2, 2, 3\).*\(3, 3, 2\)"):
        Tensor(np.ones((2, 2, 3))) @ Tensor(np.ones((3, 3, 2)))
    with pytest.raises(RuntimeError, match="matmul.*at least 1"):
        Tensor(2.0) @ Tensor(np.ones(2))


# ---------------------------------------------------------------- roll, diff

@pytest.mark.parametrize('shifts,dims', [(1, 0), (-2, -1), ((1, -1), (0, 2)), (5, 1), (3, None),
                                         ((2,), None)])
def test_roll_values_and_gradient(shifts, dims):
    ref = np.roll(A, shifts, axis=dims)
    y, g, w = grad_of(lambda x: x.roll(shifts, dims), A)
    np.testing.assert_array_equal(y, ref)
    np.testing.assert_array_equal(g, np.roll(w, np.negative(shifts), axis=dims))   # rolled back
    np.testing.assert_array_equal(tg.roll(Tensor(A), shifts, dims).numpy(), ref)
    assert tg.gradcheck(lambda x: x.roll(shifts, dims), (Tensor(A[:, :2, :3], requires_grad=True),))


def test_roll_forms_and_errors():
    x = Tensor(np.arange(6).reshape(2, 3))
    assert x.roll(1).tolist() == [[5, 0, 1], [2, 3, 4]]             # flattened, as PyTorch
    assert tg.roll(x, shifts=(1, -1), dims=(0, 1)).tolist() == [[4, 5, 3], [1, 2, 0]]
    assert Tensor(2.0).roll(1).item() == 2 and Tensor(2.0).roll(1, 0).shape == ()
    with pytest.raises(RuntimeError, match=r"roll: shifts and dims must align"):
        x.roll((1, 2), 0)
    with pytest.raises(RuntimeError, match=r"roll: with dims=None give one shift"):
        x.roll((1, 2))
    with pytest.raises(IndexError, match="roll"):
        x.roll(1, 2)


@settings(deadline=None, max_examples=15)
@given(shape=tst.shapes(max_dims=3, max_side=4), data=st.data())
def test_roll_property(shape, data):
    dim = data.draw(tst.dims(len(shape)))
    shift = data.draw(st.integers(-5, 5))
    a = data.draw(tst.arrays(shape))
    x = Tensor(a, requires_grad=True)
    np.testing.assert_array_equal(x.roll(shift, dim).numpy(), np.roll(a, shift, dim))
    np.testing.assert_array_equal(x.roll(shift, dim).roll(-shift, dim).numpy(), a)
    assert tg.gradcheck(lambda x: x.roll(shift, dim), (x,))


@pytest.mark.parametrize('n,dim', [(1, -1), (2, 0), (3, 2), (0, 1), (6, -1)])
def test_diff_values_and_gradcheck(n, dim):
    np.testing.assert_allclose(Tensor(A).diff(n, dim).numpy(), np.diff(A, n, dim), atol=1e-12)
    assert tg.gradcheck(lambda x: tg.diff(x, n, dim), (Tensor(A[:, :3], requires_grad=True),))


def test_diff_prepend_append_dtypes_and_errors():
    x = Tensor([1.0, 3.0])
    out = x.diff(prepend=Tensor([0.0]), append=Tensor([5.0, 6.0]))
    assert out.tolist() == [1, 2, 2, 1]
    assert Tensor([1, 3, 6, 10]).diff().tolist() == [2, 3, 4]
    assert Tensor([1, 3]).diff().dtype == np.int64
    assert Tensor([True, False, False]).diff().tolist() == [True, False]     # != for bools
    y = Tensor(np.array([[1.0, 2.0], [4.0, 8.0]]), requires_grad=True)
    d = y.diff(dim=0, prepend=Tensor(np.zeros((1, 2))))
    assert d.tolist() == [[1, 2], [3, 6]]
    d.sum().backward()
    assert y.grad.tolist() == [[0, 0], [1, 1]]
    with pytest.raises(RuntimeError, match="diff: expects input to be at least one-dimensional"):
        Tensor(1.0).diff()
    with pytest.raises(RuntimeError, match="diff: order n must be non-negative"):
        x.diff(-1)
    with pytest.raises(RuntimeError, match=r"diff: prepend and append .* \[\(\), \(2,\)\]"):
        x.diff(prepend=Tensor(0.0))
