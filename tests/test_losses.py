"""Loss functions and modules: values (hand-computed in numpy and a few PyTorch reference
numbers), float64 gradchecks for every option, hypothesis properties, stability, dtypes, errors."""
import warnings

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import tinygrad_cnn as tg
import tinygrad_cnn.nn as nn
import tinygrad_cnn.nn.functional as F
from tinygrad_cnn import Tensor

REDUCTIONS = ['none', 'mean', 'sum']


def t64(a, grad=True):
    return Tensor(np.asarray(a, dtype=np.float64), requires_grad=grad)


# ---------------------------------------------------------------- numpy references
def np_log_softmax(x, axis):
    m = x.max(axis=axis, keepdims=True)
    return x - m - np.log(np.exp(x - m).sum(axis=axis, keepdims=True))


def np_reduce(loss, reduction, denom=None):
    if reduction == 'none':
        return loss
    if reduction == 'sum':
        return loss.sum()
    return loss.sum() / (loss.size if denom is None else denom)


def np_cross_entropy(x, target, weight=None, ignore_index=-100, reduction='mean', smoothing=0.0):
    """Straight from the definition, one sample at a time (class dim 1, any trailing dims)."""
    if x.ndim == 1:                                                # (C,): a batch of one
        out = np_cross_entropy(x[None], target[None], weight, ignore_index, reduction, smoothing)
        return out[0] if reduction == 'none' else out
    logp = np_log_softmax(x, 1)
    n_classes = x.shape[1]
    w = np.ones(n_classes) if weight is None else weight
    lp = np.moveaxis(logp, 1, -1).reshape(-1, n_classes)           # (samples, C)
    if target.shape == x.shape:                                    # probabilities
        q = np.moveaxis(target, 1, -1).reshape(-1, n_classes)
        q = q * (1 - smoothing) + smoothing / n_classes
        loss = -(q * w * lp).sum(-1)
        return np_reduce(loss.reshape(target.shape[:1] + target.shape[2:]), reduction)
    losses, weights = [], []
    for row, y in zip(lp, target.reshape(-1)):
        if y == ignore_index:
            losses.append(0.0)
            weights.append(0.0)
            continue
        nll = -w[y] * row[y]
        smooth = -(w * row).sum() / n_classes
        losses.append((1 - smoothing) * nll + smoothing * smooth)
        weights.append(w[y])
    loss = np.array(losses).reshape(target.shape)
    return np_reduce(loss, reduction, denom=np.sum(weights))


def close(a, b, tol=1e-12):
    np.testing.assert_allclose(np.asarray(a.numpy() if isinstance(a, Tensor) else a, np.float64),
                               b, rtol=tol, atol=tol)


# ---------------------------------------------------------------- cross entropy / nll
X = np.array([[1.0, -2.0, 0.5, 3.0], [0.0, 0.25, -1.5, 2.0], [-0.5, 1.5, 1.0, -3.0]])
W = np.array([0.5, 2.0, 1.0, 1.5])
Y = np.array([[0.5, 1.0, 0.0, 0.25], [1.0, 0.0, 1.0, 0.5], [0.0, 0.0, 1.0, 1.0]])


def test_cross_entropy_simple_value():
    # one sample, logits (0, ln 3): p = (1/4, 3/4); loss of class 1 = -ln(3/4)
    x = t64([[0.0, np.log(3.0)]])
    close(F.cross_entropy(x, tg.tensor([1])), -np.log(0.75))
    close(F.cross_entropy(x, tg.tensor([0])), -np.log(0.25))


def test_pytorch_reference_values():
    # computed with PyTorch 2.13 (torch.nn.functional, float64) in a scratch script
    t = tg.tensor([3, -100, 1])
    close(F.cross_entropy(t64(X), t, weight=tg.tensor(W), label_smoothing=0.2), 0.6911997064941751)
    close(F.cross_entropy(t64(X), t, label_smoothing=0.1, reduction='none'),
          [0.43975344767935176, 0.0, 0.7363143100511094])
    p = np_log_softmax(np.array([[0.1, 0.2, 0.3, 0.4], [1., 0, 0, 0], [0.3, 0.3, 0.2, 0.2]]), 1)
    close(F.cross_entropy(t64(X), t64(np.exp(p)), weight=tg.tensor(W), label_smoothing=0.3),
          2.782662457319263)
    pos_weight = tg.tensor([1., 2., .5, 3.])
    close(F.binary_cross_entropy_with_logits(t64(X), t64(Y), pos_weight=pos_weight),
          1.9554673452753495)
    close(F.binary_cross_entropy(t64(X).sigmoid(), t64(Y), weight=tg.tensor(W)), 1.9165591970754203)
    close(F.smooth_l1_loss(t64(X), t64(Y), beta=0.7), 1.1983630952380953)
    close(F.huber_loss(t64(X), t64(Y), delta=0.7), 0.8388541666666666)
    close(F.kl_div(t64(X).log_softmax(1), t64(np.exp(p)), reduction='batchmean'),
          0.9553154427993703)
    x4 = [[[1.0, 2.0], [-1.0, 0.0], [0.0, 0.0]], [[0.5, -1.0], [2.0, 3.0], [1.0, 1.0]]]
    close(F.cross_entropy(t64(x4), tg.tensor([[0, 2], [1, -100]]), weight=tg.tensor([1., 2., 3.])),
          1.3424963052209875)


@pytest.mark.parametrize('reduction', REDUCTIONS)
@pytest.mark.parametrize('use_weight', [False, True])
@pytest.mark.parametrize('smoothing', [0.0, 0.25])
@pytest.mark.parametrize('shape', [(5, 4), (3, 4, 2, 2), (4,)])
def test_cross_entropy_class_indices(rng, reduction, use_weight, smoothing, shape):
    x = rng.standard_normal(shape) * 2
    n_classes = shape[1] if len(shape) > 1 else shape[0]
    target = rng.integers(0, n_classes, shape[:1] + shape[2:] if len(shape) > 1 else ())
    if target.ndim:
        target.flat[0] = -1                     # one ignored target
    w = rng.random(n_classes) + 0.5 if use_weight else None
    kwargs = dict(weight=None if w is None else tg.tensor(w), ignore_index=-1,
                  reduction=reduction, label_smoothing=smoothing)
    out = F.cross_entropy(t64(x), tg.tensor(target), **kwargs)
    close(out, np_cross_entropy(x, target, w, -1, reduction, smoothing))
    assert tg.gradcheck(lambda a: F.cross_entropy(a, tg.tensor(target), **kwargs), (t64(x),))
    if target.ndim:
        close(F.nll_loss(t64(np_log_softmax(x, 1)), tg.tensor(target), weight=kwargs['weight'],
                         ignore_index=-1, reduction=reduction),
              np_cross_entropy(x, target, w, -1, reduction))
        assert tg.gradcheck(lambda a: F.nll_loss(a, tg.tensor(target), weight=kwargs['weight'],
                                                 ignore_index=-1, reduction=reduction),
                            (t64(x),))


@pytest.mark.parametrize('reduction', REDUCTIONS)
@pytest.mark.parametrize('use_weight', [False, True])
@pytest.mark.parametrize('smoothing', [0.0, 0.3])
def test_cross_entropy_probabilities(rng, reduction, use_weight, smoothing):
    x = rng.standard_normal((3, 4, 2))
    p = np.exp(np_log_softmax(rng.standard_normal((3, 4, 2)), 1))
    w = rng.random(4) + 0.5 if use_weight else None
    kwargs = dict(weight=None if w is None else tg.tensor(w), reduction=reduction,
                  label_smoothing=smoothing)
    close(F.cross_entropy(t64(x), t64(p), **kwargs), np_cross_entropy(x, p, w, -100, reduction,
                                                                       smoothing))
    # gradients w.r.t. both the logits and the target distribution
    assert tg.gradcheck(lambda a, b: F.cross_entropy(a, b, **kwargs), (t64(x), t64(p)))


def test_cross_entropy_second_derivative(rng):
    x, p = t64(rng.standard_normal((3, 4))), t64(np.full((3, 4), 0.25))
    target = tg.tensor([0, 3, 1])
    assert tg.gradgradcheck(lambda a: F.cross_entropy(a, target, label_smoothing=0.1), (x,))
    assert tg.gradgradcheck(lambda a, b: F.cross_entropy(a, b, reduction='none'), (x, p))


def test_cross_entropy_all_ignored_is_nan():
    out = F.cross_entropy(t64(X), tg.tensor([-100, -100, -100]))
    assert np.isnan(out.item())
    assert F.cross_entropy(t64(X), tg.tensor([-100, -100, -100]), reduction='sum').item() == 0


@pytest.mark.parametrize('loss', [
    lambda x, t: F.cross_entropy(x, t, ignore_index=1),
    lambda x, t: F.cross_entropy(x, t, ignore_index=1, label_smoothing=0.2,
                                 weight=tg.tensor([1.0, 2.0, 3.0, 4.0])),
    lambda x, t: F.nll_loss(x.log_softmax(1), t, ignore_index=1)])
def test_mean_over_all_ignored_targets_has_zero_gradient(loss):
    # 0/0 = nan for the value, but (as PyTorch) no nan in the gradient: nothing to learn
    x = t64(X)
    out = loss(x, tg.tensor([1, 1, 1]))
    out.backward()
    assert np.isnan(out.item())
    np.testing.assert_array_equal(x.grad.numpy(), np.zeros(X.shape))


@settings(deadline=None, max_examples=20)
@given(n=st.integers(1, 4), c=st.integers(2, 5), extra=st.sampled_from([(), (2,), (1, 3)]),
       reduction=st.sampled_from(REDUCTIONS), smoothing=st.sampled_from([0.0, 0.1, 1.0]),
       weighted=st.booleans(), seed=st.integers(0, 2**16))
def test_cross_entropy_property(n, c, extra, reduction, smoothing, weighted, seed):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, c) + extra) * 3
    target = rng.integers(-1, c, (n,) + extra)        # -1: ignored
    w = rng.random(c) + 0.1 if weighted else None
    kwargs = dict(weight=None if w is None else tg.tensor(w), ignore_index=-1,
                  reduction=reduction, label_smoothing=smoothing)
    a = t64(x)
    out = F.cross_entropy(a, tg.tensor(target), **kwargs)
    assert out.shape == ((n,) + extra if reduction == 'none' else ())
    expected = np_cross_entropy(x, target, w, -1, reduction, smoothing)
    if np.isnan(expected).any():                        # 'mean' with every target ignored
        assert np.isnan(out.numpy()).all()
        return
    close(out, expected, 1e-10)
    # the gradient of every sample's logits sums to 0 over the classes (softmax is shift-invariant)
    out.sum().backward()
    np.testing.assert_allclose(a.grad.numpy().sum(axis=1), 0, atol=1e-12)


def test_cross_entropy_stable_for_huge_logits():
    for dtype in (np.float32, np.float64):
        x = Tensor(np.array([[1e4, -1e4, 0.0], [-1e4, 1e4, 5e3]], dtype=dtype), requires_grad=True)
        loss = F.cross_entropy(x, tg.tensor([1, 1]))
        loss.backward()
        assert np.isfinite(loss.item()) and np.isfinite(x.grad.numpy()).all()
        assert loss.item() == pytest.approx(1e4)       # sample 0 is off by 2e4, sample 1 right
        np.testing.assert_allclose(x.grad.numpy(), [[0.5, -0.5, 0], [0, 0, 0]], atol=1e-7)
    x = Tensor(np.array([1e4, -1e4, 3e3], dtype=np.float32), requires_grad=True)
    loss = F.binary_cross_entropy_with_logits(x, tg.tensor([0.0, 1.0, 1.0]), reduction='sum',
                                              pos_weight=tg.tensor([2.0, 2.0, 2.0]))
    loss.backward()
    assert loss.item() == pytest.approx(1e4 + 2e4) and np.isfinite(x.grad.numpy()).all()
    np.testing.assert_allclose(x.grad.numpy(), [1, -2, 0])


def test_cross_entropy_with_masked_logits():
    # a class masked out with -inf contributes nothing (not 0 * -inf = nan), as in PyTorch
    x = Tensor(np.array([[0.0, -np.inf, 1.0]]), requires_grad=True)
    loss = F.cross_entropy(x, tg.tensor([0]))
    loss.backward()
    close(loss, np.log(1 + np.e))
    close(x.grad, [[-np.e / (1 + np.e), 0.0, np.e / (1 + np.e)]])


def test_float32_stays_float32(rng):
    x = Tensor(rng.standard_normal((4, 3)).astype(np.float32), requires_grad=True)
    y = tg.tensor(rng.random((4, 3)).astype(np.float32))
    losses = [F.cross_entropy(x, tg.tensor([0, 1, 2, 0]), label_smoothing=0.1,
                              weight=tg.tensor([1.0, 2.0, 3.0], dtype=tg.float64)),
              F.cross_entropy(x, y.softmax(1)),
              F.nll_loss(x.log_softmax(1), tg.tensor([0, 1, 2, 0])),
              F.mse_loss(x, y), F.l1_loss(x, y), F.smooth_l1_loss(x, y, beta=0.5),
              F.huber_loss(x, y), F.binary_cross_entropy(x.sigmoid(), y),
              F.binary_cross_entropy_with_logits(x, y, pos_weight=tg.tensor([2.0, 1, 1])),
              F.kl_div(x.log_softmax(1), y.softmax(1), reduction='batchmean')]
    for loss in losses:
        assert loss.dtype == np.float32
        x.grad = None
        loss.backward()
        assert x.grad.dtype == np.float32


# ---------------------------------------------------------------- regression losses
@pytest.mark.parametrize('reduction', REDUCTIONS)
def test_regression_losses_by_hand(rng, reduction):
    x, y = rng.standard_normal((3, 4)), rng.standard_normal((3, 4))
    d = x - y
    ad = np.abs(d)
    expected = {
        'mse_loss': (F.mse_loss, {}, d ** 2),
        'l1_loss': (F.l1_loss, {}, ad),
        'smooth_l1_loss': (F.smooth_l1_loss, dict(beta=0.5),
                           np.where(ad < 0.5, 0.5 * d ** 2 / 0.5, ad - 0.25)),
        'smooth_l1_beta0': (F.smooth_l1_loss, dict(beta=0.0), ad),
        'huber_loss': (F.huber_loss, dict(delta=0.5), np.where(ad < 0.5, 0.5 * d ** 2,
                                                                0.5 * (ad - 0.25))),
    }
    for fn, kwargs, elementwise in expected.values():
        close(fn(t64(x), t64(y), reduction=reduction, **kwargs), np_reduce(elementwise, reduction))
        assert tg.gradcheck(lambda a, b, fn=fn, kw=kwargs: fn(a, b, reduction=reduction, **kw),
                            (t64(x), t64(y)))


@settings(deadline=None, max_examples=15)
@given(shape=st.sampled_from([(3,), (2, 3), (2, 1, 3)]), beta=st.floats(0.1, 3.0),
       seed=st.integers(0, 2**16))
def test_smooth_l1_and_huber_property(shape, beta, seed):
    rng = np.random.default_rng(seed)
    x, y = rng.standard_normal(shape) * 2, rng.standard_normal(shape) * 2
    smooth = F.smooth_l1_loss(t64(x), t64(y), beta=beta, reduction='none').numpy()
    huber = F.huber_loss(t64(x), t64(y), delta=beta, reduction='none').numpy()
    np.testing.assert_allclose(huber, beta * smooth, rtol=1e-12)       # huber = beta * smooth_l1
    assert (smooth <= np.abs(x - y) + 1e-12).all()                     # never above L1
    assert tg.gradcheck(lambda a: F.smooth_l1_loss(a, t64(y, False), beta=beta), (t64(x),))


def test_mse_broadcast_warns():
    with pytest.warns(UserWarning, match='target size'):
        out = F.mse_loss(t64(np.zeros((3, 1))), t64(np.ones(3)))
    assert out.item() == 1.0


# ---------------------------------------------------------------- binary cross entropy
@pytest.mark.parametrize('reduction', REDUCTIONS)
@pytest.mark.parametrize('use_weight', [False, True])
def test_binary_cross_entropy(rng, reduction, use_weight):
    p = rng.random((3, 4)) * 0.9 + 0.05
    y = rng.random((3, 4))
    w = rng.random(4) if use_weight else None
    expected = -(y * np.log(p) + (1 - y) * np.log(1 - p)) * (1 if w is None else w)
    kwargs = dict(weight=None if w is None else tg.tensor(w), reduction=reduction)
    close(F.binary_cross_entropy(t64(p), t64(y), **kwargs), np_reduce(expected, reduction))
    assert tg.gradcheck(lambda a, b: F.binary_cross_entropy(a, b, **kwargs), (t64(p), t64(y)))


def test_binary_cross_entropy_clamps_log_at_minus_100():
    p, y = t64([0.0, 1.0, 0.0]), t64([1.0, 0.0, 0.0])
    close(F.binary_cross_entropy(p, y, reduction='none'), [100.0, 100.0, 0.0])
    F.binary_cross_entropy(p, y, reduction='sum').backward()
    # (x - y) / max(x (1 - x), 1e-12), as PyTorch
    close(p.grad, [-1e12, 1e12, 0.0])
    assert np.isfinite(y.grad.numpy()).all()


@pytest.mark.parametrize('reduction', REDUCTIONS)
@pytest.mark.parametrize('use_weight', [False, True])
@pytest.mark.parametrize('use_pos_weight', [False, True])
def test_bce_with_logits(rng, reduction, use_weight, use_pos_weight):
    x = rng.standard_normal((3, 4)) * 3
    y = rng.random((3, 4))
    w = rng.random((3, 1)) if use_weight else None
    pw = rng.random(4) * 3 if use_pos_weight else None
    s = 1 / (1 + np.exp(-x))
    expected = -((1 if pw is None else pw) * y * np.log(s) + (1 - y) * np.log(1 - s))
    expected = expected * (1 if w is None else w)
    kwargs = dict(weight=None if w is None else tg.tensor(w), reduction=reduction,
                  pos_weight=None if pw is None else tg.tensor(pw))
    close(F.binary_cross_entropy_with_logits(t64(x), t64(y), **kwargs),
          np_reduce(expected, reduction), 1e-10)
    assert tg.gradcheck(lambda a, b: F.binary_cross_entropy_with_logits(a, b, **kwargs),
                        (t64(x), t64(y)))
    assert tg.gradgradcheck(lambda a: F.binary_cross_entropy_with_logits(a, t64(y, False),
                                                                         **kwargs), (t64(x),))


@settings(deadline=None, max_examples=15)
@given(shape=st.sampled_from([(4,), (2, 3), (2, 2, 2)]), scale=st.sampled_from([1.0, 30.0]),
       seed=st.integers(0, 2**16))
def test_bce_with_logits_matches_bce_of_sigmoid(shape, scale, seed):
    rng = np.random.default_rng(seed)
    x, y = rng.standard_normal(shape) * scale, rng.random(shape)
    a = F.binary_cross_entropy_with_logits(t64(x), t64(y), reduction='none').numpy()
    # reference: log(1 + e^x) - x y, computed stably with logaddexp
    np.testing.assert_allclose(a, np.logaddexp(0, x) - x * y, rtol=1e-10, atol=1e-12)


# ---------------------------------------------------------------- KL divergence
@pytest.mark.parametrize('reduction', ['none', 'sum', 'batchmean', 'mean'])
@pytest.mark.parametrize('log_target', [False, True])
def test_kl_div(rng, reduction, log_target):
    logq = np_log_softmax(rng.standard_normal((3, 4)), 1)
    p = np.exp(np_log_softmax(rng.standard_normal((3, 4)), 1))
    p[0, 0] = 0.0                                   # 0 log 0 = 0
    target = np.log(p + 0.1) if log_target else p
    prob = np.exp(target) if log_target else p
    with np.errstate(divide='ignore', invalid='ignore'):
        expected = np.where(prob > 0, prob * (np.log(prob) - logq), 0.0)
    expected = expected.sum() / 3 if reduction == 'batchmean' else np_reduce(expected, reduction)
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')             # 'mean' warns, as PyTorch
        fn = lambda a, b: F.kl_div(a, b, reduction=reduction, log_target=log_target)  # noqa: E731
        close(fn(t64(logq), t64(target)), expected)
        target_grad = t64(target, grad=log_target)  # d/dp log p is infinite at p = 0
        assert tg.gradcheck(fn, (t64(logq), target_grad))
    if reduction == 'mean':
        with pytest.warns(UserWarning, match='batchmean'):
            F.kl_div(t64(logq), t64(target), reduction='mean')


# ---------------------------------------------------------------- errors
def test_errors():
    x = t64(X)
    with pytest.raises(ValueError, match="'avg' is not a valid value for reduction"):
        F.cross_entropy(x, tg.tensor([0, 1, 2]), reduction='avg')
    with pytest.raises(ValueError, match=r'batch_size \(3\) to match target batch_size \(4\)'):
        F.cross_entropy(x, tg.tensor([0, 1, 2, 3]))
    with pytest.raises(IndexError, match='Target 7 is out of bounds'):
        F.nll_loss(x, tg.tensor([0, 7, 1]))
    with pytest.raises(RuntimeError, match='integer dtype'):
        F.cross_entropy(x, t64([0.0, 1.0, 2.0]))
    with pytest.raises(RuntimeError, match='floating point target'):
        F.cross_entropy(x, tg.tensor(np.zeros((3, 4), dtype=np.int64)))
    with pytest.raises(RuntimeError, match=r'weight of shape \(4,\)'):
        F.cross_entropy(x, tg.tensor([0, 1, 2]), weight=tg.tensor([1.0, 2.0]))
    with pytest.raises(RuntimeError, match='label_smoothing'):
        F.cross_entropy(x, tg.tensor([0, 1, 2]), label_smoothing=1.5)
    with pytest.raises(RuntimeError, match='between 0 and 1'):
        F.binary_cross_entropy(x, t64(Y))
    with pytest.raises(ValueError, match='same size'):
        F.binary_cross_entropy(t64([0.5, 0.5]), t64([[1.0], [0.0]]))
    with pytest.raises(ValueError, match='must be the same as input size'):
        F.binary_cross_entropy_with_logits(t64([0.5, 0.5]), t64([[1.0], [0.0]]))
    with pytest.raises(ValueError, match="'mean2' is not a valid"):
        F.kl_div(x, x, reduction='mean2')


# ---------------------------------------------------------------- modules
def test_loss_modules_match_functional(rng):
    x, y = t64(rng.standard_normal((4, 3))), t64(rng.random((4, 3)))
    labels = tg.tensor([0, 2, 1, -1])
    w = tg.tensor([1.0, 2.0, 0.5], dtype=tg.float64)
    pairs = [
        (nn.CrossEntropyLoss(weight=w, ignore_index=-1, label_smoothing=0.1, reduction='sum'),
         F.cross_entropy(x, labels, weight=w, ignore_index=-1, label_smoothing=0.1,
                         reduction='sum'), (x, labels)),
        (nn.NLLLoss(weight=w, ignore_index=-1), F.nll_loss(x, labels, w, ignore_index=-1),
         (x, labels)),
        (nn.MSELoss(reduction='none'), F.mse_loss(x, y, reduction='none'), (x, y)),
        (nn.L1Loss(), F.l1_loss(x, y), (x, y)),
        (nn.SmoothL1Loss(beta=0.3), F.smooth_l1_loss(x, y, beta=0.3), (x, y)),
        (nn.HuberLoss(delta=0.3), F.huber_loss(x, y, delta=0.3), (x, y)),
        (nn.BCELoss(weight=w), F.binary_cross_entropy(y, y, weight=w), (y, y)),
        (nn.BCEWithLogitsLoss(pos_weight=w), F.binary_cross_entropy_with_logits(x, y, pos_weight=w),
         (x, y)),
        (nn.KLDivLoss(reduction='batchmean', log_target=True),
         F.kl_div(x, y, reduction='batchmean', log_target=True), (x, y)),
    ]
    for module, expected, args in pairs:
        assert isinstance(module, nn.Module)
        close(module(*args), expected.numpy())
    ce = nn.CrossEntropyLoss(weight=w)
    assert list(ce.state_dict()) == ['weight'] and repr(ce) == 'CrossEntropyLoss()'
    assert list(nn.BCEWithLogitsLoss(pos_weight=w).state_dict()) == ['pos_weight']
    with pytest.warns(UserWarning, match='deprecated'):
        assert nn.MSELoss(size_average=False).reduction == 'sum'


def test_legacy_size_average_and_reduce_in_pytorch_positions():
    x, t = t64(X), tg.tensor([0, 1, 3])
    per_sample = F.cross_entropy(x, t, reduction='none').numpy()
    with pytest.warns(UserWarning, match="reduction='sum'"):
        # positional, as PyTorch: weight, size_average, ignore_index, reduce
        out = F.cross_entropy(x, t, None, False, 1)
    assert out.item() == pytest.approx(per_sample[[0, 2]].sum())
    with pytest.warns(UserWarning):
        assert F.mse_loss(x, x * 0, reduce=False).shape == X.shape
    with pytest.warns(UserWarning):
        assert nn.L1Loss(size_average=False)(x, x * 0).item() == pytest.approx(np.abs(X).sum())
    with pytest.warns(UserWarning):
        assert F.nll_loss(x, t, None, None, -100, False).shape == (3,)


@pytest.mark.parametrize('reduction', REDUCTIONS)
def test_elementwise_weight_of_regression_losses(reduction):
    a, b = X, X[::-1] * 0.5
    w = np.linspace(0.1, 1.2, X.size).reshape(X.shape)
    d = a - b
    huber = np.where(np.abs(d) < 1, 0.5 * d * d, np.abs(d) - 0.5)
    # mse and l1: 'mean' is the weighted mean sum(w l) / sum(w); huber: the plain mean of w l
    for fn, elem, mean in ((F.mse_loss, d * d, (w * d * d).sum() / w.sum()),
                           (F.l1_loss, np.abs(d), (w * np.abs(d)).sum() / w.sum()),
                           (F.huber_loss, huber, (w * huber).mean())):
        out = fn(t64(a), t64(b), reduction=reduction, weight=tg.tensor(w)).numpy()
        expected = {'none': w * elem, 'sum': (w * elem).sum(), 'mean': mean}[reduction]
        np.testing.assert_allclose(out, expected, rtol=1e-12)
    with pytest.raises(ValueError, match='same size'):
        F.mse_loss(t64(a), t64(b), weight=tg.ones(4))


def test_kl_div_treats_zero_target_as_zero_and_negative_as_nan():
    out = F.kl_div(tg.tensor([-1.0, -2.0, -0.5]), tg.tensor([0.0, 0.5, -0.1]), reduction='none')
    assert out.numpy()[0] == 0
    assert out.numpy()[1] == pytest.approx(0.5 * (np.log(0.5) + 2.0))
    assert np.isnan(out.numpy()[2])
