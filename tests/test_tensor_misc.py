"""PyTorch's smaller Tensor and torch-level surface: printing, inference_mode, finfo/iinfo,
generators and sampling, new_* factories, strides, in-place shape ops, grad/requires_grad
setters. Expected strings and error types were checked against PyTorch 2.13."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tinygrad_cnn as tg
from tinygrad_cnn import Tensor
from tinygrad_cnn.testing import strategies as tgst


@pytest.fixture
def default_printoptions():
    yield
    tg.set_printoptions(profile='default')


# ---------------------------------------------------------------- printing
@pytest.mark.parametrize('make, text', [
    (lambda: tg.tensor([1e-5, 1.0]), 'tensor([1.0000e-05, 1.0000e+00])'),
    (lambda: tg.tensor([1e9, 2.0]), 'tensor([1.0000e+09, 2.0000e+00])'),
    (lambda: tg.tensor([0.0, -0.0, np.nan, np.inf, -np.inf]), 'tensor([0., -0., nan, inf, -inf])'),
    (lambda: tg.arange(2000), 'tensor([   0,    1,    2,  ..., 1997, 1998, 1999])'),
    (lambda: tg.tensor([[0.5, -1.25]], dtype=tg.float16),
     'tensor([[ 0.5000, -1.2500]], dtype=torch.float16)'),
    (lambda: tg.zeros(0, 3), 'tensor([], size=(0, 3))'),
    (lambda: tg.zeros(0, dtype=tg.int64), 'tensor([], dtype=torch.int64)'),
    (lambda: tg.tensor(np.array([[-100, 5], [7, 0]], np.int8)),
     'tensor([[-100,    5],\n        [   7,    0]], dtype=torch.int8)'),
    (lambda: tg.arange(12.0).reshape(2, 2, 3),
     'tensor([[[ 0.,  1.,  2.],\n         [ 3.,  4.,  5.]],\n\n        [[ 6.,  7.,  8.],\n'
     '         [ 9., 10., 11.]]])'),
    (lambda: tg.arange(30, dtype=tg.float32) * 1.5,
     'tensor([ 0.0000,  1.5000,  3.0000,  4.5000,  6.0000,  7.5000,  9.0000, 10.5000,\n'
     '        12.0000, 13.5000, 15.0000, 16.5000, 18.0000, 19.5000, 21.0000, 22.5000,\n'
     '        24.0000, 25.5000, 27.0000, 28.5000, 30.0000, 31.5000, 33.0000, 34.5000,\n'
     '        36.0000, 37.5000, 39.0000, 40.5000, 42.0000, 43.5000])'),
])
def test_repr_matches_pytorch(make, text):
    assert repr(make()) == text


def test_repr_grad_suffixes():
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    assert repr(x) == 'tensor([1., 2.], requires_grad=True)'
    assert repr(x * 2) == 'tensor([2., 4.], grad_fn=<MulBackward0>)'
    assert repr(x.sum()) == 'tensor(3., grad_fn=<SumBackward0>)'


def test_set_printoptions(default_printoptions):
    tg.set_printoptions(precision=2)
    assert repr(tg.tensor([1.23456, 2.0])) == 'tensor([1.23, 2.00])'
    tg.set_printoptions(threshold=5, edgeitems=2)
    assert repr(tg.arange(10.0).reshape(2, 5)) == \
        'tensor([[0., 1.,  ..., 3., 4.],\n        [5., 6.,  ..., 8., 9.]])'
    tg.set_printoptions(profile='default', sci_mode=True)
    assert repr(tg.tensor([1.5, 2.0])) == 'tensor([1.5000e+00, 2.0000e+00])'
    tg.set_printoptions(profile='default', linewidth=20)
    assert repr(tg.arange(12)) == \
        'tensor([ 0,  1,  2,\n         3,  4,  5,\n         6,  7,  8,\n         9, 10, 11])'
    tg.set_printoptions(profile='full')
    assert '...' not in repr(tg.arange(2000))
    assert tg.get_printoptions()['threshold'] == float('inf')
    with tg.printoptions(precision=1):
        assert repr(tg.tensor([0.25, 0.5])) == 'tensor([0.2, 0.5])'
    assert tg.get_printoptions()['precision'] == 4
    with pytest.raises(ValueError, match='profile'):
        tg.set_printoptions(profile='long')


def test_repr_default_dtype_float64():
    tg.set_default_dtype(tg.float64)
    try:
        assert repr(tg.tensor([1.5])) == 'tensor([1.5000])'
        assert repr(tg.tensor([1.5], dtype=tg.float32)) == 'tensor([1.5000], dtype=torch.float32)'
    finally:
        tg.set_default_dtype(tg.float32)


@settings(max_examples=15)
@given(shape=tgst.shapes(min_dims=1, max_dims=3, max_side=6), width=st.integers(20, 90))
def test_repr_respects_linewidth(shape, width):
    """PyTorch's wrapping rule: a row holds floor((linewidth - indent) / (element width + 2))
    elements (at least 1), indent being len('tensor(') plus one per enclosing bracket."""
    with tg.printoptions(linewidth=width):
        text = repr(tg.arange(int(np.prod(shape)), dtype=tg.float32).reshape(shape) / 7)
    body = text[len('tensor('):-1]
    element = len(f"{(np.prod(shape) - 1) / 7:.4f}")          # the widest element
    per_line = max(1, (width - len('tensor(') - (len(shape) - 1)) // (element + 2))
    rows = [line for line in body.split('\n') if line.strip()]
    assert all(line.count('.') <= per_line for line in rows)
    assert any(line.count('.') == min(per_line, shape[-1]) for line in rows)
    values = [float(v) for v in body.replace('[', ' ').replace(']', ' ').replace(',', ' ').split()]
    np.testing.assert_allclose(values, np.arange(np.prod(shape)) / 7, atol=5e-5)


def test_format_0d():
    assert f"{tg.tensor(3.14159):.3f}" == '3.142'
    assert f"{tg.tensor(7):>4}" == '   7'
    assert f"{tg.tensor([1.0, 2.0])}" == 'tensor([1., 2.])'
    with pytest.raises(TypeError):
        f"{tg.tensor([1.0, 2.0]):.3f}"


# ---------------------------------------------------------------- inference mode
def test_inference_mode():
    w = tg.ones(2, requires_grad=True)
    with tg.inference_mode():
        a = tg.ones(2)
        b = w * 2
        assert tg.is_inference_mode_enabled()
        assert a.is_inference() and b.is_inference() and not b.requires_grad
    assert not tg.is_inference_mode_enabled() and not (w * 2).is_inference()
    with pytest.raises(RuntimeError, match='inference tensor'):
        a.requires_grad_()
    with pytest.raises(RuntimeError, match='Inplace update to inference tensor'):
        a.add_(1)
    assert a.clone().add_(1).tolist() == [2.0, 2.0]
    with tg.inference_mode(False):
        assert not tg.ones(1).is_inference()
    with tg.no_grad():
        assert not (w * 2).is_inference()


def test_inference_mode_decorator():
    @tg.inference_mode
    def bare(x):
        return x * 2

    @tg.inference_mode()
    def called(x):
        return x * 2

    @tg.inference_mode(mode=False)
    def off(x):
        return x * 2

    w = tg.ones(1, requires_grad=True)
    assert bare(w).is_inference() and called(w).is_inference()
    assert not bare(w).requires_grad
    assert off(w).requires_grad and not off(w).is_inference()


# ---------------------------------------------------------------- dtypes
def test_finfo_iinfo():
    f = tg.finfo(tg.float32)
    assert (f.bits, f.eps, f.max, f.min, f.tiny, f.smallest_normal, f.resolution, f.dtype) == (
        32, 1.1920928955078125e-07, 3.4028234663852886e+38, -3.4028234663852886e+38,
        1.1754943508222875e-38, 1.1754943508222875e-38, 1e-06, 'float32')
    assert repr(tg.finfo(tg.float16)) == (
        'finfo(resolution=0.001, min=-65504, max=65504, eps=0.000976562, '
        'smallest_normal=6.10352e-05, tiny=6.10352e-05, dtype=float16)')
    assert tg.finfo() == tg.finfo(tg.float32) and tg.finfo(tg.float64).resolution == 1e-15
    i = tg.iinfo(tg.int32)
    assert (i.bits, i.max, i.min, i.dtype) == (32, 2147483647, -2147483648, 'int32')
    assert repr(tg.iinfo(tg.uint8)) == 'iinfo(min=0, max=255, dtype=uint8)'
    for bad, info in ((tg.int64, tg.finfo), (tg.float32, tg.iinfo), (tg.bool, tg.iinfo)):
        with pytest.raises(TypeError):
            info(bad)


def test_small_predicates():
    x = tg.arange(6.0).reshape(2, 3)
    assert tg.is_floating_point(x) and not tg.is_floating_point(x.long())
    assert tg.is_nonzero(tg.tensor([1.0])) and not tg.is_nonzero(tg.tensor(0))
    for bad in (tg.tensor([]), x):
        with pytest.raises(RuntimeError, match='ambiguous'):
            tg.is_nonzero(bad)
    assert tg.numel(x) == 6 and x.nelement() == 6 and x.ndimension() == 2
    assert (x.itemsize, x.nbytes) == (4, 24)
    assert x.is_same_size(x * 2) and not x.is_same_size(x.t())
    assert tg.typename(x) == 'torch.FloatTensor' and tg.typename(3) == 'int'


# ---------------------------------------------------------------- random
def test_generator_reproducible():
    g = tg.Generator()
    assert g.initial_seed() == 67280421310721          # PyTorch's default seed
    assert g.manual_seed(5) is g and g.initial_seed() == 5
    state = g.get_state()
    draws = [tg.rand(3, generator=g), tg.randn(3, generator=g),
             tg.randint(0, 10, (4,), generator=g), tg.randperm(5, generator=g),
             tg.zeros(3).uniform_(generator=g), tg.zeros(3).normal_(generator=g),
             tg.normal(0.0, 1.0, (2,), generator=g), tg.bernoulli(tg.full((5,), 0.5), generator=g),
             tg.multinomial(tg.ones(4), 2, generator=g), tg.zeros(3).exponential_(generator=g)]
    g.set_state(state)
    again = [tg.rand(3, generator=g), tg.randn(3, generator=g),
             tg.randint(0, 10, (4,), generator=g), tg.randperm(5, generator=g),
             tg.zeros(3).uniform_(generator=g), tg.zeros(3).normal_(generator=g),
             tg.normal(0.0, 1.0, (2,), generator=g), tg.bernoulli(tg.full((5,), 0.5), generator=g),
             tg.multinomial(tg.ones(4), 2, generator=g), tg.zeros(3).exponential_(generator=g)]
    for a, b in zip(draws, again):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    # a private generator leaves the global stream alone
    tg.manual_seed(3)
    first = tg.rand(2).numpy()
    tg.manual_seed(3)
    tg.rand(5, generator=tg.Generator())
    np.testing.assert_array_equal(tg.rand(2).numpy(), first)
    assert type(tg.manual_seed(7)) is tg.Generator and tg.initial_seed() == 7
    assert isinstance(tg.seed(), int)


def test_bernoulli_and_multinomial():
    tg.manual_seed(0)
    assert tg.bernoulli(tg.ones(3)).tolist() == [1.0, 1.0, 1.0]
    assert tg.bernoulli(tg.zeros(2, dtype=tg.float64)).dtype == np.float64
    assert tg.bernoulli(tg.zeros(3), 1.0).tolist() == [1.0, 1.0, 1.0]
    assert tg.tensor([0.0, 1.0]).bernoulli().tolist() == [0.0, 1.0]
    assert tg.zeros(3).bernoulli_(tg.tensor([0.0, 1.0, 0.0])).tolist() == [0.0, 1.0, 0.0]
    p = tg.full((3,), 0.5, requires_grad=True)
    s = tg.bernoulli(p)
    assert s.grad_fn is not None
    s.sum().backward()
    assert p.grad.tolist() == [0.0, 0.0, 0.0]       # PyTorch: a sample's gradient is zero
    with pytest.raises(RuntimeError):
        tg.bernoulli(tg.full((2,), 1.5))
    with pytest.raises(NotImplementedError):
        tg.bernoulli(tg.ones(2, dtype=tg.int64))

    assert tg.multinomial(tg.tensor([0.0, 1.0, 0.0]), 1).tolist() == [1]
    assert tg.multinomial(tg.tensor([[0.0, 1.0], [1.0, 0.0]]), 1).tolist() == [[1], [0]]
    assert tg.multinomial(tg.tensor([0.0, 0.0, 5.0]), 4, True).tolist() == [2, 2, 2, 2]
    assert sorted(tg.multinomial(tg.tensor([1.0, 1.0, 1.0]), 3).tolist()) == [0, 1, 2]
    assert tg.multinomial(tg.tensor([1.0, 0.0, 0.0]), 2)[0].item() == 0   # zeros come last
    assert tg.ones(2, 5).multinomial(3).dtype == np.int64
    for args in [(tg.tensor([1.0, -1.0]), 1), (tg.tensor([0.0, 0.0]), 1), (tg.tensor([1.0, 1.0]), 3),
                 (tg.ones(2, 2, 2), 1), (tg.tensor([1, 2]), 1), (tg.ones(3), 0)]:
        with pytest.raises(RuntimeError):
            tg.multinomial(*args)


def test_multinomial_frequencies():
    tg.manual_seed(1)
    w = tg.tensor([1.0, 2.0, 7.0])
    counts = np.bincount(tg.multinomial(w, 20000, replacement=True).numpy(), minlength=3)
    np.testing.assert_allclose(counts / 20000, [0.1, 0.2, 0.7], atol=0.015)
    # without replacement, the first draw follows the weights too
    firsts = np.bincount(tg.multinomial(w.expand(4000, 3), 2).numpy()[:, 0], minlength=3)
    np.testing.assert_allclose(firsts / 4000, [0.1, 0.2, 0.7], atol=0.03)


def test_normal_overloads():
    tg.manual_seed(0)
    assert tg.normal(tg.zeros(2, 1), tg.ones(3)).shape == (2, 3)
    assert tg.normal(tg.zeros(2, dtype=tg.float64), 1.0).dtype == np.float64
    assert tg.normal(2.0, tg.zeros(3)).tolist() == [2.0, 2.0, 2.0]
    assert tg.normal(0.0, 1.0, (2, 3)).shape == (2, 3) and tg.normal(0.0, 1.0, (2,)).dtype == np.float32
    assert tg.normal(tg.arange(3.0), 0.0).tolist() == [0.0, 1.0, 2.0]
    with pytest.raises(RuntimeError, match='std >= 0'):
        tg.normal(tg.zeros(2), -1.0)
    with pytest.raises(TypeError):
        tg.normal(0.0, 1.0)
    m, s = tg.zeros(3, requires_grad=True), tg.ones(3, requires_grad=True)
    tg.normal(m, s).sum().backward()
    assert m.grad.tolist() == [0.0] * 3 and s.grad.tolist() == [0.0] * 3
    big = tg.normal(tg.full((20000,), 3.0), 2.0).numpy()
    assert abs(big.mean() - 3.0) < 0.05 and abs(big.std() - 2.0) < 0.05


def test_random_fills():
    tg.manual_seed(0)
    r = tg.zeros(500).random_(2, 5).numpy()
    assert set(np.unique(r)) == {2.0, 3.0, 4.0}
    assert r.dtype == np.float32
    assert set(np.unique(tg.zeros(300, dtype=tg.int64).random_(3).numpy())) == {0, 1, 2}
    assert tg.zeros(100).random_().numpy().max() <= 2 ** 24
    assert tg.zeros(10, dtype=tg.bool).random_().dtype == np.bool_
    with pytest.raises(RuntimeError, match="'from' to be less than 'to'"):
        tg.zeros(3).random_(3, 1)
    e = tg.zeros(20000, dtype=tg.float64).exponential_(2.0).numpy()
    assert e.min() >= 0 and abs(e.mean() - 0.5) < 0.02
    gm = tg.zeros(20000).geometric_(0.25).numpy()
    assert gm.min() == 1 and abs(gm.mean() - 4.0) < 0.1
    ln = tg.zeros(20000, dtype=tg.float64).log_normal_(0.0, 0.5).numpy()
    assert abs(np.log(ln).std() - 0.5) < 0.02
    c = tg.zeros(20001, dtype=tg.float64).cauchy_(1.0, 2.0).numpy()
    assert abs(np.median(c) - 1.0) < 0.1
    for op in (lambda t: t.exponential_(), lambda t: t.log_normal_(), lambda t: t.cauchy_()):
        with pytest.raises(RuntimeError, match='floating point'):
            op(tg.zeros(3, dtype=tg.int64))
    with pytest.raises(RuntimeError, match=r'\(0, 1\)'):
        tg.zeros(3).geometric_(1.0)
    assert tg.randint_like(tg.zeros(2, 2), 5).dtype == np.float32
    assert set(tg.randint_like(tg.zeros(50, dtype=tg.int32), 2, 4).numpy()) == {2, 3}
    assert tg.poisson(tg.zeros(3)).tolist() == [0.0, 0.0, 0.0]


def test_random_split_and_loader_accept_generator():
    ds = tg.data.TensorDataset(tg.arange(10))
    a = tg.data.random_split(ds, [5, 5], generator=tg.Generator().manual_seed(0))
    b = tg.data.random_split(ds, [5, 5], generator=tg.Generator().manual_seed(0))
    assert list(a[0].indices) == list(b[0].indices)
    orders = [[batch[0].tolist() for batch in tg.data.DataLoader(
        ds, batch_size=5, shuffle=True, generator=tg.Generator().manual_seed(0))] for _ in range(2)]
    assert orders[0] == orders[1] and sorted(sum(orders[0], [])) == list(range(10))


# ---------------------------------------------------------------- new_* and conversions
def test_new_factories_and_casts():
    x = tg.ones(2, dtype=tg.float64)
    assert x.new_tensor([1, 2]).dtype == np.float64 and x.new_tensor([1, 2]).tolist() == [1.0, 2.0]
    assert tg.ones(2, dtype=tg.int32).new_tensor([1.5, 2]).tolist() == [1, 2]
    assert x.new_zeros(2, 3).shape == (2, 3) and x.new_zeros((2,)).dtype == np.float64
    y = x.new_ones(1, 2, requires_grad=True)
    assert y.requires_grad and y.dtype == np.float64
    assert x.new_full((2,), 3).tolist() == [3.0, 3.0]
    assert tg.ones(2, dtype=tg.int64).new_full((2,), 3.5).tolist() == [3, 3]
    assert x.new_empty(2, 3).shape == (2, 3) and x.new_full((1,), 2, dtype=tg.int64).dtype == np.int64
    z = tg.tensor([-1.5, 2.7])
    assert (z.byte().dtype, z.char().tolist(), z.short().dtype) == (np.uint8, [-1, 2], np.int16)
    assert z.type() == 'torch.FloatTensor' and z.long().type() == 'torch.LongTensor'
    assert z.type('torch.DoubleTensor').dtype == np.float64 and z.type(tg.int32).dtype == np.int32
    with pytest.raises(ValueError):
        z.type('torch.FooTensor')


def test_strides_and_memory():
    x = tg.arange(6.0).reshape(2, 3)
    assert x.stride() == (3, 1) and x.stride(-1) == 1 and x.t().stride() == (1, 3)
    assert x.is_contiguous() and not x.t().is_contiguous()
    assert tg.zeros(2, 0, 3).stride() == (3, 3, 1) and x.sum().stride() == ()
    assert x[1].storage_offset() == 3 and x[:, 2].storage_offset() == 2 and x.storage_offset() == 0
    assert x[1].data_ptr() == x.data_ptr() + 12


@settings(max_examples=20)
@given(shape=tgst.shapes(min_dims=1, max_dims=4, max_side=4), data=st.data())
def test_stride_and_sum_to_size_property(shape, data):
    a = np.arange(np.prod(shape), dtype=np.float64).reshape(shape)
    x = tg.tensor(a)
    expected = tuple(int(np.prod(shape[i + 1:])) for i in range(len(shape)))
    assert x.stride() == expected
    # a target: a suffix of the shape with some sizes replaced by 1
    keep = data.draw(st.integers(0, len(shape)))
    target = tuple(1 if data.draw(st.booleans()) else s for s in shape[len(shape) - keep:])
    reduce_dims = tuple(range(len(shape) - keep)) + tuple(
        len(shape) - keep + i for i, s in enumerate(target) if s == 1)
    expected_sum = a.sum(axis=reduce_dims, keepdims=True).reshape(target)
    np.testing.assert_allclose(x.sum_to_size(target).numpy(), expected_sum)


def test_sum_to_size_gradcheck_and_errors():
    x = tg.tensor(np.random.default_rng(0).standard_normal((2, 3, 4)), requires_grad=True)
    assert tg.gradcheck(lambda t: t.sum_to_size(3, 1), [x])
    with pytest.raises(RuntimeError, match='expandable'):
        x.sum_to_size(4, 4)


def test_contains_and_reversed():
    x = tg.tensor([[1, 2], [3, 4]])
    assert 2 in x and 7 not in x and x[0] in x
    with pytest.raises(RuntimeError, match='__contains__'):
        'a' in x
    assert reversed(x).tolist() == [[3, 4], [1, 2]]
    assert reversed(tg.tensor(3)).item() == 3
    assert tg.tensor(3.5).tolist() == 3.5


# ---------------------------------------------------------------- in-place ops
def test_fill_diagonal():
    assert tg.zeros(3, 3).fill_diagonal_(5).numpy().tolist() == (np.eye(3) * 5).tolist()
    tall = np.zeros((7, 3))
    tall[[0, 1, 2, 4, 5, 6], [0, 1, 2, 0, 1, 2]] = 1
    assert tg.zeros(7, 3).fill_diagonal_(1, wrap=True).tolist() == tall.tolist()
    assert tg.zeros(7, 3).fill_diagonal_(1).numpy().sum() == 3
    assert tg.zeros(2, 2, 2).fill_diagonal_(1).numpy()[[0, 1], [0, 1], [0, 1]].tolist() == [1, 1]
    with pytest.raises(RuntimeError, match='equal length'):
        tg.zeros(2, 2, 3).fill_diagonal_(1)
    with pytest.raises(RuntimeError):
        tg.zeros(3).fill_diagonal_(1)


def test_inplace_shape_ops():
    x = tg.arange(6.0).reshape(2, 3)
    assert x.t_() is x and x.shape == (3, 2) and x.tolist() == [[0, 3], [1, 4], [2, 5]]
    assert x.unsqueeze_(0).shape == (1, 3, 2) and x.squeeze_().shape == (3, 2)
    assert x.unsqueeze_(1).squeeze_(1).shape == (3, 2)
    assert x.transpose_(0, 1).shape == (2, 3) and x.swapaxes_(0, 1).shape == (3, 2)
    leaf = tg.ones(2, 3, requires_grad=True)
    with pytest.raises(RuntimeError, match='leaf'):
        leaf.t_()
    with tg.no_grad():
        leaf.t_()
    assert leaf.shape == (3, 2) and leaf.requires_grad
    # in a graph: the new shape is recorded and the gradient flows back
    w = tg.tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    y = w * 2
    y.retain_grad()
    y.t_()
    assert y.grad_fn is not None and y.retains_grad
    (y * tg.tensor([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]], dtype=tg.float64)).sum().backward()
    assert w.grad.tolist() == [[2.0, 6.0, 10.0], [4.0, 8.0, 12.0]]
    assert y.grad.tolist() == [[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]
    assert tg.gradcheck(lambda t: (t * 1).transpose_(0, 1).unsqueeze_(0), [w.detach().requires_grad_()])


def test_resize():
    assert tg.arange(6.0).resize_(2, 2).tolist() == [[0, 1], [2, 3]]
    r = tg.arange(6.0).resize_(3, 3).numpy()
    assert r.shape == (3, 3) and r.ravel()[:6].tolist() == [0, 1, 2, 3, 4, 5]
    with pytest.raises(RuntimeError, match='require grad'):
        tg.ones(2, requires_grad=True).resize_(3)


# ---------------------------------------------------------------- grad / requires_grad setters
def test_requires_grad_and_grad_setters():
    x = tg.ones(2, 3, requires_grad=True)
    y = x * 2
    for value in (True, False):
        with pytest.raises(RuntimeError, match='leaf variables'):
            y.requires_grad = value
    with pytest.raises(RuntimeError, match='floating point'):
        tg.ones(2, dtype=tg.int64).requires_grad = True
    z = tg.ones(2)
    z.requires_grad = True
    assert z.requires_grad and z.is_leaf
    with pytest.raises(RuntimeError, match='size'):
        x.grad = tg.ones(3)
    with pytest.raises(RuntimeError, match='dtype'):
        x.grad = tg.ones(2, 3, dtype=tg.float64)
    with pytest.raises(TypeError, match='Tensor or None'):
        x.grad = 5
    x.grad = tg.ones(2, 3)
    y.sum().backward()
    assert x.grad.tolist() == [[3.0] * 3] * 2
    del x.grad
    assert x.grad is None
    assert not x.retains_grad and not y.retains_grad


def test_post_accumulate_grad_hook():
    w = tg.ones(2, requires_grad=True)
    seen = []
    handle = w.register_post_accumulate_grad_hook(lambda t: seen.append(t.grad.tolist()))
    (w * 3).sum().backward()
    (w * 3).sum().backward()
    assert seen == [[3.0, 3.0], [6.0, 6.0]]
    handle.remove()
    (w * 3).sum().backward()
    assert len(seen) == 2
    with pytest.raises(RuntimeError, match='non-leaf'):
        (w * 2).register_post_accumulate_grad_hook(print)
    with pytest.raises(RuntimeError):
        tg.ones(2).register_post_accumulate_grad_hook(print)
