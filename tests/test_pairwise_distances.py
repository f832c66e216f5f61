"""cosine_similarity, pairwise_distance, pdist, tg.cdist, tg.dist: numpy references,
PyTorch's eps conventions, gradients, properties and errors."""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import tinygrad_cnn as tg
import tinygrad_cnn.nn as nn
import tinygrad_cnn.nn.functional as F


def pnorm(d, p, axis):
    if p == 0:
        return (d != 0).sum(axis).astype(d.dtype)
    if p == np.inf:
        return np.abs(d).max(axis)
    return (np.abs(d) ** p).sum(axis) ** (1 / p)


@pytest.fixture
def rng():
    return np.random.default_rng(0)


def test_cosine_similarity_reference_and_eps(rng):
    a, b = rng.standard_normal((4, 5, 3)), rng.standard_normal((5, 3))
    ref = (a * b).sum(1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(np.broadcast_to(b, a.shape),
                                                                         axis=1))
    np.testing.assert_allclose(F.cosine_similarity(tg.tensor(a), tg.tensor(b)).numpy(), ref)
    np.testing.assert_allclose(nn.CosineSimilarity(dim=-1)(tg.tensor(a), tg.tensor(b)).numpy(),
                               F.cosine_similarity(tg.tensor(a), tg.tensor(b), dim=2).numpy())
    # each norm is clamped to eps on its own: zero vector -> 0, tiny vector -> x.y / (eps |y|)
    x = np.array([[0., 0., 0.], [1e-9, 0., 0.]])
    y = np.array([[1., 2., 2.], [3., 0., 4.]])
    np.testing.assert_allclose(F.cosine_similarity(tg.tensor(x), tg.tensor(y)).numpy(),
                               [0.0, 1e-9 * 3 / (1e-8 * 5)])
    assert F.cosine_similarity(tg.randn(3, 4), tg.randn(3, 4)).dtype == tg.float32


def test_cosine_similarity_gradient_sees_the_unclamped_norm():
    """PyTorch clamps the norms under no_grad; values verified with PyTorch."""
    x = tg.tensor([[0., 0., 0.], [1e-9, 1e-9, 1e-9]], dtype=tg.float64, requires_grad=True)
    y = tg.tensor([[1., 2., 3.], [4., 5., 6.]], dtype=tg.float64)
    F.cosine_similarity(x, y).sum().backward()
    np.testing.assert_allclose(x.grad.numpy()[1], [35714955.1595, 47111012.8054, 58507070.4514],
                               rtol=1e-9)
    np.testing.assert_allclose(x.grad.numpy()[0], [26726124.1912, 53452248.3825, 80178372.5737],
                               rtol=1e-9)


@pytest.mark.parametrize('p', [2.0, 1.0, 3.0, np.inf, 0.0])
def test_distances_match_numpy(rng, p):
    a, b = rng.standard_normal((4, 3)), rng.standard_normal((4, 3))
    np.testing.assert_allclose(F.pairwise_distance(tg.tensor(a), tg.tensor(b), p).numpy(),
                               pnorm(a - b + 1e-6, p, -1))
    assert F.pairwise_distance(tg.tensor(a), tg.tensor(b[0]), p, keepdim=True).shape == (4, 1)
    np.testing.assert_allclose(F.pdist(tg.tensor(a), p).numpy(),
                               [pnorm(a[i] - a[j], p, -1)
                                for i in range(4) for j in range(i + 1, 4)])
    c = rng.standard_normal((2, 5, 3))
    np.testing.assert_allclose(tg.cdist(tg.tensor(a), tg.tensor(c), p).numpy(),
                               pnorm(a[None, :, None] - c[:, None], p, -1))
    np.testing.assert_allclose(tg.dist(tg.tensor(a), tg.tensor(b[0]), p).numpy(),
                               pnorm((a - b[0]).ravel(), p, 0))
    np.testing.assert_allclose(tg.tensor(a).dist(tg.tensor(b), p).numpy(),
                               pnorm((a - b).ravel(), p, 0))
    assert repr(nn.PairwiseDistance(p=3)) == 'PairwiseDistance()'


def test_gradchecks(rng):
    t = lambda *s: tg.tensor(rng.standard_normal(s), requires_grad=True)  # noqa: E731
    a, b = t(3, 4), t(3, 4)
    assert tg.gradcheck(lambda u, v: F.cosine_similarity(u, v), (a, b))
    assert tg.gradgradcheck(lambda u, v: F.cosine_similarity(u, v, dim=0), (a, b))
    for p in (2.0, 1.5, 3.0):
        assert tg.gradcheck(lambda u, v: F.pairwise_distance(u, v, p), (a, b))
        assert tg.gradcheck(lambda u: F.pdist(u, p), (a,))
        assert tg.gradcheck(lambda u, v: tg.cdist(u, v, p), (a, t(2, 4)))
    assert tg.gradcheck(lambda u, v: tg.dist(u, v), (a, b))


def test_pdist_and_cdist_zero_distance_gradient_is_zero():
    x = tg.tensor([[1., 2.], [1., 2.], [0., 1.]], requires_grad=True)
    F.pdist(x).sum().backward()
    assert np.isfinite(x.grad.numpy()).all()
    y = tg.tensor([[1., 2.]], requires_grad=True)
    tg.cdist(y, y.detach()).sum().backward()
    np.testing.assert_array_equal(y.grad.numpy(), 0)


@settings(max_examples=25, deadline=None)
@given(n=st.integers(1, 5), m=st.integers(1, 4), d=st.integers(1, 4),
       p=st.sampled_from([1.0, 2.0, 3.0, np.inf]), seed=st.integers(0, 2**16))
def test_metric_properties(n, m, d, p, seed):
    """cdist is symmetric, non-negative, agrees with pdist and obeys the triangle inequality;
    cosine similarity lies in [-1, 1] and is 1 for parallel vectors."""
    rng = np.random.default_rng(seed)
    x, y = tg.tensor(rng.standard_normal((n, d))), tg.tensor(rng.standard_normal((m, d)))
    dxy, dyx = tg.cdist(x, y, p).numpy(), tg.cdist(y, x, p).numpy()
    np.testing.assert_allclose(dxy, dyx.T, atol=1e-12)
    assert (dxy >= 0).all()
    dxx = tg.cdist(x, x, p).numpy()
    np.testing.assert_allclose(dxx[np.triu_indices(n, 1)], F.pdist(x, p).numpy(), atol=1e-12)
    # d(x_i, x_k) <= d(x_i, y_j) + d(y_j, x_k)
    assert (dxx[:, None, :] <= dxy[:, :, None] + dyx[None, :, :] + 1e-9).all()
    cos = F.cosine_similarity(x, x * 2.5, dim=1).numpy()
    np.testing.assert_allclose(cos, 1.0, atol=1e-12)
    c = F.cosine_similarity(x[:1], y, dim=1).numpy()
    assert (np.abs(c) <= 1 + 1e-12).all()


@pytest.mark.parametrize('call,error,match', [
    (lambda: tg.cdist(tg.randn(3), tg.randn(3, 3)), RuntimeError, 'at least 2D'),
    (lambda: tg.cdist(tg.randn(2, 3), tg.randn(2, 4)), RuntimeError, 'same number of columns'),
    (lambda: tg.cdist(tg.randn(2, 3), tg.randn(2, 3), -1.0), RuntimeError, 'non-negative'),
    (lambda: F.pdist(tg.randn(2, 3, 3)), RuntimeError, 'only supports 2D'),
    (lambda: F.pdist(tg.randn(3, 3), -1.0), RuntimeError, 'non-negative'),
    (lambda: F.cosine_similarity(tg.ones(2, 3, dtype=tg.int64), tg.ones(2, 3, dtype=tg.int64)),
     RuntimeError, 'floating point'),
])
def test_errors(call, error, match):
    with pytest.raises(error, match=match):
        call()
