"""Hardshrink, Softshrink, RReLU, Softmax2d, gumbel_softmax, the in-place functional forms,
AlphaDropout/FeatureAlphaDropout and RMSNorm: references, gradients, reprs, errors."""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import tinygrad_cnn as tg
import tinygrad_cnn.nn as nn
import tinygrad_cnn.nn.functional as F
from tinygrad_cnn.testing import strategies as tst

X = np.array([-2.0, -0.5, -0.3, 0.0, 0.3, 0.5, 0.7, 2.0])


def test_shrink_values_and_reprs():
    np.testing.assert_array_equal(F.hardshrink(tg.tensor(X)).numpy(),
                                  [-2.0, 0, 0, 0, 0, 0, 0.7, 2.0])     # |x| <= 0.5 -> 0
    np.testing.assert_allclose(F.softshrink(tg.tensor(X), 0.3).numpy(),
                               [-1.7, -0.2, 0, 0, 0, 0.2, 0.4, 1.7], atol=1e-15)
    assert repr(nn.Hardshrink()) == 'Hardshrink(0.5)'
    assert repr(nn.Softshrink(0.3)) == 'Softshrink(0.3)'
    assert F.softshrink(tg.randn(3)).dtype == tg.float32
    with pytest.raises(RuntimeError, match='lambda must be in range'):
        F.softshrink(tg.randn(3), -1.0)


@settings(max_examples=20, deadline=None)
@given(x=tst.tensors(tst.shapes(max_dims=2), requires_grad=True), lambd=st.floats(0.0, 1.5))
def test_shrink_gradients(x, lambd):
    tst.assume(np.abs(np.abs(x.numpy()) - lambd).min() > 1e-3)       # away from the kinks
    assert tg.gradcheck(lambda t: F.hardshrink(t, lambd), (x,))
    assert tg.gradcheck(lambda t: nn.Softshrink(lambd)(t), (x,))
    np.testing.assert_array_equal(F.softshrink(x, lambd).numpy(),
                                  np.sign(x.numpy()) * np.maximum(np.abs(x.numpy()) - lambd, 0))


def test_rrelu_eval_train_and_inplace():
    x = tg.tensor(X, requires_grad=True)
    np.testing.assert_allclose(F.rrelu(x).numpy(), np.where(X > 0, X, X * (1 / 8 + 1 / 3) / 2))
    tg.manual_seed(0)
    big = tg.randn(5000, requires_grad=True)
    y = nn.RReLU(0.1, 0.3)(big)                 # a module is in training mode by default
    y.sum().backward()
    neg = big.numpy() < 0
    slopes = y.numpy()[neg] / big.numpy()[neg]
    assert 0.1 <= slopes.min() and slopes.max() <= 0.3 and slopes.std() > 0.05
    np.testing.assert_allclose(big.grad.numpy()[neg], slopes, rtol=1e-6)
    np.testing.assert_array_equal(big.grad.numpy()[~neg], 1)
    assert repr(nn.RReLU()) == 'RReLU(lower=0.125, upper=0.3333333333333333)'
    assert repr(nn.RReLU(0.1, 0.2, True)) == 'RReLU(lower=0.1, upper=0.2, inplace=True)'
    with pytest.raises(RuntimeError, match='Lower bound'):
        F.rrelu(x, 0.5, 0.1)


def test_softmax2d():
    x = np.random.default_rng(0).standard_normal((2, 3, 4, 5))
    y = nn.Softmax2d()(tg.tensor(x)).numpy()
    np.testing.assert_allclose(y, np.exp(x) / np.exp(x).sum(1, keepdims=True))
    assert nn.Softmax2d()(tg.tensor(x[0])).shape == (3, 4, 5)
    with pytest.raises(ValueError, match='3D or 4D'):
        nn.Softmax2d()(tg.randn(2, 3))


def test_gumbel_softmax():
    tg.manual_seed(0)
    logits = tg.tensor(np.log([[0.1, 0.6, 0.3]] * 4000), requires_grad=True)
    soft = F.gumbel_softmax(logits, tau=0.5)
    np.testing.assert_allclose(soft.numpy().sum(-1), 1, rtol=1e-12)
    hard = F.gumbel_softmax(logits, hard=True)
    assert set(np.unique(hard.numpy())) == {0.0, 1.0}
    np.testing.assert_array_equal(hard.numpy().sum(-1), 1)
    # argmax of logits + Gumbel noise samples the softmax distribution
    np.testing.assert_allclose(hard.numpy().mean(0), [0.1, 0.6, 0.3], atol=0.03)
    (hard * tg.tensor([1., 2., 3.], dtype=tg.float64)).sum().backward()   # straight-through
    assert np.abs(logits.grad.numpy()).sum() > 0


@pytest.mark.parametrize('name,args,fn', [
    ('relu_', (), lambda x: np.maximum(x, 0)),
    ('leaky_relu_', (0.2,), lambda x: np.where(x > 0, x, 0.2 * x)),
    ('hardtanh_', (-0.5, 0.8), lambda x: np.clip(x, -0.5, 0.8)),
    ('threshold_', (0.1, 2.0), lambda x: np.where(x > 0.1, x, 2.0)),
    ('elu_', (0.7,), lambda x: np.where(x > 0, x, 0.7 * np.expm1(x))),
    ('celu_', (1.3,), lambda x: np.where(x > 0, x, 1.3 * np.expm1(x / 1.3))),
    ('selu_', (), lambda x: 1.0507009873554805 * np.where(x > 0, x,
                                                          1.6732632423543772 * np.expm1(x))),
    ('rrelu_', (), lambda x: np.where(x > 0, x, x * (1 / 8 + 1 / 3) / 2)),
])
def test_inplace_forms(name, args, fn):
    x = tg.tensor(X.copy())
    assert getattr(F, name)(x, *args) is x
    np.testing.assert_allclose(x.numpy(), fn(X), rtol=1e-12)
    leaf = tg.tensor(X + 0.05, requires_grad=True)          # away from the kinks
    with pytest.raises(RuntimeError, match='leaf Variable'):
        getattr(F, name)(leaf, *args)
    # inside a graph the change is recorded: the gradient is that of the function
    assert tg.gradcheck(lambda t: getattr(F, name)(t * 1, *args), (leaf,))


def test_alpha_dropout_keeps_mean_and_variance():
    tg.manual_seed(0)
    x = tg.randn(200000, dtype=tg.float64)
    for p in (0.2, 0.5):
        y = F.alpha_dropout(x, p, training=True).numpy()
        assert abs(y.mean()) < 0.01 and abs(y.std() - 1) < 0.01
        a = (1 / ((1.7580993408473766 ** 2 * p + 1) * (1 - p))) ** 0.5
        dropped = y[np.isclose(y, -1.7580993408473766 * a + 1.7580993408473766 * a * p)]
        assert abs(dropped.size / y.size - p) < 0.01        # dropped ones share one value
    assert F.alpha_dropout(x, 0.5) is x                     # training=False by default
    xf = tg.randn(40, 60, 2, 2, requires_grad=True)
    y = nn.FeatureAlphaDropout(0.5)(xf)
    per_channel = y.numpy().reshape(40, 60, 4)
    dropped = (per_channel == per_channel[..., :1]).all(-1)  # a dropped channel is constant
    assert 0.4 < dropped.mean() < 0.6
    y.sum().backward()
    np.testing.assert_array_equal(xf.grad.numpy().reshape(40, 60, 4)[dropped], 0)
    assert repr(nn.AlphaDropout(0.2)) == 'AlphaDropout(p=0.2, inplace=False)'
    assert nn.AlphaDropout().eval()(x) is x
    with pytest.raises(ValueError, match='between 0 and 1'):
        F.alpha_dropout(x, 1.5, True)
    with pytest.raises(RuntimeError, match='at least 2 dimensions'):
        F.feature_alpha_dropout(tg.randn(3), 0.5, True)


def test_rms_norm():
    x = np.array([[1., -2., 3.], [0.5, 0.5, -4.]])
    np.testing.assert_allclose(F.rms_norm(tg.tensor(x, dtype=tg.float32), [3]).numpy(),
                               [[0.46291006, -0.92582011, 1.38873017],
                                [0.21320072, 0.21320072, -1.70560575]], rtol=1e-6)
    np.testing.assert_allclose(F.rms_norm(tg.tensor(x), (2, 3), eps=1e-3).numpy(),
                               x / np.sqrt((x ** 2).mean() + 1e-3), rtol=1e-12)
    m = nn.RMSNorm(3)
    assert repr(m) == 'RMSNorm((3,), eps=None, elementwise_affine=True)'
    assert list(m.state_dict()) == ['weight']
    assert not list(nn.RMSNorm([2, 3], eps=1e-3, elementwise_affine=False).parameters())
    rng = np.random.default_rng(0)
    inp = tg.tensor(rng.standard_normal((2, 4, 3)), requires_grad=True)
    w = tg.tensor(rng.standard_normal((4, 3)), requires_grad=True)
    assert tg.gradcheck(lambda a, b: F.rms_norm(a, (4, 3), b), (inp, w))
    assert tg.gradgradcheck(lambda a: F.rms_norm(a, 3), (inp,))
    with pytest.raises(RuntimeError, match='normalized_shape'):
        F.rms_norm(tg.randn(2, 3), [4])
    with pytest.raises(RuntimeError, match='weight'):
        F.rms_norm(tg.randn(2, 3), [3], tg.ones(4))
