"""Image transforms with torchvision's names (``torchvision.transforms``, v1 API).

Three kinds of images go in, as in torchvision (see :mod:`.functional`):

- PIL images — processed by Pillow exactly as torchvision does;
- Tensors in ``(..., C, H, W)`` layout — what :class:`ToTensor` returns;
- numpy arrays in PIL's layout, ``(H, W)`` or ``(H, W, C)``, usually uint8 —
  what the datasets return; treated like the Tensor ``(C, H, W)``.

Each transform returns the kind it got. Random transforms draw from the global
generator (``tinygrad_cnn.random.get_rng()``), so ``tg.manual_seed(s)`` makes
them deterministic; their ``get_params`` draw parameters with torchvision's
distributions (the numbers differ: the generators differ).

A typical pipeline::

    Compose([RandomCrop(28, padding=4), RandomHorizontalFlip(),
             ToTensor(), Normalize((0.2860,), (0.3530,))])
"""
import math
import numbers
import warnings

import numpy as np

from tinygrad_cnn.random import get_rng
from tinygrad_cnn.tensor import Tensor
from . import functional as F
from .functional import InterpolationMode

__all__ = ['Compose', 'ToTensor', 'PILToTensor', 'ToPILImage', 'ConvertImageDtype', 'Normalize', 'Lambda',
           'Pad', 'CenterCrop', 'RandomCrop', 'RandomResizedCrop', 'FiveCrop', 'TenCrop', 'Resize',
           'RandomHorizontalFlip', 'RandomVerticalFlip', 'RandomRotation', 'RandomAffine', 'ColorJitter',
           'Grayscale', 'RandomGrayscale', 'GaussianBlur', 'RandomErasing', 'RandomInvert',
           'RandomAutocontrast', 'RandomApply', 'RandomChoice', 'RandomOrder', 'InterpolationMode']


def _size(size, op):
    """(h, w) from an int or a sequence of one or two ints (torchvision's ``_setup_size``)."""
    if isinstance(size, numbers.Number):
        return int(size), int(size)
    if isinstance(size, (list, tuple)) and len(size) == 1:
        return int(size[0]), int(size[0])
    if not isinstance(size, (list, tuple)) or len(size) != 2:
        raise ValueError(f"{op}: please provide only two dimensions (h, w) for size, got {size!r}")
    return int(size[0]), int(size[1])


def _range(value, op, name, center=0.0):
    """A (min, max) range from one non-negative number (center -/+ it) or a sequence of two."""
    if isinstance(value, numbers.Number):
        if value < 0:
            raise ValueError(f"{op}: if {name} is a single number, it must be positive")
        return (center - float(value), center + float(value))
    if len(value) != 2:
        raise ValueError(f"{op}: {name} should be a sequence of length 2")
    return tuple(float(v) for v in value)


def _uniform(low, high):
    return float(get_rng().uniform(low, high))


def _tensor_fill(img, fill):
    """torchvision's fill for Tensor images: one float per channel."""
    if not isinstance(img, (Tensor, np.ndarray)):
        return fill
    channels = F.get_dimensions(img)[0]
    return [float(fill)] * channels if isinstance(fill, (int, float)) else [float(f) for f in fill]


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
        return F.to_tensor(pic)

    def __repr__(self):
        return "ToTensor()"


class PILToTensor:
    """A PIL image -> a Tensor ``(C, H, W)`` of the same values and dtype (no scaling)."""

    def __call__(self, pic):
        return F.pil_to_tensor(pic)

    def __repr__(self):
        return "PILToTensor()"


class ToPILImage:
    """A Tensor ``(C, H, W)`` or array ``(H, W[, C])`` -> a PIL image (see :func:`.functional.to_pil_image`)."""

    def __init__(self, mode=None):
        self.mode = mode

    def __call__(self, pic):
        return F.to_pil_image(pic, self.mode)

    def __repr__(self):
        return f"ToPILImage(mode={self.mode})" if self.mode else "ToPILImage()"


class ConvertImageDtype:
    """Convert a Tensor image to ``dtype``, rescaling its values (uint8 255 <-> float 1.0)."""

    def __init__(self, dtype):
        self.dtype = dtype

    def __call__(self, image):
        return F.convert_image_dtype(image, self.dtype)

    def __repr__(self):
        return f"ConvertImageDtype(dtype={np.dtype(self.dtype)})"


class Normalize:
    """``(x - mean[c]) / std[c]`` for each channel c of a float image.

    Args:
        mean: one value per channel (or one for all).
        std: one value per channel (or one for all).
        inplace: change the Tensor's data instead of returning a new one.
    """

    def __init__(self, mean, std, inplace=False):
        self.mean, self.std, self.inplace = mean, std, inplace

    def __call__(self, img):
        return F.normalize(img, self.mean, self.std, self.inplace)

    def __repr__(self):
        return f"Normalize(mean={self.mean}, std={self.std})"


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
        F._ltrb(padding, "Pad")                   # checked now; kept as given, as torchvision
        self.padding, self.fill, self.padding_mode = padding, fill, padding_mode

    def __call__(self, img):
        return F.pad(img, self.padding, self.fill, self.padding_mode)

    def __repr__(self):
        return f"Pad(padding={self.padding}, fill={self.fill}, padding_mode={self.padding_mode})"


class CenterCrop:
    """Crop the central ``size`` (an int or (h, w)) region; smaller images are zero-padded first."""

    def __init__(self, size):
        self.size = _size(size, "CenterCrop")

    def __call__(self, img):
        return F.center_crop(img, self.size)

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
        self.size = _size(size, "RandomCrop")
        self.padding = padding                      # as given, as torchvision (and its repr)
        self._pad = None if padding is None else Pad(padding, fill, padding_mode)
        self.pad_if_needed, self.fill, self.padding_mode = pad_if_needed, fill, padding_mode

    @staticmethod
    def get_params(img, output_size):
        """``(top, left, h, w)`` of a uniformly random ``output_size`` window of ``img``."""
        _, h, w = F.get_dimensions(img)
        th, tw = output_size
        if h < th or w < tw:
            raise ValueError(f"RandomCrop: required crop size {(th, tw)} is larger than input image size {(h, w)}")
        if (h, w) == (th, tw):
            return 0, 0, h, w
        rng = get_rng()
        return int(rng.integers(0, h - th + 1)), int(rng.integers(0, w - tw + 1)), th, tw

    def __call__(self, img):
        if self._pad is not None:
            img = self._pad(img)
        th, tw = self.size
        _, h, w = F.get_dimensions(img)
        if self.pad_if_needed and w < tw:      # as torchvision: pad both sides by the shortfall
            img = F.pad(img, [tw - w, 0], self.fill, self.padding_mode)
        if self.pad_if_needed and h < th:
            img = F.pad(img, [0, th - h], self.fill, self.padding_mode)
        return F.crop(img, *self.get_params(img, self.size))

    def __repr__(self):
        return f"RandomCrop(size={self.size}, padding={self.padding})"


class RandomResizedCrop:
    """Crop a random window (area ``scale`` of the image, aspect ``ratio``) and resize it to ``size``.

    Args:
        size: output size, an int or (h, w).
        scale: (min, max) share of the image area.
        ratio: (min, max) width / height, drawn log-uniformly.
        interpolation, antialias: as in :class:`Resize`.
    """

    def __init__(self, size, scale=(0.08, 1.0), ratio=(3.0 / 4.0, 4.0 / 3.0), interpolation='bilinear',
                 antialias=True):
        self.size = _size(size, "RandomResizedCrop")
        if not isinstance(scale, (list, tuple)):
            raise TypeError("RandomResizedCrop: scale should be a sequence")
        if not isinstance(ratio, (list, tuple)):
            raise TypeError("RandomResizedCrop: ratio should be a sequence")
        if scale[0] > scale[1] or ratio[0] > ratio[1]:
            warnings.warn("RandomResizedCrop: scale and ratio should be of kind (min, max)")
        self.scale, self.ratio = scale, ratio
        self.interpolation = InterpolationMode(F._mode(interpolation, 'RandomResizedCrop'))
        self.antialias = antialias

    @staticmethod
    def get_params(img, scale, ratio):
        """``(top, left, h, w)``: up to 10 tries of a random area and log-uniform aspect ratio that
        fit, else the central crop with the ratio clamped into ``ratio`` (torchvision's rule)."""
        _, height, width = F.get_dimensions(img)
        area = height * width
        log_ratio = (math.log(ratio[0]), math.log(ratio[1]))
        rng = get_rng()
        for _ in range(10):
            target_area = area * _uniform(scale[0], scale[1])
            aspect = math.exp(_uniform(*log_ratio))
            w = int(round(math.sqrt(target_area * aspect)))
            h = int(round(math.sqrt(target_area / aspect)))
            if 0 < w <= width and 0 < h <= height:
                return int(rng.integers(0, height - h + 1)), int(rng.integers(0, width - w + 1)), h, w
        in_ratio = width / height
        if in_ratio < min(ratio):
            w, h = width, int(round(width / min(ratio)))
        elif in_ratio > max(ratio):
            w, h = int(round(height * max(ratio))), height
        else:
            w, h = width, height
        return (height - h) // 2, (width - w) // 2, h, w

    def __call__(self, img):
        i, j, h, w = self.get_params(img, self.scale, self.ratio)
        return F.resized_crop(img, i, j, h, w, self.size, self.interpolation, antialias=self.antialias)

    def __repr__(self):
        return (f"RandomResizedCrop(size={self.size}, scale={tuple(self.scale)}, ratio={tuple(self.ratio)}, "
                f"interpolation={self.interpolation.value}, antialias={self.antialias})")


class FiveCrop:
    """The four corner crops and the central crop of ``size``, as a tuple of 5 images."""

    def __init__(self, size):
        self.size = _size(size, "FiveCrop")

    def __call__(self, img):
        return F.five_crop(img, self.size)

    def __repr__(self):
        return f"FiveCrop(size={self.size})"


class TenCrop:
    """:class:`FiveCrop` of the image and of its mirror image (``vertical_flip``: flipped top-bottom)."""

    def __init__(self, size, vertical_flip=False):
        self.size, self.vertical_flip = _size(size, "TenCrop"), vertical_flip

    def __call__(self, img):
        return F.ten_crop(img, self.size, self.vertical_flip)

    def __repr__(self):
        return f"TenCrop(size={self.size}, vertical_flip={self.vertical_flip})"


class Resize:
    """Resize to ``size``: an int matches the smaller edge to it (keeping the aspect ratio), (h, w) is exact.

    Args:
        size: an int, [int] or (h, w).
        interpolation: 'bilinear' (default), 'nearest', 'nearest-exact' (Tensors/arrays)
            or any Pillow filter name for PIL images ('bicubic', 'lanczos', ...).
        max_size: cap on the longer edge when ``size`` is an int.
        antialias: for bilinear shrinking of Tensors/arrays, widen the filter so
            every input pixel counts (torchvision's default True); PIL always antialiases.
    """

    def __init__(self, size, interpolation='bilinear', max_size=None, antialias=True):
        if not isinstance(size, (numbers.Integral, list, tuple)):
            raise TypeError(f"Resize: size should be int or sequence, got {type(size).__name__}")
        if isinstance(size, (list, tuple)) and len(size) not in (1, 2):
            raise ValueError(f"Resize: if size is a sequence, it should have 1 or 2 values, got {size!r}")
        self.size, self.max_size, self.antialias = size, max_size, antialias
        self.interpolation = InterpolationMode(F._mode(interpolation, "Resize"))

    def __call__(self, img):
        return F.resize(img, self.size, self.interpolation, self.max_size, self.antialias)

    def __repr__(self):
        return (f"Resize(size={self.size}, interpolation={self.interpolation.value}, max_size={self.max_size}, "
                f"antialias={self.antialias})")


class RandomHorizontalFlip:
    """Mirror the image left-right with probability ``p``."""

    def __init__(self, p=0.5):
        self.p = p

    def __call__(self, img):
        return F.hflip(img) if get_rng().random() < self.p else img

    def __repr__(self):
        return f"RandomHorizontalFlip(p={self.p})"


class RandomVerticalFlip:
    """Mirror the image top-bottom with probability ``p``."""

    def __init__(self, p=0.5):
        self.p = p

    def __call__(self, img):
        return F.vflip(img) if get_rng().random() < self.p else img

    def __repr__(self):
        return f"RandomVerticalFlip(p={self.p})"


class RandomRotation:
    """Rotate by an angle drawn uniformly from ``degrees`` (d: (-d, d); or (min, max)).

    Args:
        interpolation: 'nearest' (default) or 'bilinear' (PIL images: any Pillow filter).
        expand: enlarge the output to hold the whole rotated image.
        center: the pivot (x, y); default the image centre.
        fill: colour of the pixels from outside the image.
    """

    def __init__(self, degrees, interpolation='nearest', expand=False, center=None, fill=0):
        self.degrees = _range(degrees, "RandomRotation", "degrees")
        self.interpolation = InterpolationMode(F._mode(interpolation, 'RandomRotation'))
        self.expand, self.center = expand, center
        if fill is None:
            fill = 0
        if not isinstance(fill, (numbers.Number, list, tuple)):
            raise TypeError("RandomRotation: fill should be int or float or a tuple or list")
        self.fill = fill

    @staticmethod
    def get_params(degrees):
        """An angle uniform in ``degrees`` = (min, max)."""
        return _uniform(degrees[0], degrees[1])

    def __call__(self, img):
        angle = self.get_params(self.degrees)
        return F.rotate(img, angle, self.interpolation, self.expand, self.center, _tensor_fill(img, self.fill))

    def __repr__(self):
        return (f"RandomRotation(degrees={self.degrees}, interpolation={self.interpolation.value}, "
                f"expand={self.expand}, fill={self.fill})")


class RandomAffine:
    """A random affine map keeping the image centre: rotation, translation, scale and shear.

    Args:
        degrees: rotation range, d for (-d, d) or (min, max).
        translate: (a, b): shifts uniform in ``±a * width`` and ``±b * height`` (rounded to pixels).
        scale: (min, max) scale factor.
        shear: x-shear range (s: (-s, s); (min, max)), or (xmin, xmax, ymin, ymax).
        interpolation, fill, center: as in :class:`RandomRotation`.
    """

    def __init__(self, degrees, translate=None, scale=None, shear=None, interpolation='nearest', fill=0,
                 center=None):
        self.degrees = _range(degrees, "RandomAffine", "degrees")
        if translate is not None:
            if len(translate) != 2:
                raise ValueError("RandomAffine: translate should be a sequence of length 2")
            if not all(0.0 <= t <= 1.0 for t in translate):
                raise ValueError("RandomAffine: translation values should be between 0 and 1")
        if scale is not None:
            if len(scale) != 2:
                raise ValueError("RandomAffine: scale should be a sequence of length 2")
            if any(s <= 0 for s in scale):
                raise ValueError("RandomAffine: scale values should be positive")
        if shear is not None:
            if isinstance(shear, numbers.Number):
                shear = _range(shear, "RandomAffine", "shear")
            elif len(shear) not in (2, 4):
                raise ValueError("RandomAffine: shear should be a sequence of length 2 or 4")
            shear = tuple(float(s) for s in shear)
        self.translate, self.scale, self.shear = translate, scale, shear
        self.interpolation = InterpolationMode(F._mode(interpolation, 'RandomAffine'))
        self.fill, self.center = fill, center

    @staticmethod
    def get_params(degrees, translate, scale_ranges, shears, img_size):
        """``(angle, (tx, ty), scale, (shear_x, shear_y))`` for an image of ``img_size`` = (w, h)."""
        angle = _uniform(degrees[0], degrees[1])
        if translate is not None:
            max_dx, max_dy = float(translate[0] * img_size[0]), float(translate[1] * img_size[1])
            translations = (int(round(_uniform(-max_dx, max_dx))), int(round(_uniform(-max_dy, max_dy))))
        else:
            translations = (0, 0)
        scale = 1.0 if scale_ranges is None else _uniform(scale_ranges[0], scale_ranges[1])
        shear_x = shear_y = 0.0
        if shears is not None:
            shear_x = _uniform(shears[0], shears[1])
            if len(shears) == 4:
                shear_y = _uniform(shears[2], shears[3])
        return angle, translations, scale, (shear_x, shear_y)

    def __call__(self, img):
        params = self.get_params(self.degrees, self.translate, self.scale, self.shear, F.get_image_size(img))
        return F.affine(img, *params, interpolation=self.interpolation, fill=_tensor_fill(img, self.fill),
                        center=self.center)

    def __repr__(self):
        return (f"RandomAffine(degrees={self.degrees}, translate={self.translate}, scale={self.scale}, "
                f"shear={self.shear}, interpolation={self.interpolation.value})")


def _jitter_range(value, name, center=1.0, bound=(0.0, float('inf')), clip_first_on_zero=True):
    """torchvision's ``ColorJitter._check_input``: None for "no change", else (min, max)."""
    if isinstance(value, numbers.Number):
        if value < 0:
            raise ValueError(f"ColorJitter: if {name} is a single number, it must be non negative.")
        value = [center - float(value), center + float(value)]
        if clip_first_on_zero:
            value[0] = max(value[0], 0.0)
    elif isinstance(value, (list, tuple)) and len(value) == 2:
        value = [float(value[0]), float(value[1])]
    else:
        raise TypeError(f"ColorJitter: {name} should be a single number or a list/tuple with length 2.")
    if not bound[0] <= value[0] <= value[1] <= bound[1]:
        raise ValueError(f"ColorJitter: {name} values should be between {bound}, but got {value}.")
    return None if value[0] == value[1] == center else tuple(value)


class ColorJitter:
    """Random brightness, contrast, saturation and hue changes, applied in a random order.

    Each of ``brightness``, ``contrast``, ``saturation`` is a number v (factor uniform in
    ``[max(0, 1 - v), 1 + v]``) or (min, max); ``hue`` is h in [0, 0.5] (shift uniform in
    ``[-h, h]``) or (min, max) within [-0.5, 0.5].
    """

    def __init__(self, brightness=0, contrast=0, saturation=0, hue=0):
        self.brightness = _jitter_range(brightness, 'brightness')
        self.contrast = _jitter_range(contrast, 'contrast')
        self.saturation = _jitter_range(saturation, 'saturation')
        self.hue = _jitter_range(hue, 'hue', center=0, bound=(-0.5, 0.5), clip_first_on_zero=False)

    @staticmethod
    def get_params(brightness, contrast, saturation, hue):
        """``(order, b, c, s, h)``: a permutation of the four adjustments and their factors
        (None where the range is None)."""
        order = get_rng().permutation(4)
        factors = [None if r is None else _uniform(r[0], r[1]) for r in (brightness, contrast, saturation, hue)]
        return (order, *factors)

    def __call__(self, img):
        order, *factors = self.get_params(self.brightness, self.contrast, self.saturation, self.hue)
        adjust = (F.adjust_brightness, F.adjust_contrast, F.adjust_saturation, F.adjust_hue)
        for i in order:
            if factors[i] is not None:
                img = adjust[i](img, factors[i])
        return img

    def __repr__(self):
        return (f"ColorJitter(brightness={self.brightness}, contrast={self.contrast}, "
                f"saturation={self.saturation}, hue={self.hue})")


class Grayscale:
    """Convert to grey (luma), with ``num_output_channels`` 1 or 3."""

    def __init__(self, num_output_channels=1):
        self.num_output_channels = num_output_channels

    def __call__(self, img):
        return F.rgb_to_grayscale(img, self.num_output_channels)

    def __repr__(self):
        return f"Grayscale(num_output_channels={self.num_output_channels})"


class RandomGrayscale:
    """Convert to grey with probability ``p``, keeping the number of channels."""

    def __init__(self, p=0.1):
        self.p = p

    def __call__(self, img):
        channels = F.get_dimensions(img)[0]
        return F.rgb_to_grayscale(img, channels) if get_rng().random() < self.p else img

    def __repr__(self):
        return f"RandomGrayscale(p={self.p})"


class GaussianBlur:
    """Blur with a Gaussian of ``kernel_size`` and a standard deviation uniform in ``sigma``
    (a positive number, or (min, max))."""

    def __init__(self, kernel_size, sigma=(0.1, 2.0)):
        self.kernel_size = _size(kernel_size, "GaussianBlur")[::-1]      # (kx, ky), as torchvision
        if any(k <= 0 or k % 2 == 0 for k in self.kernel_size):
            raise ValueError("GaussianBlur: kernel size value should be an odd and positive number.")
        if isinstance(sigma, numbers.Number):
            if sigma <= 0:
                raise ValueError("GaussianBlur: if sigma is a single number, it must be positive.")
            sigma = (float(sigma), float(sigma))
        elif isinstance(sigma, (list, tuple)) and len(sigma) == 2:
            if not 0.0 < sigma[0] <= sigma[1]:
                raise ValueError("GaussianBlur: sigma values should be positive and of the form (min, max).")
        else:
            raise ValueError("GaussianBlur: sigma should be a single number or a list/tuple with length 2.")
        self.sigma = sigma

    @staticmethod
    def get_params(sigma_min, sigma_max):
        """A standard deviation uniform in [sigma_min, sigma_max]."""
        return _uniform(sigma_min, sigma_max)

    def __call__(self, img):
        sigma = self.get_params(self.sigma[0], self.sigma[1])
        return F.gaussian_blur(img, self.kernel_size, [sigma, sigma])

    def __repr__(self):
        return f"GaussianBlur(kernel_size={self.kernel_size}, sigma={self.sigma})"


class RandomErasing:
    """With probability ``p``, erase a random rectangle of a Tensor image (Cutout-style augmentation).

    Args:
        p: probability of erasing.
        scale: (min, max) share of the image area erased.
        ratio: (min, max) aspect ratio of the rectangle, drawn log-uniformly.
        value: the fill: a number, one per channel, or 'random' (standard normal noise).
        inplace: change the Tensor's data instead of a copy.
    """

    def __init__(self, p=0.5, scale=(0.02, 0.33), ratio=(0.3, 3.3), value=0, inplace=False):
        if not isinstance(value, (numbers.Number, str, tuple, list)):
            raise TypeError("RandomErasing: argument value should be either a number or str or a sequence")
        if isinstance(value, str) and value != 'random':
            raise ValueError("RandomErasing: if value is str, it should be 'random'")
        if not isinstance(scale, (tuple, list)):
            raise TypeError("RandomErasing: scale should be a sequence")
        if not isinstance(ratio, (tuple, list)):
            raise TypeError("RandomErasing: ratio should be a sequence")
        if scale[0] > scale[1] or ratio[0] > ratio[1]:
            warnings.warn("RandomErasing: scale and ratio should be of kind (min, max)")
        if scale[0] < 0 or scale[1] > 1:
            raise ValueError("RandomErasing: scale should be between 0 and 1")
        if p < 0 or p > 1:
            raise ValueError("RandomErasing: random erasing probability should be between 0 and 1")
        self.p, self.scale, self.ratio, self.value, self.inplace = p, scale, ratio, value, inplace

    @staticmethod
    def get_params(img, scale, ratio, value=None):
        """``(i, j, h, w, v)``: up to 10 tries of a random rectangle that fits strictly inside,
        else the whole image left as it is (``v`` is then the image itself)."""
        c, img_h, img_w = img.shape[-3], img.shape[-2], img.shape[-1]
        area = img_h * img_w
        log_ratio = (math.log(ratio[0]), math.log(ratio[1]))
        rng = get_rng()
        for _ in range(10):
            erase_area = area * _uniform(scale[0], scale[1])
            aspect = math.exp(_uniform(*log_ratio))
            h = int(round(math.sqrt(erase_area * aspect)))
            w = int(round(math.sqrt(erase_area / aspect)))
            if not (h < img_h and w < img_w):
                continue
            if value is None:
                v = rng.standard_normal((c, h, w), dtype=np.float32)
            else:
                v = np.asarray(value, dtype=np.float32)[:, None, None]
            return int(rng.integers(0, img_h - h + 1)), int(rng.integers(0, img_w - w + 1)), h, w, v
        return 0, 0, img_h, img_w, img

    def __call__(self, img):
        if get_rng().random() >= self.p:
            return img
        if not isinstance(img, Tensor):
            raise TypeError(f"RandomErasing: img should be a Tensor image, got {type(img).__name__}")
        value = self.value
        if isinstance(value, numbers.Number):
            value = [float(value)]
        elif isinstance(value, str):
            value = None
        else:
            value = [float(v) for v in value]
        if value is not None and len(value) not in (1, img.shape[-3]):
            raise ValueError("RandomErasing: if value is a sequence, it should have either a single value or "
                             f"{img.shape[-3]} (number of input channels)")
        i, j, h, w, v = self.get_params(img, self.scale, self.ratio, value)
        if v is img:
            return img
        return F.erase(img, i, j, h, w, v.astype(img.dtype), self.inplace)

    def __repr__(self):
        return f"RandomErasing(p={self.p}, scale={self.scale}, ratio={self.ratio}, value={self.value})"


class RandomInvert:
    """Invert the colours (``max - x``) with probability ``p``."""

    def __init__(self, p=0.5):
        self.p = p

    def __call__(self, img):
        return F.invert(img) if get_rng().random() < self.p else img

    def __repr__(self):
        return f"RandomInvert(p={self.p})"


class RandomAutocontrast:
    """Stretch each channel to the full range with probability ``p``."""

    def __init__(self, p=0.5):
        self.p = p

    def __call__(self, img):
        return F.autocontrast(img) if get_rng().random() < self.p else img

    def __repr__(self):
        return f"RandomAutocontrast(p={self.p})"


class RandomApply:
    """Apply the list of ``transforms`` (in order) with probability ``p``, else none of them."""

    def __init__(self, transforms, p=0.5):
        self.transforms, self.p = transforms, p

    def __call__(self, img):
        if self.p < get_rng().random():
            return img
        for t in self.transforms:
            img = t(img)
        return img

    def __repr__(self):
        return f"RandomApply(p={self.p}, transforms={self.transforms})"


class RandomChoice:
    """Apply one of ``transforms``, chosen with probabilities proportional to ``p`` (default uniform)."""

    def __init__(self, transforms, p=None):
        if not isinstance(transforms, (list, tuple)):
            raise TypeError("RandomChoice: argument transforms should be a sequence")
        if p is not None and len(p) != len(transforms):
            raise ValueError(f"RandomChoice: length of p doesn't match the number of transforms: "
                             f"{len(p)} != {len(transforms)}")
        self.transforms, self.p = transforms, p

    def __call__(self, *args):
        p = None if self.p is None else np.asarray(self.p, dtype=np.float64) / sum(self.p)
        return self.transforms[int(get_rng().choice(len(self.transforms), p=p))](*args)

    def __repr__(self):
        return f"RandomChoice(transforms={self.transforms}, p={self.p})"


class RandomOrder:
    """Apply all ``transforms`` in a random order."""

    def __init__(self, transforms):
        if not isinstance(transforms, (list, tuple)):
            raise TypeError("RandomOrder: argument transforms should be a sequence")
        self.transforms = transforms

    def __call__(self, img):
        for i in get_rng().permutation(len(self.transforms)):
            img = self.transforms[i](img)
        return img

    def __repr__(self):
        return f"RandomOrder(transforms={self.transforms})"
