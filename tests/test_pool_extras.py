"""LPPool1d/2d/3d, the *_with_indices forms, FractionalMaxPool2d/3d: references, literals
verified with PyTorch, gradients, reprs and errors."""
import itertools

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import tinygrad_cnn as tg
import tinygrad_cnn.nn as nn
import tinygrad_cnn.nn.functional as F


# ----------------------------------------------------------------------------- LP pooling

def test_lp_pool_values():
    x = tg.tensor([[[1., -2., 3., 4., 0.5]]])
    # a ceil_mode window cut by the border averages its part, times the full kernel size
    np.testing.assert_allclose(F.lp_pool1d(x, 2, 2, ceil_mode=True).numpy().ravel(),
                               [5 ** 0.5, 5.0, 0.5 ** 0.5], rtol=1e-6)
    x = tg.tensor([[[1., 2., 3., 4., 0.5]]])
    np.testing.assert_allclose(F.lp_pool1d(x, 3, 3, 1).numpy().ravel(),
                               [3.30192733, 4.62606478, 4.5], rtol=1e-6)
    rng = np.random.default_rng(0)
    a = rng.uniform(0.1, 2, (2, 3, 4, 6))
    y = F.lp_pool2d(tg.tensor(a), 1.5, (2, 3)).numpy()
    ref = (a.reshape(2, 3, 2, 2, 2, 3) ** 1.5).sum((3, 5)) ** (1 / 1.5)
    np.testing.assert_allclose(y, ref, rtol=1e-12)
    b = rng.standard_normal((1, 2, 4, 4, 4))
    np.testing.assert_allclose(nn.LPPool3d(2, 2)(tg.tensor(b)).numpy(),
                               np.sqrt((b.reshape(1, 2, 2, 2, 2, 2, 2, 2) ** 2).sum((3, 5, 7))),
                               rtol=1e-12)


def test_lp_pool_gradcheck_and_repr():
    rng = np.random.default_rng(1)
    x = tg.tensor(rng.uniform(0.2, 2, (1, 2, 5, 4)), requires_grad=True)
    assert tg.gradcheck(lambda t: F.lp_pool2d(t, 2, 2, 1), (x,))
    assert tg.gradcheck(lambda t: F.lp_pool2d(t, 3.0, (2, 3), ceil_mode=True), (x,))
    assert tg.gradcheck(lambda t: F.lp_pool1d(t[0], 1.5, 3, 2), (x,))
    assert repr(nn.LPPool2d(2, 3)) == \
        'LPPool2d(norm_type=2, kernel_size=3, stride=None, ceil_mode=False)'
    assert repr(nn.LPPool1d(1.5, 3, 2, True)) == \
        'LPPool1d(norm_type=1.5, kernel_size=3, stride=2, ceil_mode=True)'


def test_with_indices_forms_always_return_indices():
    x = tg.randn(2, 3, 6, 6)
    y, idx = F.max_pool2d_with_indices(x, 2)
    ref_y, ref_idx = F.max_pool2d(x, 2, return_indices=True)
    np.testing.assert_array_equal(y.numpy(), ref_y.numpy())
    np.testing.assert_array_equal(idx.numpy(), ref_idx.numpy())
    assert len(F.max_pool1d_with_indices(x[0], 3)) == 2
    assert len(F.max_pool3d_with_indices(x, 2)) == 2
    y, idx = F.adaptive_max_pool2d_with_indices(x, 4)
    np.testing.assert_array_equal(idx.numpy(), F.adaptive_max_pool2d(x, 4, True)[1].numpy())
    assert len(F.adaptive_max_pool1d_with_indices(x[0], 4)) == 2
    assert len(F.adaptive_max_pool3d_with_indices(x, 2)) == 2


# ----------------------------------------------------------------------------- fractional

def fractional_ref(x, kernel, out, samples):
    """Loops: PyTorch's window starts per (sample, channel, dim), first max wins."""
    nd = len(kernel)
    order = (1, 0) if nd == 2 else (0, 1, 2)       # which random sample each dim uses
    n, c, size = x.shape[0], x.shape[1], x.shape[2:]
    y, idx = np.zeros((n, c) + out), np.zeros((n, c) + out, np.int64)
    for b, ch in itertools.product(range(n), range(c)):
        starts = []
        for d in range(nd):
            u = samples[b, ch, order[d]]
            alpha = (size[d] - kernel[d]) / (out[d] - 1) if out[d] > 1 else 0
            s = [int((i + u) * alpha) - int(u * alpha) for i in range(out[d] - 1)]
            starts.append(s + [size[d] - kernel[d]])
        for pos in itertools.product(*map(range, out)):
            best, where = -np.inf, None
            for k in itertools.product(*map(range, kernel)):
                coord = tuple(starts[d][pos[d]] + k[d] for d in range(nd))
                if where is None or x[(b, ch) + coord] > best:
                    best, where = x[(b, ch) + coord], coord
            y[(b, ch) + pos] = best
            idx[(b, ch) + pos] = np.ravel_multi_index(where, size)
    return y, idx


def test_fractional_max_pool2d_value_verified_with_pytorch():
    signs = np.tile([1., -1., 1., -1., 1.], 5).reshape(5, 5)
    x = tg.tensor((np.arange(25.).reshape(5, 5) * signs)[None, None])
    y, idx = F.fractional_max_pool2d(x, 2, output_size=(3, 3), return_indices=True,
                                     _random_samples=tg.tensor([[[0.3, 0.8]]]))
    np.testing.assert_array_equal(y.numpy()[0, 0], [[5, 7, 9], [10, 12, 14], [20, 22, 24]])
    np.testing.assert_array_equal(idx.numpy()[0, 0], [[5, 7, 9], [10, 12, 14], [20, 22, 24]])


@settings(max_examples=15, deadline=None)
@given(nd=st.sampled_from([2, 3]), data=st.data())
def test_fractional_max_pool_matches_loops(nd, data):
    size = tuple(data.draw(st.lists(st.integers(3, 7), min_size=nd, max_size=nd)))
    kernel = tuple(data.draw(st.integers(1, 2)) for _ in range(nd))
    # PyTorch's 3-d kernel needs out + k - 1 < size, the 2-d one allows equality
    out = tuple(data.draw(st.integers(1, s - k + (1 if nd == 2 else 0)))
                for s, k in zip(size, kernel))
    rng = np.random.default_rng(data.draw(st.integers(0, 2**16)))
    x = np.round(rng.standard_normal((2, 2) + size), 1)     # rounded: ties happen
    samples = rng.random((2, 2, nd))
    pool = F.fractional_max_pool2d if nd == 2 else F.fractional_max_pool3d
    xt = tg.tensor(x, requires_grad=True)
    y, idx = pool(xt, kernel, out, return_indices=True, _random_samples=samples)
    ref_y, ref_idx = fractional_ref(x, kernel, out, samples)
    np.testing.assert_array_equal(y.numpy(), ref_y)
    np.testing.assert_array_equal(idx.numpy(), ref_idx)
    y.sum().backward()                       # each output's gradient goes to its winner
    counts = np.zeros(x.size)
    planes = np.arange(4).reshape(2, 2, *(1,) * nd) * int(np.prod(size))
    np.add.at(counts, (ref_idx + planes).ravel(), 1)
    np.testing.assert_array_equal(xt.grad.numpy().ravel(), counts)


def test_fractional_max_pool_modules_ratio_gradcheck_and_errors():
    x = tg.tensor(np.random.default_rng(2).standard_normal((1, 2, 7, 6)), requires_grad=True)
    m = nn.FractionalMaxPool2d(2, output_ratio=0.5)
    assert repr(m) == 'FractionalMaxPool2d()' and not dict(m.state_dict())
    assert m(x).shape == (1, 2, 3, 3)
    m3 = nn.FractionalMaxPool3d(2, output_size=(2, 1, 2))
    assert m3(tg.randn(2, 4, 3, 4)).shape == (2, 2, 1, 2)
    samples = tg.rand(1, 2, 2, dtype=tg.float64)
    assert tg.gradcheck(lambda t: F.fractional_max_pool2d(t, (2, 3), (3, 2),
                                                          _random_samples=samples), (x,))
    with pytest.raises(ValueError, match='either an output size'):
        nn.FractionalMaxPool2d(2)
    with pytest.raises(ValueError, match='only one of'):
        nn.FractionalMaxPool2d(2, output_size=2, output_ratio=0.5)
    with pytest.raises(ValueError, match='between 0 and 1'):
        nn.FractionalMaxPool3d(2, output_ratio=1.5)
    with pytest.raises(ValueError, match='output_size or an output_ratio'):
        F.fractional_max_pool2d(x, 2)
    with pytest.raises(RuntimeError, match='too large relative to input'):
        F.fractional_max_pool2d(x, 3, output_size=(6, 2))
    with pytest.raises(RuntimeError, match='too large relative to input'):
        F.fractional_max_pool3d(tg.randn(1, 1, 4, 4, 4), 2, output_size=(3, 2, 2))
