"""Image transforms with torchvision's names (``torchvision.transforms``).

Two kinds of images go in, as in torchvision:

- numpy arrays (and PIL images) in PIL's layout, ``(H, W)`` or ``(H, W, C)``,
  usually uint8 — what the datasets return;
- Tensors in ``(..., C, H, W)`` layout — what :class:`ToTensor` returns.

Geometric transforms return the same kind they got. Random transforms draw
from the global numpy Generator (``tinygrad_cnn.random.get_rng()``), so
``tg.manual_seed(s)`` makes them deterministic.

A typical pipeline::

    Compose([RandomCrop(28, padding=4), RandomHorizontalFlip(),
             ToTensor(), Normalize((0.2860,), (0.3530,))])
"""
import numbers

import numpy as np

from tinygrad_cnn.backend import get_array_module
from tinygrad_cnn.random import get_rng
from tinygrad_cnn.tensor import Tensor


def _channels_first(img):
    """``img``'s array with height and width as its last two axes, and a function that turns
    such an array back into ``img``'s kind and layout."""
    if isinstance(img, Tensor):
        if img.ndim < 2:
            raise ValueError(f"transforms: expected a Tensor image of shape (..., H, W), got shape {img.shape}")
        return img.data, Tensor
    a = np.asarray(img)          # a PIL image becomes (H, W) or (H, W, C)
    if a.ndim == 2:
        return a, lambda out: out
    if a.ndim == 3:
        return np.moveaxis(a, 2, 0), lambda out: np.moveaxis(out, 0, 2)
    raise ValueError(f"transforms: expected a numpy image of shape (H, W) or (H, W, C), got shape {a.shape}")


def _pair(size, name):
    """(h, w) from an int or a sequence of one or two ints."""
    if isinstance(size, numbers.Integral):
        return int(size), int(size)
    if len(size) == 1:
        return int(size[0]), int(size[0])
    if len(size) == 2:
        return int(size[0]), int(size[1])
    raise ValueError(f"{name}: size must be an int or a sequence of 1 or 2 ints, got {size!r}")


def _ltrb(padding):
    """(left, top, right, bottom) from torchvision's padding forms: p, (lr, tb) or (l, t, r, b)."""
    given = padding
    padding = (int(padding),) if isinstance(padding, numbers.Integral) else tuple(int(p) for p in padding)
    if len(padding) not in (1, 2, 4) or min(padding) < 0:
        raise ValueError(f"Pad: padding must be a non-negative int or a sequence of 1, 2 or 4 of them, "
                         f"got {given!r}")
    return padding * (4 // len(padding))


def _pad(img, padding, fill, padding_mode):
    a, back = _channels_first(img)
    left, top, right, bottom = padding
    xp = get_array_module(a)
    if padding_mode != 'constant':
        return back(xp.pad(a, [(0, 0)] * (a.ndim - 2) + [(top, bottom), (left, right)], mode=padding_mode))
    # np.pad is general but slow (~40 us for 28x28); a filled array and one copy is ~10x faster.
    h, w = a.shape[-2:]
    out = xp.full(a.shape[:-2] + (h + top + bottom, w + left + right), fill, dtype=a.dtype)
    out[..., top:top + h, left:left + w] = a
    return back(out)


def _size(img):
    a, _ = _channels_first(img)
    return a.shape[-2], a.shape[-1]


def _crop(img, top, left, height, width):
    a, back = _channels_first(img)
    return back(a[..., top:top + height, left:left + width])


class Compose:
    """Apply ``transforms`` one after the other."""

    def __init__(self, transforms):
        self.transforms = list(transforms)

    def __call__(self, img):
        for t in self.transforms:
            img = t(img)
        return img

    def __repr__(self):
        return f"{type(self).__name__}(" + "".join(f"\n    {t}" for t in self.transforms) + "\n)"


class ToTensor:
    """A PIL image or numpy array ``(H, W)`` / ``(H, W, C)`` -> a Tensor ``(C, H, W)``.

    uint8 values are scaled to float32 in [0, 1] (bool, a 1-bit image, to 0 and 1);
    other dtypes keep their values and dtype (torchvision's rule).
    """

    def __call__(self, pic):
        if isinstance(pic, Tensor):
            raise TypeError("ToTensor: pic should be a PIL Image or a numpy array, got a Tensor")
        a, _ = _channels_first(pic)
        if a.ndim == 2:
            a = a[None]
        if a.dtype == np.uint8:
            return Tensor(a.astype(np.float32) / 255)
        if a.dtype == np.bool_:                  # a 1-bit PIL image: black 0.0, white 1.0
            return Tensor(a.astype(np.float32))
        return Tensor(np.ascontiguousarray(a))

    def __repr__(self):
        return "ToTensor()"


class Normalize:
    """``(x - mean[c]) / std[c]`` for each channel c of a float image.

    Args:
        mean: one value per channel (or one for all).
        std: one value per channel (or one for all).
    """

    def __init__(self, mean, std):
        self.mean, self.std = mean, std

    def __call__(self, img):
        a, back = _channels_first(img)
        if a.dtype.kind != 'f':
            raise TypeError(f"Normalize: input should be a float image, got dtype {a.dtype}")
        xp = get_array_module(a)
        mean = xp.asarray(self.mean, dtype=a.dtype).reshape(-1, 1, 1)    # the image's dtype: float32 stays float32
        std = xp.asarray(self.std, dtype=a.dtype).reshape(-1, 1, 1)
        channels = a.shape[-3] if a.ndim >= 3 else 1
        if mean.shape[0] not in (1, channels) or std.shape[0] not in (1, channels):
            raise ValueError(f"Normalize: mean and std need 1 or {channels} values for an image of shape "
                             f"{tuple(img.shape) if isinstance(img, Tensor) else np.shape(img)}, got "
                             f"{len(mean)} and {len(std)}")
        if (std == 0).any():
            raise ValueError(f"Normalize: std evaluated to zero after conversion to {a.dtype}, leading to "
                             "division by zero")
        out = (a - mean) / std
        return back(out if a.ndim >= 3 else out.reshape(a.shape))

    def __repr__(self):
        return f"Normalize(mean={self.mean}, std={self.std})"


class Pad:
    """Pad the borders of an image.

    Args:
        padding: p (all sides), (left/right, top/bottom) or (left, top, right, bottom).
        fill: value of the new pixels for ``padding_mode='constant'``.
        padding_mode: 'constant', 'edge', 'reflect' or 'symmetric' (numpy's and torchvision's names).
    """

    def __init__(self, padding, fill=0, padding_mode='constant'):
        if padding_mode not in ('constant', 'edge', 'reflect', 'symmetric'):
            raise ValueError("Pad: padding_mode should be 'constant', 'edge', 'reflect' or 'symmetric', "
                             f"got {padding_mode!r}")
        self.padding, self.fill, self.padding_mode = _ltrb(padding), fill, padding_mode

    def __call__(self, img):
        return _pad(img, self.padding, self.fill, self.padding_mode)

    def __repr__(self):
        return f"Pad(padding={self.padding}, fill={self.fill}, padding_mode={self.padding_mode})"


class CenterCrop:
    """Crop the central ``size`` (an int or (h, w)) region."""

    def __init__(self, size):
        self.size = _pair(size, "CenterCrop")

    def __call__(self, img):
        h, w = _size(img)
        th, tw = self.size
        if th > h or tw > w:
            raise ValueError(f"CenterCrop: crop size {self.size} is larger than the image size {(h, w)}")
        return _crop(img, round((h - th) / 2), round((w - tw) / 2), th, tw)

    def __repr__(self):
        return f"CenterCrop(size={self.size})"


class RandomCrop:
    """Crop a random ``size`` region, after optionally padding the image.

    Args:
        size: an int or (h, w).
        padding: padding applied first (see :class:`Pad`); ``RandomCrop(28, padding=4)``
            shifts a 28x28 image by up to 4 pixels.
        pad_if_needed: pad images smaller than ``size`` up to it.
        fill, padding_mode: as in :class:`Pad`.
    """

    def __init__(self, size, padding=None, pad_if_needed=False, fill=0, padding_mode='constant'):
        self.size = _pair(size, "RandomCrop")
        self.padding = None if padding is None else Pad(padding, fill, padding_mode)
        self.pad_if_needed, self.fill, self.padding_mode = pad_if_needed, fill, padding_mode

    def __call__(self, img):
        if self.padding is not None:
            img = self.padding(img)
        th, tw = self.size
        h, w = _size(img)
        if self.pad_if_needed and (h < th or w < tw):     # as torchvision: pad both sides by the shortfall
            dw, dh = max(tw - w, 0), max(th - h, 0)
            img = _pad(img, (dw, dh, dw, dh), self.fill, self.padding_mode)
            h, w = _size(img)
        if th > h or tw > w:
            raise ValueError(f"RandomCrop: required crop size {self.size} is larger than the (padded) "
                             f"image size {(h, w)}")
        rng = get_rng()
        top = int(rng.integers(0, h - th + 1))
        left = int(rng.integers(0, w - tw + 1))
        return _crop(img, top, left, th, tw)

    def __repr__(self):
        padding = None if self.padding is None else self.padding.padding
        return f"RandomCrop(size={self.size}, padding={padding})"


class RandomHorizontalFlip:
    """Mirror the image left-right with probability ``p``."""

    def __init__(self, p=0.5):
        self.p = p

    def __call__(self, img):
        if get_rng().random() < self.p:
            a, back = _channels_first(img)
            return back(a[..., ::-1].copy())
        return img

    def __repr__(self):
        return f"RandomHorizontalFlip(p={self.p})"


def _resample_axis(a, axis, out_size, interpolation):
    """Resize ``a`` along ``axis`` to ``out_size`` samples; pixel centres are aligned (half-pixel rule)."""
    xp = get_array_module(a)
    n = a.shape[axis]
    centres = (xp.arange(out_size) + 0.5) * (n / out_size)     # output pixel centres, in input pixels
    if interpolation == 'nearest':
        return xp.take(a, xp.minimum(centres.astype(np.int64), n - 1), axis=axis)
    pos = xp.clip(centres - 0.5, 0, n - 1)
    i0 = pos.astype(np.int64)
    i1 = xp.minimum(i0 + 1, n - 1)
    shape = [1] * a.ndim
    shape[axis] = out_size
    w1 = (pos - i0).astype(a.dtype).reshape(shape)
    return xp.take(a, i0, axis=axis) * (1 - w1) + xp.take(a, i1, axis=axis) * w1


class Resize:
    """Resize to ``size``: an int matches the smaller edge to it (keeping the aspect ratio), (h, w) is exact.

    Args:
        size: an int or (h, w).
        interpolation: 'bilinear' (default, as torchvision) or 'nearest'.
            This is the plain two-tap filter: no antialiasing when shrinking.
    """

    def __init__(self, size, interpolation='bilinear'):
        if interpolation not in ('bilinear', 'nearest'):
            raise ValueError(f"Resize: interpolation should be 'bilinear' or 'nearest', got {interpolation!r}")
        self.size, self.interpolation = size, interpolation

    def _output_size(self, h, w):
        if isinstance(self.size, numbers.Integral) or len(self.size) == 1:
            short = self.size if isinstance(self.size, numbers.Integral) else self.size[0]
            if h <= w:
                return short, int(short * w / h)
            return int(short * h / w), short
        return _pair(self.size, "Resize")

    def __call__(self, img):
        a, back = _channels_first(img)
        oh, ow = self._output_size(a.shape[-2], a.shape[-1])
        work = a if a.dtype.kind == 'f' else a.astype(np.float32)   # integer images are interpolated in float32
        out = _resample_axis(_resample_axis(work, a.ndim - 2, oh, self.interpolation),
                             a.ndim - 1, ow, self.interpolation)
        if a.dtype.kind != 'f':
            info = np.iinfo(a.dtype) if a.dtype.kind in 'iu' else None
            xp = get_array_module(out)
            out = xp.round(out)
            if info is not None:
                out = xp.clip(out, info.min, info.max)
            out = out.astype(a.dtype)
        return back(out)

    def __repr__(self):
        return f"Resize(size={self.size}, interpolation={self.interpolation})"


class Lambda:
    """Apply a user function as a transform."""

    def __init__(self, lambd):
        if not callable(lambd):
            raise TypeError(f"Lambda: argument should be callable, got {type(lambd).__name__}")
        self.lambd = lambd

    def __call__(self, img):
        return self.lambd(img)

    def __repr__(self):
        return "Lambda()"
