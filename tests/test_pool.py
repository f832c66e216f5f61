"""Max/avg/adaptive pooling and max-unpooling: lecture tables, loop references, gradients, errors."""
import itertools
import math

import numpy as np
import pytest
from hypothesis import assume, given, settings, strategies as st

import tinygrad_cnn as tg
import tinygrad_cnn.nn as nn
import tinygrad_cnn.nn.functional as F
from tinygrad_cnn import Tensor


# ----------------------------------------------------------------------------- slow references

def out_size(n, k, s, p, d, ceil_mode):
    """PyTorch's documented pooling output size, written out directly."""
    span = (n + 2 * p - d * (k - 1) - 1) / s
    out = (math.ceil(span) if ceil_mode else math.floor(span)) + 1
    if ceil_mode and (out - 1) * s >= n + p:       # the last window must start inside
        out -= 1
    return out


def _tup(v, n):
    return tuple(v) if isinstance(v, (tuple, list)) else (v,) * n


def max_pool_ref(x, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False):
    """Loops over windows, PyTorch's rule: the first maximum in row-major order wins, but the
    last NaN if any, and never the padding (an all -inf window: its first input element).
    Returns (values, flat indices)."""
    nd = x.ndim - 2
    kernel = _tup(kernel_size, nd)
    stride, padding, dilation = _tup(stride or kernel, nd), _tup(padding, nd), _tup(dilation, nd)
    size = x.shape[2:]
    out = tuple(out_size(*a, ceil_mode) for a in zip(size, kernel, stride, padding, dilation))
    y = np.empty(x.shape[:2] + out)
    idx = np.empty(x.shape[:2] + out, np.int64)
    for n, c in itertools.product(*map(range, x.shape[:2])):
        for pos in itertools.product(*map(range, out)):
            best, where = -np.inf, -1
            for k in itertools.product(*map(range, kernel)):
                coords = [o * s - p + kk * d for o, s, p, kk, d in zip(pos, stride, padding, k, dilation)]
                if all(0 <= v < m for v, m in zip(coords, size)):
                    v = x[(n, c) + tuple(coords)]
                    if where < 0 or v > best or np.isnan(v):
                        best, where = v, int(np.ravel_multi_index(coords, size))
            y[(n, c) + pos], idx[(n, c) + pos] = best, where
    return y, idx


def avg_pool_ref(x, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
                 divisor_override=None):
    nd = x.ndim - 2
    kernel = _tup(kernel_size, nd)
    stride, padding = _tup(stride or kernel, nd), _tup(padding, nd)
    size = x.shape[2:]
    out = tuple(out_size(*a, 1, ceil_mode) for a in zip(size, kernel, stride, padding))
    y = np.empty(x.shape[:2] + out)
    for n, c in itertools.product(*map(range, x.shape[:2])):
        for pos in itertools.product(*map(range, out)):
            start = [o * s - p for o, s, p in zip(pos, stride, padding)]
            end = [min(b + k, m + p) for b, k, m, p in zip(start, kernel, size, padding)]
            pool_size = math.prod(e - b for b, e in zip(start, end))
            lo = [max(b, 0) for b in start]
            hi = [min(e, m) for e, m in zip(end, size)]
            window = x[(n, c) + tuple(slice(a, b) for a, b in zip(lo, hi))]
            divisor = divisor_override or (pool_size if count_include_pad else window.size)
            y[(n, c) + pos] = window.sum() / divisor
    return y


def adaptive_ref(x, out, reduce):
    size = x.shape[2:]
    out = tuple(n if o is None else o for o, n in zip(out, size))
    y = np.empty(x.shape[:2] + out)
    idx = np.empty(x.shape[:2] + out, np.int64)
    for n, c in itertools.product(*map(range, x.shape[:2])):
        for pos in itertools.product(*map(range, out)):
            sl = tuple(slice(i * m // o, -((-(i + 1) * m) // o)) for i, m, o in zip(pos, size, out))
            window = x[(n, c) + sl]
            if reduce == 'max':     # first max, or the last NaN (PyTorch's rule)
                nan = np.flatnonzero(np.isnan(window))
                k = np.unravel_index(nan[-1] if nan.size else np.argmax(window), window.shape)
                y[(n, c) + pos] = window[k]
                idx[(n, c) + pos] = np.ravel_multi_index([s.start + kk for s, kk in zip(sl, k)], size)
            else:
                y[(n, c) + pos] = window.mean()
    return y, idx


def t64(a, requires_grad=True):
    return Tensor(np.asarray(a, dtype=np.float64), requires_grad=requires_grad)


def distinct(rng, shape):
    """Values at least 0.1 apart: no ties, so max pooling has no kinks within gradcheck's eps."""
    return (rng.permutation(math.prod(shape)).reshape(shape) - math.prod(shape) / 2) * 0.1


# ----------------------------------------------------------------------------- lecture examples

TABLE_6x6 = [[1, 3, 2, 4, 5, -1],
             [7, -6, -3, -2, -6, -3],
             [2, 0, 9, 3, 8, 6],
             [0, 1, 2, 4, -1, -3],
             [-2, 0, 1, 1, -4, -1],
             [-3, 4, 0, -1, -5, -2]]


def test_lecture_max_pooling_table():
    y = F.max_pool2d(tg.tensor([[TABLE_6x6]], dtype=tg.float32), kernel_size=2, stride=2)
    np.testing.assert_array_equal(y.numpy()[0, 0], [[7, 4, 5], [2, 9, 8], [4, 1, -1]])


def test_lecture_average_pooling_table():
    y = F.avg_pool2d(tg.tensor([[TABLE_6x6]], dtype=tg.float32), kernel_size=2, stride=2)
    np.testing.assert_array_equal(y.numpy()[0, 0], [[1.25, 0.25, -1.25], [0.75, 4.50, 2.50],
                                                    [-0.25, 0.25, -3.00]])
    assert y.numpy()[0, 0, 2, 0] == ((-2) + (-3) + 0 + 4) / 4


def test_stride_defaults_to_kernel_size():
    x = tg.tensor([[TABLE_6x6]], dtype=tg.float64)
    assert F.max_pool2d(x, 2).shape == (1, 1, 3, 3)          # not 5x5 (stride 1)
    np.testing.assert_array_equal(F.max_pool2d(x, 2).numpy(), F.max_pool2d(x, 2, 2).numpy())
    np.testing.assert_array_equal(F.avg_pool2d(x, 3).numpy(), F.avg_pool2d(x, 3, 3).numpy())


def test_lecture_output_size_7x7_pool_3x3_stride_2():
    assert F.max_pool2d(tg.zeros(1, 1, 7, 7), 3, stride=2).shape == (1, 1, 3, 3)


def test_global_pooling(rng):
    x = rng.standard_normal((2, 3, 7, 5))
    X = t64(x)
    np.testing.assert_allclose(F.adaptive_avg_pool2d(X, 1).numpy(), x.mean(axis=(2, 3), keepdims=True))
    np.testing.assert_allclose(F.avg_pool2d(X, (7, 5)).numpy(), x.mean(axis=(2, 3), keepdims=True))
    np.testing.assert_array_equal(F.adaptive_max_pool2d(X, 1).numpy(), x.max(axis=(2, 3), keepdims=True))
    np.testing.assert_array_equal(F.max_pool2d(X, (7, 5)).numpy(), x.max(axis=(2, 3), keepdims=True))
    _, idx = F.adaptive_max_pool2d(X, 1, return_indices=True)
    np.testing.assert_array_equal(idx.numpy()[..., 0, 0], x.reshape(2, 3, -1).argmax(-1))
    F.adaptive_avg_pool2d(X, 1).sum().backward()
    np.testing.assert_allclose(X.grad.numpy(), np.full(x.shape, 1 / 35))


# ----------------------------------------------------------------------------- PyTorch's corner rules

def test_ceil_mode_drops_a_window_starting_in_the_right_padding():
    x = t64([[[1.0, 2.0, 3.0, 4.0, 5.0]]], False)
    # without the rule ceil((5 + 2 - 2) / 2) + 1 = 4 windows; the 4th would start at 6 (padding)
    y = F.max_pool1d(x, 2, stride=2, padding=1, ceil_mode=True)
    np.testing.assert_array_equal(y.numpy(), [[[1, 3, 5]]])
    z = F.avg_pool1d(x, 2, stride=2, padding=1, ceil_mode=True)
    np.testing.assert_array_equal(z.numpy(), [[[0.5, 2.5, 4.5]]])
    assert F.max_pool1d(x, 2, stride=2, ceil_mode=True).shape == (1, 1, 3)   # last window partial


def test_ceil_mode_partial_window_divisor():
    x = t64(np.arange(1.0, 6.0).reshape(1, 1, 5), False)
    # last window [4, 5) + beyond: count_include_pad counts only up to input + padding
    np.testing.assert_allclose(F.avg_pool1d(x, 2, 2, ceil_mode=True).numpy(), [[[1.5, 3.5, 5.0]]])
    x6 = t64(np.arange(1.0, 7.0).reshape(1, 1, 6), False)
    # windows start at -1, 1, 3, 5; the last covers x[5], one padding element and one beyond
    np.testing.assert_allclose(F.avg_pool1d(x6, 3, 2, padding=1, ceil_mode=True).numpy(),
                               [[[1.0, 3.0, 5.0, 3.0]]])
    np.testing.assert_allclose(F.avg_pool1d(x6, 3, 2, padding=1, ceil_mode=True, count_include_pad=False).numpy(),
                               [[[1.5, 3.0, 5.0, 6.0]]])


def test_max_pool_ties_route_the_gradient_to_the_first_max():
    x = t64([[[[0, 5, 0, 0],
                [5, 1, 0, 0]]]])
    y, idx = F.max_pool2d(x, 2, return_indices=True)
    np.testing.assert_array_equal(idx.numpy().ravel(), [1, 2])     # row-major first of each window
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy()[0, 0], [[0, 1, 1, 0], [0, 0, 0, 0]])


def test_overlapping_max_pool_accumulates_gradient():
    x = t64([[[0.0, 3.0, 1.0, 2.0, 0.5]]])
    F.max_pool1d(x, 3, stride=1).sum().backward()      # windows 0-2, 1-3, 2-4 -> 3, 3, 2
    np.testing.assert_array_equal(x.grad.numpy(), [[[0, 2, 0, 1, 0]]])


def test_max_pool_nan_wins_and_its_last_index_is_returned():
    nan, inf = np.nan, np.inf
    x = t64([[[1.0, nan, 3.0, nan, 2.0, -inf, -inf, -inf]]])
    y, idx = F.max_pool1d(x, 3, stride=1, padding=1, return_indices=True)   # as PyTorch
    np.testing.assert_array_equal(y.detach().numpy(), [[[nan, nan, nan, nan, nan, 2, -inf, -inf]]])
    np.testing.assert_array_equal(idx.numpy(), [[[1, 1, 3, 3, 3, 4, 5, 6]]])
    y.backward(tg.ones(1, 1, 8, dtype=tg.float64))
    np.testing.assert_array_equal(x.grad.numpy(), [[[0, 2, 0, 3, 1, 1, 1, 0]]])
    _, idx = F.max_pool2d(t64([[[[1.0, nan], [nan, 2.0]]]]), 2, return_indices=True)
    assert idx.item() == 2
    _, idx = F.max_pool2d(t64([[[[1.0, nan], [nan, 2.0]]]]), (1, 2), return_indices=True)  # global
    np.testing.assert_array_equal(idx.numpy().ravel(), [1, 2])


def test_all_minus_inf_window_is_won_by_its_first_input_element_not_the_padding():
    x = t64(np.full((1, 1, 5), -np.inf))
    y, idx = F.max_pool1d(x, 3, stride=1, padding=1, return_indices=True)
    np.testing.assert_array_equal(idx.numpy(), [[[0, 0, 1, 2, 3]]])    # not -1 (padding)
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[[2, 1, 1, 1, 0]]])
    x2 = t64(np.full((1, 1, 3, 3), -np.inf), False)
    _, idx = F.max_pool2d(x2, 2, padding=1, return_indices=True)
    np.testing.assert_array_equal(idx.numpy()[0, 0], [[0, 1], [3, 4]])


def test_adaptive_avg_pool_keeps_inf_in_its_own_windows():
    inf = np.inf
    x = t64([[[inf, 1.0, 2.0, 3.0, 4.0, 5.0, -inf]]])     # windows [0, 3), [2, 5), [4, 7)
    np.testing.assert_array_equal(F.adaptive_avg_pool1d(x, 3).detach().numpy(), [[[inf, 3, -inf]]])
    y = F.adaptive_avg_pool2d(t64([[[[inf, 1.0, 2.0, 3.0, 4.0]]]], False), (1, 2))   # [0, 3), [2, 5)
    np.testing.assert_array_equal(y.numpy(), [[[[inf, 3]]]])


def test_return_indices_and_max_unpool_round_trip(rng):
    x = distinct(rng, (2, 3, 6, 7))
    y, idx = F.max_pool2d(t64(x), 2, return_indices=True)
    assert idx.dtype == np.int64 and idx.shape == y.shape
    back = F.max_unpool2d(y, idx, 2, output_size=x.shape[-2:]).numpy()
    kept = back != 0
    np.testing.assert_array_equal(back[kept], x[kept])
    assert kept.sum() == y.numel()
    np.testing.assert_array_equal(back.reshape(2, 3, -1).max(-1), y.numpy().reshape(2, 3, -1).max(-1))
    y, idx = F.max_pool2d(t64(x[..., :6]), 2, return_indices=True)
    assert F.max_unpool2d(y, idx, 2).shape == (2, 3, 6, 6)    # default: (3 - 1) * 2 + 2


# ----------------------------------------------------------------------------- against the references

MAX_CASES = [
    (1, (2, 2, 9), dict(kernel_size=3, stride=2, padding=1, dilation=2, ceil_mode=True)),
    (2, (1, 2, 7, 6), dict(kernel_size=(3, 2), stride=(2, 1), padding=(1, 0))),
    (2, (2, 1, 5, 5), dict(kernel_size=2, ceil_mode=True)),
    (2, (1, 2, 6, 7), dict(kernel_size=3, stride=1, padding=1, dilation=(1, 2))),
    (3, (1, 2, 4, 5, 4), dict(kernel_size=(2, 3, 2), stride=(2, 1, 2), padding=(1, 1, 0), ceil_mode=True)),
]


@pytest.mark.parametrize("nd, shape, opts", MAX_CASES)
def test_max_pool_matches_loop_reference(rng, nd, shape, opts):
    x = rng.standard_normal(shape).round(1)         # ties included
    y, idx = getattr(F, f'max_pool{nd}d')(t64(x, False), return_indices=True, **opts)
    ref, ref_idx = max_pool_ref(x, **opts)
    np.testing.assert_array_equal(y.numpy(), ref)
    np.testing.assert_array_equal(idx.numpy(), ref_idx)


@pytest.mark.parametrize("nd, shape, opts", MAX_CASES)
def test_max_pool_gradcheck(rng, nd, shape, opts):
    pool = getattr(F, f'max_pool{nd}d')
    assert tg.gradcheck(lambda x: pool(x, **opts), t64(distinct(rng, shape)))


AVG_CASES = [
    (1, (2, 2, 9), dict(kernel_size=3, stride=2, padding=1, ceil_mode=True, count_include_pad=False)),
    (2, (1, 2, 7, 6), dict(kernel_size=(3, 2), stride=(2, 1), padding=(1, 0))),
    (2, (2, 1, 5, 5), dict(kernel_size=2, ceil_mode=True, divisor_override=3)),
    (2, (1, 2, 6, 7), dict(kernel_size=3, stride=2, padding=1, ceil_mode=True, count_include_pad=False)),
    (3, (1, 2, 4, 5, 4), dict(kernel_size=(2, 3, 2), stride=(2, 1, 2), padding=(1, 1, 0), ceil_mode=True)),
]


@pytest.mark.parametrize("nd, shape, opts", AVG_CASES)
def test_avg_pool_matches_loop_reference(rng, nd, shape, opts):
    x = rng.standard_normal(shape)
    y = getattr(F, f'avg_pool{nd}d')(t64(x, False), **opts)
    np.testing.assert_allclose(y.numpy(), avg_pool_ref(x, **opts), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("nd, shape, opts", AVG_CASES)
def test_avg_pool_gradcheck(rng, nd, shape, opts):
    pool = getattr(F, f'avg_pool{nd}d')
    assert tg.gradcheck(lambda x: pool(x, **opts), t64(rng.standard_normal(shape)))


ADAPTIVE_CASES = [(1, (2, 2, 7), (3,)), (2, (1, 2, 7, 5), (3, 2)), (2, (1, 2, 5, 6), (None, 4)),
                  (2, (2, 1, 6, 4), (3, 2)), (2, (1, 1, 3, 2), (5, 4)), (3, (1, 1, 5, 3, 4), (2, None, 3))]


@pytest.mark.parametrize("nd, shape, out", ADAPTIVE_CASES)
def test_adaptive_pools_match_loop_reference(rng, nd, shape, out):
    x = rng.standard_normal(shape).round(1)
    size = out[0] if nd == 1 else out
    ref, ref_idx = adaptive_ref(x, out, 'max')
    y, idx = getattr(F, f'adaptive_max_pool{nd}d')(t64(x, False), size, return_indices=True)
    np.testing.assert_array_equal(y.numpy(), ref)
    np.testing.assert_array_equal(idx.numpy(), ref_idx)
    avg = getattr(F, f'adaptive_avg_pool{nd}d')(t64(x, False), size)
    np.testing.assert_allclose(avg.numpy(), adaptive_ref(x, out, 'avg')[0], rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("nd, shape, out", ADAPTIVE_CASES)
def test_adaptive_pools_gradcheck(rng, nd, shape, out):
    size = out[0] if nd == 1 else out
    x = t64(distinct(rng, shape))
    assert tg.gradcheck(lambda x: getattr(F, f'adaptive_max_pool{nd}d')(x, size), x)
    assert tg.gradcheck(lambda x: getattr(F, f'adaptive_avg_pool{nd}d')(x, size), x)


# non-overlapping windows: with overlaps two outputs can share an index, and the one written
# last wins (as in PyTorch), which makes the gather backward inexact there
@pytest.mark.parametrize("nd, shape, opts", [(1, (2, 2, 9), dict(kernel_size=2)),
                                             (2, (1, 2, 6, 7), dict(kernel_size=(2, 3), stride=(2, 3))),
                                             (2, (1, 1, 5, 5), dict(kernel_size=3, stride=3, padding=1)),
                                             (3, (1, 1, 4, 4, 5), dict(kernel_size=2))])
def test_max_unpool_matches_and_gradcheck(rng, nd, shape, opts):
    x = distinct(rng, shape)
    y, idx = getattr(F, f'max_pool{nd}d')(t64(x, False), return_indices=True, **opts)
    unpool = getattr(F, f'max_unpool{nd}d')
    out = unpool(y, idx, output_size=shape[2:], **opts).numpy()
    ref = np.zeros(shape)
    flat = ref.reshape(shape[0], shape[1], -1)
    np.put_along_axis(flat, idx.numpy().reshape(shape[0], shape[1], -1), y.numpy().reshape(shape[0], shape[1], -1), -1)
    np.testing.assert_array_equal(out, ref)
    assert tg.gradcheck(lambda v: unpool(v, idx, output_size=shape[2:], **opts), t64(y.numpy()))


def test_max_pool_gradgradcheck(rng):
    x = t64(distinct(rng, (1, 2, 5, 5)))
    assert tg.gradgradcheck(lambda x: F.max_pool2d(x, 3, stride=2, padding=1), x)   # overlapping
    assert tg.gradgradcheck(lambda x: F.max_pool2d(x, 2), x)


def test_avg_and_adaptive_gradgradcheck(rng):
    x = t64(rng.standard_normal((1, 2, 5, 5)))
    assert tg.gradgradcheck(lambda x: F.avg_pool2d(x, 3, stride=2, padding=1, count_include_pad=False), x)
    assert tg.gradgradcheck(lambda x: F.adaptive_avg_pool2d(x, (2, 3)), x)
    assert tg.gradgradcheck(lambda x: F.adaptive_max_pool2d(x, (3, 2)), t64(distinct(rng, (1, 2, 5, 5))))


@st.composite
def pool_configs(draw):
    nd = draw(st.integers(1, 3))
    kernel = tuple(draw(st.integers(1, 3)) for _ in range(nd))
    stride = tuple(draw(st.integers(1, 3)) for _ in range(nd))
    dilation = tuple(draw(st.integers(1, 2)) for _ in range(nd))
    padding = tuple(draw(st.integers(0, k // 2)) for k in kernel)
    size = tuple(draw(st.integers(1, 6)) for _ in range(nd))
    ceil_mode = draw(st.booleans())
    outs = [out_size(*a, ceil_mode) for a in zip(size, kernel, stride, padding, dilation)]
    assume(all(o >= 1 for o in outs))
    # every window must contain an input element (PyTorch's all-padding windows give -inf and
    # an out-of-range index)
    assume(all(any(0 <= i * s - p + j * d < n for j in range(k))
               for o, s, p, k, d, n in zip(outs, stride, padding, kernel, dilation, size) for i in range(o)))
    return nd, (draw(st.integers(1, 2)), draw(st.integers(1, 2))) + size, dict(
        kernel_size=kernel, stride=stride, padding=padding, dilation=dilation, ceil_mode=ceil_mode)


@settings(deadline=None, max_examples=25)
@given(pool_configs(), st.integers(0, 2**31 - 1))
def test_max_pool_property_matches_reference(config, seed):
    nd, shape, opts = config
    rng = np.random.default_rng(seed)
    x = rng.integers(-3, 4, shape).astype(np.float64)   # many ties
    x[rng.random(shape) < 0.2] = rng.choice([np.nan, -np.inf])
    ref, ref_idx = max_pool_ref(x, **opts)
    y, idx = getattr(F, f'max_pool{nd}d')(t64(x, False), return_indices=True, **opts)
    np.testing.assert_array_equal(y.numpy(), ref)
    np.testing.assert_array_equal(idx.numpy(), ref_idx)


@settings(deadline=None, max_examples=25)
@given(pool_configs(), st.booleans(), st.integers(0, 2**31 - 1))
def test_avg_pool_property_matches_reference(config, count_include_pad, seed):
    nd, shape, opts = config
    opts.pop('dilation')
    x = np.random.default_rng(seed).standard_normal(shape)
    y = getattr(F, f'avg_pool{nd}d')(t64(x, False), count_include_pad=count_include_pad, **opts)
    np.testing.assert_allclose(y.numpy(), avg_pool_ref(x, count_include_pad=count_include_pad, **opts),
                               rtol=1e-12, atol=1e-12)


@settings(deadline=None, max_examples=20)
@given(st.integers(1, 2), st.lists(st.integers(1, 7), min_size=2, max_size=2),
       st.lists(st.one_of(st.none(), st.integers(1, 7)), min_size=2, max_size=2), st.integers(0, 2**31 - 1))
def test_adaptive_property_matches_reference(n, size, out, seed):
    rng = np.random.default_rng(seed)
    x = rng.integers(-3, 4, (n, 2) + tuple(size)).astype(np.float64)
    x[rng.random(x.shape) < 0.2] = rng.choice([np.nan, np.inf, -np.inf])
    y, idx = F.adaptive_max_pool2d(t64(x, False), tuple(out), return_indices=True)
    ref, ref_idx = adaptive_ref(x, tuple(out), 'max')
    np.testing.assert_array_equal(y.numpy(), ref)
    np.testing.assert_array_equal(idx.numpy(), ref_idx)
    np.testing.assert_allclose(F.adaptive_avg_pool2d(t64(x, False), tuple(out)).numpy(),
                               adaptive_ref(x, tuple(out), 'avg')[0], rtol=1e-12, atol=1e-12)


# ----------------------------------------------------------------------------- dtypes, batching, blocks

def test_float32_stays_float32(rng):
    x = Tensor(rng.standard_normal((2, 3, 9, 8)).astype(np.float32), requires_grad=True)
    outs = [F.max_pool2d(x, 3, 2, 1), F.avg_pool2d(x, 3, 2, 1, count_include_pad=False),
            F.adaptive_avg_pool2d(x, (4, 3)), F.adaptive_max_pool2d(x, (4, 3)), F.adaptive_avg_pool2d(x, 1)]
    for y in outs:
        assert y.dtype == np.float32
    sum(y.sum() for y in outs).backward()
    assert x.grad.dtype == np.float32


def test_unbatched_inputs(rng):
    x = distinct(rng, (3, 6, 5))
    y, idx = F.max_pool2d(t64(x, False), 2, return_indices=True)
    ref, ref_idx = max_pool_ref(x[None], 2)
    assert y.shape == (3, 3, 2)
    np.testing.assert_array_equal(y.numpy(), ref[0])
    np.testing.assert_array_equal(idx.numpy(), ref_idx[0])
    np.testing.assert_allclose(F.avg_pool1d(t64(x[0], False), 2).numpy(), avg_pool_ref(x[:1], 2)[0])
    assert F.adaptive_avg_pool2d(t64(x, False), 1).shape == (3, 1, 1)
    y1, i1 = F.adaptive_max_pool1d(t64(x[0], False), 4, return_indices=True)
    assert y1.shape == i1.shape == (6, 4)
    assert F.max_unpool2d(y, idx, 2, output_size=(6, 5)).shape == (3, 6, 5)


def test_small_blocks_match(rng, monkeypatch):
    from tinygrad_cnn.nn.functional import pool
    x = distinct(rng, (3, 4, 7, 6))
    expected = [f(t64(x)) for f in (lambda v: F.max_pool2d(v, 3, 2, 1), lambda v: F.avg_pool2d(v, 3, 2, 1))]
    monkeypatch.setattr(pool, '_POOL_BLOCK_BYTES', 500)      # several blocks, a partial last one
    for f, e in zip((lambda v: F.max_pool2d(v, 3, 2, 1), lambda v: F.avg_pool2d(v, 3, 2, 1)), expected):
        X = t64(x)
        y = f(X)
        np.testing.assert_allclose(y.numpy(), e.numpy(), rtol=1e-12)
        assert tg.gradcheck(f, t64(x[:1, :2]))


def test_3d_modules_reprs_and_forward(rng):
    x = t64(distinct(rng, (1, 2, 4, 4, 6)), False)
    pool = nn.AdaptiveMaxPool3d((2, None, 3), return_indices=True)
    assert repr(pool) == 'AdaptiveMaxPool3d(output_size=(2, None, 3))'     # as PyTorch prints
    y, idx = pool(x)
    ref, ref_idx = adaptive_ref(x.numpy(), (2, None, 3), 'max')
    np.testing.assert_array_equal(y.numpy(), ref)
    unpool = nn.MaxUnpool3d(2)
    assert repr(unpool) == 'MaxUnpool3d(kernel_size=(2, 2, 2), stride=(2, 2, 2), padding=(0, 0, 0))'
    y, idx = F.max_pool3d(x, 2, return_indices=True)
    np.testing.assert_array_equal(unpool(y, idx).numpy(), F.max_unpool3d(y, idx, 2).numpy())
    avg = nn.AdaptiveAvgPool3d(1)
    assert repr(avg) == 'AdaptiveAvgPool3d(output_size=1)'
    np.testing.assert_allclose(avg(x).numpy().ravel(), x.numpy().mean(axis=(2, 3, 4)).ravel())


# ----------------------------------------------------------------------------- errors

@pytest.mark.parametrize("call, exc, words", [
    (lambda: F.max_pool2d(tg.zeros(1, 1, 7, 7), 3, padding=2), ValueError, ["max_pool2d", "padding", "kernel_size"]),
    (lambda: F.avg_pool2d(tg.zeros(1, 1, 7, 7), 2, padding=2), ValueError, ["avg_pool2d", "padding"]),
    (lambda: F.max_pool2d(tg.zeros(1, 1, 2, 2), 3), RuntimeError, ["max_pool2d", "too small", "(1, 1, 2, 2)"]),
    (lambda: F.max_pool2d(tg.zeros(1, 1, 4, 4), 2, stride=0), ValueError, ["max_pool2d", "stride"]),
    (lambda: F.max_pool2d(tg.zeros(1, 1, 4, 4), 0), ValueError, ["max_pool2d", "kernel_size"]),
    (lambda: F.avg_pool2d(tg.zeros(1, 1, 4, 4), 2, divisor_override=0), ValueError, ["avg_pool2d", "divisor"]),
    (lambda: F.max_pool2d(tg.zeros(4, 4), 2), RuntimeError, ["max_pool2d", "input.shape=(4, 4)"]),
    (lambda: F.max_pool1d(tg.zeros(1, 1, 4, 4), 2), RuntimeError, ["max_pool1d", "(1, 1, 4, 4)"]),
    (lambda: F.adaptive_avg_pool2d(tg.zeros(1, 1, 4, 4), (2, 2, 2)), ValueError, ["adaptive_avg_pool2d", "output_size"]),
    (lambda: F.adaptive_max_pool2d(tg.zeros(1, 1, 4, 4), 0), ValueError, ["adaptive_max_pool2d", "output_size"]),
    (lambda: F.max_unpool2d(tg.zeros(1, 1, 2, 2), tg.tensor([[[[0, 1], [2, 50]]]]), 2), RuntimeError,
     ["max_unpool2d", "50", "(4, 4)"]),
    (lambda: F.max_unpool2d(tg.zeros(1, 1, 2, 2), tg.tensor([[[[0, 1], [2, 3]]]]), 2, output_size=(9, 9)),
     ValueError, ["max_unpool2d", "output_size"]),
    (lambda: F.max_unpool2d(tg.zeros(1, 1, 2, 2), tg.tensor([[[[0, 1], [2, 3]]]]), 2, output_size=(1, 4, 4)),
     ValueError, ["max_unpool2d", "output_size=(1, 4, 4)", "2 sizes"]),     # (*S) or (N, C, *S) only
])
def test_errors_name_op_argument_and_shapes(call, exc, words):
    with pytest.raises(exc) as info:
        call()
    for word in words:
        assert word in str(info.value), (word, str(info.value))


@settings(deadline=None, max_examples=10)
@given(pool_configs(), st.booleans(), st.integers(0, 2**31 - 1))
def test_pool_property_gradcheck(config, count_include_pad, seed):
    nd, shape, opts = config
    assume(np.prod(shape) <= 120)
    x = t64(distinct(np.random.default_rng(seed), shape))
    assert tg.gradcheck(lambda v: getattr(F, f'max_pool{nd}d')(v, **opts), x)
    opts.pop('dilation')
    assert tg.gradcheck(lambda v: getattr(F, f'avg_pool{nd}d')(v, count_include_pad=count_include_pad,
                                                                **opts), x)
