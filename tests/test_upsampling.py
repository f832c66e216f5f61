"""F.interpolate / nn.Upsample: PyTorch's index arithmetic (literals verified with PyTorch),
a per-pixel numpy reference for (bi)linear, gradients, properties, reprs and errors."""
import math
import warnings

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import tinygrad_cnn as tg
import tinygrad_cnn.nn as nn
import tinygrad_cnn.nn.functional as F


def bilinear_ref(x, out, align_corners):
    """Per output pixel: PyTorch's documented source position, 4 neighbours, float64."""
    n, c, h, w = x.shape
    y = np.zeros((n, c) + out)

    def source(i, size, o):
        if o == size:
            return float(i)
        if align_corners:
            return i * (size - 1) / (o - 1) if o > 1 else 0.0
        return max((i + 0.5) * size / o - 0.5, 0.0)

    for i in range(out[0]):
        for j in range(out[1]):
            sy, sx = source(i, h, out[0]), source(j, w, out[1])
            y0, x0 = min(int(sy), h - 1), min(int(sx), w - 1)
            y1, x1 = min(y0 + 1, h - 1), min(x0 + 1, w - 1)
            ly, lx = sy - y0, sx - x0
            y[:, :, i, j] = ((1 - ly) * ((1 - lx) * x[:, :, y0, x0] + lx * x[:, :, y0, x1])
                             + ly * ((1 - lx) * x[:, :, y1, x0] + lx * x[:, :, y1, x1]))
    return y


@pytest.mark.parametrize('align_corners', [False, True])
@pytest.mark.parametrize('out', [(7, 5), (2, 3), (3, 4), (1, 1)])
def test_bilinear_matches_per_pixel_reference(out, align_corners):
    x = np.random.default_rng(0).standard_normal((2, 3, 3, 4))
    y = F.interpolate(tg.tensor(x), size=out, mode='bilinear', align_corners=align_corners)
    np.testing.assert_allclose(y.numpy(), bilinear_ref(x, out, align_corners), atol=1e-12)


def test_values_verified_with_pytorch():
    x = tg.arange(1., 5.).reshape(1, 1, 4)
    np.testing.assert_allclose(
        F.interpolate(x, scale_factor=1.7, mode='linear').numpy().ravel(),
        [1.0, 1.38235307, 1.97058833, 2.55882359, 3.14705896, 3.73529434], atol=1e-6)
    np.testing.assert_array_equal(
        F.interpolate(x, scale_factor=0.6, mode='linear', align_corners=True).numpy().ravel(),
        [1, 4])
    np.testing.assert_array_equal(F.interpolate(x, size=7).numpy().ravel(), [1, 1, 2, 2, 3, 3, 4])
    np.testing.assert_array_equal(F.interpolate(x, size=7, mode='nearest-exact').numpy().ravel(),
                                  [1, 1, 2, 3, 3, 4, 4])
    x2 = tg.arange(9.).reshape(1, 1, 3, 3)
    np.testing.assert_allclose(
        F.interpolate(x2, size=(4, 5), mode='bicubic').numpy()[0, 0],
        [[-0.31133202, 0.10066846, 0.78466797, 1.46866798, 1.88066804],
         [1.49335563, 1.90535569, 2.58935547, 3.27335548, 3.68535590],
         [4.31464481, 4.72664452, 5.41064453, 6.09464502, 6.50664520],
         [6.11933231, 6.53133202, 7.21533203, 7.89933300, 8.31133270]], atol=2e-6)
    np.testing.assert_allclose(
        F.interpolate(x2, scale_factor=1.7, mode='bicubic', align_corners=True).numpy()[0, 0, 1],
        [1.21875, 1.625, 2.21875, 2.8125, 3.21875], atol=1e-6)


def test_nearest_scale_factor_quirks_of_pytorch():
    """1-d/3-d nearest use floor(i / scale) in forward but PyTorch's backward kernel copies /
    halves indices when out == n or 2n; 2-d nearest takes those shortcuts in both."""
    x = tg.tensor([[[1., 2., 3.]]], requires_grad=True)
    y = F.interpolate(x, scale_factor=2.2, recompute_scale_factor=False)
    np.testing.assert_array_equal(y.numpy().ravel(), [1, 1, 1, 2, 2, 3])
    y.backward(tg.tensor([[[1., 10, 100, 1000, 10000, 100000]]]))
    np.testing.assert_array_equal(x.grad.numpy().ravel(), [11, 1100, 110000])
    y = F.interpolate(x, scale_factor=2.2, recompute_scale_factor=True)
    np.testing.assert_array_equal(y.numpy().ravel(), [1, 1, 2, 2, 3, 3])
    y2 = F.interpolate(x.detach().reshape(1, 1, 1, 3), scale_factor=2.2,
                       recompute_scale_factor=False)
    np.testing.assert_array_equal(y2.numpy()[0, 0, 0], [1, 1, 2, 2, 3, 3])


def test_area_is_adaptive_average_pooling_and_dtype_kept():
    x = tg.randn(2, 3, 7, 5)
    np.testing.assert_allclose(F.interpolate(x, size=(3, 2), mode='area').numpy(),
                               F.adaptive_avg_pool2d(x, (3, 2)).numpy())
    for mode in ('nearest', 'bilinear', 'bicubic', 'area'):
        y = F.interpolate(tg.randn(1, 2, 3, 3, requires_grad=True), scale_factor=1.5, mode=mode)
        y.sum().backward()
        assert y.dtype == tg.float32


LANCZOS = [2.44719768, 7.60992384, 16.36700058, 50.76599884, 71.50228119, 95.83292389]


def test_antialias():
    """Shrinking by 2 with the triangle filter stretched by 2: weights (1, 3, 3, 1) / 8,
    renormalised where the border cuts the window; values verified with PyTorch."""
    x = tg.arange(8.).reshape(1, 1, 1, 8)
    np.testing.assert_allclose(
        F.interpolate(x, size=(1, 4), mode='bilinear', antialias=True).numpy().ravel(),
        [1.25 / 1.75, 2.5, 4.5, 11 / 1.75], rtol=1e-6)
    y = F.interpolate(tg.arange(12.).reshape(1, 1, 3, 4) ** 2, scale_factor=0.6, mode='bicubic',
                      antialias=True)
    np.testing.assert_allclose(y.numpy().ravel(), [8.31986141, 18.71802330], rtol=1e-6)
    y = F.interpolate(tg.arange(12.).reshape(1, 1, 3, 4) ** 2, size=(2, 3), mode='lanczos',
                      antialias=True)
    np.testing.assert_allclose(y.numpy().ravel(), LANCZOS, rtol=1e-6)
    rng = np.random.default_rng(4)
    t = tg.tensor(rng.standard_normal((1, 2, 7, 6)), requires_grad=True)
    for mode in ('bilinear', 'bicubic', 'lanczos'):
        const = F.interpolate(tg.full((1, 1, 9, 7), 3.0, dtype=tg.float64), scale_factor=0.35,
                              mode=mode, antialias=True)
        np.testing.assert_allclose(const.numpy(), 3.0, rtol=1e-12)
        assert tg.gradcheck(lambda v: F.interpolate(v, size=(3, 4), mode=mode, antialias=True,
                                                    align_corners=mode == 'bicubic'), (t,))
    with pytest.raises(ValueError, match='Anti-alias'):
        F.interpolate(tg.randn(1, 1, 4), size=2, mode='linear', antialias=True)
    with pytest.raises(ValueError, match='requires antialias=True'):
        F.interpolate(tg.randn(1, 1, 4, 4), size=2, mode='lanczos')


MODES = [('nearest', 1), ('nearest', 3), ('nearest-exact', 2), ('linear', 1), ('bilinear', 2),
         ('bicubic', 2), ('trilinear', 3), ('area', 2)]


@pytest.mark.parametrize('mode,nd', MODES)
def test_gradcheck(mode, nd):
    rng = np.random.default_rng(1)
    x = tg.tensor(rng.standard_normal((1, 2) + (3,) * nd), requires_grad=True)
    for kw in (dict(scale_factor=1.7), dict(size=(2,) * nd)):
        if mode not in ('nearest', 'nearest-exact', 'area'):
            kw['align_corners'] = 'size' in kw
        assert tg.gradcheck(lambda t: F.interpolate(t, mode=mode, **kw), (x,))
    if mode in ('bilinear', 'bicubic'):
        assert tg.gradgradcheck(lambda t: F.interpolate(t, scale_factor=1.5, mode=mode), (x,))


@settings(max_examples=25, deadline=None)
@given(mode_nd=st.sampled_from(MODES[:-1]), n=st.integers(1, 6),
       scale=st.sampled_from([0.5, 0.6, 1.0, 1.7, 2.0, 3.0]), align=st.booleans(),
       seed=st.integers(0, 2**16))
def test_properties(mode_nd, n, scale, align, seed):
    """Output size floor(n * scale); weights sum to 1 (constants stay constant); (bi)linear
    and nearest stay within the input's range; linear in the input; backward is the adjoint."""
    mode, nd = mode_nd
    kw = {} if mode.startswith('nearest') else dict(align_corners=align)
    out = math.floor(n * scale)
    if out == 0:
        return
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((1, 2) + (n,) * nd)
    y = F.interpolate(tg.tensor(x), scale_factor=scale, mode=mode, **kw).numpy()
    assert y.shape == (1, 2) + (out,) * nd
    const = F.interpolate(tg.full((1, 1) + (n,) * nd, 2.5, dtype=tg.float64), scale_factor=scale,
                          mode=mode, **kw).numpy()
    np.testing.assert_allclose(const, 2.5, atol=1e-12)
    if mode != 'bicubic':
        assert y.min() >= x.min() - 1e-12 and y.max() <= x.max() + 1e-12
    x2 = rng.standard_normal(x.shape)
    y2 = F.interpolate(tg.tensor(2 * x - 3 * x2), scale_factor=scale, mode=mode, **kw).numpy()
    y3 = F.interpolate(tg.tensor(x2), scale_factor=scale, mode=mode, **kw).numpy()
    np.testing.assert_allclose(y2, 2 * y - 3 * y3, atol=1e-10)
    xt = tg.tensor(x, requires_grad=True)
    g = rng.standard_normal(y.shape)
    F.interpolate(xt, scale_factor=scale, mode=mode, **kw).backward(tg.tensor(g))
    np.testing.assert_allclose((y * g).sum(), (x * xt.grad.numpy()).sum(), rtol=1e-10, atol=1e-10)


def test_upsample_modules_and_deprecated_aliases():
    assert repr(nn.Upsample(scale_factor=2)) == "Upsample(scale_factor=2.0, mode='nearest')"
    assert repr(nn.Upsample(size=(3, 4), mode='bilinear')) == \
        "Upsample(size=(3, 4), mode='bilinear')"
    assert repr(nn.UpsamplingNearest2d(scale_factor=2)) == \
        "UpsamplingNearest2d(scale_factor=2.0, mode='nearest')"
    assert repr(nn.UpsamplingBilinear2d(size=3)) == "UpsamplingBilinear2d(size=3, mode='bilinear')"
    x = tg.randn(1, 2, 3, 3)
    np.testing.assert_array_equal(nn.UpsamplingBilinear2d(scale_factor=2)(x).numpy(),
                                  F.interpolate(x, scale_factor=2, mode='bilinear',
                                                align_corners=True).numpy())
    with pytest.warns(UserWarning, match='upsample_bilinear` is deprecated'):
        F.upsample_bilinear(x, scale_factor=2)
    with pytest.warns(UserWarning, match='upsample_nearest` is deprecated'):
        F.upsample_nearest(x, size=5)
    with pytest.warns(UserWarning, match='upsample` is deprecated'):
        F.upsample(x, size=5, mode='bicubic')


@pytest.mark.parametrize('kwargs,shape,error', [
    (dict(size=3, scale_factor=2), (1, 1, 4, 4), ValueError),
    (dict(), (1, 1, 4, 4), ValueError),
    (dict(size=2, align_corners=True), (1, 1, 4, 4), ValueError),
    (dict(size=(2, 3, 4)), (1, 1, 4, 4), ValueError),
    (dict(size=2, recompute_scale_factor=True), (1, 1, 4, 4), ValueError),
    (dict(size=(2.0, 3)), (1, 1, 4, 4), TypeError),
    (dict(size=3, mode='linear'), (1, 1, 4, 4), NotImplementedError),
    (dict(size=3, mode='bicubic'), (1, 1, 4), NotImplementedError),
    (dict(size=3, mode='foo'), (1, 1, 4, 4), NotImplementedError),
    (dict(scale_factor=0.1), (1, 1, 4, 4), RuntimeError),
    (dict(size=3, mode='nearest', antialias=True), (1, 1, 4, 4), ValueError),
])
def test_errors(kwargs, shape, error):
    with pytest.raises(error), warnings.catch_warnings():
        warnings.simplefilter('ignore')
        F.interpolate(tg.randn(*shape), **kwargs)
