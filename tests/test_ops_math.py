"""Elementwise math (tensor_math.py, ops/math.py, ops/special.py, ops/einsum.py): values against
numpy / math / literals verified with PyTorch, float64 gradchecks, PyTorch's gradients at edge
points, dtype promotion, products and einsum, logic and bit ops, in-place forms."""
import math

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import tinygrad_cnn as tg
import tinygrad_cnn.nn.functional as F
from tinygrad_cnn import Tensor
from tinygrad_cnn.ops import special
from tinygrad_cnn.testing import strategies as tst

math_erf = np.vectorize(math.erf, otypes=[np.float64])
math_erfc = np.vectorize(math.erfc, otypes=[np.float64])


def grad_of(fn, *arrays):
    """(output array, gradients of output.sum()) for float64 inputs."""
    xs = [Tensor(a, requires_grad=True) for a in arrays]
    out = fn(*xs)
    out.sum().backward()
    return out.numpy(), [x.grad.numpy() for x in xs]


# ---------------------------------------------------------------- special functions
def test_erf_erfc_match_math_on_a_dense_grid_with_tails():
    x = np.concatenate([np.linspace(-28, 28, 40001), np.geomspace(1e-300, 28, 3000),
                        -np.geomspace(1e-300, 28, 3000), [0.46875, -0.46875, 4.0, -4.0]])
    for fn, ref in ((special.erf, math_erf), (special.erfc, math_erfc)):
        got, want = fn(x), ref(x)
        normal = np.abs(want) > np.finfo(np.float64).tiny      # denormals have fewer digits
        rel = np.abs(got[normal] - want[normal]) / np.abs(want[normal])
        assert rel.max() < 2e-15, (fn.__name__, x[normal][rel.argmax()], rel.max())
        assert np.all(got[~normal] == want[~normal]) or np.all(np.abs(got[~normal]) < 1e-300)


def test_erf_special_values_and_dtypes():
    np.testing.assert_array_equal(special.erf(np.array([np.inf, -np.inf, 0.0, 30.0])),
                                  [1.0, -1.0, 0.0, 1.0])
    np.testing.assert_array_equal(special.erfc(np.array([np.inf, -np.inf, 30.0])), [0.0, 2.0, 0.0])
    assert np.isnan(special.erf(np.array([np.nan]))).all()
    assert np.isnan(special.erfc(np.array([np.nan]))).all()
    assert np.signbit(special.erf(np.array(-0.0)))
    assert special.erf(np.ones(3, np.float32)).dtype == np.float32
    assert special.erf(np.array(0.5)).shape == ()
    assert special.erf(np.zeros((0, 2))).shape == (0, 2)
    # float32 results are float64 values rounded once: within 1 ulp of math.erf
    g = np.linspace(-5, 5, 2001).astype(np.float32)
    np.testing.assert_allclose(special.erf(g), math_erf(g).astype(np.float32), rtol=1.2e-7, atol=0)


def test_erfinv_values_verified_with_torch():
    x = np.array([0.5, -0.9, 0.999, 1 - 1e-12, 1e-20])
    want = [0.4769362762044699, -1.1630871536766743, 2.3267537655135246, 5.042031898572696,
            8.86226925452758e-21]
    np.testing.assert_allclose(special.erfinv(x), want, rtol=2e-15)
    out = special.erfinv(np.array([1.0, -1.0, 1.5, np.nan, 0.0]))
    assert out[0] == np.inf and out[1] == -np.inf and np.isnan(out[2:4]).all() and out[4] == 0


def test_erfinv_inverts_erf():
    x = np.concatenate([np.linspace(-0.999999, 0.999999, 2001), 1 - np.geomspace(1e-15, 0.5, 50)])
    y = special.erfinv(x)
    near_one = x > 0.5          # compare 1 - x there, which has full relative precision
    np.testing.assert_allclose(special.erf(y[~near_one]), x[~near_one], rtol=1e-15, atol=1e-16)
    np.testing.assert_allclose(special.erfc(y[near_one]), 1 - x[near_one], rtol=1e-14)


def test_gelu_uses_the_vectorised_erf_and_matches_torch():
    x = Tensor([-3., -1., -0.25, 0.5, 2.], dtype=tg.float64, requires_grad=True)
    y = F.gelu(x)
    y.sum().backward()
    np.testing.assert_allclose(y.numpy(), [-0.00404969409489031, -0.15865525393145702,
                                           -0.10032341857926907, 0.34573123063700656,
                                           1.9544997361036416], rtol=1e-14)
    np.testing.assert_allclose(x.grad.numpy(), [-0.01194564720418392, -0.08331547058768635,
                                                0.304626645116364, 0.8674951246561629,
                                                1.085231801078197], rtol=1e-14)
    assert F.gelu(tg.ones(2, 3)).dtype == np.float32


# ---------------------------------------------------------------- unary ops
def _sinc_slope(a):
    return (np.pi * a * np.cos(np.pi * a) - np.sin(np.pi * a)) / (np.pi * a * a)


# name: (op, numpy forward, numpy derivative, (low, high) of the test domain)
UNARY = {
    'tan': (tg.tan, np.tan, lambda a: 1 / np.cos(a) ** 2, (-1.2, 1.2)),
    'asin': (tg.asin, np.arcsin, lambda a: 1 / np.sqrt(1 - a * a), (-0.9, 0.9)),
    'acos': (tg.acos, np.arccos, lambda a: -1 / np.sqrt(1 - a * a), (-0.9, 0.9)),
    'atan': (tg.atan, np.arctan, lambda a: 1 / (1 + a * a), (-3, 3)),
    'sinh': (tg.sinh, np.sinh, np.cosh, (-2, 2)),
    'cosh': (tg.cosh, np.cosh, np.sinh, (-2, 2)),
    'asinh': (tg.asinh, np.arcsinh, lambda a: 1 / np.sqrt(a * a + 1), (-3, 3)),
    'acosh': (tg.acosh, np.arccosh, lambda a: 1 / np.sqrt(a * a - 1), (1.2, 4)),
    'atanh': (tg.atanh, np.arctanh, lambda a: 1 / (1 - a * a), (-0.9, 0.9)),
    'erf': (tg.erf, math_erf, lambda a: 2 / np.sqrt(np.pi) * np.exp(-a * a), (-3, 3)),
    'erfc': (tg.erfc, math_erfc, lambda a: -2 / np.sqrt(np.pi) * np.exp(-a * a), (-3, 3)),
    'exp2': (tg.exp2, np.exp2, lambda a: np.exp2(a) * np.log(2), (-3, 3)),
    'log2': (tg.log2, np.log2, lambda a: 1 / (a * np.log(2)), (0.2, 4)),
    'log10': (tg.log10, np.log10, lambda a: 1 / (a * np.log(10)), (0.2, 4)),
    'sinc': (tg.sinc, np.sinc, _sinc_slope, (-2.5, 2.5)),
    'logit': (tg.logit, lambda a: np.log(a / (1 - a)), lambda a: 1 / (a * (1 - a)), (0.05, 0.95)),
    'frac': (tg.frac, lambda a: a - np.trunc(a), np.ones_like, (-3, 3)),
    'deg2rad': (tg.deg2rad, np.deg2rad, lambda a: np.full_like(a, np.pi / 180), (-400, 400)),
    'rad2deg': (tg.rad2deg, np.rad2deg, lambda a: np.full_like(a, 180 / np.pi), (-7, 7)),
    'arcsinh': (lambda x: x.arcsinh(), np.arcsinh, lambda a: 1 / np.sqrt(a * a + 1), (-3, 3)),
}


def unary_input(name, shape, rng):
    low, high = UNARY[name][3]
    a = rng.uniform(low, high, shape)
    if name == 'frac':          # keep away from the jumps at integers
        a = np.where(np.abs(a - np.round(a)) < 0.1, np.round(a) + 0.3, a)
    return a


@pytest.mark.parametrize('name', UNARY)
def test_unary_values_grads_and_gradcheck(name, rng):
    fn, ref, dref, _ = UNARY[name]
    a = unary_input(name, (2, 3), rng)
    out, (g,) = grad_of(fn, a)
    np.testing.assert_allclose(out, ref(a), rtol=1e-13, atol=1e-13)
    np.testing.assert_allclose(g, dref(a), rtol=1e-11, atol=1e-13)
    assert tg.gradcheck(fn, (Tensor(a, requires_grad=True),))
    assert tg.gradgradcheck(fn, (Tensor(a[0], requires_grad=True),))


@settings(deadline=None, max_examples=20)
@given(name=st.sampled_from(sorted(UNARY)), shape=tst.shapes(min_dims=0, max_dims=3, max_side=3),
       data=st.data())
def test_unary_property(name, shape, data):
    fn, ref, dref, (low, high) = UNARY[name]
    a = data.draw(tst.arrays(shape, low=low, high=high, min_magnitude=0))
    if name == 'frac':
        tst.assume(np.all(np.abs(a - np.round(a)) > 0.05))
    for dtype in (np.float64, np.float32):
        y = fn(Tensor(a.astype(dtype)))
        assert y.shape == a.shape and y.dtype == dtype
    out, (g,) = grad_of(fn, a)
    np.testing.assert_allclose(out, ref(a), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(g, dref(a), rtol=1e-10, atol=1e-12)


def test_erfinv_grad_and_gradcheck(rng):
    a = rng.uniform(-0.9, 0.9, (2, 3))
    out, (g,) = grad_of(tg.erfinv, a)
    np.testing.assert_allclose(math_erf(out), a, rtol=1e-14, atol=1e-15)
    np.testing.assert_allclose(g, np.sqrt(np.pi) / 2 * np.exp(out ** 2), rtol=1e-12)
    assert tg.gradcheck(tg.erfinv, (Tensor(a, requires_grad=True),))
    assert tg.gradgradcheck(tg.erfinv, (Tensor(a[0], requires_grad=True),))


def test_unary_gradients_at_edge_points_as_torch():
    # literals from torch 2.13
    _, (g,) = grad_of(tg.sinc, np.array([0.0, 1e-300, 0.5]))
    np.testing.assert_allclose(g, [0.0, 0.0, -4 / np.pi])
    _, (g,) = grad_of(tg.asin, np.array([1.0, -1.0]))
    assert np.all(g == np.inf)
    _, (g,) = grad_of(tg.acosh, np.array([1.0]))
    assert g[0] == np.inf
    _, (g,) = grad_of(tg.erfinv, np.array([1.0, 0.0]))
    np.testing.assert_allclose(g, [np.inf, np.sqrt(np.pi) / 2])
    # logit: nan outside [0, 1] without eps; 0 outside [eps, 1 - eps] (bounds included) with it
    _, (g,) = grad_of(tg.logit, np.array([-0.5, 0.0, 0.3, 1.0, 1.5]))
    np.testing.assert_allclose(g, [np.nan, np.inf, 1 / 0.21, np.inf, np.nan])
    out, (g,) = grad_of(lambda x: x.logit(eps=0.1), np.array([0.05, 0.1, 0.5, 0.9, 0.95, np.nan]))
    np.testing.assert_allclose(g, [0, 1 / 0.09, 4, 1 / 0.09, 0, 0])
    np.testing.assert_allclose(out[:2], [math.log(1 / 9)] * 2)
    out, (g,) = grad_of(tg.nan_to_num, np.array([np.nan, np.inf, -np.inf, 1.0]))
    np.testing.assert_array_equal(out, [0, np.finfo(np.float64).max, -np.finfo(np.float64).max, 1])
    np.testing.assert_array_equal(g, [0, 0, 0, 1])


def test_unary_misc_values():
    x = Tensor([-1.5, -0.0, 0.0, 2.25, np.inf, -np.inf, np.nan])
    np.testing.assert_array_equal(x.signbit().numpy(), [1, 1, 0, 0, 0, 1, 0])
    np.testing.assert_array_equal(x.isneginf().numpy(), [0, 0, 0, 0, 0, 1, 0])
    np.testing.assert_array_equal(x.isposinf().numpy(), [0, 0, 0, 0, 1, 0, 0])
    assert tg.isreal(x).numpy().all() and tg.isreal(x).dtype == np.bool_
    np.testing.assert_array_equal(tg.sgn(x).numpy(), [-1, -0.0, 0, 1, 1, -1, 0])   # sgn(nan) = 0
    np.testing.assert_array_equal(tg.fix(x).numpy()[:4], [-1, 0, 0, 2])
    np.testing.assert_array_equal(tg.absolute(x).numpy()[:4], [1.5, 0, 0, 2.25])
    np.testing.assert_array_equal(tg.nan_to_num(x, nan=1.5, posinf=7.0, neginf=-2.0).numpy()[4:],
                                  [7, -2, 1.5])
    np.testing.assert_array_equal(tg.nan_to_num(Tensor([1, 2])).numpy(), [1, 2])
    assert tg.positive(x) is x
    with pytest.raises(RuntimeError, match='bool'):
        tg.positive(Tensor([True]))
    with pytest.raises(NotImplementedError, match='frac'):
        tg.frac(Tensor([1, 2]))
    assert tg.signbit(Tensor([-1, 0, True])).numpy().tolist() == [True, False, False]


def test_integer_inputs_give_float32_like_torch():
    i = Tensor([1, 2, 3])
    for name in ('tan asin acos atan sinh cosh asinh acosh atanh erf erfc erfinv exp2 log2 log10 '
                 'sinc logit deg2rad rad2deg arcsin arccos arctan').split():
        assert getattr(tg, name)(i).dtype == np.float32, name
    for name in ('atan2', 'xlogy', 'copysign', 'hypot', 'logaddexp'):
        assert getattr(tg, name)(i, Tensor([1.0, 2.0, 3.0])).dtype == np.float32, name
        assert getattr(tg, name)(i, Tensor([1.0], dtype=tg.float64)).dtype == np.float64, name
    for name in ('atan2', 'xlogy', 'copysign'):
        assert getattr(tg, name)(i, i).dtype == np.float32, name
    np.testing.assert_allclose(tg.deg2rad(Tensor([180])).numpy(), [np.pi], rtol=1e-7)
    for name in ('hypot', 'logaddexp', 'logaddexp2'):
        with pytest.raises(NotImplementedError, match=name):
            getattr(tg, name)(i, i)
    assert tg.fmod(i, i).dtype == np.int64 and tg.fmax(i, i).dtype == np.int64
    assert tg.fmod(i, 2.5).dtype == np.float32


# ---------------------------------------------------------------- binary ops
# name: (op, numpy forward, d/da, d/db, (low, high) for a, (low, high) for b)
BINARY = {
    'atan2': (tg.atan2, np.arctan2, lambda a, b: b / (a * a + b * b),
              lambda a, b: -a / (a * a + b * b), (-2, 2), (-2, 2)),
    'hypot': (tg.hypot, np.hypot, lambda a, b: a / np.hypot(a, b), lambda a, b: b / np.hypot(a, b),
              (-2, 2), (-2, 2)),
    'logaddexp': (tg.logaddexp, np.logaddexp, lambda a, b: 1 / (1 + np.exp(b - a)),
                  lambda a, b: 1 / (1 + np.exp(a - b)), (-3, 3), (-3, 3)),
    'logaddexp2': (tg.logaddexp2, np.logaddexp2, lambda a, b: 1 / (1 + 2 ** (b - a)),
                   lambda a, b: 1 / (1 + 2 ** (a - b)), (-3, 3), (-3, 3)),
    'xlogy': (tg.xlogy, lambda a, b: a * np.log(b), lambda a, b: np.log(b) + 0 * a,
              lambda a, b: a / b, (-2, 2), (0.2, 3)),
    'fmod': (tg.fmod, np.fmod, lambda a, b: np.ones_like(a + b), lambda a, b: -np.trunc(a / b),
             (-5, 5), (0.7, 1.9)),
    'copysign': (tg.copysign, np.copysign, lambda a, b: np.sign(a) * np.sign(b),
                 lambda a, b: np.zeros_like(a + b), (-2, 2), (-2, 2)),
    'fmax': (tg.fmax, np.fmax, lambda a, b: (a >= b) * 1.0, lambda a, b: (a < b) * 1.0, (-2, 2),
             (-2, 2)),
    'fmin': (tg.fmin, np.fmin, lambda a, b: (a <= b) * 1.0, lambda a, b: (a > b) * 1.0, (-2, 2),
             (-2, 2)),
    'lerp': (tg.lerp, lambda a, b: a + 0.3 * (b - a), lambda a, b: np.full_like(a + b, 0.7),
             lambda a, b: np.full_like(a + b, 0.3), (-2, 2), (-2, 2)),
    'float_power': (tg.float_power, np.power, lambda a, b: b * a ** (b - 1),
                    lambda a, b: a ** b * np.log(a), (0.5, 2), (-2, 2)),
}
BINARY['lerp'] = (lambda x, y: tg.lerp(x, y, 0.3),) + BINARY['lerp'][1:]


def binary_inputs(name, sa, sb, rng):
    *_, (la, ha), (lb, hb) = BINARY[name]
    a, b = rng.uniform(la, ha, sa), rng.uniform(lb, hb, sb)
    if name in ('fmod', 'fmax', 'fmin', 'copysign'):     # away from jumps, ties and zeros
        a = np.where(np.abs(a) < 0.2, 0.5, a)
        a = a + 0.05 * (np.abs(np.round(a / 1.3) * 1.3 - a) < 0.05)
    return a, b


@pytest.mark.parametrize('name', BINARY)
def test_binary_values_grads_and_gradcheck(name, rng):
    fn, ref, da, db, *_ = BINARY[name]
    a, b = binary_inputs(name, (2, 3), (3,), rng)
    out, (ga, gb) = grad_of(fn, a, b)
    np.testing.assert_allclose(out, ref(a, b), rtol=1e-13, atol=1e-13)
    np.testing.assert_allclose(ga, da(a, b), rtol=1e-11, atol=1e-13)
    np.testing.assert_allclose(gb, db(a, b).sum(0), rtol=1e-11, atol=1e-13)
    assert tg.gradcheck(fn, (Tensor(a, requires_grad=True), Tensor(b, requires_grad=True)))
    assert tg.gradgradcheck(fn, (Tensor(a[0], requires_grad=True), Tensor(b, requires_grad=True)))


@settings(deadline=None, max_examples=20)
@given(name=st.sampled_from(sorted(BINARY)),
       shapes=tst.broadcastable_shapes(2, max_dims=3, max_side=3), seed=st.integers(0, 2 ** 16))
def test_binary_property(name, shapes, seed):
    fn, ref, *_ = BINARY[name]
    a, b = binary_inputs(name, *shapes, np.random.default_rng(seed))
    out = fn(Tensor(a), Tensor(b))
    np.testing.assert_allclose(out.numpy(), ref(a, b), rtol=1e-12, atol=1e-12)
    assert out.dtype == np.float64
    assert fn(Tensor(a.astype(np.float32)), Tensor(b.astype(np.float32))).dtype == (
        np.float64 if name == 'float_power' else np.float32)
    assert tg.gradcheck(fn, (Tensor(a, requires_grad=True), Tensor(b, requires_grad=True)))


def test_binary_gradients_at_edge_points_as_torch():
    # literals from torch 2.13
    _, (gy, gx) = grad_of(tg.atan2, np.array([0.0, 1.0]), np.array([0.0, 0.0]))
    np.testing.assert_array_equal(gy, [0, 0])
    np.testing.assert_array_equal(gx, [0, -1])
    _, (ga, gb) = grad_of(tg.hypot, np.array([0.0, 3.0]), np.array([0.0, 4.0]))
    np.testing.assert_allclose(ga, [np.nan, 0.6])
    np.testing.assert_allclose(gb, [np.nan, 0.8])
    out, (ga, gb) = grad_of(tg.copysign, np.array([0.0, -0.0, 2.0, -3.0]),
                            np.array([-1.0, 1.0, -0.0, 1.0]))
    np.testing.assert_array_equal(ga, [0, 0, -1, -1])
    np.testing.assert_array_equal(gb, [0, 0, 0, 0])
    assert np.signbit(out[0]) and np.signbit(out[2])
    out, (ga, gb) = grad_of(tg.xlogy, np.array([0.0, 0.0, 0.0, 1.0, 2.0]),
                            np.array([0.0, -1.0, np.nan, 0.0, 3.0]))
    np.testing.assert_allclose(out, [0, 0, np.nan, -np.inf, 2 * np.log(3)])
    np.testing.assert_allclose(ga, [0, 0, np.nan, -np.inf, np.log(3)])
    np.testing.assert_allclose(gb, [np.nan, 0, np.nan, np.inf, 2 / 3])
    nan = np.nan
    out, (ga, gb) = grad_of(tg.fmax, np.array([1.0, 2.0, nan, 1.0, nan]),
                            np.array([1.0, 1.0, 3.0, nan, nan]))
    np.testing.assert_allclose(out, [1, 2, 3, 1, nan])
    np.testing.assert_array_equal(ga, [1, 1, 0, 1, 1])     # ties and nan pairs go to input
    np.testing.assert_array_equal(gb, [0, 0, 1, 0, 0])
    out, (ga, gb) = grad_of(tg.fmin, np.array([1.0, 2.0, nan]), np.array([1.0, 1.0, 3.0]))
    np.testing.assert_array_equal(ga, [1, 0, 0])
    inf = np.inf
    out, (ga, gb) = grad_of(tg.logaddexp, np.array([-inf, inf, inf, 1000.0]),
                            np.array([-inf, inf, -inf, 1000.0]))
    np.testing.assert_allclose(out, [-inf, inf, inf, 1000.6931471805599])
    np.testing.assert_allclose(ga, [nan, nan, 1, 0.5])
    np.testing.assert_allclose(tg.logaddexp2(Tensor([-1000.0], dtype=tg.float64),
                                             Tensor([-1001.0], dtype=tg.float64)).numpy(),
                               [-999.4150374992788])
    _, (gx, gy) = grad_of(tg.fmod, np.array([-7.5, 7.5]), np.array([2.0, -2.0]))
    np.testing.assert_array_equal(gy, [3, 3])


def test_binary_misc_values_and_errors():
    np.testing.assert_array_equal(tg.fmod(Tensor([-7, 7]), Tensor([3, -3])).numpy(), [-1, 1])
    with pytest.raises(RuntimeError, match='fmod'):
        tg.fmod(Tensor([7]), Tensor([0]))
    h = tg.heaviside(Tensor([-2.0, 0.0, 3.0, np.nan]), Tensor([0.5]))
    np.testing.assert_array_equal(h.numpy(), [0, 0.5, 1, 0])
    assert tg.heaviside(Tensor([-1, 0, 2]), Tensor([7])).numpy().tolist() == [0, 7, 1]
    with pytest.raises(RuntimeError, match='dtype'):
        tg.heaviside(Tensor([1.0]), Tensor([2]))
    with pytest.raises(RuntimeError, match=r'\(2, 3\) and \(4,\)'):
        tg.atan2(tg.ones(2, 3), tg.ones(4))
    with pytest.raises(RuntimeError, match='broadcast'):
        tg.logaddexp2(tg.ones(2, 3), tg.ones(4))
    fp = tg.float_power(Tensor([2.0, 3.0], requires_grad=True), Tensor([2.0, 0.5]))
    assert fp.dtype == np.float64
    fp.sum().backward()
    assert tg.float_power(Tensor([2]), -1).numpy().tolist() == [0.5]
    # a number as the first argument, as torch.xlogy(2, t) and torch.float_power(2, t)
    xl = tg.xlogy(2, Tensor([3]))
    assert xl.dtype == np.float32 and abs(xl.item() - 2 * math.log(3)) < 1e-6
    assert tg.float_power(2, Tensor([3])).numpy().tolist() == [8.0]


def test_lerp_tensor_weight_exact_ends_and_errors(rng):
    s, e, w = rng.standard_normal((2, 3)), rng.standard_normal((3,)), rng.uniform(-0.5, 1.5, (2, 1))
    out, (gs, ge, gw) = grad_of(tg.lerp, s, e, w)
    np.testing.assert_allclose(out, s + w * (e - s), rtol=1e-13, atol=1e-14)
    np.testing.assert_allclose(gs, 1 - np.broadcast_to(w, (2, 3)), rtol=1e-13)
    np.testing.assert_allclose(ge, (w * np.ones((2, 3))).sum(0), rtol=1e-13)
    np.testing.assert_allclose(gw, (e - s).sum(1, keepdims=True), rtol=1e-13)
    assert tg.gradcheck(tg.lerp, tuple(Tensor(a, requires_grad=True) for a in (s, e, w)))
    big = Tensor([1e8])
    assert tg.lerp(big, Tensor([1.0]), 1.0).item() == 1.0          # exact at weight 1
    with pytest.raises(RuntimeError, match='dtype'):
        tg.lerp(tg.ones(3), tg.ones(3, dtype=tg.float64), 0.5)
    with pytest.raises(NotImplementedError):
        tg.lerp(Tensor([1]), Tensor([2]), 0.5)


def test_addcmul_addcdiv(rng):
    i, a, b = rng.standard_normal((2, 3)), rng.standard_normal((3,)), rng.uniform(1, 2, (2, 1))
    fns = [lambda x, y, z: tg.addcmul(x, y, z, value=0.5),
           lambda x, y, z: tg.addcdiv(x, y, z, value=-2)]
    for fn, want in zip(fns, (i + 0.5 * a * b, i - 2 * a / b)):
        np.testing.assert_allclose(fn(Tensor(i), Tensor(a), Tensor(b)).numpy(), want, rtol=1e-14)
        assert tg.gradcheck(fn, tuple(Tensor(v, requires_grad=True) for v in (i, a, b)))
    ints = Tensor([1, 2])
    assert tg.addcmul(ints, ints, ints, value=2).numpy().tolist() == [3, 10]
    with pytest.raises(RuntimeError, match='addcdiv'):
        tg.addcdiv(tg.ones(2), ints, ints)


# ---------------------------------------------------------------- products and einsum
def R(rng, *shape):
    return rng.standard_normal(shape)


@pytest.mark.parametrize('beta,alpha', [(1, 1), (0.5, 2.0), (0, -1.5)])
def test_add_products(beta, alpha, rng):
    kw = dict(beta=beta, alpha=alpha)
    cases = [  # (function, input, operands, numpy product)
        (tg.addmm, R(rng, 2, 4), (R(rng, 2, 3), R(rng, 3, 4)), lambda a, b: a @ b),
        (tg.addmm, R(rng, 4), (R(rng, 2, 3), R(rng, 3, 4)), lambda a, b: a @ b),
        (tg.addmv, R(rng, 2), (R(rng, 2, 3), R(rng, 3)), lambda a, b: a @ b),
        (tg.addr, R(rng, 2, 1), (R(rng, 2), R(rng, 3)), np.outer),
        (tg.baddbmm, R(rng, 2, 4), (R(rng, 5, 2, 3), R(rng, 5, 3, 4)), lambda a, b: a @ b),
        (tg.addbmm, R(rng, 2, 4), (R(rng, 5, 2, 3), R(rng, 5, 3, 4)), lambda a, b: (a @ b).sum(0)),
    ]
    for fn, i, (a, b), product in cases:
        def f(x, y, z, fn=fn):
            return fn(x, y, z, **kw)
        out, (gi, ga, gb) = grad_of(f, i, a, b)
        np.testing.assert_allclose(out, beta * i + alpha * product(a, b), rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(gi, np.full_like(i, beta * out.size / i.size))
        assert tg.gradcheck(f, tuple(Tensor(v, requires_grad=True) for v in (i, a, b)))


def test_add_products_beta_zero_ignores_nan_and_errors(rng):
    out = tg.addmm(tg.full((2, 4), float('nan')), tg.ones(2, 3), tg.ones(3, 4), beta=0)
    np.testing.assert_array_equal(out.numpy(), np.full((2, 4), 3.0))
    with pytest.raises(RuntimeError, match='broadcast'):
        tg.addmm(tg.ones(3, 3), tg.ones(2, 3), tg.ones(3, 4))
    with pytest.raises(RuntimeError, match='mat1 must be a matrix'):
        tg.addmm(tg.ones(4), tg.ones(3), tg.ones(3, 4))
    with pytest.raises(RuntimeError, match='dtype'):
        tg.addmm(tg.ones(2, 4, dtype=tg.float64), tg.ones(2, 3), tg.ones(3, 4))
    with pytest.raises(RuntimeError, match='baddbmm'):
        tg.baddbmm(tg.ones(4), tg.ones(5, 2, 3), tg.ones(6, 3, 4))
    with pytest.raises(RuntimeError, match='alpha'):
        tg.addr(Tensor([[1]]), Tensor([1]), Tensor([1]), alpha=0.5)
    assert tg.addmm(tg.ones(2, 4), tg.ones(2, 0), tg.ones(0, 4)).numpy().tolist() == [[1] * 4] * 2


def test_vector_products(rng):
    m, v, w = R(rng, 2, 3), R(rng, 3), R(rng, 4)
    np.testing.assert_allclose(tg.mv(Tensor(m), Tensor(v)).numpy(), m @ v)
    np.testing.assert_allclose(tg.outer(Tensor(v), Tensor(w)).numpy(), np.outer(v, w))
    np.testing.assert_allclose(tg.ger(Tensor(v), Tensor(w)).numpy(), np.outer(v, w))
    np.testing.assert_allclose(tg.vdot(Tensor(v), Tensor(v)).numpy(), v @ v)
    a, b = R(rng, 2, 5, 3), R(rng, 4, 3)
    np.testing.assert_allclose(tg.inner(Tensor(a), Tensor(b)).numpy(), np.inner(a, b), rtol=1e-13)
    assert tg.inner(Tensor(2.0), tg.ones(2, 3)).shape == (2, 3)
    assert tg.outer(tg.ones(2), Tensor([1, 2])).dtype == np.float32
    for fn, args in ((tg.mv, (m, m[0, :2])), (tg.mv, (v, v)), (tg.outer, (m, v)),
                     (tg.inner, (m, R(rng, 4, 2))), (tg.vdot, (m, m)), (tg.vdot, (v, w))):
        with pytest.raises(RuntimeError, match=fn.__name__):
            fn(*[Tensor(x) for x in args])
    with pytest.raises(RuntimeError, match='dtype'):
        tg.vdot(tg.ones(2), tg.ones(2, dtype=tg.float64))
    for fn, args in ((tg.mv, (m, v)), (tg.outer, (v, w)), (tg.inner, (a, b)),
                     (tg.vdot, (v, v.copy()))):     # (Tensors of one array would share memory)
        assert tg.gradcheck(fn, tuple(Tensor(x, requires_grad=True) for x in args))


@pytest.mark.parametrize('a_shape,b_shape,dims', [
    ((2, 3, 4), (3, 4, 5), 2), ((2, 3, 4), (4, 3, 5), ([1, 2], [1, 0])), ((2, 3), (4,), 0),
    ((2, 3), (3, 2), ([0], [1])), ((3,), (3,), 1), ((2, 3), (3, 4), ([-1], [0]))])
def test_tensordot(a_shape, b_shape, dims, rng):
    a, b = R(rng, *a_shape), R(rng, *b_shape)
    out = tg.tensordot(Tensor(a), Tensor(b), dims=dims)
    np.testing.assert_allclose(out.numpy(), np.tensordot(a, b, axes=dims), rtol=1e-13, atol=1e-14)
    assert tg.gradcheck(lambda x, y: tg.tensordot(x, y, dims=dims),
                        (Tensor(a, requires_grad=True), Tensor(b, requires_grad=True)))


def test_tensordot_errors():
    with pytest.raises(RuntimeError, match='contracted dimensions need to match'):
        tg.tensordot(tg.ones(2, 3), tg.ones(4), dims=1)
    with pytest.raises(RuntimeError, match='same length'):
        tg.tensordot(tg.ones(2, 3), tg.ones(3, 2), dims=([0, 1], [1]))


EINSUM = [  # (equation, operand shapes, the equation numpy is given, output shape)
    ('ij,jk->ik', [(2, 3), (3, 4)], 'ij,jk->ik', (2, 4)),
    ('ba,cb', [(2, 3), (4, 2)], 'ba,cb->ac', (3, 4)),          # implicit: sorted letters
    ('aB,Bc', [(2, 3), (3, 4)], 'aB,Bc->ac', (2, 4)),
    ('...ij,...jk', [(5, 2, 3), (3, 4)], '...ij,...jk->...ik', (5, 2, 4)),
    ('bij,bjk->bik', [(2, 3, 4), (2, 4, 5)], 'bij,bjk->bik', (2, 3, 5)),
    ('ii', [(3, 3)], 'ii->', ()),
    ('ii->i', [(3, 3)], 'ii->i', (3,)),
    ('iij->ji', [(2, 2, 3)], 'iij->ji', (3, 2)),
    ('i,j->ij', [(2,), (3,)], 'i,j->ij', (2, 3)),
    (' i j -> j i ', [(2, 3)], 'ij->ji', (3, 2)),
    ('i,jk,k->ij', [(2,), (3, 4), (4,)], 'i,jk,k->ij', (2, 3)),
    ('i...->...', [(2, 3, 4)], 'i...->...', (3, 4)),
    ('ij->', [(2, 3)], 'ij->', ()),
]


@pytest.mark.parametrize('equation,shapes,np_equation,out_shape', EINSUM)
def test_einsum_values_and_gradcheck(equation, shapes, np_equation, out_shape, rng):
    arrays = [R(rng, *s) for s in shapes]
    out = tg.einsum(equation, *[Tensor(a) for a in arrays])
    assert out.shape == out_shape
    np.testing.assert_allclose(out.numpy(), np.einsum(np_equation, *arrays), rtol=1e-13, atol=1e-14)
    assert tg.gradcheck(lambda *xs: tg.einsum(equation, *xs),
                        tuple(Tensor(a, requires_grad=True) for a in arrays))


def test_einsum_broadcasting_lists_grads_and_dtypes(rng):
    a, b = R(rng, 5, 1, 2, 3), R(rng, 7, 3, 4)
    out = tg.einsum('...ij,...jk->...ik', Tensor(a), Tensor(b))
    np.testing.assert_allclose(out.numpy(), np.matmul(a, b), rtol=1e-13)
    x, y = Tensor(R(rng, 1, 3), requires_grad=True), Tensor(R(rng, 2, 3), requires_grad=True)
    tg.einsum('ij,ij->ij', [x, y]).sum().backward()              # size 1 broadcasts, as torch
    np.testing.assert_allclose(x.grad.numpy(), y.numpy().sum(0, keepdims=True))
    t = Tensor([[1.0, 2.0], [3.0, 4.0]], dtype=tg.float64, requires_grad=True)
    tg.einsum('ii', t).backward()                                 # trace: identity gradient
    np.testing.assert_array_equal(t.grad.numpy(), np.eye(2))
    assert tg.gradgradcheck(lambda p, q: tg.einsum('ij,jk->ik', p, q),
                            (Tensor(R(rng, 2, 3), requires_grad=True),
                             Tensor(R(rng, 3, 2), requires_grad=True)))
    assert tg.einsum('i,i', Tensor([1, 2]), Tensor([3, 4])).item() == 11
    assert tg.einsum('ij->ji', tg.ones(2, 3)).dtype == np.float32
    assert tg.einsum('ij,ij->', tg.ones(0, 3), tg.ones(0, 3)).item() == 0


@pytest.mark.parametrize('equation,shapes,message', [
    ('ij,jk->ik', [(2, 3), (2, 3)], 'subscript j has size 2'),
    ('ij,jk->ik', [(2, 3)], 'fewer operands'),
    ('ij->k', [(2, 3)], 'output subscript k does not appear'),
    ('ij->ii', [(2, 3)], 'appears more than once'),
    ('i1->i', [(2, 3)], 'invalid subscript'),
    ('ijk->i', [(2, 3)], 'do not match the 2 dimensions'),
])
def test_einsum_errors(equation, shapes, message):
    with pytest.raises(RuntimeError, match=message):
        tg.einsum(equation, *[tg.ones(*s) for s in shapes])


def test_einsum_mixed_dtypes_raise():
    with pytest.raises(RuntimeError, match='same dtype'):
        tg.einsum('i,i', Tensor([1, 2]), Tensor([1.0, 2.0]))


@settings(deadline=None, max_examples=15)
@given(b=st.integers(1, 3), i=st.integers(1, 3), j=st.integers(1, 3), k=st.integers(1, 3),
       seed=st.integers(0, 2 ** 16))
def test_einsum_batched_matmul_property(b, i, j, k, seed):
    rng = np.random.default_rng(seed)
    x, y = rng.standard_normal((b, i, j)), rng.standard_normal((b, j, k))
    out = tg.einsum('bij,bjk->bik', Tensor(x), Tensor(y))
    np.testing.assert_allclose(out.numpy(), x @ y, rtol=1e-13, atol=1e-14)
    assert tg.gradcheck(lambda p, q: tg.einsum('bij,bjk->bik', p, q),
                        (Tensor(x, requires_grad=True), Tensor(y, requires_grad=True)))


# ---------------------------------------------------------------- logic, bits, comparisons
def test_logical_bitwise_and_comparisons():
    a, b = Tensor([1.0, 0.0, 2.0, 0.0]), Tensor([2, 0, 0, 5])
    assert tg.logical_and(a, b).numpy().tolist() == [True, False, False, False]
    assert tg.logical_or(a, b).numpy().tolist() == [True, False, True, True]
    assert tg.logical_xor(a, b).numpy().tolist() == [False, False, True, True]
    assert tg.logical_not(a).numpy().tolist() == [False, True, False, True]
    i, j = Tensor([12, -7, 5]), Tensor([10, 3, 0])
    assert tg.bitwise_and(i, j).numpy().tolist() == [8, 1, 0]
    assert tg.bitwise_or(i, j).numpy().tolist() == [14, -5, 5]
    assert tg.bitwise_xor(i, 1).numpy().tolist() == [13, -8, 4]
    assert tg.bitwise_not(i).numpy().tolist() == [-13, 6, -6]
    assert tg.bitwise_and(Tensor([3]), Tensor([True])).dtype == np.int64
    assert tg.bitwise_xor(Tensor([True, False]), Tensor([True, True])).numpy().tolist() == [0, 1]
    assert tg.bitwise_right_shift(Tensor([-7, 8]), Tensor([1, 2])).numpy().tolist() == [-4, 2]
    assert tg.bitwise_left_shift(Tensor([3]), 62).numpy().tolist() == [-4611686018427387904]
    assert (Tensor([1, 2]) << 2).numpy().tolist() == [4, 8]
    assert (Tensor([-8]) >> 1).numpy().tolist() == [-4]
    for fn in (tg.bitwise_and, tg.bitwise_left_shift):
        with pytest.raises(NotImplementedError):
            fn(Tensor([1.0]), Tensor([1.0]))
    with pytest.raises(NotImplementedError):
        tg.bitwise_left_shift(Tensor([True]), 1)
    x, y = Tensor([1.0, 2.0, 3.0]), Tensor([2.0, 2.0, 2.0])
    for name, op in (('greater', np.greater), ('greater_equal', np.greater_equal),
                     ('less', np.less), ('less_equal', np.less_equal),
                     ('not_equal', np.not_equal)):
        np.testing.assert_array_equal(getattr(tg, name)(x, y).numpy(), op(x.numpy(), y.numpy()))
    with pytest.raises(RuntimeError, match='broadcast'):
        tg.greater(tg.ones(2, 3), tg.ones(4))
    with pytest.raises(RuntimeError, match='broadcast'):
        tg.logical_and(tg.ones(2, 3), tg.ones(4))
    np.testing.assert_array_equal(tg.true_divide(Tensor([1, 3]), Tensor([2, 2])).numpy(),
                                  [0.5, 1.5])


def test_isclose():
    inf, nan = np.inf, np.nan
    a = Tensor([1.0, 1e-9, inf, -inf, nan])
    b = Tensor([1.0 + 1e-6, 0.0, inf, inf, nan])
    assert tg.isclose(a, b).numpy().tolist() == [True, True, True, False, False]
    assert tg.isclose(a, b, equal_nan=True).numpy().tolist()[-1]
    assert tg.isclose(a, b, rtol=0, atol=0).numpy().tolist() == [False, False, True, False, False]
    assert tg.isclose(Tensor([1, 2]), Tensor([1, 3])).numpy().tolist() == [True, False]
    with pytest.raises(RuntimeError, match='dtype'):
        tg.isclose(tg.ones(2), tg.ones(2, dtype=tg.float64))


# ---------------------------------------------------------------- in-place forms
INPLACE_UNARY = ('abs exp log sqrt rsqrt sin cos tanh sigmoid relu neg reciprocal square floor '
                 'ceil round trunc sign log1p expm1 tan asin acos atan sinh cosh asinh acosh atanh '
                 'erf erfc erfinv exp2 log2 log10 logit sinc deg2rad rad2deg frac fix sgn absolute '
                 'negative nan_to_num arcsin arccos arctan arcsinh arctanh').split()


@pytest.mark.parametrize('dtype', [np.float32, np.float64])
def test_inplace_unary_match_out_of_place(dtype, rng):
    a = rng.uniform(0.1, 0.9, (2, 3)).astype(dtype)
    for name in INPLACE_UNARY:
        x = Tensor(a.copy())
        data = x.data
        assert getattr(x, name + '_')() is x, name
        assert x.dtype == dtype and x.data is data, name          # written into the same memory
        np.testing.assert_array_equal(x.numpy(), getattr(Tensor(a), name)().numpy(), err_msg=name)
    x = Tensor(np.array([2.0, -1.0], dtype))
    for call, want in ((lambda t: t.pow_(2), [4, 1]), (lambda t: t.clamp_(0.5, 2), [2, 0.5]),
                       (lambda t: t.clip_(min=1), [2, 1]), (lambda t: t.clamp_min_(3), [3, 3]),
                       (lambda t: t.clamp_max_(-1), [-1, -1]),
                       (lambda t: t.masked_fill_(Tensor([True, False]), 7.0), [7, -1]),
                       (lambda t: t.atan2_(Tensor([1.0, 1.0], dtype=dtype)),
                        np.arctan2([2, -1], 1)),
                       (lambda t: t.lerp_(Tensor([4.0, 1.0], dtype=dtype), 0.5), [3, 0]),
                       (lambda t: t.addcmul_(Tensor([1.0, 2.0], dtype=dtype),
                                             Tensor(np.array(3.0, dtype)), value=2),
                        [8, 11]),
                       (lambda t: t.xlogy_(2.0), [2 * math.log(2), -math.log(2)]),
                       (lambda t: t.fmod_(1.5), [0.5, -1]),
                       (lambda t: t.copysign_(-1.0), [-2, -1]),
                       (lambda t: t.hypot_(Tensor([0.0, 0.0], dtype=dtype)), [2, 1]),
                       (lambda t: t.logical_and_(Tensor([1.0, 0.0], dtype=dtype)), [1, 0]),
                       (lambda t: t.eq_(2.0), [1, 0]), (lambda t: t.greater_(0.0), [1, 0])):
        y = Tensor(x.numpy().copy())
        assert call(y) is y and y.dtype == dtype
        np.testing.assert_allclose(y.numpy(), want, rtol=1e-6)
    m = Tensor(np.zeros((2, 2), dtype))
    m.addmm_(Tensor(np.ones((2, 3), dtype)), Tensor(np.ones((3, 2), dtype)), beta=2, alpha=0.5)
    np.testing.assert_array_equal(m.numpy(), np.full((2, 2), 1.5))


def test_inplace_integer_and_bitwise_forms():
    i = Tensor([5, -3])
    assert i.bitwise_and_(Tensor([4, 1])) is i and i.numpy().tolist() == [4, 1]
    i.bitwise_left_shift_(1)
    assert i.numpy().tolist() == [8, 2] and i.dtype == np.int64
    i.neg_()
    assert i.numpy().tolist() == [-8, -2]
    i.abs_().fmod_(3)
    assert i.numpy().tolist() == [2, 2]
    i.masked_fill_(Tensor([True, False]), 0.7)        # the value is cast to self's dtype
    assert i.numpy().tolist() == [0, 2] and i.dtype == np.int64


def test_inplace_errors_leave_the_tensor_unchanged():
    i = Tensor([1, 2])
    for call in (lambda: i.exp_(), lambda: i.sqrt_(), lambda: i.atan2_(Tensor([1.0, 1.0])),
                 lambda: i.lerp_(Tensor([1, 2]), 0.5), lambda: i.clamp_(0.5, 1.5)):
        with pytest.raises((RuntimeError, NotImplementedError)):
            call()
    assert i.numpy().tolist() == [1, 2] and i.dtype == np.int64
    x = tg.ones(3)
    with pytest.raises(RuntimeError, match='addmm_'):
        x.addmm_(tg.ones(2, 3), tg.ones(3, 3))                    # the result is (2, 3)
    with pytest.raises(RuntimeError, match='float_power_'):
        x.float_power_(2)
    leaf = tg.ones(3, requires_grad=True)
    with pytest.raises(RuntimeError, match='leaf'):
        leaf.tan_()
    assert x.numpy().tolist() == [1, 1, 1]
    d = tg.ones(2, dtype=tg.float64)
    assert d.float_power_(2) is d and d.dtype == np.float64


def test_inplace_in_a_graph_is_differentiated(rng):
    a = rng.uniform(0.1, 0.5, (3,))
    x = Tensor(a, requires_grad=True)
    y = x * 2
    y.tan_().erf_().lerp_(x, 0.25)             # y = lerp(erf(tan(2x)), x, 0.25)
    assert y.grad_fn is not None
    y.sum().backward()
    t = np.tan(2 * a)
    slope = 2 / np.sqrt(np.pi) * np.exp(-t * t) * 2 / np.cos(2 * a) ** 2
    np.testing.assert_allclose(x.grad.numpy(), 0.75 * slope + 0.25, rtol=1e-12)
    # a tensor saved for backward and then changed in place makes backward raise
    w = Tensor(a, requires_grad=True)
    c = Tensor(a.copy())
    z = (w * c).sum()
    c.exp_()
    with pytest.raises(RuntimeError, match='inplace'):
        z.backward()
    # function forms of in-place ops exist as in PyTorch
    v = Tensor([0.0, 1.0])
    assert tg.sigmoid_(v) is v and v.numpy()[0] == 0.5
