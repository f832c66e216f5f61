"""The Tensor object: construction and factories, attributes, conversions, repr, function
forms, in-place helpers and clear errors, as PyTorch users expect them."""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import tinygrad_cnn as tg
from tinygrad_cnn import Tensor
from tinygrad_cnn.testing import strategies as tst


# ---------------------------------------------------------------- construction

@pytest.mark.parametrize('data,dtype', [
    (1.5, np.float32), ([1.0, 2.0], np.float32), ([[1, 2], [3, 4]], np.int64), (3, np.int64),
    (True, np.bool_), ([True, False], np.bool_), ([1, 2.5], np.float32),
    (np.array([1.0, 2.0]), np.float64), (np.array([1, 2], np.int32), np.int32),
    (np.arange(3, dtype=np.uint8), np.uint8), (np.float64(2.0), np.float64),
    (np.array([1.0], np.float16), np.float16),
])
def test_construction_dtypes_follow_pytorch(data, dtype):
    for t in (Tensor(data), tg.tensor(data)):
        assert t.dtype == dtype
        np.testing.assert_array_equal(t.numpy(), np.asarray(data))
    assert Tensor(data, dtype=tg.float64).dtype == np.float64


def test_construction_shapes_copies_and_sharing():
    a = np.arange(6.0).reshape(2, 3)
    assert Tensor(a).shape == (2, 3) and Tensor(2.0).shape == () and Tensor([]).shape == (0,)
    assert np.shares_memory(Tensor(a).data, a)                 # like torch.as_tensor
    assert not np.shares_memory(tg.tensor(a).data, a)          # torch.tensor copies
    t = tg.from_numpy(a)
    a[0, 0] = 100
    assert t[0, 0].item() == 100 and t.dtype == np.float64
    assert tg.as_tensor(a).data is a and tg.as_tensor(t) is t
    assert tg.as_tensor(t, dtype=tg.float32).dtype == np.float32
    src = Tensor([1.0, 2.0], requires_grad=True)
    c = tg.tensor(src)
    assert not np.shares_memory(c.data, src.data) and not c.requires_grad
    assert Tensor([Tensor(1.0), Tensor(2.0)]).tolist() == [1.0, 2.0]
    with pytest.raises(TypeError, match="from_numpy"):
        tg.from_numpy([1, 2])
    with pytest.raises(TypeError, match="str"):
        Tensor('abc')


@pytest.mark.parametrize('factory,args,value', [
    (tg.zeros, (2, 3), 0), (tg.ones, ((2, 3),), 1), (tg.empty, ([2, 3],), None),
])
def test_shape_factories(factory, args, value):
    t = factory(*args)
    assert t.shape == (2, 3) and t.dtype == np.float32 and not t.requires_grad
    if value is not None:
        assert (t.numpy() == value).all()
    assert factory(*args, dtype=tg.int64).dtype == np.int64
    r = factory(*args, dtype=tg.float64, requires_grad=True)
    assert r.requires_grad and r.is_leaf and r.dtype == np.float64


def test_value_factories():
    assert tg.full((2, 2), 1.5).dtype == np.float32 and tg.full((2,), 7).dtype == np.int64
    assert tg.full((2,), True).dtype == np.bool_ and tg.full((1, 2), 3.0).tolist() == [[3, 3]]
    assert tg.arange(5).tolist() == [0, 1, 2, 3, 4] and tg.arange(5).dtype == np.int64
    assert tg.arange(1, 7, 2).tolist() == [1, 3, 5]
    np.testing.assert_allclose(tg.arange(0, 1, 0.25).numpy(), [0, 0.25, 0.5, 0.75])
    assert tg.arange(0, 1, 0.25).dtype == np.float32 and tg.arange(3.0).dtype == np.float32
    np.testing.assert_allclose(tg.linspace(0, 1, 5).numpy(), [0, 0.25, 0.5, 0.75, 1])
    assert tg.linspace(0, 1, 5).dtype == np.float32
    np.testing.assert_array_equal(tg.eye(2, 3).numpy(), np.eye(2, 3))
    assert tg.eye(3).shape == (3, 3) and tg.eye(2, dtype=tg.float64).dtype == np.float64
    x = Tensor(np.ones((2, 3), np.int32))
    for like in (tg.zeros_like, tg.ones_like, tg.empty_like):
        assert like(x).shape == (2, 3) and like(x).dtype == np.int32
    assert tg.full_like(x, 4).tolist() == [[4] * 3] * 2
    assert tg.ones_like(x, dtype=tg.float32).dtype == np.float32
    assert tg.randn_like(Tensor(np.zeros((2, 2)))).dtype == np.float64


def test_random_factories_and_seeding():
    tg.manual_seed(0)
    a, b = tg.randn(3, 4), tg.rand(2, 2)
    tg.manual_seed(0)
    np.testing.assert_array_equal(a.numpy(), tg.randn(3, 4).numpy())
    np.testing.assert_array_equal(b.numpy(), tg.rand(2, 2).numpy())
    assert a.dtype == np.float32 and tg.randn((2,), dtype=tg.float64).dtype == np.float64
    u = tg.rand(1000)
    assert 0 <= u.numpy().min() and u.numpy().max() < 1
    n = tg.randn(4000).numpy()
    assert abs(n.mean()) < 0.1 and abs(n.std() - 1) < 0.1
    r = tg.randint(3, 7, (50,))
    assert r.dtype == np.int64 and r.numpy().min() >= 3 and r.numpy().max() <= 6
    assert tg.randint(5, size=(2, 2)).numpy().max() < 5
    assert sorted(tg.randperm(6).tolist()) == list(range(6))
    state = tg.get_rng_state()
    x = tg.randn(3)
    tg.set_rng_state(state)
    np.testing.assert_array_equal(x.numpy(), tg.randn(3).numpy())
    assert tg.randn(2, requires_grad=True).requires_grad
    with pytest.raises(TypeError, match="size"):
        tg.randint(3)


# ---------------------------------------------------------------- attributes, conversion

def test_attributes():
    t = Tensor(np.zeros((2, 3, 4), np.float32))
    assert t.shape == (2, 3, 4) and t.ndim == 3 and t.dim() == 3 and t.dtype == np.float32
    assert t.size() == (2, 3, 4) and t.size(-1) == 4 and t.numel() == 24 and len(t) == 2
    assert t.device == 'cpu' and not t.is_cuda and t.is_leaf and t.grad is None
    assert t.grad_fn is None and not t.requires_grad and t.is_floating_point()
    assert t.T.shape == (4, 3, 2) and t.element_size() == 4
    assert [row.shape for row in t] == [(3, 4), (3, 4)]
    assert not Tensor([1]).is_floating_point()
    with pytest.raises(TypeError, match="0-d"):
        len(Tensor(1.0))
    with pytest.raises(IndexError, match="size"):
        t.size(3)


def test_numpy_item_tolist():
    x = Tensor([[1.0, 2.0]], requires_grad=True)
    y = x * 2
    assert isinstance(y.numpy(), np.ndarray) and y.numpy().tolist() == [[2, 4]]
    assert np.asarray(y).tolist() == [[2, 4]] and np.asarray(x, dtype=np.int64).dtype == np.int64
    assert np.array(x).shape == (1, 2)
    assert x.tolist() == [[1.0, 2.0]] and Tensor(3).tolist() == 3
    s = x.sum()
    assert s.item() == 3.0 and isinstance(s.item(), float)
    assert isinstance(Tensor(3).item(), int) and isinstance(Tensor(True).item(), bool)
    assert Tensor([[5]]).item() == 5 and float(s) == 3.0 and int(Tensor(2.7)) == 2
    assert [10, 20, 30][Tensor(1)] == 20                       # __index__
    with pytest.raises(RuntimeError, match=r"item.*2 elements.*\(1, 2\)"):
        x.item()
    with pytest.raises(RuntimeError, match="ambiguous"):
        bool(x)
    assert bool(Tensor([1.0])) and not bool(Tensor(0))


def test_to_device_dtype_and_copies():
    x = Tensor([1.0, 2.0], requires_grad=True)
    assert x.to('cpu') is x and x.cpu() is x and x.to(device='cpu') is x
    assert x.to('cpu', tg.float64).dtype == np.float64
    with pytest.raises(ValueError, match="tpu"):
        x.to('tpu')
    if not tg.cuda_is_available():
        with pytest.raises(RuntimeError, match="CuPy"):
            x.to('cuda')
    c = x.clone()
    assert c.requires_grad and c.grad_fn is not None and not np.shares_memory(c.data, x.data)
    (c * 3).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [3, 3])
    d = x.detach()
    assert np.shares_memory(d.data, x.data) and not d.requires_grad
    plain = Tensor([1.0, 2.0]).clone()
    assert not plain.requires_grad and plain.grad_fn is None
    t = Tensor(np.ones((3, 2))).T
    assert not t.data.flags.c_contiguous and t.contiguous().data.flags.c_contiguous
    contig = Tensor(np.ones(3))
    assert contig.contiguous() is contig


def test_repr_like_pytorch():
    assert repr(Tensor([1.0, 2.0], requires_grad=True)) == 'tensor([1., 2.], requires_grad=True)'
    assert repr(Tensor([1.0, 2.0], requires_grad=True) * 2) == \
        'tensor([2., 4.], grad_fn=<MulBackward0>)'
    assert repr(Tensor([0.12345, 1.0])) == 'tensor([0.1235, 1.0000])'
    assert repr(Tensor(3.0)) == 'tensor(3.)' and repr(Tensor(3.5)) == 'tensor(3.5000)'
    assert repr(Tensor([1, 2])) == 'tensor([1, 2])'
    assert repr(Tensor([True, False])) == 'tensor([ True, False])'
    assert repr(Tensor([[1.5, 2.0], [3.0, 4.0]])) == \
        'tensor([[1.5000, 2.0000],\n        [3.0000, 4.0000]])'
    assert repr(Tensor([1.0, 2.0], dtype=tg.float64)) == 'tensor([1., 2.], dtype=torch.float64)'
    assert repr(Tensor(np.array([1, 2], np.int32))) == 'tensor([1, 2], dtype=torch.int32)'
    x = Tensor([1.0], requires_grad=True)
    for y, name in [(x + 1, 'Add'), (x - 1, 'Sub'), (x / 2, 'Div'), (-x, 'Neg'), (x.exp(), 'Exp'),
                    (x.sum(), 'Sum'), (x.reshape(1, 1), 'Reshape'),
                    (x[None] @ x[None], 'Matmul')]:
        assert repr(y).endswith(f'grad_fn=<{name}Backward0>)')
    assert str(tg.zeros(2000)).count('...') == 1                     # large tensors summarised


# ---------------------------------------------------------------- function forms

def test_function_forms_equal_methods(rng):
    a = rng.uniform(0.5, 2, (2, 3))
    x = Tensor(a)
    for name in ['exp', 'log', 'sqrt', 'rsqrt', 'sin', 'cos', 'tanh', 'sigmoid', 'relu', 'abs',
                 'square', 'log1p', 'expm1', 'sum', 'mean', 'var', 'std', 'prod', 'amax',
                 'argmax', 'flatten', 'squeeze', 'clone', 'detach', 't', 'sign', 'floor']:
        np.testing.assert_array_equal(getattr(tg, name)(x).numpy(), getattr(x, name)().numpy())
    np.testing.assert_array_equal(tg.pow(x, 2).numpy(), a ** 2)
    np.testing.assert_array_equal(tg.softmax(x, 1).numpy(), x.softmax(1).numpy())
    np.testing.assert_array_equal(tg.clamp(x, 1, 1.5).numpy(), np.clip(a, 1, 1.5))
    np.testing.assert_array_equal(tg.maximum(x, Tensor(a[::-1].copy())).numpy(),
                                  np.maximum(a, a[::-1]))
    np.testing.assert_array_equal(tg.minimum(x, Tensor(a[::-1].copy())).numpy(),
                                  np.minimum(a, a[::-1]))
    np.testing.assert_array_equal(tg.where(x > 1, x, -x).numpy(), np.where(a > 1, a, -a))
    assert [p.shape for p in tg.split(x, 2, 1)] == [(2, 2), (2, 1)]
    assert [p.shape for p in tg.chunk(x, 2)] == [(1, 3), (1, 3)]
    np.testing.assert_array_equal(tg.matmul(x, x.T).numpy(), a @ a.T)
    np.testing.assert_array_equal(tg.reshape(x, (3, 2)).numpy(), a.reshape(3, 2))
    np.testing.assert_array_equal(tg.permute(x, (1, 0)).numpy(), a.T)
    assert tg.numel(x) == 6 and tg.is_tensor(x) and not tg.is_tensor(a)
    assert tg.allclose(x, Tensor(a + 1e-9)) and tg.equal(x, Tensor(a.copy()))
    assert tg.all(x > 0).item() and not tg.any(x > 5).item()
    assert tg.exp.__name__ == 'exp'


# ---------------------------------------------------------------- in-place helpers

def test_in_place_helpers_on_plain_tensors():
    t = Tensor(np.zeros((2, 3)))
    assert t.fill_(2.0) is t and (t.numpy() == 2).all()
    assert t.zero_() is t and (t.numpy() == 0).all()
    t.copy_(Tensor(np.arange(3.0)))                               # broadcasts the source
    assert t.tolist() == [[0, 1, 2], [0, 1, 2]]
    t.add_(1).mul_(2).sub_(Tensor([1.0, 1.0, 1.0]), alpha=2).div_(2)
    assert t.tolist() == [[0, 1, 2], [0, 1, 2]]
    t.clamp_(0.5, 1.5)
    assert t.tolist() == [[0.5, 1, 1.5]] * 2
    tg.manual_seed(1)
    t.uniform_(-1, 1)
    assert t.dtype == np.float64 and -1 <= t.numpy().min() and t.numpy().max() < 1
    f = tg.zeros(500).normal_(2.0, 0.5)
    assert f.dtype == np.float32 and abs(f.numpy().mean() - 2) < 0.1
    view = Tensor(np.ones(3)).expand(2, 3)                        # read-only broadcast view
    view += 1
    assert view.tolist() == [[2, 2, 2]] * 2


@settings(deadline=None, max_examples=20)
@given(shape=tst.shapes(min_dims=0, max_dims=3, max_side=3), data=st.data())
def test_roundtrip_property(shape, data):
    a = data.draw(tst.arrays(shape, dtype=data.draw(st.sampled_from([np.float32, np.float64]))))
    t = Tensor(a.copy(), requires_grad=True)
    assert t.shape == a.shape and t.dtype == a.dtype
    np.testing.assert_array_equal(np.asarray(t), a)
    assert t.tolist() == a.tolist()
    np.testing.assert_array_equal(Tensor(t.tolist(), dtype=a.dtype).numpy(), a)
    np.testing.assert_array_equal(t.reshape(-1).numpy(), a.ravel())
    # in-place ops under no_grad change values, keep the object
    with tg.no_grad():
        t *= 2
    np.testing.assert_array_equal(t.numpy(), a * 2)
    assert t.requires_grad and t.is_leaf and t.dtype == a.dtype


# ---------------------------------------------- regressions found by differential testing vs PyTorch

def test_randint_and_arange_signatures_follow_pytorch():
    tg.manual_seed(0)
    a = tg.randint(3, (4, 2))                          # randint(high, size)
    assert a.shape == (4, 2) and a.dtype == np.int64 and 0 <= a.numpy().min() <= a.numpy().max() < 3
    b = tg.randint(5, 7, size=(10,), dtype=tg.float32, requires_grad=True)
    assert b.requires_grad and set(b.tolist()) <= {5.0, 6.0}
    assert tg.arange(end=3).tolist() == [0, 1, 2] and tg.arange(3, 0, -1).tolist() == [3, 2, 1]
    with pytest.raises(RuntimeError, match="arange"):
        tg.arange(-3)
    with pytest.raises(RuntimeError, match="arange"):
        tg.arange(0, 1, 0)


def test_function_forms_added_for_pytorch_names():
    x = Tensor([1.0, -2.0, np.inf])
    assert tg.neg(x).tolist() == [-1, 2, -np.inf] and x.neg().tolist() == [-1, 2, -np.inf]
    assert tg.eq(x, 1.0).tolist() == [True, False, False]
    assert tg.gt(x, 0).tolist() == [True, False, True]
    assert x.isinf().tolist() == [False, False, True]
    assert x.where(x > 0, Tensor(0.0)).tolist() == [1, 0, np.inf]
    assert Tensor(np.zeros((2, 3))).swapaxes(0, 1).shape == (3, 2)
