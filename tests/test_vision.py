"""pixel_shuffle/unshuffle, channel_shuffle, affine_grid and grid_sample: loop references,
literals verified with PyTorch, gradients for input and grid, properties and errors."""
import warnings

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import tinygrad_cnn as tg
import tinygrad_cnn.nn as nn
import tinygrad_cnn.nn.functional as F


def test_pixel_shuffle_matches_loop_and_unshuffle_inverts():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 3, 2 * 2 * 2, 3, 2))        # two leading dims
    r = 2
    y = F.pixel_shuffle(tg.tensor(x), r).numpy()
    assert y.shape == (2, 3, 2, 6, 4)
    for c in range(2):
        for h in range(3):
            for w in range(2):
                for i in range(r):
                    for j in range(r):
                        np.testing.assert_array_equal(y[:, :, c, h * r + i, w * r + j],
                                                      x[:, :, c * r * r + i * r + j, h, w])
    np.testing.assert_array_equal(F.pixel_unshuffle(tg.tensor(y), r).numpy(), x)
    assert repr(nn.PixelShuffle(2)) == 'PixelShuffle(upscale_factor=2)'
    assert repr(nn.PixelUnshuffle(3)) == 'PixelUnshuffle(downscale_factor=3)'
    t = tg.tensor(x[0], requires_grad=True)
    assert tg.gradcheck(lambda v: nn.PixelUnshuffle(2)(nn.PixelShuffle(2)(v) * 2), (t,))


def test_channel_shuffle():
    x = tg.arange(6, dtype=tg.float32).reshape(1, 6, 1)
    np.testing.assert_array_equal(F.channel_shuffle(x, 3).numpy().ravel(), [0, 2, 4, 1, 3, 5])
    y = tg.randn(2, 12, 2, 2)
    back = nn.ChannelShuffle(4)(nn.ChannelShuffle(3)(y))
    np.testing.assert_array_equal(back.numpy(), y.numpy())
    assert repr(nn.ChannelShuffle(2)) == 'ChannelShuffle(groups=2)'
    assert F.native_channel_shuffle(x, 2).shape == (1, 6, 1)


@pytest.mark.parametrize('fn,args,error,match', [
    (F.pixel_shuffle, ((2, 3), 2), RuntimeError, 'at least 3 dimensions'),
    (F.pixel_shuffle, ((5, 2, 2), 2), RuntimeError, 'divisible by the square'),
    (F.pixel_shuffle, ((4, 2, 2), 0), RuntimeError, 'positive upscale_factor'),
    (F.pixel_unshuffle, ((1, 5, 4), 2), RuntimeError, 'height to be divisible'),
    (F.channel_shuffle, ((2, 5, 3), 2), RuntimeError, 'divisible by groups'),
    (F.channel_shuffle, ((2, 4), 2), RuntimeError, '> 2 dims'),
    (F.channel_shuffle, ((2, 4, 3), 0), RuntimeError, 'must be positive'),
])
def test_shuffle_errors(fn, args, error, match):
    with pytest.raises(error, match=match):
        fn(tg.randn(*args[0]), args[1])


def test_affine_grid_values_verified_with_pytorch():
    theta = tg.tensor([[[0.8, -0.3, 0.1], [0.2, 1.1, -0.2]]])
    grid = F.affine_grid(theta, (1, 1, 2, 3), align_corners=False)
    np.testing.assert_allclose(grid.numpy()[0], [[[-0.28333336, -0.88333333], [0.25, -0.75],
                                                  [0.78333342, -0.61666667]],
                                                 [[-0.58333337, 0.21666668], [-0.05, 0.35000002],
                                                  [0.48333335, 0.48333335]]], atol=1e-6)
    eye = tg.tensor(np.eye(3, 4)[None])
    grid3 = F.affine_grid(eye, (1, 2, 2, 3, 4), align_corners=True).numpy()
    assert grid3.shape == (1, 2, 3, 4, 3)
    np.testing.assert_allclose(grid3[0, 1, 2, 3], [1, 1, 1])      # the far corner
    with pytest.warns(UserWarning, match='align_corners=False'):
        F.affine_grid(theta, (1, 1, 2, 3))
    t = tg.tensor(np.random.default_rng(0).standard_normal((2, 2, 3)), requires_grad=True)
    assert tg.gradcheck(lambda m: F.affine_grid(m, (2, 1, 3, 2), align_corners=False), (t,))


def test_grid_sample_values_verified_with_pytorch():
    x = tg.arange(12.).reshape(1, 1, 3, 4)
    g = tg.tensor([[[[-1.2, -0.9], [0.3, 0.4], [1.3, 0.95]]]])
    expected = {
        ('bilinear', 'zeros'): [0.0, 8.5, 0.0],
        ('bilinear', 'border'): [0.0, 8.5, 11.0],
        ('bilinear', 'reflection'): [0.0, 8.5, 10.9],
        ('nearest', 'zeros'): [0.0, 10.0, 0.0],
        ('nearest', 'reflection'): [0.0, 10.0, 11.0],
        ('bicubic', 'zeros'): [-0.04087977, 10.04790497, -0.41597486],
        ('bicubic', 'border'): [-0.45037365, 8.87874699, 11.42154884],
        ('bicubic', 'reflection'): [-0.74999887, 8.87874699, 11.65787697],
    }
    for (mode, padding), values in expected.items():
        out = F.grid_sample(x, g, mode=mode, padding_mode=padding, align_corners=False)
        np.testing.assert_allclose(out.numpy().ravel(), values, atol=2e-6, err_msg=mode + padding)


def bilinear_zeros_ref(x, grid, align_corners):
    """Loop reference: unnormalise, 4 neighbours, zero outside."""
    n, c, h, w = x.shape
    out = np.zeros((n, c) + grid.shape[1:3])
    for b in range(n):
        for i in range(grid.shape[1]):
            for j in range(grid.shape[2]):
                gx, gy = grid[b, i, j]
                if align_corners:
                    px, py = (gx + 1) / 2 * (w - 1), (gy + 1) / 2 * (h - 1)
                else:
                    px, py = ((gx + 1) * w - 1) / 2, ((gy + 1) * h - 1) / 2
                x0, y0 = int(np.floor(px)), int(np.floor(py))
                for yy in (y0, y0 + 1):
                    for xx in (x0, x0 + 1):
                        if 0 <= yy < h and 0 <= xx < w:
                            wgt = (1 - abs(px - xx)) * (1 - abs(py - yy))
                            out[b, :, i, j] += wgt * x[b, :, yy, xx]
    return out


@pytest.mark.parametrize('align_corners', [False, True])
def test_grid_sample_bilinear_matches_loop(align_corners):
    rng = np.random.default_rng(2)
    x, grid = rng.standard_normal((2, 3, 4, 5)), rng.uniform(-1.3, 1.3, (2, 3, 2, 2))
    out = F.grid_sample(tg.tensor(x), tg.tensor(grid), align_corners=align_corners)
    np.testing.assert_allclose(out.numpy(), bilinear_zeros_ref(x, grid, align_corners), atol=1e-12)


@pytest.mark.parametrize('mode,nd', [('bilinear', 2), ('bicubic', 2), ('nearest', 2),
                                     ('bilinear', 3)])
@pytest.mark.parametrize('padding_mode', ['zeros', 'border', 'reflection'])
def test_grid_sample_gradcheck(mode, nd, padding_mode):
    rng = np.random.default_rng(3)
    x = tg.tensor(rng.standard_normal((1, 2) + (3 if nd == 2 else 2,) * nd), requires_grad=True)
    grid = tg.tensor(rng.uniform(-1.2, 1.2, (1,) + (2,) * nd + (nd,)),
                     requires_grad=mode != 'nearest')
    for align_corners in (False, True):
        assert tg.gradcheck(lambda a, g: F.grid_sample(a, g, mode, padding_mode, align_corners),
                            (x, grid))


def test_grid_sample_nearest_gives_grid_a_zero_gradient():
    x, grid = tg.randn(1, 1, 3, 3), tg.rand(1, 2, 2, 2, requires_grad=True)
    F.grid_sample(x, grid * 2 - 1, mode='nearest', align_corners=False).sum().backward()
    np.testing.assert_array_equal(grid.grad.numpy(), 0)


@settings(max_examples=20, deadline=None)
@given(mode=st.sampled_from(['bilinear', 'nearest', 'bicubic']),
       padding_mode=st.sampled_from(['zeros', 'border', 'reflection']), align=st.booleans(),
       h=st.integers(2, 5), w=st.integers(2, 5), seed=st.integers(0, 2**16))
def test_grid_sample_at_pixel_centres_reads_the_pixels(mode, padding_mode, align, h, w, seed):
    """Grid points on pixel centres return exactly those pixels, in every mode; the identity
    affine grid reproduces the input."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((1, 2, h, w))
    iy, ix = rng.integers(0, h, (3, 4)), rng.integers(0, w, (3, 4))
    if align:
        gx, gy = ix / (w - 1) * 2 - 1, iy / (h - 1) * 2 - 1
    else:
        gx, gy = (2 * ix + 1) / w - 1, (2 * iy + 1) / h - 1
    grid = tg.tensor(np.stack([gx, gy], -1)[None])
    out = F.grid_sample(tg.tensor(x), grid, mode, padding_mode, align).numpy()
    np.testing.assert_allclose(out[0], x[0][:, iy, ix], atol=1e-9)
    eye = F.affine_grid(tg.tensor(np.eye(2, 3)[None]), (1, 2, h, w), align_corners=align)
    np.testing.assert_allclose(F.grid_sample(tg.tensor(x), eye, mode, padding_mode, align).numpy(),
                               x, atol=1e-9)


@pytest.mark.parametrize('x_shape,grid_shape,kwargs,error', [
    ((1, 1, 4, 4), (1, 2, 2, 2), dict(mode='foo'), ValueError),
    ((1, 1, 4, 4), (1, 2, 2, 2), dict(padding_mode='foo'), ValueError),
    ((1, 1, 4, 4), (2, 2, 2, 2), {}, RuntimeError),
    ((1, 1, 4, 4), (1, 2, 2, 3), {}, RuntimeError),
    ((1, 1, 2, 2, 2), (1, 1, 1, 1, 3), dict(mode='bicubic'), RuntimeError),
    ((1, 1, 0, 4), (1, 2, 2, 2), {}, RuntimeError),
    ((1, 1, 4), (1, 2, 2), {}, RuntimeError),
])
def test_grid_sample_errors(x_shape, grid_shape, kwargs, error):
    with pytest.raises(error), warnings.catch_warnings():
        warnings.simplefilter('ignore')
        F.grid_sample(tg.zeros(*x_shape), tg.zeros(*grid_shape), **kwargs)


def test_affine_grid_errors():
    with pytest.raises(ValueError, match='Nx2x3'):
        F.affine_grid(tg.zeros(1, 3, 3), (1, 1, 4, 4), align_corners=False)
    with pytest.raises(NotImplementedError, match='4D and 5D'):
        F.affine_grid(tg.zeros(1, 2, 3), (1, 1, 4), align_corners=False)
    with pytest.raises(ValueError, match='positive output size'):
        F.affine_grid(tg.zeros(1, 2, 3), (1, 1, 0, 4), align_corners=False)
    with pytest.raises(ValueError, match='floating point'):
        F.affine_grid(tg.zeros(1, 2, 3, dtype=tg.int64), (1, 1, 2, 4), align_corners=False)
