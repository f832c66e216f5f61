"""dtypes as in PyTorch: float32 stays float32 through every op's forward and backward, float64
end to end, Python/numpy scalars don't promote (NEP 50 pitfalls), int/float promotion rules."""
import numpy as np
import pytest

import tinygrad_cnn as tg
from tinygrad_cnn import Tensor

MASK = np.array([[True, False, True], [False, True, True]])

# every op on (x, y): x is (2, 3) with values in [0.5, 1.5], y is (3,), both of the tested dtype
OPS = {
    'neg': lambda x, y: -x, 'add': lambda x, y: x + y, 'sub': lambda x, y: x - y,
    'mul': lambda x, y: x * y, 'div': lambda x, y: x / y, 'pow': lambda x, y: x ** y,
    'add_scalar': lambda x, y: x + 1e-8, 'rsub_scalar': lambda x, y: 1 - x,
    'mul_scalar': lambda x, y: x * 0.1, 'div_scalar': lambda x, y: x / 3,
    'rdiv_scalar': lambda x, y: 1 / x, 'pow_scalar': lambda x, y: x ** 2.5,
    'pow_int': lambda x, y: x ** 3, 'rpow': lambda x, y: 2.0 ** x,
    'exp': lambda x, y: x.exp(), 'log': lambda x, y: x.log(), 'sqrt': lambda x, y: x.sqrt(),
    'rsqrt': lambda x, y: x.rsqrt(), 'sin': lambda x, y: x.sin(), 'cos': lambda x, y: x.cos(),
    'tanh': lambda x, y: x.tanh(), 'sigmoid': lambda x, y: x.sigmoid(),
    'relu': lambda x, y: (x - 1).relu(), 'abs': lambda x, y: (x - 1).abs(),
    'square': lambda x, y: x.square(), 'reciprocal': lambda x, y: x.reciprocal(),
    'log1p': lambda x, y: x.log1p(), 'expm1': lambda x, y: x.expm1(),
    'clamp': lambda x, y: x.clamp(0.7, 1.2), 'clamp_tensor': lambda x, y: x.clamp(min=y),
    'maximum': lambda x, y: tg.maximum(x, y), 'minimum': lambda x, y: tg.minimum(x, y),
    'where': lambda x, y: tg.where(MASK, x, y), 'where_scalar': lambda x, y: tg.where(MASK, x, 0.5),
    'masked_fill': lambda x, y: x.masked_fill(MASK, 0.25),
    'sum': lambda x, y: x.sum(), 'sum_dim': lambda x, y: x.sum(1, keepdim=True),
    'mean': lambda x, y: x.mean(), 'mean_dim': lambda x, y: x.mean((0, 1)),
    'var': lambda x, y: x.var(1), 'std': lambda x, y: x.std(), 'prod': lambda x, y: x.prod(1),
    'max': lambda x, y: x.max(), 'max_dim': lambda x, y: x.max(1).values,
    'min_dim': lambda x, y: x.min(0)[0], 'amax': lambda x, y: x.amax((0, 1)),
    'logsumexp': lambda x, y: x.logsumexp(1), 'softmax': lambda x, y: x.softmax(-1),
    'log_softmax': lambda x, y: x.log_softmax(0), 'norm': lambda x, y: x.norm(),
    'reshape': lambda x, y: x.reshape(3, 2), 'permute': lambda x, y: x.permute(1, 0),
    'expand': lambda x, y: y.expand(4, 3), 'repeat': lambda x, y: x.repeat(2, 1),
    'flip': lambda x, y: x.flip(0), 'unflatten': lambda x, y: x.unflatten(1, (3, 1)),
    'squeeze': lambda x, y: x.unsqueeze(0).squeeze(0), 'narrow': lambda x, y: x.narrow(1, 1, 2),
    'getitem_slice': lambda x, y: x[:, ::-2], 'getitem_array': lambda x, y: x[[0, 0, 1]],
    'getitem_mask': lambda x, y: x[MASK], 'gather': lambda x, y: x.gather(1, Tensor([[2], [0]])),
    'cat': lambda x, y: tg.cat([x, y[None]]), 'stack': lambda x, y: tg.stack([x[0], y], 1),
    'split': lambda x, y: x.split(2, 1)[1], 'chunk': lambda x, y: x.chunk(3, 1)[0],
    'matmul': lambda x, y: x @ y, 'matmul_2d': lambda x, y: x @ x.T,
    'matmul_batched': lambda x, y: x[None].expand(2, 2, 3) @ x.T, 'dot': lambda x, y: y.dot(y),
    'contiguous': lambda x, y: x.T.contiguous(), 'clone': lambda x, y: x.clone(),
    'transpose': lambda x, y: x.transpose(0, 1).flatten(),
}


@pytest.mark.parametrize('dtype', [np.float32, np.float64])
@pytest.mark.parametrize('name', OPS)
def test_dtype_is_kept_through_forward_and_backward(name, dtype, rng):
    x = Tensor(rng.uniform(0.5, 1.5, (2, 3)).astype(dtype), requires_grad=True)
    y = Tensor(rng.uniform(0.5, 1.5, 3).astype(dtype), requires_grad=True)
    out = OPS[name](x, y)
    assert out.dtype == dtype, f"{name}: forward gave {out.dtype}"
    (out * out).sum().backward()
    for t in (x, y):
        if t.grad is not None:
            assert t.grad.dtype == dtype, f"{name}: gradient is {t.grad.dtype}"
    assert x.grad is not None or y.grad is not None


def test_second_order_gradients_keep_float32():
    x = Tensor(np.array([0.5, 1.0], np.float32), requires_grad=True)
    (g,) = tg.autograd.grad((x.tanh() * x.exp()).sum(), x, create_graph=True)
    (h,) = tg.autograd.grad(g.sum(), x)
    assert g.dtype == h.dtype == np.float32


def test_python_and_numpy_scalars_do_not_promote_float32():
    x = Tensor(np.array([1.0, 2.0], np.float32))
    for out in [x * 0.5, x + 1e-8, 0.5 - x, x / 7, 3 / x, x ** 0.5, 2.5 ** x,
                x * np.float64(0.5), np.float64(0.5) * x, x + np.int64(2), np.int64(2) - x,
                x / np.float64(3), x ** np.float64(2), np.float64(2) ** x, x * np.float32(2),
                x * True, x.clamp(0.1, 0.9), x.clamp(np.float64(0.1)), x.mean(), x.var(),
                x.std(), x.softmax(0)]:
        assert out.dtype == np.float32


@pytest.mark.parametrize('a,b,expected', [
    (np.array([1, 2]), 2.5, np.float32),                              # int tensor, float scalar
    (np.array([1, 2]), np.float64(2.5), np.float32),
    (np.array([1, 2]), 2, np.int64),
    (np.array([1, 2], np.int32), 2, np.int32),
    (np.array([1, 2], np.int32), np.int64(2), np.int32),
    (np.array([True, False]), 1, np.int64),
    (np.array([True, False]), 1.5, np.float32),
    (np.array([True, False]), True, np.bool_),
    (np.array([1.0, 2.0], np.float64), 2.5, np.float64),
    (np.array([1.0, 2.0], np.float16), 2.5, np.float16),
])
def test_tensor_scalar_promotion_like_pytorch(a, b, expected):
    x = Tensor(a)
    assert (x + b).dtype == expected and (b + x).dtype == expected and (x * b).dtype == expected


@pytest.mark.parametrize('a,b,expected', [
    (Tensor([1, 2]), Tensor([1.0, 2.0]), np.float32),                 # int64 + float32
    (Tensor([1, 2]), Tensor(np.array([1.0, 2.0])), np.float64),
    (Tensor(np.array([1, 2], np.int32)), Tensor([1, 2]), np.int64),
    (Tensor([True, False]), Tensor([1, 2]), np.int64),
    (Tensor([True, False]), Tensor([0.5, 1.0]), np.float32),
    (Tensor([1.0, 2.0]), Tensor(np.array([1.0, 2.0])), np.float64),
    # a 0-d tensor does not widen a tensor with dimensions of its own category...
    (Tensor([1.0, 2.0]), Tensor(np.float64(2.0)), np.float32),
    (Tensor(np.array([1, 2], np.int32)), Tensor(3), np.int32),
    # ...but a higher category still wins
    (Tensor([1, 2]), Tensor(np.float64(2.0)), np.float64),
    (Tensor(2.0), Tensor(np.float64(3.0)), np.float64),               # both 0-d
])
def test_tensor_tensor_promotion_like_pytorch(a, b, expected):
    assert (a + b).dtype == expected and (b * a).dtype == expected and (a - b).dtype == expected


def test_division_and_power_promotion():
    i = Tensor([1, 2])
    assert (i / 2).dtype == np.float32 and (i / i).dtype == np.float32
    assert (2 / i).dtype == np.float32 and (i / Tensor(np.array([2.0]))).dtype == np.float64
    assert (i ** 2).dtype == np.int64 and (i ** 2.5).dtype == np.float32
    assert (2 ** i).dtype == np.int64 and (2.0 ** i).dtype == np.float32
    assert i.float().dtype == np.float32 and i.double().dtype == np.float64
    assert i.exp().dtype == np.float32 and i.sqrt().dtype == np.float32


def test_gradient_argument_is_cast_to_the_output_dtype():
    x = Tensor(np.array([1.0, 2.0], np.float32), requires_grad=True)
    (x * 2).backward(Tensor(np.array([1.0, 1.0])))                 # a float64 gradient
    assert x.grad.dtype == np.float32
    (g,) = tg.autograd.grad(x * 3, x, grad_outputs=Tensor(np.ones(2)))
    assert g.dtype == np.float32


def test_clamp_of_integers_with_float_bounds_is_float32():
    y = Tensor([1, 2, 3]).clamp(min=1.5)
    assert y.dtype == np.float32 and y.tolist() == [1.5, 2, 3]
    assert Tensor([1, 5]).clamp(0, 3).dtype == np.int64


def test_multi_tensor_functions_promote_like_pytorch():
    assert tg.cat([Tensor([1]), Tensor([1.0])]).dtype == np.float32
    assert tg.cat([Tensor([1.0]), Tensor(np.array([1.0]))]).dtype == np.float64
    assert tg.stack([Tensor([1]), Tensor([True])]).dtype == np.int64
    assert tg.where(MASK[0], Tensor([1, 2, 3]), Tensor([1.0, 2, 3])).dtype == np.float32
    assert tg.where(MASK[0], 1.0, 0.0).dtype == np.float32
    assert tg.where(MASK[0], Tensor(np.ones(3)), 0.0).dtype == np.float64


def test_float64_end_to_end(rng):
    x = Tensor(rng.standard_normal((4, 3)), requires_grad=True)
    w = tg.randn(3, 2, dtype=tg.float64, requires_grad=True)
    assert x.dtype == w.dtype == np.float64
    loss = ((x @ w).tanh().log_softmax(1) * 0.5).mean() + w.square().sum() * 1e-3
    assert loss.dtype == np.float64
    loss.backward()
    assert x.grad.dtype == w.grad.dtype == np.float64
    exact = Tensor([0.1], dtype=tg.float64)          # not rounded through float32 on the way
    assert exact.item() == 0.1 and tg.tensor(0.1, dtype=tg.float64).item() == 0.1


def test_default_dtype_can_be_changed():
    assert tg.get_default_dtype() == np.float32
    tg.set_default_dtype(tg.float64)
    try:
        assert Tensor([1.5]).dtype == np.float64 and tg.zeros(2).dtype == np.float64
        assert (Tensor([1]) * 0.5).dtype == np.float64
    finally:
        tg.set_default_dtype(tg.float32)
    assert Tensor([1.5]).dtype == np.float32
    with pytest.raises(TypeError, match="floating"):
        tg.set_default_dtype(tg.int64)


def test_casts_and_their_gradients():
    x = Tensor(np.array([1.5, -2.5], np.float32), requires_grad=True)
    y = x.double()
    assert y.dtype == np.float64 and y.requires_grad
    (y * y).sum().backward()
    assert x.grad.dtype == np.float32
    np.testing.assert_array_equal(x.grad.numpy(), [3, -5])
    assert x.to(tg.float16).dtype == np.float16 and x.half().dtype == np.float16
    assert x.long().tolist() == [1, -2] and x.int().dtype == np.int32
    assert x.bool().dtype == np.bool_ and x.type_as(Tensor([1])).dtype == np.int64
    assert x.to(dtype=tg.float64).dtype == np.float64 and x.to(Tensor([1.0])).dtype == np.float32
    assert x.to(tg.float32) is x                         # no-op casts return self
