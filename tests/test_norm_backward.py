"""Normalize's backward has two implementations of one formula: in-place array passes
for a plain ``backward()``, Tensor ops (differentiable again) under ``create_graph``.

Both must give the closed-form batch-norm gradient, in the input's dtype:
with c = x - mean, s = 1/sqrt(var + eps), n the count per statistic,
``dx = s w (dy - sum(dy)/n) - c s^3 w sum(dy c)/n``, ``dw = s sum(dy c)``, ``db = sum(dy)``.
"""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import tinygrad_cnn as tg
import tinygrad_cnn.nn.functional as F


def reference(x, w, dy, axes, eps):
    """numpy (float64) batch-norm gradients for per-channel weight ``w`` (1, C, 1, ...)."""
    x, w, dy = (a.astype(np.float64) for a in (x, w, dy))
    n = x.size // np.prod([x.shape[a] for a in range(x.ndim) if a not in axes], dtype=int)
    c = x - x.mean(axes, keepdims=True)
    s = 1 / np.sqrt((c * c).mean(axes, keepdims=True) + eps)
    sum_g, sum_gc = dy.sum(axes, keepdims=True), (dy * c).sum(axes, keepdims=True)
    dx = s * w * (dy - sum_g / n) - c * s ** 3 * w * sum_gc / n
    return dx, (s * sum_gc).ravel(), sum_g.ravel()


@settings(deadline=None, max_examples=15)
@given(st.integers(2, 5), st.integers(1, 3), st.lists(st.integers(1, 4), max_size=2),
       st.sampled_from([np.float32, np.float64]), st.booleans(), st.integers(0, 99))
def test_batch_norm_backward_both_paths_match_the_closed_form(n, c, spatial, dtype,
                                                              create_graph, seed):
    rng = np.random.default_rng(seed)
    shape = (n, c, *spatial)
    x0 = (rng.standard_normal(shape) * 3 + 1).astype(dtype)
    w0, b0 = rng.standard_normal(c).astype(dtype), rng.standard_normal(c).astype(dtype)
    dy = rng.standard_normal(shape).astype(dtype)
    x, w, b = (tg.tensor(a, requires_grad=True) for a in (x0, w0, b0))
    y = F.batch_norm(x, None, None, w, b, training=True, eps=1e-3)
    grads = tg.autograd.grad(y, (x, w, b), tg.tensor(dy), create_graph=create_graph)
    axes = (0, *range(2, len(shape)))
    tol = 2e-4 if dtype == np.float32 else 1e-10
    assert grads[0].requires_grad == create_graph       # dx depends on x: differentiable again
    for got, want in zip(grads, reference(x0, w0.reshape((1, c) + (1,) * len(spatial)), dy,
                                          axes, 1e-3)):
        assert got.dtype == dtype
        np.testing.assert_allclose(got.numpy(), want, rtol=tol, atol=tol)


@pytest.mark.parametrize('create_graph', [False, True])
def test_layer_norm_input_gradient_both_paths(create_graph):
    rng = np.random.default_rng(0)
    x0, dy = rng.standard_normal((3, 4, 5)), rng.standard_normal((3, 4, 5))
    x = tg.tensor(x0, requires_grad=True)
    (gx,) = tg.autograd.grad(F.layer_norm(x, (4, 5), eps=1e-5), (x,), tg.tensor(dy),
                             create_graph=create_graph)
    # per sample: the batch-norm formula over the last two axes, weight 1
    want = np.stack([reference(x0[i][None, None], np.ones((1, 1, 1, 1)), dy[i][None, None],
                               (0, 1, 2, 3), 1e-5)[0][0, 0] for i in range(3)])
    np.testing.assert_allclose(gx.numpy(), want, rtol=1e-10, atol=1e-12)


def test_backward_leaves_the_saved_statistics_intact_for_retain_graph():
    # the in-place path writes into a buffer of its own, never into what forward saved
    rng = np.random.default_rng(1)
    x = tg.tensor(rng.standard_normal((4, 2, 3)), requires_grad=True)
    y = F.batch_norm(x, None, None, training=True)
    dy = tg.tensor(rng.standard_normal((4, 2, 3)))
    y.backward(dy, retain_graph=True)
    first = x.grad.numpy().copy()
    x.grad = None
    y.backward(dy)
    np.testing.assert_array_equal(x.grad.numpy(), first)


@pytest.mark.parametrize('dtype', [np.float32, np.float64])
def test_gradient_of_a_sum_of_normalised_values_is_zero(dtype):
    # y.sum().backward() hands Normalize a broadcast (zero-stride) gradient; the normalised
    # values of each channel sum to 0 whatever x is, so dx = 0 and dbias = the count
    x = tg.tensor(np.random.default_rng(2).standard_normal((6, 3, 4, 5)).astype(dtype),
                  requires_grad=True)
    b = tg.zeros(3, dtype=dtype, requires_grad=True)
    F.batch_norm(x, None, None, None, b, training=True).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 0, atol=1e-5 if dtype == np.float32 else 1e-12)
    np.testing.assert_array_equal(b.grad.numpy(), [120, 120, 120])
    assert x.grad.dtype == dtype
