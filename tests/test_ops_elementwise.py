"""Elementwise ops: values against numpy, gradients against analytic derivatives and finite
differences (gradcheck, gradgradcheck), broadcasting, reflected operators, kinks and ties."""
import math

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from hypothesis.extra import numpy as hnp

import tinygrad_cnn as tg
from tinygrad_cnn import Tensor
from tinygrad_cnn.testing import strategies as tst


def sum_to(a, shape):
    """Reduce a broadcast numpy array back to ``shape`` (the reference for broadcast grads)."""
    a = a.sum(axis=tuple(range(a.ndim - len(shape))))
    return a.sum(axis=tuple(i for i, s in enumerate(shape) if s == 1 and a.shape[i] != 1),
                 keepdims=True).reshape(shape)


def sigmoid(a):
    return 1 / (1 + np.exp(-a))


# name: (op on a Tensor, numpy forward, numpy derivative, (low, high) of the test domain)
UNARY = {
    'neg': (lambda x: -x, lambda a: -a, lambda a: -np.ones_like(a), (-2, 2)),
    'exp': (lambda x: x.exp(), np.exp, np.exp, (-2, 2)),
    'log': (lambda x: x.log(), np.log, lambda a: 1 / a, (0.2, 3)),
    'sqrt': (lambda x: x.sqrt(), np.sqrt, lambda a: 0.5 / np.sqrt(a), (0.2, 3)),
    'rsqrt': (lambda x: x.rsqrt(), lambda a: a ** -0.5, lambda a: -0.5 * a ** -1.5, (0.2, 3)),
    'sin': (lambda x: x.sin(), np.sin, np.cos, (-3, 3)),
    'cos': (lambda x: x.cos(), np.cos, lambda a: -np.sin(a), (-3, 3)),
    'tanh': (lambda x: x.tanh(), np.tanh, lambda a: 1 - np.tanh(a) ** 2, (-2, 2)),
    'sigmoid': (lambda x: x.sigmoid(), sigmoid, lambda a: sigmoid(a) * (1 - sigmoid(a)), (-3, 3)),
    'relu': (lambda x: x.relu(), lambda a: np.maximum(a, 0), lambda a: (a > 0) * 1.0, (-2, 2)),
    'abs': (lambda x: x.abs(), np.abs, np.sign, (-2, 2)),
    'square': (lambda x: x.square(), np.square, lambda a: 2 * a, (-2, 2)),
    'reciprocal': (lambda x: x.reciprocal(), lambda a: 1 / a, lambda a: -1 / a ** 2, (0.2, 3)),
    'log1p': (lambda x: x.log1p(), np.log1p, lambda a: 1 / (1 + a), (-0.5, 2)),
    'expm1': (lambda x: x.expm1(), np.expm1, np.exp, (-2, 2)),
    'pow2': (lambda x: x ** 2, lambda a: a ** 2, lambda a: 2 * a, (-2, 2)),
    'pow3': (lambda x: x ** 3, lambda a: a ** 3, lambda a: 3 * a ** 2, (-2, 2)),
    'pow_neg1': (lambda x: x ** -1, lambda a: 1 / a, lambda a: -1 / a ** 2, (0.2, 3)),
    'pow_half': (lambda x: x ** 0.5, np.sqrt, lambda a: 0.5 / np.sqrt(a), (0.2, 3)),
    'pow0': (lambda x: x ** 0, np.ones_like, np.zeros_like, (-2, 2)),
    'rpow': (lambda x: 2.0 ** x, lambda a: 2.0 ** a, lambda a: 2.0 ** a * math.log(2), (-2, 2)),
    'clamp': (lambda x: x.clamp(-0.5, 0.5), lambda a: np.clip(a, -0.5, 0.5),
              lambda a: (np.abs(a) < 0.5) * 1.0, (-1, 1)),
    'clamp_min': (lambda x: x.clamp(min=0.3), lambda a: np.maximum(a, 0.3),
                  lambda a: (a > 0.3) * 1.0, (-1, 1)),
    'add_scalar': (lambda x: x + 0.5, lambda a: a + 0.5, np.ones_like, (-2, 2)),
    'radd': (lambda x: 2 + x, lambda a: 2 + a, np.ones_like, (-2, 2)),
    'rsub': (lambda x: 2 - x, lambda a: 2 - a, lambda a: -np.ones_like(a), (-2, 2)),
    'sub_scalar': (lambda x: x - 1.5, lambda a: a - 1.5, np.ones_like, (-2, 2)),
    'rmul': (lambda x: 3 * x, lambda a: 3 * a, lambda a: 3 * np.ones_like(a), (-2, 2)),
    'div_scalar': (lambda x: x / 4, lambda a: a / 4, lambda a: np.full_like(a, 0.25), (-2, 2)),
    'rdiv': (lambda x: 2 / x, lambda a: 2 / a, lambda a: -2 / a ** 2, (0.2, 3)),
}
# kinks to keep random inputs away from (relu/abs at 0, clamp bounds)
KINKS = {'relu': [0.0], 'abs': [0.0], 'clamp': [-0.5, 0.5], 'clamp_min': [0.3]}


def unary_input(name, shape, rng):
    low, high = UNARY[name][3]
    a = rng.uniform(low, high, shape)
    for k in KINKS.get(name, []):
        a = np.where(np.abs(a - k) < 0.1, k + 0.2, a)
    return a


@pytest.mark.parametrize('name', UNARY)
def test_unary_values_and_grad(name, rng):
    fn, ref, dref, _ = UNARY[name]
    a = unary_input(name, (2, 3), rng)
    x = Tensor(a, requires_grad=True)
    y = fn(x)
    np.testing.assert_allclose(y.numpy(), ref(a), rtol=1e-12, atol=1e-12)
    w = rng.standard_normal(a.shape)
    (y * Tensor(w)).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), w * dref(a), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize('name', UNARY)
def test_unary_gradcheck(name, rng):
    x = Tensor(unary_input(name, (2, 3), rng), requires_grad=True)
    assert tg.gradcheck(UNARY[name][0], (x,))


@pytest.mark.parametrize('name', UNARY)
def test_unary_gradgradcheck(name, rng):
    x = Tensor(unary_input(name, (3,), rng), requires_grad=True)
    assert tg.gradgradcheck(UNARY[name][0], (x,))


def kink_free(name, a):
    return all(np.all(np.abs(a - k) > 0.05) for k in KINKS.get(name, []))


@settings(deadline=None, max_examples=25)
@given(name=st.sampled_from(sorted(UNARY)), shape=tst.shapes(max_dims=3, max_side=3),
       data=st.data())
def test_unary_property(name, shape, data):
    fn, ref, dref, (low, high) = UNARY[name]
    a = data.draw(tst.arrays(shape, low=low, high=high, min_magnitude=0))
    tst.assume(kink_free(name, a))
    x = Tensor(a, requires_grad=True)
    y = fn(x)
    assert y.shape == a.shape and y.dtype == np.float64
    np.testing.assert_allclose(y.numpy(), ref(a), rtol=1e-12, atol=1e-12)
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), dref(a), rtol=1e-10, atol=1e-12)


# name: (op on two Tensors, numpy forward, d/da, d/db, whether a must be positive)
BINARY = {
    'add': (lambda x, y: x + y, np.add, lambda a, b: np.ones_like(a + b),
            lambda a, b: np.ones_like(a + b), False),
    'sub': (lambda x, y: x - y, np.subtract, lambda a, b: np.ones_like(a + b),
            lambda a, b: -np.ones_like(a + b), False),
    'mul': (lambda x, y: x * y, np.multiply, lambda a, b: b + 0 * a, lambda a, b: a + 0 * b, False),
    'div': (lambda x, y: x / y, np.divide, lambda a, b: 1 / b + 0 * a, lambda a, b: -a / b ** 2,
            False),
    'pow': (lambda x, y: x ** y, np.power, lambda a, b: b * a ** (b - 1),
            lambda a, b: a ** b * np.log(a), True),
    'maximum': (tg.maximum, np.maximum, lambda a, b: (a > b) * 1.0, lambda a, b: (a < b) * 1.0,
                False),
    'minimum': (tg.minimum, np.minimum, lambda a, b: (a < b) * 1.0, lambda a, b: (a > b) * 1.0,
                False),
    'composite': (lambda x, y: (x * y).tanh() / (y * y + 1),
                  lambda a, b: np.tanh(a * b) / (b * b + 1),
                  lambda a, b: b * (1 - np.tanh(a * b) ** 2) / (b * b + 1),
                  lambda a, b: (a * (1 - np.tanh(a * b) ** 2) * (b * b + 1)
                                - 2 * b * np.tanh(a * b)) / (b * b + 1) ** 2, False),
}


def binary_inputs(name, sa, sb, rng):
    a = rng.uniform(0.5, 2, sa) if BINARY[name][4] else rng.uniform(-2, 2, sa)
    b = rng.uniform(0.5, 2, sb) * rng.choice([-1, 1], sb)        # away from 0 (div)
    if name in ('maximum', 'minimum'):
        b = b + 0.05 * (np.abs(b - a) < 0.05) if a.shape == b.shape else b
    return a, b


@pytest.mark.parametrize('name', BINARY)
@pytest.mark.parametrize('sa,sb', [((2, 3), (2, 3)), ((2, 1, 3), (4, 1)), ((), (3,)), ((3,), ())])
def test_binary_values_and_broadcast_grad(name, sa, sb, rng):
    fn, ref, da, db, _ = BINARY[name]
    a, b = binary_inputs(name, sa, sb, rng)
    x, y = Tensor(a, requires_grad=True), Tensor(b, requires_grad=True)
    z = fn(x, y)
    expected = ref(a, b)
    assert z.shape == expected.shape == np.broadcast_shapes(sa, sb)
    np.testing.assert_allclose(z.numpy(), expected, rtol=1e-12)
    w = rng.standard_normal(expected.shape)
    (z * Tensor(w)).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), sum_to(w * da(a, b), sa), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(y.grad.numpy(), sum_to(w * db(a, b), sb), rtol=1e-10, atol=1e-12)
    assert x.grad.shape == sa and y.grad.shape == sb


@pytest.mark.parametrize('name', BINARY)
def test_binary_gradcheck(name, rng):
    a, b = binary_inputs(name, (2, 3), (3,), rng)
    assert tg.gradcheck(BINARY[name][0], (Tensor(a, requires_grad=True),
                                          Tensor(b, requires_grad=True)))


@pytest.mark.parametrize('name', BINARY)
def test_binary_gradgradcheck(name, rng):
    a, b = binary_inputs(name, (2, 2), (2,), rng)
    assert tg.gradgradcheck(BINARY[name][0], (Tensor(a, requires_grad=True),
                                              Tensor(b, requires_grad=True)))


@settings(deadline=None, max_examples=25)
@given(name=st.sampled_from(sorted(BINARY)), shapes=tst.broadcastable_shapes(2, max_dims=3,
                                                                            max_side=3),
       data=st.data())
def test_binary_property_broadcasting(name, shapes, data):
    fn, ref, da, db, positive = BINARY[name]
    sa, sb = shapes
    a = data.draw(tst.arrays(sa, low=0.2 if positive else -2, high=2))
    b = data.draw(tst.arrays(sb, low=-2, high=2, min_magnitude=0.2))
    if name in ('maximum', 'minimum'):
        tst.assume(np.all(np.abs(a - b) > 1e-3))         # no ties: the gradient is split there
    x, y = Tensor(a, requires_grad=True), Tensor(b, requires_grad=True)
    z = fn(x, y)
    np.testing.assert_allclose(z.numpy(), ref(a, b), rtol=1e-12, atol=1e-12)
    z.sum().backward()
    ones = np.ones(np.broadcast_shapes(sa, sb))
    np.testing.assert_allclose(x.grad.numpy(), sum_to(ones * da(a, b), sa), rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(y.grad.numpy(), sum_to(ones * db(a, b), sb), rtol=1e-9, atol=1e-12)


@settings(deadline=None, max_examples=15)
@given(shapes=tst.broadcastable_shapes(2, max_dims=3, max_side=3), data=st.data())
def test_mul_gradcheck_property(shapes, data):
    a, b = (data.draw(tst.tensors(s, requires_grad=True)) for s in shapes)
    assert tg.gradcheck(lambda x, y: x * y + x / y, (a, b))


# ---------------------------------------------------------------- where, masked_fill, clamp

@settings(deadline=None, max_examples=15)
@given(shapes=tst.broadcastable_shapes(3, max_dims=3, max_side=3), data=st.data())
def test_where_property(shapes, data):
    sc, sa, sb = shapes
    cond = data.draw(hnp.arrays(np.bool_, sc))
    a, b = data.draw(tst.arrays(sa)), data.draw(tst.arrays(sb))
    x, y = Tensor(a, requires_grad=True), Tensor(b, requires_grad=True)
    z = tg.where(Tensor(cond), x, y)
    np.testing.assert_array_equal(z.numpy(), np.where(cond, a, b))
    z.sum().backward()
    full = np.broadcast_shapes(sc, sa, sb)
    np.testing.assert_array_equal(x.grad.numpy(), sum_to(np.broadcast_to(cond, full) * 1.0, sa))
    np.testing.assert_array_equal(y.grad.numpy(), sum_to(np.broadcast_to(~cond, full) * 1.0, sb))
    assert tg.gradcheck(lambda x, y: tg.where(cond, x, y), (x, y))
    assert tg.gradgradcheck(lambda x, y: tg.where(cond, x * y, y * y), (x, y))


def test_where_scalars_and_forms(rng):
    x = Tensor(rng.standard_normal((2, 3)).astype(np.float32), requires_grad=True)
    z = tg.where(x > 0, x, 0.0)
    assert z.dtype == np.float32
    np.testing.assert_array_equal(z.numpy(), np.where(x.numpy() > 0, x.numpy(), 0))
    z.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), (x.numpy() > 0).astype(np.float32))
    assert tg.where(Tensor([True, False]), 1.0, 0.0).dtype == np.float32   # default dtype
    assert tg.where(Tensor([True, False]), 1, 0).dtype == np.int64
    idx = tg.where(Tensor([[True, False], [False, True]]))                  # nonzero form
    assert [i.tolist() for i in idx] == [[0, 1], [0, 1]]


def test_masked_fill(rng):
    a = rng.standard_normal((2, 3))
    mask = a > 0
    x = Tensor(a, requires_grad=True)
    y = x.masked_fill(Tensor(mask), -1.0)
    np.testing.assert_array_equal(y.numpy(), np.where(mask, -1.0, a))
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), (~mask) * 1.0)
    assert tg.gradcheck(lambda x: x.masked_fill(mask[0], 2.0), (Tensor(a, requires_grad=True),))
    assert tg.gradgradcheck(lambda x: (x * x).masked_fill(mask, 2.0),
                            (Tensor(a, requires_grad=True),))


def test_clamp_with_tensor_bounds(rng):
    a = rng.uniform(-2, 2, (2, 3))
    lo, hi = Tensor(np.full(3, -0.5)), Tensor(np.full((2, 1), 0.7))
    x = Tensor(a + 0.25 * (np.abs(np.abs(a) - 0.6) < 0.15), requires_grad=True)
    y = x.clamp(min=lo, max=hi)
    np.testing.assert_allclose(y.numpy(), np.clip(x.numpy(), -0.5, 0.7))
    assert tg.gradcheck(lambda x: tg.clamp(x, min=lo, max=hi), (x,))
    assert tg.gradgradcheck(lambda x: tg.clamp(x * x, min=lo, max=hi), (x,))
    with pytest.raises(RuntimeError, match="clamp"):       # PyTorch's type
        x.clamp()


def test_kink_gradients_follow_pytorch():
    # PyTorch: relu'(0) = 0, |x|'(0) = 0, clamp passes the gradient at the bounds themselves
    x = Tensor([0.0, -1.0, 2.0], requires_grad=True)
    x.relu().sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0, 0, 1])
    x = Tensor([0.0, -1.0, 2.0], requires_grad=True)
    x.abs().sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0, -1, 1])
    x = Tensor([0.0, 1.0, 0.5, 2.0, -3.0], requires_grad=True)
    x.clamp(0.0, 1.0).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [1, 1, 1, 0, 0])
    assert x.clamp(0.0, 1.0).relu().numpy()[0] == 0 and not np.signbit(x.relu().numpy()[0])


def test_maximum_minimum_ties_split_gradient():
    # PyTorch splits the gradient evenly between equal inputs
    x, y = Tensor([1.0, 3.0], requires_grad=True), Tensor([1.0, 2.0], requires_grad=True)
    tg.maximum(x, y).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0.5, 1.0])
    np.testing.assert_array_equal(y.grad.numpy(), [0.5, 0.0])
    x, y = Tensor([1.0, 3.0], requires_grad=True), Tensor([1.0, 2.0], requires_grad=True)
    x.minimum(y).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0.5, 0.0])
    np.testing.assert_array_equal(y.grad.numpy(), [0.5, 1.0])


def test_pow_edge_cases():
    # d/dy x**y at x = 0 is taken as 0 (PyTorch), not nan
    x, y = Tensor([0.0, 2.0], requires_grad=True), Tensor([2.0, 3.0], requires_grad=True)
    (x ** y).sum().backward()
    np.testing.assert_allclose(y.grad.numpy(), [0.0, 8 * math.log(2)])
    np.testing.assert_allclose(x.grad.numpy(), [0.0, 12.0])
    x = Tensor([1.0, 2.0], requires_grad=True)
    (0.0 ** x).sum().backward()                   # 0**x is flat for x > 0
    np.testing.assert_array_equal(x.grad.numpy(), [0.0, 0.0])
    assert (Tensor([2, 3]) ** 2).dtype == np.int64
    np.testing.assert_allclose((Tensor([4, 9]) ** 0.5).numpy(), [2, 3])


def test_sigmoid_is_stable_for_large_inputs():
    x = Tensor([-1000.0, 0.0, 1000.0], dtype=tg.float64, requires_grad=True)
    y = x.sigmoid()
    np.testing.assert_allclose(y.numpy(), [0.0, 0.5, 1.0])
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [0.0, 0.25, 0.0])
    # far in the negative tail float32 keeps full relative precision (1 - sigmoid(20) would be 0)
    for dtype in (tg.float32, tg.float64):
        x = Tensor([-20.0, -40.0], dtype=dtype, requires_grad=True)
        y = x.sigmoid()
        y.sum().backward()
        expected = 1 / (1 + np.exp([20.0, 40.0]))
        np.testing.assert_allclose(y.numpy(), expected, rtol=1e-6)
        np.testing.assert_allclose(x.grad.numpy(), expected * (1 - expected), rtol=1e-6)


# ---------------------------------------------------------------- operators and operands

def test_reflected_ops_with_numpy_arrays(rng):
    a, b = rng.standard_normal((2, 3)), rng.uniform(0.5, 2, 3)
    x = Tensor(a, requires_grad=True)
    for z, ref in [(b + x, b + a), (b - x, b - a), (b * x, b * a), (b / x, b / a),
                   (x + b, a + b), (x - b, a - b), (x * b, a * b), (x / b, a / b),
                   (b ** Tensor(np.abs(a)), b ** np.abs(a))]:
        assert isinstance(z, Tensor)                 # not a numpy object array
        np.testing.assert_allclose(z.numpy(), ref)
    (b * x).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), np.broadcast_to(b, (2, 3)))
    m = rng.standard_normal((3, 2))
    x.grad = None
    z = m @ Tensor(a[:, :2], requires_grad=True)
    np.testing.assert_allclose(z.numpy(), m @ a[:, :2])


def test_python_number_operands_and_unary_ops():
    x = Tensor([1.0, -2.0, 4.0], requires_grad=True)
    np.testing.assert_allclose((1 - x / 2 + 3 * x ** 2 - 2 ** x).numpy(),
                               1 - np.array([1, -2, 4]) / 2 + 3 * np.array([1, 4, 16])
                               - 2.0 ** np.array([1, -2, 4]))
    np.testing.assert_array_equal((-x).numpy(), [-1, 2, -4])
    np.testing.assert_array_equal((+x).numpy(), x.numpy())
    np.testing.assert_array_equal(abs(x).numpy(), [1, 2, 4])
    np.testing.assert_array_equal((Tensor([7, -7]) // 2).numpy(), [3, -4])
    np.testing.assert_array_equal((Tensor([7, -7]) % 3).numpy(), [1, 2])


def test_broadcast_error_names_op_and_shapes():
    x, y = Tensor(np.ones((2, 3))), Tensor(np.ones(4))
    for fn, op in [(lambda: x + y, 'add'), (lambda: x * y, 'mul'), (lambda: x - y, 'sub'),
                   (lambda: x / y, 'div'), (lambda: tg.maximum(x, y), 'maximum'),
                   (lambda: x ** y, 'pow')]:
        with pytest.raises(RuntimeError, match=rf"{op}.*\(2, 3\).*\(4,\)"):
            fn()
    with pytest.raises(RuntimeError, match=r"sub.*\(4,\).*\(2, 3\)"):
        np.ones(4) - x
    with pytest.raises(RuntimeError, match=r"where.*\(2,\).*\(3,\)"):
        tg.where(Tensor([True, False]), Tensor(np.ones(3)), 0.0)


def test_comparisons_and_logic_have_no_grad():
    x = Tensor([1.0, 2.0, 3.0], requires_grad=True)
    for r, ref in [(x > 2, [0, 0, 1]), (x >= 2, [0, 1, 1]), (x < 2, [1, 0, 0]),
                   (x <= 2, [1, 1, 0]), (x == 2, [0, 1, 0]), (x != 2, [1, 0, 1]),
                   (x.eq(Tensor([1.0, 0, 3])), [1, 0, 1]), (2 < x, [0, 0, 1])]:
        assert r.dtype == np.bool_ and not r.requires_grad and r.grad_fn is None
        np.testing.assert_array_equal(r.numpy(), np.array(ref, bool))
    m = x > 1
    np.testing.assert_array_equal((~m).numpy(), [True, False, False])
    np.testing.assert_array_equal((m & (x < 3)).numpy(), [False, True, False])
    np.testing.assert_array_equal((m | (x < 2)).numpy(), [True, True, True])
    assert x.sign().tolist() == [1, 1, 1]
    assert Tensor([float('nan'), 1.0]).isnan().tolist() == [True, False]


def test_integer_tensors_compute_without_grad():
    i = Tensor([1, 2, 3])
    assert (i + 1).dtype == np.int64 and (i * i).tolist() == [1, 4, 9]
    assert (i / 2).dtype == np.float32 and (i / 2).tolist() == [0.5, 1.0, 1.5]
    assert (i * 0.5).dtype == np.float32
    assert (-i).tolist() == [-1, -2, -3] and i.abs().dtype == np.int64


# ---------------------------------------------- regressions found by differential testing vs PyTorch

def test_clamp_tensor_bounds_route_gradients_like_pytorch():
    # x wins at a bound (no half/half split); min wins below it; max wins above it or if min > max
    f64 = np.float64
    x = Tensor([-1.0, 1.0, 0.0, 0.5, 3.0, -3.0], requires_grad=True, dtype=f64)
    lo = Tensor([-1.0, -1, -1, 1, 1, 1], requires_grad=True, dtype=f64)
    hi = Tensor([1.0, 1, 1, -1, 1, 2], requires_grad=True, dtype=f64)
    y = tg.clamp(x, lo, hi)
    np.testing.assert_array_equal(y.numpy(), [-1, 1, 0, -1, 1, 1])
    y.backward(Tensor([1.0, 2, 3, 4, 5, 6]))
    np.testing.assert_array_equal(x.grad.numpy(), [1, 2, 3, 0, 0, 0])
    np.testing.assert_array_equal(lo.grad.numpy(), [0, 0, 0, 0, 0, 6])
    np.testing.assert_array_equal(hi.grad.numpy(), [0, 0, 0, 4, 5, 0])
    # broadcast bounds get summed gradients
    x = Tensor(np.array([[-2.0, 0.0, 2.0]] * 2), requires_grad=True)
    lo = Tensor([-1.0], requires_grad=True, dtype=f64)
    x.clamp(min=lo).sum().backward()
    assert lo.grad.tolist() == [2.0] and x.grad.tolist() == [[0, 1, 1]] * 2
    # scalar bounds with min > max: all values are max and no gradient passes (PyTorch)
    x = Tensor([-2.0, 0.0, 2.0], requires_grad=True)
    y = x.clamp(1.0, -1.0)
    y.sum().backward()
    assert y.tolist() == [-1, -1, -1] and x.grad.tolist() == [0, 0, 0]
    assert x.clamp_min(0.5).tolist() == [0.5, 0.5, 2]
    assert tg.clamp_max(x, 0.5).tolist() == [-2, 0, 0.5]


@pytest.mark.filterwarnings("ignore::RuntimeWarning")   # inf/nan on purpose
def test_pow_gradients_follow_pytorch_at_zero_and_negative_bases():
    x = Tensor(np.array([0.0, 0.0, -2.0, 2.0]), requires_grad=True)
    y = Tensor(np.array([0.0, 2.0, 2.0, -1.0]), requires_grad=True)
    (x ** y).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [0, 0, -4, -0.25])      # 0 * 0**-1 is 0, not nan
    g = y.grad.numpy()                    # d/dy = x^y log x: 0 at x == 0, nan for x < 0
    assert g[0] == 0 and g[1] == 0 and np.isnan(g[2]) and np.isclose(g[3], 0.5 * np.log(2))
    x = Tensor([-1.0, 0.0, 2.0], requires_grad=True)
    (0 ** x).sum().backward()                                           # 0**x: -inf below 0
    assert x.grad.tolist() == [-np.inf, 0, 0]
    assert tg.gradcheck(lambda a, b: a ** b, (Tensor(np.array([0.5, 1.5]), requires_grad=True),
                                              Tensor(np.array([0.0, -1.5]), requires_grad=True)))


def test_floor_ceil_round_sign_are_differentiable_with_zero_gradient():
    x = Tensor(np.array([-1.5, 0.5, 2.5]), requires_grad=True)
    for fn, ref in [(x.floor, [-2, 0, 2]), (x.ceil, [-1, 1, 3]), (x.round, [-2, 0, 2]),
                    (x.trunc, [-1, 0, 2]), (x.sign, [-1, 1, 1])]:
        y = fn()
        assert y.requires_grad and y.tolist() == ref and y.dtype == np.float64
        (y * x).sum().backward()           # d/dx (f(x) * x) = f(x): f itself passes 0
        assert x.grad.tolist() == ref
        x.grad = None
    assert Tensor([1, -2]).floor().dtype == np.int64 and Tensor([1, -2]).round().tolist() == [1, -2]


def test_floordiv_and_remainder_promote_and_differentiate_like_pytorch():
    x = Tensor(np.array([-7.0, 7.0, 5.5], np.float32), requires_grad=True)
    y = Tensor(np.array([2.0, -2.0, 2.0]), requires_grad=True)             # float64
    assert (x // 2).dtype == np.float32 and (x // Tensor([2, 2, 2])).dtype == np.float32
    assert (Tensor([-7, 7]) // 2).tolist() == [-4, 3] and (7.5 // Tensor([2.0])).tolist() == [3]
    r = x.to(np.float64) % y
    assert r.tolist() == [1, -1, 1.5] and (5 % Tensor([3, -3])).tolist() == [2, -1]
    r.sum().backward()
    assert y.grad.tolist() == [4, 4, -2]                                  # -floor(x / y)
    assert x.grad.tolist() == [1, 1, 1] and x.grad.dtype == np.float32
    assert Tensor([-7, 7]).div(2, rounding_mode='trunc').tolist() == [-3, 3]
    assert Tensor([-7.0, 7.0]).div(2, rounding_mode='floor').tolist() == [-4, 3]
    assert Tensor([-7, 7]).div(Tensor([2, 2]), rounding_mode='trunc').dtype == np.int64


def test_pow_function_takes_a_number_as_base_or_exponent(rng):
    a = rng.uniform(-2, 2, (2, 3))
    x = Tensor(a, requires_grad=True)
    np.testing.assert_allclose(tg.pow(2, x).numpy(), 2.0 ** a, rtol=1e-12)
    np.testing.assert_allclose(tg.pow(x, 3).numpy(), a ** 3, rtol=1e-12)
    np.testing.assert_allclose(tg.pow(x.abs(), Tensor(a)).numpy(), abs(a) ** a, rtol=1e-12)
    tg.pow(2.0, x).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 2.0 ** a * math.log(2), rtol=1e-12)
    assert tg.gradcheck(lambda x: tg.pow(3, x), (x,))
    assert tg.pow(2, Tensor([1, 2])).tolist() == [2, 4] and tg.pow(2, Tensor([1])).dtype == np.int64
    assert tg.pow(2.5, Tensor([1, 2])).dtype == np.float32              # PyTorch's promotion
    assert tg.pow(2, Tensor(np.array([1.0], np.float32))).dtype == np.float32
    with pytest.raises(TypeError, match="pow: expected a Tensor"):
        tg.pow(2, 3)
