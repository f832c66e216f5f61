"""nn.functional: activations, linear/bilinear, normalisation, dropout, embedding, one_hot.

Float64 gradient checks (first and, for the fused ops, second order), hypothesis
property tests over shapes and options, and a few reference values computed with
PyTorch 2.13 where a hand derivation would be long (said so where used).
"""
import math

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import tinygrad_cnn as tg
import tinygrad_cnn.nn.functional as F
from tinygrad_cnn.testing import strategies as tst


def t64(array, requires_grad=True):
    return tg.tensor(np.asarray(array, dtype=np.float64), requires_grad=requires_grad)


def away_from_zero(shape, seed=0, margin=0.1):
    """float64 values with |v| >= margin, to keep piecewise functions off their kinks."""
    a = np.random.default_rng(seed).standard_normal(shape)
    return t64(a + margin * np.sign(a))


POINTS = [-2.0, -0.5, 0.3, 1.7]


# ---------------------------------------------------------------- activations
def test_activation_values_by_hand():
    x = tg.tensor([-3.0, -1.0, 0.5, 7.0])
    assert F.relu(x).tolist() == [0, 0, 0.5, 7]
    assert F.relu6(x).tolist() == [0, 0, 0.5, 6]
    assert F.hardtanh(x, -2.0, 2.0).tolist() == [-2, -1, 0.5, 2]
    np.testing.assert_allclose(F.leaky_relu(x, 0.1).numpy(), [-0.3, -0.1, 0.5, 7])
    np.testing.assert_allclose(F.elu(x).numpy(), [math.expm1(-3), math.expm1(-1), 0.5, 7],
                               rtol=1e-6)
    np.testing.assert_allclose(F.silu(x).numpy(), x.numpy() / (1 + np.exp(-x.numpy())),
                               rtol=1e-6)
    np.testing.assert_allclose(F.softplus(x).numpy(), np.log1p(np.exp(x.numpy())), rtol=1e-6)
    np.testing.assert_allclose(F.sigmoid(x).numpy(), 1 / (1 + np.exp(-x.numpy())), rtol=1e-6)
    np.testing.assert_allclose(F.tanh(x).numpy(), np.tanh(x.numpy()), rtol=1e-6)


def test_activation_reference_values_from_pytorch():
    # computed with torch 2.13 (float64) at POINTS: the erf/tanh/exp forms are tedious by hand
    x = t64(POINTS, requires_grad=False)
    refs = {
        'gelu': (F.gelu(x), [-0.04550026389635842, -0.15426876936299344, 0.1853734266566858,
                             1.6242387133104768]),
        'gelu tanh': (F.gelu(x, approximate='tanh'),
                      [-0.04540230591222494, -0.15428599017485606, 0.18537092354275922,
                       1.624105895551156]),
        'selu': (F.selu(x), [-1.5201664685956948, -0.6917581878028713, 0.31521029620664415,
                             1.7861916785043168]),
        'elu 0.5': (F.elu(x, 0.5), [-0.43233235838169365, -0.1967346701436833, 0.3, 1.7]),
        'softplus 2 1': (F.softplus(x, 2.0, 1.0), [0.009074963958904869, 0.15663084375911143,
                                                   0.5187439752429428, 1.7]),
    }
    for name, (out, expected) in refs.items():
        np.testing.assert_allclose(out.numpy(), expected, rtol=1e-13, err_msg=name)


def test_softplus_is_stable_for_large_inputs():
    x = tg.tensor([-1000.0, 1000.0, 15.0], requires_grad=True)
    y = F.softplus(x, beta=1.0, threshold=20.0)
    y.sum().backward()
    assert np.isfinite(y.numpy()).all() and np.isfinite(x.grad.numpy()).all()
    np.testing.assert_allclose(y.numpy(), [0.0, 1000.0, 15.0 + math.log1p(math.exp(-15))])
    np.testing.assert_allclose(x.grad.numpy(), [0.0, 1.0, 1 / (1 + math.exp(-15))], rtol=1e-6)
    big = tg.tensor([100.0], requires_grad=True)
    F.elu(big).sum().backward()            # exp(100) in the unused branch must not leak NaN
    assert big.grad.tolist() == [1.0]


def test_gelu_and_elu_edge_inputs():
    x = tg.tensor(1.0)                     # 0-d input: exact gelu needs an array from erf
    assert F.gelu(x).item() == pytest.approx(0.5 * (1 + math.erf(1 / math.sqrt(2))), rel=1e-7)
    # elu'(x) = alpha exp(x) for x < 0, exact even where y + alpha would cancel
    z = tg.tensor([-20.0, -50.0], dtype=tg.float32, requires_grad=True)
    F.elu(z, alpha=2.0).sum().backward()
    np.testing.assert_allclose(z.grad.numpy(), 2 * np.exp([-20.0, -50.0]), rtol=1e-6)
    F.selu(z).sum().backward()
    np.testing.assert_allclose(z.grad.numpy() - 2 * np.exp([-20.0, -50.0]),
                               1.0507009873554805 * 1.6732632423543772 * np.exp([-20.0, -50.0]),
                               rtol=1e-5)


def test_kinks_follow_pytorch():
    x = tg.tensor([0.0, 6.0, -1.0, 1.0], requires_grad=True)
    F.relu6(x).sum().backward()           # hardtanh's gradient is 0 at the corners
    assert x.grad.tolist() == [0, 0, 0, 1]
    y = tg.tensor([0.0], requires_grad=True)
    F.leaky_relu(y, 0.2).sum().backward()
    assert y.grad.tolist() == [pytest.approx(0.2)]


ACTIVATIONS = [
    ('relu', F.relu), ('relu6', lambda x: F.relu6(x * 4)), ('leaky_relu', F.leaky_relu),
    ('leaky_relu 0.3', lambda x: F.leaky_relu(x, 0.3, inplace=True)),
    ('elu', lambda x: F.elu(x, 0.7)), ('selu', F.selu), ('gelu', F.gelu),
    ('gelu tanh', lambda x: F.gelu(x, approximate='tanh')), ('silu', F.silu),
    ('softplus', lambda x: F.softplus(x, 2.0, 1.0)), ('sigmoid', F.sigmoid), ('tanh', F.tanh),
    ('hardtanh', lambda x: F.hardtanh(x, -0.6, 0.8)), ('softmax', lambda x: F.softmax(x, 1)),
    ('log_softmax', lambda x: F.log_softmax(x, dim=0)),
    ('softmax dtype', lambda x: F.softmax(x, -1, dtype=tg.float64)),
    ('celu', lambda x: F.celu(x, 0.6)), ('mish', F.mish), ('logsigmoid', F.logsigmoid),
    ('hardsigmoid', lambda x: F.hardsigmoid(x * 4)), ('hardswish', lambda x: F.hardswish(x * 4)),
    ('softsign', F.softsign), ('tanhshrink', F.tanhshrink),
    ('threshold', lambda x: F.threshold(x, 0.05, -2.0)), ('glu', lambda x: F.glu(x[:, :2])),
    ('glu dim 0', lambda x: F.glu(x[1:], 0)), ('softmin', lambda x: F.softmin(x, 1)),
]


@pytest.mark.parametrize('name, fn', ACTIVATIONS)
def test_gradcheck_activations(name, fn):
    assert tg.gradcheck(fn, (away_from_zero((3, 4)),))


@pytest.mark.parametrize('name, fn', [a for a in ACTIVATIONS
                                      if a[0] in ('elu', 'selu', 'gelu', 'softplus', 'silu',
                                                  'celu', 'mish', 'logsigmoid', 'hardswish',
                                                  'softsign', 'tanhshrink', 'glu', 'softmin')])
def test_gradgradcheck_smooth_activations(name, fn):
    assert tg.gradgradcheck(fn, (away_from_zero((2, 3), seed=1),))


@settings(deadline=None, max_examples=15)
@given(tst.arrays(tst.shapes(max_dims=3), low=-6, high=6),
       st.floats(0.01, 0.5), st.floats(0.1, 2.0))
def test_activation_properties(a, slope, alpha):
    x = tg.tensor(a)
    assert F.relu6(x).numpy().min() >= 0 and F.relu6(x).numpy().max() <= 6
    np.testing.assert_allclose(F.leaky_relu(x, slope).numpy(), np.where(a > 0, a, slope * a))
    elu = F.elu(x, alpha).numpy()
    assert (elu >= -alpha).all() and (elu[a > 0] == a[a > 0]).all()
    sp = F.softplus(x).numpy()
    assert (sp >= np.maximum(a, 0)).all() and (sp <= np.maximum(a, 0) + math.log(2) + 1e-12).all()
    gelu = F.gelu(x).numpy()                 # x * Phi(x): between min(x, 0) and max(x, 0)
    assert (gelu <= np.maximum(a, 0)).all() and (gelu >= np.minimum(a, 0)).all()
    np.testing.assert_allclose(F.gelu(x, approximate='tanh').numpy(), gelu, atol=2e-3)
    for fn in (F.relu, F.elu, F.selu, F.gelu, F.silu, F.softplus, F.hardtanh):
        assert fn(x).shape == x.shape and fn(x).dtype == np.float64


def test_activation_argument_errors():
    with pytest.raises(ValueError, match="approximate must be 'none' or 'tanh'"):
        F.gelu(tg.zeros(1), approximate='fast')
    with pytest.raises(ValueError, match='min_val'):
        F.hardtanh(tg.zeros(1), 1.0, -1.0)


def test_softmax_implicit_dim_follows_pytorch():
    with pytest.warns(UserWarning, match='Implicit dimension choice for log_softmax'):
        out = F.log_softmax(tg.zeros(3, 2, 4))
    np.testing.assert_allclose(out.numpy(), np.log(1 / 3), rtol=1e-6)   # 3-d input: dim 0
    with pytest.warns(UserWarning):
        np.testing.assert_allclose(F.softmax(tg.zeros(5)).numpy(), 0.2, rtol=1e-6)
    with pytest.warns(UserWarning):
        np.testing.assert_allclose(F.softmax(tg.zeros(3, 2, 2, 2)).numpy(), 0.5)   # 4-d: dim 1


def sigmoid_np(a):
    return 1 / (1 + np.exp(-a))


def test_more_activations_match_numpy():
    a = np.array([[-30.0, -3.0, -2.5, -0.4], [0.0, 0.7, 3.0, 25.0]])
    x = t64(a, requires_grad=False)
    refs = {
        'logsigmoid': (F.logsigmoid(x), np.log(sigmoid_np(a))),
        'hardsigmoid': (F.hardsigmoid(x), np.clip(a + 3, 0, 6) / 6),
        'hardswish': (F.hardswish(x), a * np.clip(a + 3, 0, 6) / 6),
        'mish': (F.mish(x), a * np.tanh(np.log1p(np.exp(a)))),
        'softsign': (F.softsign(x), a / (1 + np.abs(a))),
        'tanhshrink': (F.tanhshrink(x), a - np.tanh(a)),
        'threshold': (F.threshold(x, 0.7, -5.0), np.where(a > 0.7, a, -5.0)),
        'celu': (F.celu(x, 2.0), np.where(a > 0, a, 2.0 * np.expm1(a / 2.0))),
        'glu': (F.glu(x), a[:, :2] * sigmoid_np(a[:, 2:])),
        'glu dim 0': (F.glu(x, 0), a[:1] * sigmoid_np(a[1:])),
        'softmin': (F.softmin(x, 1), np.exp(-a) / np.exp(-a).sum(1, keepdims=True)),
        'prelu': (F.prelu(x, t64([0.1], False)), np.where(a > 0, a, 0.1 * a)),
    }
    for name, (out, expected) in refs.items():
        np.testing.assert_allclose(out.numpy(), expected, rtol=1e-12, atol=1e-15, err_msg=name)
        assert out.dtype == np.float64, name
    x32 = tg.tensor(a.astype(np.float32), requires_grad=True)
    for fn in (F.logsigmoid, F.hardsigmoid, F.hardswish, F.mish, F.softsign, F.tanhshrink,
               lambda v: F.threshold(v, 1, 2), F.celu, F.glu, lambda v: F.softmin(v, 0),
               lambda v: F.prelu(v, tg.tensor([0.2]))):
        out = fn(x32)
        out.sum().backward()
        assert out.dtype == np.float32 and x32.grad.dtype == np.float32
        x32.grad = None


def test_more_activation_kinks_follow_pytorch():
    x = tg.tensor([-3.0, 3.0, 0.0, -4.0, 4.0], dtype=tg.float64, requires_grad=True)
    F.hardswish(x).sum().backward()         # slope 0 up to -3, x/3 + 1/2 inside, 1 from 3
    assert x.grad.tolist() == [0.0, 1.0, 0.5, 0.0, 1.0]
    x.grad = None
    F.hardsigmoid(x).sum().backward()       # 1/6 strictly between -3 and 3
    assert x.grad.tolist() == [0.0, 0.0, 1 / 6, 0.0, 0.0]
    x.grad = None
    F.threshold(x, 3.0, 0.0).sum().backward()     # at the threshold: the constant branch
    assert x.grad.tolist() == [0.0, 0.0, 0.0, 0.0, 1.0]
    x.grad = None
    F.prelu(x, t64([0.3], False)).sum().backward()  # at 0: the negative slope
    np.testing.assert_allclose(x.grad.numpy(), [0.3, 1.0, 0.3, 0.3, 1.0])
    x.grad = None
    F.celu(x, 0.5).sum().backward()         # celu' is continuous: 1 at 0
    np.testing.assert_allclose(x.grad.numpy(), [math.exp(-6), 1, 1, math.exp(-8), 1])
    x.grad = None
    F.softsign(x).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 1 / (1 + np.abs(x.numpy())) ** 2)


def test_logsigmoid_is_stable_and_precise_in_both_tails():
    x = tg.tensor([-1000.0, -20.0, 20.0, 1000.0], requires_grad=True)   # float32
    y = F.logsigmoid(x)
    y.sum().backward()
    np.testing.assert_allclose(y.numpy(), [-1000.0, -20.0, -math.exp(-20), 0.0], rtol=1e-6)
    # sigmoid(-20) ~ 2e-9 keeps its relative precision (1 - sigmoid(20) would round to 0)
    np.testing.assert_allclose(x.grad.numpy(), [1.0, 1.0, math.exp(-20), 0.0], rtol=1e-6)


def test_gradcheck_prelu_input_and_weight():
    rng = np.random.default_rng(3)
    x = away_from_zero((2, 3, 2), seed=3)
    assert tg.gradcheck(F.prelu, (x, t64(rng.uniform(0, 0.5, 3))))      # one slope per channel
    assert tg.gradcheck(F.prelu, (x, t64([0.25])))                      # one shared slope
    assert tg.gradcheck(F.prelu, (away_from_zero((4,)), t64(0.1)))      # 0-d weight, 1-d input
    assert tg.gradgradcheck(lambda x, w: F.prelu(x, w) ** 2, (x, t64([0.25])))


@settings(deadline=None, max_examples=15)
@given(tst.arrays(tst.shapes(max_dims=3), low=-6, high=6), st.floats(0.1, 3.0),
       st.floats(0.0, 0.5))
def test_more_activation_properties(a, alpha, slope):
    x = tg.tensor(a)
    np.testing.assert_allclose(F.hardswish(x).numpy(), (x * F.hardsigmoid(x)).numpy(),
                               rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(F.logsigmoid(x).numpy(), -F.softplus(-x).numpy(), rtol=1e-12)
    # celu(x, alpha) = alpha * celu(x / alpha, 1), and celu(x, 1) = elu(x)
    np.testing.assert_allclose(F.celu(x, alpha).numpy(), alpha * F.celu(x / alpha).numpy(),
                               rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(F.celu(x).numpy(), F.elu(x).numpy(), rtol=1e-15)
    np.testing.assert_allclose(F.prelu(x, t64([slope], False)).numpy(),
                               F.leaky_relu(x, slope).numpy(), rtol=1e-15)
    assert (np.abs(F.softsign(x).numpy()) < 1).all()
    mish = F.mish(x).numpy()                 # between min(x, 0) - 0.31 and max(x, 0)
    assert (mish <= np.maximum(a, 0)).all() and (mish >= np.minimum(a, 0) - 0.31).all()
    soft = F.softmin(x, -1).numpy()
    np.testing.assert_allclose(soft, F.softmax(-x, -1).numpy(), rtol=1e-15)
    np.testing.assert_allclose(soft.sum(-1), 1.0, rtol=1e-12)
    doubled = tg.cat([x, x], -1)             # glu of [a, a] is a * sigmoid(a) = silu(a)
    np.testing.assert_allclose(F.glu(doubled).numpy(), F.silu(x).numpy(), rtol=1e-12)


def test_more_activation_argument_errors():
    with pytest.raises(RuntimeError, match='glu: halving dimension must be even, but dimension '
                                           '1 is size 3'):
        F.glu(tg.zeros(2, 3), 1)
    with pytest.raises(RuntimeError, match='glu: does not support scalars'):
        F.glu(tg.tensor(1.0))
    with pytest.raises(RuntimeError, match='celu: alpha cannot be 0'):
        F.celu(tg.zeros(2), 0.0)
    with pytest.raises(RuntimeError, match=r'prelu: expected weight with 1 element or one per '
                                           r'channel .* weight.shape=\(2,\) for input.shape='
                                           r'\(2, 3\)'):
        F.prelu(tg.zeros(2, 3), tg.zeros(2))
    with pytest.raises(RuntimeError, match='prelu: expected weight to be a scalar or 1-D'):
        F.prelu(tg.zeros(2, 3), tg.zeros(3, 1))
    with pytest.raises(RuntimeError, match='prelu: expected input and weight of the same dtype'):
        F.prelu(tg.zeros(2, 3), tg.zeros(3, dtype=tg.float64))
    with pytest.warns(UserWarning, match='Implicit dimension choice for softmin'):
        np.testing.assert_allclose(F.softmin(tg.zeros(4)).numpy(), 0.25)


# ---------------------------------------------------------------- linear, bilinear
def test_linear_is_x_wt_plus_b():
    x = tg.tensor([[1.0, 2.0], [3.0, 4.0]])
    w = tg.tensor([[1.0, 0.0], [1.0, 1.0], [0.0, -1.0]])
    b = tg.tensor([0.5, 0.0, 1.0])
    assert F.linear(x, w, b).tolist() == [[1.5, 3.0, -1.0], [3.5, 7.0, -3.0]]
    assert F.linear(x, w).tolist() == [[1.0, 3.0, -2.0], [3.0, 7.0, -4.0]]
    assert F.linear(tg.tensor([1.0, 2.0]), w, b).tolist() == [1.5, 3.0, -1.0]


def test_gradcheck_linear_and_bilinear():
    rng = np.random.default_rng(0)
    x, w, b = (t64(rng.standard_normal(s)) for s in ((2, 3, 4), (2, 4), (2,)))
    assert tg.gradcheck(lambda x, w, b: F.linear(x, w, b), (x, w, b))
    assert tg.gradgradcheck(lambda x, w, b: F.linear(x, w, b), (x, w, b))
    assert tg.gradcheck(lambda x, w: F.linear(x, w), (t64(rng.standard_normal(4)), w))
    x1, x2, wb, bb = (t64(rng.standard_normal(s)) for s in ((3, 2), (3, 3), (2, 2, 3), (2,)))
    assert tg.gradcheck(lambda a, c, w, b: F.bilinear(a, c, w, b), (x1, x2, wb, bb))


@settings(deadline=None, max_examples=20)
@given(st.lists(st.integers(1, 3), max_size=2), st.integers(1, 4), st.integers(1, 4),
       st.booleans())
def test_linear_shapes_and_values(lead, n_in, n_out, bias):
    rng = np.random.default_rng(len(lead) + n_in + n_out)
    a = rng.standard_normal((*lead, n_in)).astype(np.float32)
    wa = rng.standard_normal((n_out, n_in)).astype(np.float32)
    ba = rng.standard_normal(n_out).astype(np.float32)
    out = F.linear(tg.tensor(a), tg.tensor(wa), tg.tensor(ba) if bias else None)
    assert out.shape == (*lead, n_out) and out.dtype == np.float32
    np.testing.assert_allclose(out.numpy(), a @ wa.T + (ba if bias else 0), rtol=1e-5, atol=1e-6)
    bil = F.bilinear(tg.tensor(a), tg.tensor(a), tg.tensor(np.stack([wa.T @ wa] * 2)))
    np.testing.assert_allclose(bil.numpy()[..., 0], np.einsum('...i,ij,...j->...', a, wa.T @ wa, a),
                               rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("bias_shape", [(1,), (), (2, 3), (2, 1), (1, 3)])
def test_linear_bias_may_broadcast_to_the_output(bias_shape):
    # PyTorch adds any bias that broadcasts to (*, out) without enlarging it
    rng = np.random.default_rng(1)
    x, w, b = (t64(rng.standard_normal(s)) for s in ((2, 4), (3, 4), bias_shape))
    np.testing.assert_allclose(F.linear(x, w, b).numpy(),
                               x.numpy() @ w.numpy().T + b.numpy(), rtol=1e-12)
    assert tg.gradcheck(lambda x, w, b: F.linear(x, w, b), (x, w, b))
    with pytest.raises(RuntimeError, match=r'bias of shape \(3,\)'):
        F.linear(x, w, t64(rng.standard_normal((5, 2, 3))))


def test_linear_errors_name_the_shapes():
    with pytest.raises(RuntimeError,
                       match=r'linear: .*input.shape=\(2, 3\) and weight.shape=\(4, 2\)'):
        F.linear(tg.zeros(2, 3), tg.zeros(4, 2))
    with pytest.raises(RuntimeError, match=r'bias of shape \(4,\)'):
        F.linear(tg.zeros(2, 3), tg.zeros(4, 3), tg.zeros(3))
    with pytest.raises(RuntimeError, match='same dtype'):
        F.linear(tg.zeros(2, 3, dtype=tg.float64), tg.zeros(4, 3))
    with pytest.raises(RuntimeError, match='bilinear'):
        F.bilinear(tg.zeros(2, 3), tg.zeros(2, 3), tg.zeros(1, 2, 3))


# ---------------------------------------------------------------- normalisation
def test_gradcheck_batch_norm_training_and_eval():
    rng = np.random.default_rng(1)
    x = t64(rng.standard_normal((3, 2, 2)))
    w, b = t64(rng.standard_normal(2)), t64(rng.standard_normal(2))
    rm, rv = t64([0.5, -1.0], False), t64([2.0, 0.5], False)
    train = lambda x, w, b: F.batch_norm(x, None, None, w, b, training=True)    # noqa: E731
    assert tg.gradcheck(train, (x, w, b))
    assert tg.gradgradcheck(train, (x, w, b))
    assert tg.gradcheck(lambda x: F.batch_norm(x, None, None, training=True, eps=0.1), (x,))
    evaluate = lambda x, w, b: F.batch_norm(x, rm, rv, w, b)      # noqa: E731
    assert tg.gradcheck(evaluate, (x, w, b))


def test_batch_norm_functional_updates_running_stats_only_in_training():
    x = tg.tensor([[1.0, 10.0], [3.0, 20.0]])
    rm, rv = tg.zeros(2), tg.ones(2)
    F.batch_norm(x, rm, rv, training=True, momentum=0.5)
    np.testing.assert_allclose(rm.numpy(), [1.0, 7.5])
    np.testing.assert_allclose(rv.numpy(), [0.5 + 0.5 * 2, 0.5 + 0.5 * 50])
    F.batch_norm(x, rm, rv, training=False)
    np.testing.assert_allclose(rm.numpy(), [1.0, 7.5])
    with pytest.raises(RuntimeError, match='running_mean and running_var must be given'):
        F.batch_norm(x, None, None)


@settings(deadline=None, max_examples=20)
@given(st.integers(2, 4), st.integers(1, 3), st.lists(st.integers(1, 3), max_size=2),
       st.floats(0.0, 1.0), st.floats(1e-5, 0.1))
def test_batch_norm_training_matches_numpy(n, c, spatial, momentum, eps):
    shape = (n, c, *spatial)
    a = np.random.default_rng(n * c).standard_normal(shape) * 2 + 1
    rm0 = np.linspace(-1, 1, c)
    rm, rv = tg.tensor(rm0), tg.ones(c, dtype=tg.float64)
    y = F.batch_norm(tg.tensor(a), rm, rv, training=True, momentum=momentum, eps=eps).numpy()
    axes = (0, *range(2, len(shape)))
    mean, var = a.mean(axis=axes), a.var(axis=axes)
    bshape = (1, c) + (1,) * len(spatial)
    np.testing.assert_allclose(y, (a - mean.reshape(bshape)) / np.sqrt(var.reshape(bshape) + eps),
                               rtol=1e-9, atol=1e-12)
    count = a.size // c
    np.testing.assert_allclose(rm.numpy(), (1 - momentum) * rm0 + momentum * mean, rtol=1e-12)
    np.testing.assert_allclose(rv.numpy(), (1 - momentum) + momentum * var * count / (count - 1),
                               rtol=1e-12)


def test_gradcheck_layer_group_norm_and_normalize():
    rng = np.random.default_rng(2)
    x = t64(rng.standard_normal((2, 4, 3)))
    w, b = t64(rng.standard_normal((4, 3))), t64(rng.standard_normal((4, 3)))
    assert tg.gradcheck(lambda x, w, b: F.layer_norm(x, (4, 3), w, b), (x, w, b))
    assert tg.gradgradcheck(lambda x: F.layer_norm(x, 3), (x,))
    gw, gb = t64(rng.standard_normal(4)), t64(rng.standard_normal(4))
    assert tg.gradcheck(lambda x, w, b: F.group_norm(x, 2, w, b), (x, gw, gb))
    assert tg.gradcheck(lambda x: F.normalize(x, dim=1), (x,))
    assert tg.gradcheck(lambda x: F.normalize(x, p=1.0, dim=-1), (x,))


@settings(deadline=None, max_examples=20)
@given(st.integers(2, 4), st.integers(1, 3), st.integers(1, 3), st.floats(1e-5, 1.0))
def test_layer_norm_properties(n, d1, d2, eps):
    a = np.random.default_rng(n * d1 * d2).standard_normal((n, d1, d2 + 1)) * 3 + 1
    y = F.layer_norm(tg.tensor(a), (d1, d2 + 1), eps=eps).numpy()
    var = a.var(axis=(1, 2), keepdims=True)
    np.testing.assert_allclose(y, (a - a.mean(axis=(1, 2), keepdims=True)) / np.sqrt(var + eps),
                               rtol=1e-10, atol=1e-12)


@settings(deadline=None, max_examples=15)
@given(st.sampled_from([1, 2, 4]), st.integers(2, 3), st.integers(1, 3))
def test_group_norm_equals_layer_norm_per_group(groups, n, length):
    a = np.random.default_rng(groups * n * length).standard_normal((n, 4, length))
    y = F.group_norm(tg.tensor(a), groups).numpy().reshape(n, groups, -1)
    ref = F.layer_norm(tg.tensor(a.reshape(n, groups, -1)), 4 // groups * length).numpy()
    np.testing.assert_allclose(y, ref, rtol=1e-12, atol=1e-12)


def instance_norm_np(a, eps=1e-5):
    axes = tuple(range(2, a.ndim))
    return (a - a.mean(axis=axes, keepdims=True)) / np.sqrt(a.var(axis=axes, keepdims=True) + eps)


def test_gradcheck_instance_norm():
    rng = np.random.default_rng(4)
    x = t64(rng.standard_normal((2, 3, 4)))
    w, b = t64(rng.standard_normal(3)), t64(rng.standard_normal(3))
    assert tg.gradcheck(lambda x, w, b: F.instance_norm(x, weight=w, bias=b), (x, w, b))
    assert tg.gradgradcheck(lambda x, w: F.instance_norm(x, weight=w, eps=0.1), (x, w))
    x2 = t64(rng.standard_normal((1, 2, 2, 3)))
    assert tg.gradcheck(lambda x: F.instance_norm(x), (x2,))
    rm, rv = t64([0.5, -1.0, 0.0], False), t64([2.0, 0.5, 1.0], False)
    assert tg.gradcheck(lambda x, w, b: F.instance_norm(x, rm, rv, w, b, use_input_stats=False),
                        (x, w, b))


@settings(deadline=None, max_examples=15)
@given(st.integers(1, 3), st.integers(1, 3), st.lists(st.integers(2, 3), min_size=1, max_size=3),
       st.floats(0.0, 1.0), st.floats(1e-5, 0.1))
def test_instance_norm_matches_numpy(n, c, spatial, momentum, eps):
    shape = (n, c, *spatial)
    rng = np.random.default_rng(n * c * len(spatial))
    a = rng.standard_normal(shape) * 2 + 1
    w, b = rng.standard_normal(c), rng.standard_normal(c)
    rm0, rv0 = np.linspace(-1, 1, c), np.linspace(0.5, 2, c)
    rm, rv = tg.tensor(rm0), tg.tensor(rv0)
    y = F.instance_norm(tg.tensor(a), rm, rv, tg.tensor(w), tg.tensor(b), momentum=momentum,
                        eps=eps).numpy()
    bshape = (1, c) + (1,) * len(spatial)
    np.testing.assert_allclose(y, instance_norm_np(a, eps) * w.reshape(bshape) + b.reshape(bshape),
                               rtol=1e-9, atol=1e-12)
    # running statistics: the batch average of each instance's mean and unbiased variance
    axes = tuple(range(2, a.ndim))
    count = a[0, 0].size
    np.testing.assert_allclose(rm.numpy(), (1 - momentum) * rm0
                               + momentum * a.mean(axis=axes).mean(0), rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(rv.numpy(), (1 - momentum) * rv0 + momentum
                               * (a.var(axis=axes) * count / (count - 1)).mean(0), rtol=1e-12)
    # use_input_stats=False: a per-channel affine map with the running statistics
    out = F.instance_norm(tg.tensor(a), rm, rv, use_input_stats=False, eps=eps).numpy()
    np.testing.assert_allclose(out, (a - rm.numpy().reshape(bshape))
                               / np.sqrt(rv.numpy().reshape(bshape) + eps), rtol=1e-10)


def test_normalization_errors():
    with pytest.raises(RuntimeError, match=r'layer_norm: expected input of shape \(\*, 3\)'):
        F.layer_norm(tg.zeros(2, 4), 3)
    with pytest.raises(RuntimeError, match='layer_norm: expected weight of shape'):
        F.layer_norm(tg.zeros(2, 4), 4, weight=tg.ones(3))
    with pytest.raises(RuntimeError, match='divisible by num_groups=3'):
        F.group_norm(tg.zeros(2, 4), 3)
    with pytest.raises(ValueError, match='3 or more dimensions'):
        F.local_response_norm(tg.zeros(2, 4), 3)
    with pytest.raises(ValueError, match='instance_norm: expected more than 1 spatial element'):
        F.instance_norm(tg.zeros(2, 3, 1))
    with pytest.raises(RuntimeError, match='running_mean and running_var must be given'):
        F.instance_norm(tg.zeros(2, 3, 2), use_input_stats=False)
    with pytest.raises(RuntimeError, match=r'instance_norm: expected weight of shape \(3,\)'):
        F.instance_norm(tg.zeros(2, 3, 2), weight=tg.ones(2))


@pytest.mark.parametrize("op", [
    lambda x, p: F.batch_norm(x, None, None, p, training=True),
    lambda x, p: F.batch_norm(x, p, tg.ones(3, dtype=p.dtype)),
    lambda x, p: F.instance_norm(x, bias=p),
    lambda x, p: F.group_norm(x, 3, p),
    lambda x, p: F.layer_norm(x.transpose(1, 2), 3, p)])
def test_normalization_refuses_mixed_dtypes(op):
    # float32 input with float64 parameters (or the reverse) is an error in PyTorch, not a
    # silent computation in float64
    for x_dtype, p_dtype in ((tg.float32, tg.float64), (tg.float64, tg.float32)):
        with pytest.raises(RuntimeError, match='mixed dtype'):
            op(tg.randn(2, 3, 4, dtype=x_dtype), tg.ones(3, dtype=p_dtype))


def test_local_response_norm_reference_values_from_pytorch():
    # torch.nn.functional.local_response_norm(x, 3, alpha=0.1, beta=0.75, k=1.0), torch 2.13
    x = tg.tensor(np.arange(20.0).reshape(2, 5, 1, 2) * 0.1 - 0.5)
    expected = [-0.4957917125875428, -0.39801159581316803, -0.2974015133973965,
                -0.19900579790658396, -0.09972587933634476, 0.0, 0.09972587933634487,
                0.19900579790658407, 0.2992521808367939, 0.39801159581316803,
                0.49094523362066356, 0.5854245368768042, 0.6740458798230095,
                0.7621991222319221, 0.8473653934343585, 0.9293232774433149,
                1.0078933083098114, 1.0829374062903123, 1.2130742104849281, 1.2916924663431895]
    out = F.local_response_norm(x, 3, alpha=0.1, beta=0.75, k=1.0)
    np.testing.assert_allclose(out.numpy().ravel(), expected, rtol=1e-13, atol=1e-15)


@pytest.mark.parametrize('size', [1, 2, 5])
def test_gradcheck_local_response_norm(size):
    x = away_from_zero((2, 4, 3), seed=size)
    assert tg.gradcheck(lambda x: F.local_response_norm(x, size, alpha=0.5, beta=0.75, k=1.0),
                        (x,))


# ---------------------------------------------------------------- dropout
def test_dropout_functional_training_flag_and_scaling():
    x = tg.ones(10000)
    tg.manual_seed(0)
    y = F.dropout(x, p=0.2).numpy()
    assert set(np.unique(y)) == {0.0, np.float32(1.25)} and y.dtype == np.float32
    assert abs(y.mean() - 1.0) < 0.03          # inverted dropout keeps the expectation
    assert F.dropout(x, 0.2, training=False) is x
    with pytest.raises(ValueError, match='between 0 and 1, but got -0.1'):
        F.dropout(x, -0.1)
    with pytest.raises(ValueError, match='dropout2d: expected input of shape'):
        F.dropout2d(tg.ones(2, 3))


def test_gradcheck_dropout_with_a_fixed_mask():
    x = away_from_zero((3, 4, 2, 2))

    def fn(x):
        tg.manual_seed(1)                      # same mask on every evaluation
        return F.dropout2d(F.dropout(x, 0.3), 0.5)
    assert tg.gradcheck(fn, (x,))


@settings(deadline=None, max_examples=15)
@given(tst.shapes(min_dims=3, max_dims=4), st.floats(0.0, 0.9))
def test_dropout2d_masks_are_per_channel(shape, p):
    y = F.dropout2d(tg.ones(*shape, dtype=tg.float64), p).numpy().reshape(shape[0], shape[1], -1)
    scaled = 1 / (1 - p)
    assert (((y == 0) | np.isclose(y, scaled)).all())
    assert ((y == y[..., :1]).all())


def channel_masks(y, lead):
    """The per-channel scale factors of a channel-dropout output ``y`` of ones."""
    per_channel = y.reshape(y.shape[:lead] + (-1,))
    assert (per_channel == per_channel[..., :1]).all()      # one draw per channel
    return per_channel[..., 0]


def test_dropout1d_and_dropout3d_drop_channels_batched_or_not():
    tg.manual_seed(2)
    for fn, shape, lead in ((F.dropout1d, (8, 16, 5), 2), (F.dropout1d, (32, 5), 1),
                            (F.dropout3d, (4, 8, 2, 3, 2), 2), (F.dropout3d, (32, 2, 2, 3), 1)):
        x = tg.ones(*shape)
        y = fn(x, 0.5)
        assert y.shape == x.shape and y.dtype == np.float32
        masks = channel_masks(y.numpy(), lead)
        assert set(np.unique(masks)) == {0.0, 2.0}
        assert fn(x, 0.5, training=False) is x and fn(x, 0.0) is x
    with pytest.raises(RuntimeError, match=r'dropout1d: expected 2D \(C, L\) or 3D'):
        F.dropout1d(tg.ones(3), 0.5)
    with pytest.raises(ValueError, match='dropout3d: dropout probability has to be between'):
        F.dropout3d(tg.ones(1, 1, 1, 1), 1.5)
    # other ranks are deprecated in PyTorch: a warning, and dim 0 taken as the channels
    with pytest.warns(UserWarning, match='dropout3d: received a 3-D input'):
        y = F.dropout3d(tg.ones(16, 2, 3), 0.5).numpy()
    channel_masks(y, 1)


def test_gradcheck_dropout1d_dropout3d_with_a_fixed_mask():
    def fn(x, y):
        tg.manual_seed(3)                      # same masks on every evaluation
        return F.dropout1d(x, 0.4).sum() + F.dropout3d(y, 0.6).sum()
    assert tg.gradcheck(fn, (away_from_zero((2, 3, 2)), away_from_zero((3, 2, 1, 2), seed=1)))


@settings(deadline=None, max_examples=15)
@given(st.sampled_from([(F.dropout1d, 2), (F.dropout1d, 3), (F.dropout3d, 4), (F.dropout3d, 5)]),
       st.data(), st.floats(0.0, 0.9))
def test_channel_dropout_masks_and_scales_values_and_gradients(op, data, p):
    fn, ndim = op
    shape = data.draw(tst.shapes(min_dims=ndim, max_dims=ndim))
    x = tg.ones(*shape, dtype=tg.float64, requires_grad=True)
    y = fn(x, p)
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), y.numpy())   # the mask scales the gradient
    masks = channel_masks(y.numpy(), 2 if ndim in (3, 5) else 1)
    assert ((masks == 0) | np.isclose(masks, 1 / (1 - p))).all()


# ---------------------------------------------------------------- embedding, one_hot
def test_embedding_values_and_gradients():
    w = t64(np.arange(12.0).reshape(4, 3))
    idx = tg.tensor([[1, 3], [1, 0]])
    out = F.embedding(idx, w)
    assert out.shape == (2, 2, 3) and out.tolist()[0][1] == [9.0, 10.0, 11.0]
    out.sum().backward()
    assert w.grad.numpy()[:, 0].tolist() == [1, 2, 0, 1]       # row 1 read twice
    w.grad = None
    F.embedding(idx, w, padding_idx=1).sum().backward()
    assert w.grad.numpy()[:, 0].tolist() == [1, 0, 0, 1]
    w.grad = None
    F.embedding(idx, w, scale_grad_by_freq=True).sum().backward()
    assert w.grad.numpy()[:, 0].tolist() == [1, 1, 0, 1]
    assert tg.gradcheck(lambda w: F.embedding(idx, w), (w,))
    assert tg.gradgradcheck(lambda w: F.embedding(idx, w) ** 2, (w,))


def test_embedding_max_norm_renormalises_looked_up_rows_in_place():
    w = tg.tensor([[3.0, 4.0], [0.3, 0.4], [6.0, 8.0]])
    F.embedding(tg.tensor([0, 1]), w, max_norm=1.0)
    np.testing.assert_allclose(np.linalg.norm(w.numpy(), axis=1), [1.0, 0.5, 10.0], rtol=1e-6)


def test_embedding_errors():
    w = tg.zeros(4, 2)
    with pytest.raises(RuntimeError, match='integer indices'):      # as torch
        F.embedding(tg.tensor([0.0]), w)
    with pytest.raises(IndexError, match=r'indices must be in \[0, 4\)'):
        F.embedding(tg.tensor([-1, 2]), w)


def test_one_hot():
    out = F.one_hot(tg.tensor([[0, 2], [1, 2]]))
    assert out.dtype == np.int64 and out.shape == (2, 2, 3)
    assert out.tolist() == [[[1, 0, 0], [0, 0, 1]], [[0, 1, 0], [0, 0, 1]]]
    assert F.one_hot(tg.tensor([1]), num_classes=4).tolist() == [[0, 1, 0, 0]]
    with pytest.raises(RuntimeError, match='smaller than num_classes=2'):
        F.one_hot(tg.tensor([2]), 2)
    with pytest.raises(RuntimeError, match='non-negative'):
        F.one_hot(tg.tensor([-1]), 3)
    with pytest.raises(RuntimeError, match='integer dtype'):      # as torch
        F.one_hot(tg.tensor([1.0]))


@settings(deadline=None, max_examples=15)
@given(tst.shapes(min_dims=1, max_dims=3), st.integers(1, 6))
def test_one_hot_inverts_argmax(shape, classes):
    idx = np.random.default_rng(classes).integers(0, classes, shape)
    out = F.one_hot(tg.tensor(idx), classes)
    assert out.shape == (*shape, classes) and (out.numpy().sum(-1) == 1).all()
    np.testing.assert_array_equal(out.argmax(-1).numpy(), idx)
