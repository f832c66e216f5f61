"""Rearranging and resampling images: ``pixel_shuffle``/``pixel_unshuffle``,
``channel_shuffle``, and the spatial-transformer pair ``affine_grid`` + ``grid_sample``.

The shuffles are reshapes and one permutation, so their gradients come from those ops.

``grid_sample`` reads ``input`` at arbitrary real positions: for each output
point the grid gives ``(x, y[, z])`` in ``[-1, 1]``; these are mapped to pixel
coordinates (``align_corners``), folded back into the image (``padding_mode``)
and interpolated from the 2^d neighbours (bilinear), the nearest pixel, or the
4x4 neighbours (bicubic). It is written with Tensor ops: the neighbours'
*positions* are constants (floors of the coordinates), the *weights* are
differentiable functions of the grid and the *values* are gathers from
``input`` -- so autograd gives both the input gradient (a scatter-add) and
the grid gradient, as PyTorch's ``grid_sampler`` backward does.
"""
import itertools
import warnings

import numpy as np

from ...backend import get_array_module
from ...ops.elementwise import _const
from ...tensor import where

__all__ = ['pixel_shuffle', 'pixel_unshuffle', 'channel_shuffle', 'native_channel_shuffle',
           'affine_grid', 'grid_sample']


# ----------------------------------------------------------------------------- shuffles

def _check_factor(op, name, factor):
    if not isinstance(factor, (int, np.integer)) or isinstance(factor, bool):
        raise TypeError(f"{op}(): argument '{name}' (position 2) must be int, not "
                        f"{type(factor).__name__}")
    if factor <= 0:
        raise RuntimeError(f"{op} expects a positive {name}, but got {factor}")


def pixel_shuffle(input, upscale_factor):
    """``(*, C r^2, H, W)`` -> ``(*, C, H r, W r)``, ``r = upscale_factor``: each group of
    ``r^2`` channels becomes an ``r x r`` block of pixels (sub-pixel convolution)."""
    _check_factor('pixel_shuffle', 'upscale_factor', upscale_factor)
    if input.ndim < 3:
        raise RuntimeError(f"pixel_shuffle expects input to have at least 3 dimensions, but got "
                           f"input with {input.ndim} dimension(s)")
    r = int(upscale_factor)
    *lead, c, h, w = input.shape
    if c % (r * r):
        raise RuntimeError(f"pixel_shuffle expects its input's 'channel' dimension to be "
                           f"divisible by the square of upscale_factor, but input.size(-3)={c} "
                           f"is not divisible by {r * r}")
    k = len(lead)
    x = input.reshape(tuple(lead) + (c // (r * r), r, r, h, w))
    x = x.permute(*range(k), k, k + 3, k + 1, k + 4, k + 2)      # (*, C, H, r, W, r)
    return x.reshape(tuple(lead) + (c // (r * r), h * r, w * r))


def pixel_unshuffle(input, downscale_factor):
    """The inverse of :func:`pixel_shuffle`: ``(*, C, H r, W r)`` -> ``(*, C r^2, H, W)``."""
    _check_factor('pixel_unshuffle', 'downscale_factor', downscale_factor)
    if input.ndim < 3:
        raise RuntimeError(f"pixel_unshuffle expects input to have at least 3 dimensions, but "
                           f"got input with {input.ndim} dimension(s)")
    r = int(downscale_factor)
    *lead, c, h, w = input.shape
    for name, size, dim in (('height', h, -2), ('width', w, -1)):
        if size % r:
            raise RuntimeError(f"pixel_unshuffle expects {name} to be divisible by "
                               f"downscale_factor, but input.size({dim})={size} is not divisible "
                               f"by {r}")
    k = len(lead)
    x = input.reshape(tuple(lead) + (c, h // r, r, w // r, r))
    x = x.permute(*range(k), k, k + 2, k + 4, k + 1, k + 3)      # (*, C, r, r, H, W)
    return x.reshape(tuple(lead) + (c * r * r, h // r, w // r))


def channel_shuffle(input, groups):
    """Interleave the channels of ``input`` ``(N, C, *)`` across ``groups`` groups
    (ShuffleNet): view C as ``(groups, C / groups)``, transpose, flatten. Channel
    ``i * (C / groups) + j`` moves to ``j * groups + i``."""
    if groups <= 0:
        raise RuntimeError(f"Number of groups to divide channels in must be positive. Value of "
                           f"groups:{groups}")
    if input.ndim <= 2:
        raise RuntimeError(f"channel_shuffle expects input with > 2 dims, but got input with "
                           f"sizes {list(input.shape)}")
    n, c, *rest = input.shape
    if c % groups:
        raise RuntimeError(f"Number of channels must be divisible by groups. Got {c} channels "
                           f"and {groups} groups.")
    x = input.reshape((n, groups, c // groups) + tuple(rest)).transpose(1, 2)
    return x.reshape(tuple(input.shape))


native_channel_shuffle = channel_shuffle


# ----------------------------------------------------------------------------- affine_grid

def _warn_align_corners():
    warnings.warn("Default grid_sample and affine_grid behavior has changed to "
                  "align_corners=False since 1.3.0. Please specify align_corners=True if the old "
                  "behavior is desired. See the documentation of grid_sample for details.",
                  stacklevel=3)


def _base_coordinates(steps, align_corners, dtype):
    """Pixel centres along one dim in [-1, 1] (``align_corners``: the end pixels' centres are
    -1 and 1; otherwise their outer edges are)."""
    if steps <= 1:
        return np.zeros(steps, dtype)
    r = np.linspace(-1, 1, steps).astype(dtype)
    return r if align_corners else r * dtype.type(steps - 1) / dtype.type(steps)


def affine_grid(theta, size, align_corners=None):
    """Sampling grid of affine maps, for :func:`grid_sample` (spatial transformer networks).

    Args:
        theta: ``(N, 2, 3)`` for a 2-d ``size`` ``(N, C, H, W)``, or ``(N, 3, 4)`` for a 3-d
            ``size`` ``(N, C, D, H, W)``; maps output coordinates ``(x, y[, z], 1)`` to input
            coordinates.
        align_corners: as :func:`grid_sample` (default False, with PyTorch's warning).

    Returns:
        ``(N, H, W, 2)`` (or ``(N, D, H, W, 3)``): ``grid[n, i, j] = theta[n] @ (x_j, y_i, 1)``
        with ``x, y`` the normalised pixel centres, last dim ordered ``(x, y[, z])``.
    """
    if align_corners is None:
        _warn_align_corners()
        align_corners = False
    if theta.dtype.kind != 'f':
        raise ValueError(f"Expected theta to have floating point type, but got {theta.dtype}")
    size = tuple(int(s) for s in size)
    if len(size) not in (4, 5):
        raise NotImplementedError(f"affine_grid only supports 4D and 5D sizes, for 2D and 3D "
                                  f"affine transforms, respectively. Got size {size}.")
    nd = len(size) - 2
    if theta.ndim != 3 or tuple(theta.shape[1:]) != (nd, nd + 1):
        raise ValueError(f"Expected a batch of {nd}D affine matrices of shape Nx{nd}x{nd + 1} for "
                         f"size {size}. Got {tuple(theta.shape)}.")
    spatial = size[2:]
    if align_corners and min(spatial) == 1:
        warnings.warn("Since version 1.3.0, affine_grid behavior has changed for unit-size grids "
                      "when align_corners=True. This is not an intended use case of affine_grid. "
                      "See the documentation of affine_grid for details.", stacklevel=2)
    elif min(size) <= 0:
        raise ValueError(f"Expected non-zero, positive output size. Got {size}")
    if theta.shape[0] != size[0]:
        raise RuntimeError(f"affine_grid: expected theta of batch size {size[0]} for size {size}, "
                           f"got theta.shape={tuple(theta.shape)}")
    # base[..., :] = (x, y[, z], 1) at every output position (spatial dims reversed: x is W)
    axes = [_base_coordinates(s, align_corners, theta.dtype) for s in spatial]
    mesh = np.meshgrid(*axes, indexing='ij')
    base = np.stack(list(mesh[::-1]) + [np.ones(spatial, theta.dtype)], -1).reshape(-1, nd + 1)
    xp = get_array_module(theta.data)
    grid = _const(xp.asarray(base)) @ theta.transpose(1, 2)       # (N, prod(S), nd)
    return grid.reshape((size[0],) + spatial + (nd,))


# ----------------------------------------------------------------------------- grid_sample

def _unnormalize(coord, size, align_corners):
    """[-1, 1] -> pixel coordinates (PyTorch's ``grid_sampler_unnormalize``)."""
    if align_corners:
        return (coord + 1) / 2 * (size - 1)
    return ((coord + 1) * size - 1) / 2


def _clip(coord, size):
    """Clamp to ``[0, size - 1]``, slope 1 strictly inside and 0 outside (as PyTorch)."""
    inside = (coord > 0) & (coord < size - 1)
    return where(inside, coord, coord.detach().clamp(0, size - 1))


def _reflect(coord, twice_low, twice_high):
    """Fold ``coord`` into ``[low, high]`` by reflecting at both ends, repeatedly."""
    if twice_low == twice_high:
        return coord * 0
    low, span = twice_low / 2, (twice_high - twice_low) / 2
    dist = (coord - low).abs()
    xp = get_array_module(dist.data)
    flips = xp.floor(dist.data / span)
    # extra = fmod(dist, span), exact as PyTorch's; its slope is that of dist (1)
    extra = _const(xp.fmod(dist.data, span)) + (dist - dist.detach())
    return where(_const(flips % 2 == 0), extra + low, span - extra + low)


def _fold(coord, size, padding_mode, align_corners):
    """Apply ``padding_mode`` to pixel coordinates (``compute_coordinates``)."""
    if padding_mode == 'border':
        return _clip(coord, size)
    if padding_mode == 'reflection':
        coord = _reflect(coord, 0, 2 * (size - 1)) if align_corners else \
            _reflect(coord, -1, 2 * size - 1)
        return _clip(coord, size)
    return coord


def _gather(values, index):
    """``values (N, *S, C)`` at integer positions ``index`` (one ``(N, *out)`` array per dim,
    inside the image) -> ``(N, *out, C)``."""
    xp = get_array_module(index[0])
    n = xp.arange(values.shape[0]).reshape((-1,) + (1,) * (index[0].ndim - 1))
    return values[(n,) + tuple(index)]


def _cubic_coefficients(t):
    """The 4 cubic convolution weights (A = -0.75) for fraction ``t``, PyTorch's formulas."""
    A = -0.75

    def near(x):
        return ((A + 2) * x - (A + 3)) * x * x + 1

    def far(x):
        return ((A * x - 5 * A) * x + 8 * A) * x - 4 * A

    return [far(t + 1), near(t), near(1 - t), far(2 - t)]


def grid_sample(input, grid, mode='bilinear', padding_mode='zeros', align_corners=None):
    """Sample ``input`` at the positions in ``grid`` (spatial transformer networks).

    Args:
        input: ``(N, C, H, W)`` or ``(N, C, D, H, W)``.
        grid: ``(N, H_out, W_out, 2)`` (or ``(N, D_out, H_out, W_out, 3)``) of positions
            ``(x, y[, z])`` normalised to ``[-1, 1]`` over the input's width, height (, depth).
        mode: ``'bilinear'`` (trilinear for 5-d input), ``'nearest'`` (round half to even) or
            ``'bicubic'`` (4-d input only).
        padding_mode: values outside the input: ``'zeros'``, ``'border'`` (the nearest edge
            value) or ``'reflection'`` (the input mirrored at its edges).
        align_corners: True: -1 and 1 are the centres of the corner pixels; False (default,
            with PyTorch's warning): their outer edges.

    Returns:
        ``(N, C, H_out, W_out)`` (or ``(N, C, D_out, H_out, W_out)``), differentiable with
        respect to ``input`` and ``grid``.
    """
    if mode not in ('bilinear', 'nearest', 'bicubic'):
        raise ValueError(f"nn.functional.grid_sample(): expected mode to be 'bilinear', 'nearest' "
                         f"or 'bicubic', but got: '{mode}'")
    if padding_mode not in ('zeros', 'border', 'reflection'):
        raise ValueError(f"nn.functional.grid_sample(): expected padding_mode to be 'zeros', "
                         f"'border', or 'reflection', but got: '{padding_mode}'")
    if align_corners is None:
        _warn_align_corners()
        align_corners = False
    shapes = f"input with sizes {list(input.shape)} and grid with sizes {list(grid.shape)}"
    if input.ndim not in (4, 5) or grid.ndim != input.ndim:
        raise RuntimeError(f"grid_sampler(): expected 4D or 5D input and grid with same number of "
                           f"dimensions, but got {shapes}")
    nd = input.ndim - 2
    if grid.shape[0] != input.shape[0]:
        raise RuntimeError(f"grid_sampler(): expected grid and input to have same batch size, "
                           f"but got {shapes}")
    if grid.shape[-1] != nd:
        raise RuntimeError(f"grid_sampler(): expected grid to have size {nd} in last dimension, "
                           f"but got grid with sizes {list(grid.shape)}")
    for d in range(2, input.ndim):
        if input.shape[d] == 0:
            raise RuntimeError(f"grid_sampler(): expected input to have non-empty spatial "
                               f"dimensions, but input has sizes {list(input.shape)} with "
                               f"dimension {d} being empty")
    if mode == 'bicubic' and nd != 2:
        raise RuntimeError("grid_sampler(): bicubic interpolation only supports 4D input.")
    if input.dtype != grid.dtype:
        raise RuntimeError(f"grid_sampler(): expected input and grid to have the same dtype, but "
                           f"input has {input.dtype} and grid has {grid.dtype}")
    spatial = tuple(input.shape[2:])
    values = input.permute(0, *range(2, input.ndim), 1)          # (N, *S, C): gather rows
    # grid's last dim is (x, y[, z]): reversed spatial order
    coords = [_unnormalize(grid[..., nd - 1 - d], spatial[d], align_corners) for d in range(nd)]
    if mode == 'bicubic':
        out = _bicubic(values, coords, spatial, padding_mode, align_corners)
    else:
        coords = [_fold(c, s, padding_mode, align_corners) for c, s in zip(coords, spatial)]
        out = (_nearest if mode == 'nearest' else _linear)(values, coords, spatial)
    return out.permute(0, out.ndim - 1, *range(1, out.ndim - 1))


def _inside(index, spatial):
    """Mask of the positions inside the image, and the positions clamped into it."""
    xp = get_array_module(index[0])
    inside = xp.ones(index[0].shape, bool)
    for i, s in zip(index, spatial):
        inside &= (i >= 0) & (i < s)
    return inside, [xp.clip(i, 0, s - 1) for i, s in zip(index, spatial)]


def _nearest(values, coords, spatial):
    xp = get_array_module(coords[0].data)
    index = [xp.rint(c.data).astype(np.int64) for c in coords]  # round half to even
    inside, index = _inside(index, spatial)
    # PyTorch gives the grid a zero gradient (not none): a weight of 1 that depends on the
    # grid with slope 0 (``where`` with an all-False mask) keeps it in the graph
    never = _const(xp.zeros(inside.shape, bool))
    weight = _const(inside.astype(values.dtype)) + where(never, coords[0], 0)
    return _gather(values, index) * weight.unsqueeze(-1)


def _linear(values, coords, spatial):
    """(Bi/tri)linear: the 2^d corners around each point, weighted by the opposite volumes,
    added in PyTorch's order (first dim outermost)."""
    xp = get_array_module(coords[0].data)
    low = [xp.floor(c.data) for c in coords]
    out = None
    for corner in itertools.product((0, 1), repeat=len(coords)):
        weight = None
        for d in reversed(range(len(coords))):         # x factor first, as PyTorch multiplies
            c, f = coords[d], _const(low[d])
            w = c - f if corner[d] else (f + 1) - c
            weight = w if weight is None else weight * w
        index = [(f + b).astype(np.int64) for f, b in zip(low, corner)]
        inside, index = _inside(index, spatial)
        weight = weight * _const(inside.astype(values.dtype))
        term = _gather(values, index) * weight.unsqueeze(-1)
        out = term if out is None else out + term
    return out


def _bicubic(values, coords, spatial, padding_mode, align_corners):
    """Bicubic on the 4x4 pixels around each point; each tap position is folded by
    ``padding_mode`` on its own (PyTorch's ``get_value_bounded``)."""
    xp = get_array_module(coords[0].data)
    low = [xp.floor(c.data) for c in coords]
    weights = [_cubic_coefficients(c - _const(f)) for c, f in zip(coords, low)]
    out = None
    for i in range(4):                                 # rows (y), each interpolated along x
        row = None
        for j in range(4):
            taps = []
            for d, k in ((0, i), (1, j)):
                pos = _fold(_const(low[d] + (k - 1)), spatial[d], padding_mode, align_corners)
                taps.append(xp.trunc(pos.data).astype(np.int64))
            inside, index = _inside(taps, spatial)
            value = _gather(values, index) * _const(inside[..., None].astype(values.dtype))
            term = value * weights[1][j].unsqueeze(-1)
            row = term if row is None else row + term
        term = row * weights[0][i].unsqueeze(-1)
        out = term if out is None else out + term
    return out
