"""The margin/embedding losses, the Poisson and Gaussian likelihoods and CTC: values against
numpy references written from the definitions (CTC: by enumerating every alignment) and
literals computed with PyTorch 2.13, float64 gradchecks, hypothesis properties, errors, modules."""
import itertools
import warnings

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import tinygrad_cnn as tg
import tinygrad_cnn.nn as nn
import tinygrad_cnn.nn.functional as F
from tinygrad_cnn import Tensor

REDUCTIONS = ['none', 'mean', 'sum']
X = np.array([[1.0, -2.0, 0.5, 3.0], [0.0, 0.25, -1.5, 2.0], [-0.5, 1.5, 1.0, -3.0]])
Y = np.array([[0.5, 1.0, 0.0, 0.25], [1.0, 0.0, 1.0, 0.5], [0.0, 0.0, 1.0, 1.0]])
SIGN = np.array([1.0, -1.0, 1.0])


def t64(a, grad=True):
    return Tensor(np.asarray(a, dtype=np.float64), requires_grad=grad)


def close(a, b, tol=1e-12):
    np.testing.assert_allclose(np.asarray(a.numpy() if isinstance(a, Tensor) else a, np.float64),
                               b, rtol=tol, atol=tol)


def np_reduce(loss, reduction):
    return {'none': loss, 'sum': np.sum(loss), 'mean': np.mean(loss)}[reduction]


def np_log_sigmoid(x):
    return -np.logaddexp(0, -x)


# ---------------------------------------------------------------- numpy references
def np_multi_margin(x, y, p, margin, w):
    out = np.zeros(len(x))
    for n, (row, c) in enumerate(zip(x, y)):
        for i in range(len(row)):
            z = margin - row[c] + row[i]
            if i != c and z > 0:
                out[n] += z ** p * (1 if w is None else w[c])
    return out / x.shape[1]


def np_multilabel_margin(x, target):
    out = np.zeros(len(x))
    for n, (row, t) in enumerate(zip(x, target)):
        listed = list(itertools.takewhile(lambda v: v >= 0, t))
        for j in listed:
            for i in range(len(row)):
                if i not in listed:
                    out[n] += max(0.0, 1 - (row[j] - row[i]))
    return out / x.shape[1]


def np_ctc(log_probs, target, blank=0):
    """-log sum over every alignment (all C^T paths) that collapses to ``target``, and the
    posterior of each symbol at each frame: (loss, gamma (T, C))."""
    n_frames, n_classes = log_probs.shape
    total, gamma = 0.0, np.zeros(log_probs.shape)
    for path in itertools.product(range(n_classes), repeat=n_frames):
        collapsed = [c for k, c in enumerate(path) if c != blank and (k == 0 or c != path[k - 1])]
        if collapsed == list(target):
            prob = np.exp(sum(log_probs[k, c] for k, c in enumerate(path)))
            total += prob
            gamma[np.arange(n_frames), list(path)] += prob
    return -np.log(total), gamma / total


# ---------------------------------------------------------------- pairwise losses
def test_pytorch_reference_values():
    # computed with PyTorch 2.13 (torch.nn.functional, float64) in a scratch script
    x, y, s = t64(X), t64(Y), t64(SIGN)
    close(F.margin_ranking_loss(x[:, 0], x[:, 1], s, margin=0.5), 0.9166666666666666)
    alt = t64([1.0, -1.0, 1.0, -1.0])
    close(F.hinge_embedding_loss(x, alt, margin=1.5), 0.8125)
    close(F.soft_margin_loss(x, alt), 1.0289684354195319)
    close(F.multilabel_soft_margin_loss(x, t64(Y.round()), weight=t64([1.0, 2, 0.5, 1])),
          1.7922938299248674)
    close(F.cosine_embedding_loss(x, y, s, margin=0.1, reduction='none'),
          [1.1734219939047519, 0.0, 1.399999999999884])
    close(F.multi_margin_loss(x, tg.tensor([3, 1, 1]), p=2, margin=0.7,
                              weight=t64([1.0, 2, 0.5, 1]), reduction='none'),
          [0.0, 3.1025000000000005, 0.01999999999999999])
    close(F.multilabel_margin_loss(x, tg.tensor([[3, 0, -1, 1], [1, 1, -1, 3], [2, -1, 2, 2]]),
                                   reduction='none'), [0.125, 1.75, 0.375])
    close(F.triplet_margin_loss(x, y, x.flip(0), margin=2.0, p=1, swap=True, reduction='none'),
          [3.0000020000000003, 7.249996, 2.5])
    close(F.poisson_nll_loss(x, y * 4, full=True), 6.0358586973881545)
    close(F.poisson_nll_loss(x.abs(), y * 4, log_input=False, full=True), 7.9790705536477695)
    close(F.gaussian_nll_loss(x, y, y[:, :1] + 0.1, full=True), 9.721366852802964)
    lp = t64(np.linspace(-1, 1, 30).reshape(5, 2, 3)).log_softmax(2)
    close(F.ctc_loss(lp, tg.tensor([[1, 2], [1, 1]]), tg.tensor([5, 4]), tg.tensor([2, 2]),
                     reduction='none'), [1.9531959531730483, 2.9011219422109114])


@pytest.mark.parametrize('reduction', REDUCTIONS)
def test_pairwise_losses_against_numpy(rng, reduction):
    a, b = rng.standard_normal((3, 4)) * 2, rng.standard_normal((3, 4)) * 2
    sign = np.where(rng.random((3, 4)) < 0.5, -1.0, 1.0)
    y01 = (sign > 0) * 1.0
    w = rng.random(4) + 0.5
    cases = [
        (lambda p, q: F.margin_ranking_loss(p, q, t64(sign, False), margin=0.3,
                                            reduction=reduction),
         np.maximum(0, -sign * (a - b) + 0.3)),
        (lambda p, q: F.hinge_embedding_loss(p * q, t64(sign, False), margin=0.7,
                                             reduction=reduction),
         np.where(sign == 1, a * b, np.maximum(0, 0.7 - a * b))),
        (lambda p, q: F.soft_margin_loss(p * q, t64(sign, False), reduction=reduction),
         np.logaddexp(0, -sign * a * b)),
        (lambda p, q: F.multilabel_soft_margin_loss(p * q, t64(y01, False), weight=t64(w, False),
                                                    reduction=reduction),
         -(w * (y01 * np_log_sigmoid(a * b) + (1 - y01) * np_log_sigmoid(-a * b))).mean(1)),
    ]
    for fn, elementwise in cases:
        close(fn(t64(a), t64(b)), np_reduce(elementwise, reduction), 1e-12)
        assert tg.gradcheck(fn, (t64(a), t64(b)))


@pytest.mark.parametrize('reduction', REDUCTIONS)
def test_cosine_embedding_loss(rng, reduction):
    a, b = rng.standard_normal((4, 3)), rng.standard_normal((4, 3))
    target = np.array([1.0, -1.0, -1.0, 1.0])
    cos = (a * b).sum(1) / np.linalg.norm(a, axis=1) / np.linalg.norm(b, axis=1)
    expected = np.where(target == 1, 1 - cos, np.maximum(0, cos + 0.2))
    fn = lambda p, q: F.cosine_embedding_loss(p, q, t64(target, False), margin=-0.2,  # noqa: E731
                                              reduction=reduction)
    close(fn(t64(a), t64(b)), np_reduce(expected, reduction), 1e-10)
    assert tg.gradcheck(fn, (t64(a), t64(b)))
    # one pair: (D,) inputs with a 0-d target give a 0-d loss
    out = F.cosine_embedding_loss(t64(a[0]), t64(b[0]), t64(1.0), reduction=reduction)
    assert out.shape == () and out.item() == pytest.approx(1 - cos[0])


def test_second_derivatives(rng):
    a, b, c = (rng.standard_normal((3, 4)) for _ in range(3))
    sign = np.array([1.0, -1.0, 1.0])
    fns = [lambda p, q: F.soft_margin_loss(p * q, t64(np.sign(a), False)),
           lambda p, q: F.multilabel_soft_margin_loss(p * q, t64(a > 0, False)),
           lambda p, q: F.cosine_embedding_loss(p, q, t64(sign, False), margin=-0.5),
           lambda p, q: F.gaussian_nll_loss(p, t64(c, False), q * q + 0.1),
           lambda p, q: F.poisson_nll_loss(p, q, full=True),
           lambda p, q: F.triplet_margin_loss(p, q, -p, margin=3.0)]
    for fn in fns:
        assert tg.gradgradcheck(fn, (t64(a), t64(b)))


def test_ties_pass_the_gradient_as_torch_clamp_min():
    # margin_ranking_loss at exactly 0 (equal scores, margin 0): PyTorch's clamp_min lets the
    # gradient through there, as does ours; multi_margin_loss's kernel (z > 0) does not
    a, b = t64(np.zeros(3)), t64(np.zeros(3))
    F.margin_ranking_loss(a, b, t64(SIGN, False), reduction='sum').backward()
    close(a.grad, -SIGN)
    x = t64([[1.0, 0.0], [0.0, 1.0]])
    F.multi_margin_loss(x, tg.tensor([0, 1]), reduction='sum').backward()
    close(x.grad, np.zeros((2, 2)))


# ---------------------------------------------------------------- class-index margin losses
@pytest.mark.parametrize('reduction', REDUCTIONS)
@pytest.mark.parametrize('p,margin,weighted', [(1, 1.0, False), (2, 0.5, True), (1, -0.2, True)])
def test_multi_margin_loss(rng, reduction, p, margin, weighted):
    x, y = rng.standard_normal((5, 4)), rng.integers(0, 4, 5)
    w = rng.random(4) + 0.5 if weighted else None
    kw = dict(p=p, margin=margin, weight=None if w is None else t64(w, False), reduction=reduction)
    close(F.multi_margin_loss(t64(x), tg.tensor(y), **kw),
          np_reduce(np_multi_margin(x, y, p, margin, w), reduction))
    assert tg.gradcheck(lambda a: F.multi_margin_loss(a, tg.tensor(y), **kw), (t64(x),))
    # one sample: (C,) input; the output takes the target's shape, as in PyTorch
    assert F.multi_margin_loss(t64(x[0]), tg.tensor(y[0]), reduction='none').shape == ()
    assert F.multi_margin_loss(t64(x[0]), tg.tensor(y[:1]), reduction='none').shape == (1,)


@pytest.mark.parametrize('reduction', REDUCTIONS)
def test_multilabel_margin_loss(rng, reduction):
    x = rng.standard_normal((4, 4))
    # the class lists end at the first -1; a repeated class counts twice, as in PyTorch
    target = np.array([[3, 0, -1, 1], [0, 1, 2, 3], [-1, 2, 2, 2], [1, 1, -1, 3]])
    expected = np_multilabel_margin(x, target)
    close(F.multilabel_margin_loss(t64(x), tg.tensor(target), reduction=reduction),
          np_reduce(expected, reduction))
    assert tg.gradcheck(lambda a: F.multilabel_margin_loss(a, tg.tensor(target),
                                                           reduction=reduction), (t64(x),))
    out = F.multilabel_margin_loss(t64(x[0]), tg.tensor(target[0]), reduction='none')
    assert out.shape == () and out.item() == pytest.approx(expected[0])


@settings(deadline=None, max_examples=20)
@given(n=st.integers(1, 4), c=st.integers(1, 5), p=st.sampled_from([1, 2]),
       margin=st.floats(-1.0, 2.0), reduction=st.sampled_from(REDUCTIONS),
       seed=st.integers(0, 2**16))
def test_class_margin_losses_property(n, c, p, margin, reduction, seed):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, c)) * 2
    y = rng.integers(0, c, n)
    w = rng.random(c) + 0.1
    out = F.multi_margin_loss(t64(x), tg.tensor(y), p=p, margin=margin, weight=t64(w, False),
                              reduction=reduction)
    assert out.shape == ((n,) if reduction == 'none' else ())
    close(out, np_reduce(np_multi_margin(x, y, p, margin, w), reduction), 1e-10)
    # multi-label: random class lists ended by -1 (or filling the row)
    target = np.full((n, c), -1)
    for row in target:
        k = rng.integers(0, c + 1)
        row[:k] = rng.choice(c, k, replace=False)
    out = F.multilabel_margin_loss(t64(x), tg.tensor(target), reduction='none').numpy()
    close(out, np_multilabel_margin(x, target), 1e-10)
    assert (out >= 0).all()
    # the cosine embedding loss lies in [0, 2] for targets +-1 and margins in [-1, 1]
    sign = np.where(rng.random(n) < 0.5, -1.0, 1.0)
    cos = F.cosine_embedding_loss(t64(x), t64(rng.standard_normal((n, c))), t64(sign),
                                  margin=min(margin, 1.0), reduction='none').numpy()
    assert ((cos >= 0) & (cos <= 2 + 1e-12)).all()


# ---------------------------------------------------------------- triplets and distances
@pytest.mark.parametrize('reduction', REDUCTIONS)
@pytest.mark.parametrize('p,swap', [(2, False), (1, True), (3, True)])
def test_triplet_margin_loss(rng, reduction, p, swap):
    a, pos, neg = (rng.standard_normal((4, 3)) for _ in range(3))
    dist = lambda u, v: np.linalg.norm(u - v + 1e-6, ord=p, axis=-1)  # noqa: E731
    d_neg = np.minimum(dist(a, neg), dist(pos, neg)) if swap else dist(a, neg)
    expected = np.maximum(0, 0.8 + dist(a, pos) - d_neg)
    fn = lambda *t: F.triplet_margin_loss(*t, margin=0.8, p=p, swap=swap,  # noqa: E731
                                          reduction=reduction)
    close(fn(t64(a), t64(pos), t64(neg)), np_reduce(expected, reduction), 1e-10)
    assert tg.gradcheck(fn, (t64(a), t64(pos), t64(neg)))
    if p == 2:      # the default distance of triplet_margin_with_distance_loss is the same
        out = F.triplet_margin_with_distance_loss(t64(a), t64(pos), t64(neg), margin=0.8,
                                                  swap=swap, reduction=reduction)
        close(out, np_reduce(expected, reduction), 1e-10)


def test_triplet_margin_with_custom_distance(rng):
    a, pos, neg = (rng.standard_normal((4, 3)) for _ in range(3))
    unit = lambda v: v / np.linalg.norm(v, axis=1, keepdims=True)  # noqa: E731
    cos_dist = lambda u, v: 1 - (unit(u) * unit(v)).sum(1)  # noqa: E731
    expected = np.maximum(0, 0.5 + cos_dist(a, pos) - cos_dist(a, neg)).mean()
    fn = lambda *t: F.triplet_margin_with_distance_loss(  # noqa: E731
        *t, distance_function=lambda u, v: 1 - F.cosine_similarity(u, v), margin=0.5)
    close(fn(t64(a), t64(pos), t64(neg)), expected, 1e-10)
    assert tg.gradcheck(fn, (t64(a), t64(pos), t64(neg)))


@settings(deadline=None, max_examples=15)
@given(n=st.integers(1, 4), d=st.integers(1, 4), p=st.sampled_from([1, 2, 3]),
       margin=st.floats(0.1, 2.0), seed=st.integers(0, 2**16))
def test_triplet_property(n, d, p, margin, seed):
    rng = np.random.default_rng(seed)
    a, pos, neg = (t64(rng.standard_normal((n, d)), False) for _ in range(3))
    plain = F.triplet_margin_loss(a, pos, neg, margin=margin, p=p, reduction='none').numpy()
    swapped = F.triplet_margin_loss(a, pos, neg, margin=margin, p=p, swap=True,
                                    reduction='none').numpy()
    assert plain.shape == (n,) and (plain >= 0).all()
    assert (swapped >= plain - 1e-12).all()          # swap picks the closer negative distance
    # with the negative identical to the anchor the loss is at least the margin
    same = F.triplet_margin_loss(a, pos, a, margin=margin, p=p, reduction='none').numpy()
    assert (same >= margin - 1e-5).all()


# ---------------------------------------------------------------- likelihood losses
@pytest.mark.parametrize('reduction', REDUCTIONS)
@pytest.mark.parametrize('log_input,full', [(True, False), (True, True), (False, True)])
def test_poisson_nll_loss(rng, reduction, log_input, full):
    x = rng.standard_normal((3, 4)) if log_input else rng.random((3, 4)) + 0.2
    y = rng.poisson(2.0, (3, 4)).astype(np.float64)
    y[0, :3] = [0.0, 1.0, 0.5]                        # the Stirling term is dropped for y <= 1
    loss = np.exp(x) - y * x if log_input else x - y * np.log(x + 1e-8)
    if full:
        with np.errstate(divide='ignore', invalid='ignore'):
            stirling = y * np.log(y) - y + 0.5 * np.log(2 * np.pi * y)
        loss = loss + np.where(y > 1, stirling, 0)
    kw = dict(log_input=log_input, full=full, reduction=reduction)
    close(F.poisson_nll_loss(t64(x), t64(y), **kw), np_reduce(loss, reduction), 1e-10)
    y_grad = t64(np.where(y == 1, 1.5, y))           # away from the kink at 1
    assert tg.gradcheck(lambda a, b: F.poisson_nll_loss(a, b, **kw), (t64(x), y_grad))
    # the gradient w.r.t. the target is finite at 0 (PyTorch's is nan there with full=True)
    F.poisson_nll_loss(t64(x, False), y_grad, **kw).sum().backward()
    assert np.isfinite(y_grad.grad.numpy()).all()


@pytest.mark.parametrize('reduction', REDUCTIONS)
@pytest.mark.parametrize('var_shape', [(3, 4), (3,), (3, 1), (1, 4), 'number'])
def test_gaussian_nll_loss(rng, reduction, var_shape):
    x, y = rng.standard_normal((3, 4)), rng.standard_normal((3, 4))
    v = 0.7 if var_shape == 'number' else rng.random(var_shape) + 0.1
    full_v = np.broadcast_to(v if np.ndim(v) != 1 else v[:, None], x.shape)
    expected = 0.5 * (np.log(full_v) + (x - y) ** 2 / full_v) + 0.5 * np.log(2 * np.pi)
    fn = lambda a, b, c: F.gaussian_nll_loss(a, b, c, full=True, reduction=reduction)  # noqa
    close(fn(t64(x), t64(y), v if var_shape == 'number' else t64(v)),
          np_reduce(expected, reduction), 1e-12)
    if var_shape != 'number':
        assert tg.gradcheck(fn, (t64(x), t64(y), t64(v)))


@settings(deadline=None, max_examples=15)
@given(shape=st.sampled_from([(3,), (2, 3), (2, 1, 3)]), full=st.booleans(),
       seed=st.integers(0, 2**16))
def test_likelihood_losses_property(shape, full, seed):
    rng = np.random.default_rng(seed)
    x, y = rng.standard_normal(shape), rng.standard_normal(shape)
    # one variance per sample (one dim fewer) equals that variance repeated over the last dim
    v = rng.random(shape[:-1]) + 0.1
    shared = F.gaussian_nll_loss(t64(x), t64(y), t64(v), full=full, reduction='none')
    repeated = np.repeat(v[..., None], shape[-1], axis=-1)
    close(shared, F.gaussian_nll_loss(t64(x), t64(y), t64(repeated), full=full,
                                      reduction='none').numpy())
    assert tg.gradcheck(lambda a, b: F.gaussian_nll_loss(a, t64(y, False), b, full=full),
                        (t64(x), t64(v)))
    # Poisson: log-rate input and rate input agree (up to eps); the loss is minimal at rate = y
    counts = rng.poisson(3.0, shape).astype(np.float64) + 0.5
    a = F.poisson_nll_loss(t64(np.log(counts)), t64(counts), full=full, reduction='none')
    b = F.poisson_nll_loss(t64(counts), t64(counts), log_input=False, eps=0.0, full=full,
                           reduction='none')
    close(a, b.numpy(), 1e-10)
    worse = F.poisson_nll_loss(t64(np.log(counts) + 0.1), t64(counts), full=full,
                               reduction='none')
    assert (worse.numpy() > a.numpy()).all()


def test_gaussian_nll_clamps_var_but_passes_its_gradient():
    x, y, v = t64([0.5, -0.5]), t64([0.0, 0.0], False), t64([1e-9, 2.0])
    loss = F.gaussian_nll_loss(x, y, v, eps=1e-3, reduction='sum')
    close(loss, 0.5 * (np.log(1e-3) + 0.25 / 1e-3) + 0.5 * (np.log(2.0) + 0.25 / 2.0))
    loss.backward()
    # d/dv of 0.5 (log v + d^2 / v), taken at the clamped v, as PyTorch (no_grad clamp)
    close(v.grad, [0.5 * (1 / 1e-3 - 0.25 / 1e-6), 0.5 * (1 / 2.0 - 0.25 / 4.0)])


# ---------------------------------------------------------------- linear + cross entropy
def np_cross_entropy_rows(logits, target, weight):
    """Weighted mean cross entropy of rows of logits (M, C) and class indices (M,)."""
    logp = logits - np.log(np.exp(logits).sum(1, keepdims=True))
    w = weight[target]
    return -(w * logp[np.arange(len(target)), target]).sum() / w.sum()


@pytest.mark.parametrize('out_features', [(), (2,)])
def test_linear_cross_entropy(rng, out_features):
    x = rng.standard_normal((3, 5))
    w_lin = rng.standard_normal((4, *out_features, 5))
    b = rng.standard_normal((4, *out_features))
    y = rng.integers(0, 4, (3, *out_features))
    cw = rng.random(4) + 0.5
    logits = np.einsum('nf,c...f->nc...', x, w_lin) + b                  # (N, C, d...)
    rows = np.moveaxis(logits, 1, -1).reshape(-1, 4)
    expected = np_cross_entropy_rows(rows, y.reshape(-1), cw)
    fn = lambda a, m, c: F.linear_cross_entropy(a, m, tg.tensor(y), linear_bias=c,  # noqa: E731
                                                weight=t64(cw, False))
    close(fn(t64(x), t64(w_lin), t64(b)), expected, 1e-12)
    assert tg.gradcheck(fn, (t64(x), t64(w_lin), t64(b)))
    # the module: the same with its own (flattened) Linear weight
    loss = nn.LinearCrossEntropyLoss(5, 4, out_features=out_features, bias=True,
                                     dtype=tg.float64, weight=t64(cw, False))
    loss.linear.weight.data[...] = w_lin.reshape(-1, 5)
    loss.linear.bias.data[...] = b.reshape(-1)
    close(loss(t64(x), tg.tensor(y)), expected, 1e-12)
    assert list(loss.state_dict()) == ['weight', 'linear.weight', 'linear.bias']


def test_linear_cross_entropy_options_repr_and_errors(rng):
    x, w_lin = t64(rng.standard_normal((3, 5))), t64(rng.standard_normal((4, 5)))
    y = tg.tensor([0, 3, 1])
    # the chunking options change nothing in the values (PyTorch's chunked path neither)
    options = nn.LinearCrossEntropyOptions(batch_chunk_size=2)
    close(F.linear_cross_entropy(x, w_lin, y, options=options),
          F.cross_entropy(x @ w_lin.T, y).item())
    assert repr(nn.LinearCrossEntropyLoss(5, 4)) == (
        'LinearCrossEntropyLoss(\n  in_features=5, num_classes=4, out_features=(), bias=False, '
        'reduction=mean, ignore_index=None, label_smoothing=0.0, options=None\n'
        '  (linear): Linear(in_features=5, out_features=4, bias=False)\n)')
    assert repr(options) == ("LinearCrossEntropyOptions(allow_retain_graph=False, "
                             "batch_chunk_size=2, chunking_method='auto', acc_policy='auto', "
                             "acc_dtype=None)")
    with pytest.raises(ValueError, match='invalid acc_policy'):
        nn.LinearCrossEntropyOptions(acc_policy='fast')
    with pytest.raises(ValueError, match='invalid chunking_method'):
        nn.LinearCrossEntropyOptions(chunking_method='aspect_ratio:0')
    with pytest.raises(RuntimeError, match='ignore_index cannot be specified'):
        F.linear_cross_entropy(x, w_lin, t64(np.full((3, 4), 0.25)), ignore_index=-100)
    with pytest.raises(RuntimeError, match='in_features'):
        F.linear_cross_entropy(x, w_lin[:, :4], y)
    with pytest.raises(RuntimeError, match='requires batched input'):
        F.linear_cross_entropy(x[0], w_lin.reshape(2, 2, 5), tg.tensor([0, 1]))
    with pytest.raises(RuntimeError, match='expected weight shape'):
        nn.LinearCrossEntropyLoss(5, 4, weight=tg.ones(3))


# ---------------------------------------------------------------- CTC
def test_ctc_matches_enumerating_all_alignments(rng):
    n_frames, n_classes = 4, 3
    logits = rng.standard_normal((n_frames, 2, n_classes))
    log_probs = logits - np.log(np.exp(logits).sum(-1, keepdims=True))
    targets = np.array([[1, 1], [2, 0]])               # a repeat (needs a blank between), and 1
    lengths = np.array([2, 1])
    lp = t64(log_probs)
    loss = F.ctc_loss(lp, tg.tensor(targets), tg.tensor([4, 3]), tg.tensor(lengths),
                      reduction='none')
    ref0, gamma0 = np_ctc(log_probs[:, 0], [1, 1])
    ref1, gamma1 = np_ctc(log_probs[:3, 1], [2])
    close(loss, [ref0, ref1], 1e-12)
    loss.sum().backward()
    # PyTorch's gradient convention: exp(log_probs) - posterior, zero past the input length
    close(lp.grad[:, 0], np.exp(log_probs[:, 0]) - gamma0, 1e-12)
    close(lp.grad[:3, 1], np.exp(log_probs[:3, 1]) - gamma1, 1e-12)
    close(lp.grad[3, 1], np.zeros(n_classes))


@pytest.mark.parametrize('reduction', REDUCTIONS)
def test_ctc_gradcheck_through_log_softmax(rng, reduction):
    # the true gradient w.r.t. the logits (log_softmax's backward completes the convention)
    logits = t64(rng.standard_normal((5, 2, 4)))
    targets, il, tl = tg.tensor([[1, 3, 3], [2, 0, 0]]), tg.tensor([5, 4]), tg.tensor([3, 1])
    assert tg.gradcheck(lambda z: F.ctc_loss(z.log_softmax(2), targets, il, tl,
                                             reduction=reduction), (logits,))


def test_ctc_target_forms_reductions_and_infinity(rng):
    lp = t64(rng.standard_normal((6, 3, 4))).log_softmax(2)
    padded, il, tl = tg.tensor([[1, 2, 2], [3, 1, 9], [1, 9, 9]]), [6, 5, 2], [3, 2, 1]
    per_sample = F.ctc_loss(lp, padded, il, tl, reduction='none').numpy()
    concatenated = tg.tensor([1, 2, 2, 3, 1, 1])
    close(F.ctc_loss(lp, concatenated, tg.tensor(il), tg.tensor(tl), reduction='none'),
          per_sample)
    close(F.ctc_loss(lp, padded, il, tl), (per_sample / np.array(tl)).mean())
    close(F.ctc_loss(lp, padded, il, tl, reduction='sum'), per_sample.sum())
    # one sample, unbatched: (T, C) log-probs, a 1-d target of its length, 0-d lengths
    one = F.ctc_loss(lp[:, 1], tg.tensor([3, 1]), tg.tensor(5), tg.tensor(2), reduction='none')
    assert one.shape == () and one.item() == pytest.approx(per_sample[1], abs=1e-12)
    # an empty target, and an input too short for its target (2 labels 'aa' need 3 frames)
    out = F.ctc_loss(lp, tg.tensor([[1, 1], [1, 1], [0, 0]]), [2, 3, 0], [2, 2, 0],
                     reduction='none').numpy()
    assert out[0] == np.inf and np.isfinite(out[1]) and out[2] == 0
    x = t64(lp.numpy()[:, :1])
    F.ctc_loss(x, tg.tensor([[1, 1]]), [2], [2], zero_infinity=True,
               reduction='sum').backward()
    assert (x.grad.numpy() == 0).all()


def test_ctc_float32_and_no_double_backward(rng):
    lp = Tensor(rng.standard_normal((5, 2, 4)).astype(np.float32), requires_grad=True)
    loss = F.ctc_loss(lp.log_softmax(2), tg.tensor([[1, 2], [3, 3]]), [5, 5], [2, 2])
    assert loss.dtype == np.float32
    (g,) = tg.autograd.grad(loss, [lp], create_graph=True)
    assert g.dtype == np.float32
    with pytest.raises(RuntimeError, match='not implemented'):
        g.sum().backward()


@settings(deadline=None, max_examples=15)
@given(frames=st.integers(1, 7), batch=st.integers(1, 3), classes=st.integers(2, 5),
       longest=st.integers(0, 3), blank=st.integers(0, 4), seed=st.integers(0, 2**16))
def test_ctc_property(frames, batch, classes, longest, blank, seed):
    rng = np.random.default_rng(seed)
    blank = blank % classes
    lp = t64(rng.standard_normal((frames, batch, classes)) * 2).log_softmax(2)
    lp = t64(lp.numpy())
    labels = [c for c in range(classes) if c != blank]
    targets = rng.choice(labels, (batch, longest)) if longest else np.zeros((batch, 0), int)
    tl = rng.integers(0, longest + 1, batch)
    il = rng.integers(0, frames + 1, batch)
    loss = F.ctc_loss(lp, tg.tensor(targets), tg.tensor(il), tg.tensor(tl), blank=blank,
                      reduction='none')
    assert loss.shape == (batch,) and (loss.numpy() >= -1e-12).all()    # -log of a probability
    loss.sum().backward()
    g = lp.grad.numpy()
    finite = np.isfinite(loss.numpy())
    in_input = np.arange(frames)[:, None] < il
    # exp(log p) - posterior: both sum to 1 over the classes wherever the loss is finite
    np.testing.assert_allclose(g.sum(-1)[in_input & finite], 0, atol=1e-10)
    assert (g[~in_input] == 0).all()
    if batch == 1 and frames <= 5 and finite[0]:
        ref, _ = np_ctc(lp.numpy()[:il[0], 0], targets[0, :tl[0]], blank)
        assert loss.item() == pytest.approx(ref, abs=1e-10)


# ---------------------------------------------------------------- shapes, dtypes, errors
def test_float32_stays_float32(rng):
    x = Tensor(rng.standard_normal((4, 3)).astype(np.float32), requires_grad=True)
    y = tg.tensor(rng.random((4, 3)).astype(np.float32))
    sign = tg.tensor(np.where(rng.random((4, 3)) < 0.5, -1.0, 1.0).astype(np.float32))
    losses = [F.margin_ranking_loss(x, y, sign), F.hinge_embedding_loss(x, sign),
              F.soft_margin_loss(x, sign), F.multilabel_soft_margin_loss(x, y.round()),
              F.cosine_embedding_loss(x, y, sign[:, 0]),
              F.multi_margin_loss(x, tg.tensor([0, 1, 2, 0]), weight=tg.tensor([1.0, 2, 3]),
                                  p=2),
              F.multilabel_margin_loss(x, tg.tensor([[0, -1, 1]] * 4)),
              F.triplet_margin_loss(x, y, y.flip(0), swap=True),
              F.poisson_nll_loss(x, y, full=True), F.gaussian_nll_loss(x, y, y + 0.5),
              F.gaussian_nll_loss(x, y, 0.5)]
    for loss in losses:
        assert loss.dtype == np.float32
        x.grad = None
        loss.backward()
        assert x.grad.dtype == np.float32


def test_soft_margin_loss_is_stable():
    x = Tensor(np.array([-1000.0, 1000.0], dtype=np.float32), requires_grad=True)
    loss = F.soft_margin_loss(x, tg.tensor([1.0, 1.0]), reduction='sum')
    loss.backward()
    assert loss.item() == pytest.approx(1000.0)
    close(x.grad, [-1.0, 0.0])


def test_errors():
    x = t64(X)
    with pytest.raises(RuntimeError, match='same dimension'):
        F.margin_ranking_loss(x, x, t64([1.0, 1, 1, 1]))
    with pytest.raises(RuntimeError, match='1D target tensor expects 2D input'):
        F.cosine_embedding_loss(x[0], x[1], t64([1.0]))
    with pytest.raises(RuntimeError, match='0D target tensor expects 1D input'):
        F.cosine_embedding_loss(x, x, t64(1.0))
    with pytest.raises(ValueError, match='only p == 1 and p == 2'):
        F.multi_margin_loss(x, tg.tensor([0, 1, 2]), p=3)
    with pytest.raises(RuntimeError, match='target out of range'):
        F.multi_margin_loss(x, tg.tensor([0, 4, 2]))
    with pytest.raises(RuntimeError, match=r'Expected target size \(3,\)'):
        F.multi_margin_loss(x, tg.tensor([0, 1]))
    with pytest.raises(RuntimeError, match='inconsistent weight size'):
        F.multi_margin_loss(x, tg.tensor([0, 1, 2]), weight=t64([1.0, 2.0]))
    with pytest.raises(RuntimeError, match='non-empty vector or matrix'):
        F.multi_margin_loss(t64(np.zeros((2, 3, 4))), tg.tensor([0, 1]))
    with pytest.raises(RuntimeError, match='integer dtype'):
        F.multi_margin_loss(x, t64([0.0, 1, 2]))
    with pytest.raises(RuntimeError, match='inconsistent target size'):
        F.multilabel_margin_loss(x, tg.tensor([[0, -1, 0, 0]]))
    with pytest.raises(RuntimeError, match='out of range'):
        F.multilabel_margin_loss(x, tg.tensor([[4, -1, 0, 0]] * 3))
    with pytest.raises(ValueError, match='margin must be greater than 0'):
        F.triplet_margin_loss(x, x, x, margin=0)
    with pytest.raises(RuntimeError, match='same number of dimensions'):
        F.triplet_margin_with_distance_loss(x, x[0], x)
    with pytest.raises(ValueError, match='negative'):
        F.gaussian_nll_loss(x, x, -t64(Y) - 0.1)
    with pytest.raises(ValueError, match='incorrect size'):
        F.gaussian_nll_loss(x, x, t64(np.ones((1, 1))))
    with pytest.raises(ValueError, match="'avg' is not a valid value for reduction"):
        F.poisson_nll_loss(x, x, reduction='avg')
    # the older losses, PyTorch's error types
    with pytest.raises(RuntimeError, match='ignore_index is not supported for floating point'):
        F.cross_entropy(x, t64(Y), ignore_index=0)
    assert np.isfinite(F.cross_entropy(x, t64(Y), ignore_index=-1).item())
    # PyTorch rejects label_smoothing > 1 only, and smooths only for values > 0
    with pytest.raises(RuntimeError, match='label_smoothing must be between'):
        F.cross_entropy(x, tg.tensor([0, 1, 2]), label_smoothing=1.5)
    close(F.cross_entropy(x, tg.tensor([0, 1, 2]), label_smoothing=-0.5),
          F.cross_entropy(x, tg.tensor([0, 1, 2])).item())
    with pytest.raises(RuntimeError, match='negative values for beta'):
        F.smooth_l1_loss(x, x, beta=-1.0)
    with pytest.raises(RuntimeError, match='non-positive values for delta'):
        F.huber_loss(x, x, delta=0.0)
    lp = t64(np.full((5, 2, 4), np.log(0.25)))
    t, il, tl = tg.tensor([[1, 2], [3, 3]]), tg.tensor([5, 5]), tg.tensor([2, 2])
    with pytest.raises(RuntimeError, match='input_lengths'):
        F.ctc_loss(lp, t, tg.tensor([6, 5]), tl)
    with pytest.raises(RuntimeError, match='batch_size'):
        F.ctc_loss(lp, t, tg.tensor([5]), tl)
    with pytest.raises(RuntimeError, match='blank must be in label range'):
        F.ctc_loss(lp, t, il, tl, blank=4)
    with pytest.raises(RuntimeError, match='S >= 3'):
        F.ctc_loss(lp, t, il, tg.tensor([3, 2]))
    with pytest.raises(RuntimeError, match='sum\\(target_lengths\\)'):
        F.ctc_loss(lp, tg.tensor([1, 2, 3]), il, tl)
    with pytest.raises(RuntimeError, match='integral'):
        F.ctc_loss(lp, t, t64([5.0, 5.0]), tl)
    with pytest.raises(RuntimeError, match='labels must be in'):
        F.ctc_loss(lp, tg.tensor([[1, 4], [3, 3]]), il, tl)
    with pytest.raises(RuntimeError, match='must not be empty'):
        F.ctc_loss(lp[:0], t, tg.tensor([0, 0]), tl)


# ---------------------------------------------------------------- modules
def test_loss_modules_match_functional(rng):
    x, y = t64(rng.standard_normal((4, 3))), t64(rng.random((4, 3)))
    sign = t64([1.0, -1.0, 1.0, -1.0])
    w = t64([1.0, 2.0, 0.5])
    lp = t64(rng.standard_normal((5, 4, 3))).log_softmax(2)
    ctc_args = (lp, tg.tensor([[1, 2], [2, 2], [1, 0], [2, 1]]), [5, 5, 4, 3], [2, 2, 1, 0])
    pairs = [
        (nn.MarginRankingLoss(margin=0.2), F.margin_ranking_loss(x[:, 0], y[:, 0], sign, 0.2),
         (x[:, 0], y[:, 0], sign)),
        (nn.HingeEmbeddingLoss(margin=0.5, reduction='sum'),
         F.hinge_embedding_loss(x, sign[:, None], 0.5, reduction='sum'), (x, sign[:, None])),
        (nn.SoftMarginLoss(), F.soft_margin_loss(x, sign[:, None]), (x, sign[:, None])),
        (nn.MultiLabelSoftMarginLoss(weight=w), F.multilabel_soft_margin_loss(x, y, w), (x, y)),
        (nn.CosineEmbeddingLoss(margin=0.1), F.cosine_embedding_loss(x, y, sign, 0.1),
         (x, y, sign)),
        (nn.MultiMarginLoss(p=2, margin=0.5, weight=w),
         F.multi_margin_loss(x, tg.tensor([0, 1, 2, 0]), 2, 0.5, w), (x, tg.tensor([0, 1, 2, 0]))),
        (nn.MultiLabelMarginLoss(reduction='none'),
         F.multilabel_margin_loss(x, tg.tensor([[2, -1, 0]] * 4), reduction='none'),
         (x, tg.tensor([[2, -1, 0]] * 4))),
        (nn.TripletMarginLoss(margin=0.5, p=1, swap=True),
         F.triplet_margin_loss(x, y, -x, 0.5, 1, swap=True), (x, y, -x)),
        (nn.TripletMarginWithDistanceLoss(margin=0.5),
         F.triplet_margin_loss(x, y, -x, 0.5), (x, y, -x)),
        (nn.PoissonNLLLoss(log_input=False, full=True),
         F.poisson_nll_loss(y + 0.1, x * 3, log_input=False, full=True), (y + 0.1, x * 3)),
        (nn.GaussianNLLLoss(full=True), F.gaussian_nll_loss(x, y, y + 0.1, full=True),
         (x, y, y + 0.1)),
        (nn.CTCLoss(blank=0, zero_infinity=True), F.ctc_loss(*ctc_args, zero_infinity=True),
         ctc_args),
    ]
    for module, expected, args in pairs:
        close(module(*args), expected.numpy())
    assert repr(nn.CTCLoss()) == 'CTCLoss()'
    assert list(nn.MultiMarginLoss(weight=w).state_dict()) == ['weight']
    # the default distance is a PairwiseDistance submodule, as in PyTorch
    assert repr(nn.TripletMarginWithDistanceLoss()) == (
        'TripletMarginWithDistanceLoss(\n  (distance_function): PairwiseDistance()\n)')
    with pytest.warns(UserWarning, match="reduction='sum'"):
        assert nn.SoftMarginLoss(size_average=False).reduction == 'sum'
    with pytest.warns(FutureWarning, match='NLLLoss2d'):
        legacy = nn.NLLLoss2d(ignore_index=1)
    assert isinstance(legacy, nn.NLLLoss) and legacy.ignore_index == 1
    with pytest.raises(ValueError, match='only p == 1 and p == 2'):
        nn.MultiMarginLoss(p=3)
    with pytest.raises(ValueError, match='greater than 0'):
        nn.TripletMarginLoss(margin=-1.0)
    with pytest.raises(TypeError, match='delta'):
        nn.HuberLoss(delta='1')
    with warnings.catch_warnings():
        warnings.simplefilter('error')              # no warning for the current reduction API
        nn.CTCLoss(reduction='sum')
