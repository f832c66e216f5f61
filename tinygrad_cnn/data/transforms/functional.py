"""Image operations behind the transforms (``torchvision.transforms.functional``).

Each function takes one of three kinds of image and returns the same kind:

- a PIL image: the work is done by Pillow, exactly as torchvision does it;
- a Tensor ``(..., C, H, W)`` (or ``(..., H, W)`` for geometric ops): numpy
  code that follows torchvision's tensor implementation;
- a numpy array in PIL's layout ``(H, W)`` or ``(H, W, C)``: treated like the
  Tensor ``(C, H, W)`` and returned in its own layout.

Integer images are processed in float32 and, where torchvision rounds, rounded
back (resize, rotate, affine, blur); colour blends truncate like torchvision's
``.to(uint8)``.
"""
import enum
import math
import numbers

import numpy as np

from tinygrad_cnn.backend import get_array_module
from tinygrad_cnn.tensor import Tensor

try:
    from PIL import Image, ImageEnhance, ImageOps
except ImportError:              # Pillow is optional: the `[data]` extra
    Image = ImageEnhance = ImageOps = None


class InterpolationMode(str, enum.Enum):
    """torchvision's interpolation names; plain strings ('bilinear', ...) are accepted too."""
    NEAREST = 'nearest'
    NEAREST_EXACT = 'nearest-exact'
    BILINEAR = 'bilinear'
    BICUBIC = 'bicubic'
    BOX = 'box'
    HAMMING = 'hamming'
    LANCZOS = 'lanczos'


_PIL_MODES = {'nearest': 0, 'lanczos': 1, 'bilinear': 2, 'bicubic': 3, 'box': 4, 'hamming': 5}


def _mode(interpolation, op):
    """The mode's name, from a string or an InterpolationMode (ours or torchvision's)."""
    try:
        return InterpolationMode(getattr(interpolation, 'value', interpolation)).value
    except ValueError:
        raise ValueError(f"{op}: unknown interpolation {interpolation!r}; expected one of "
                         f"{[m.value for m in InterpolationMode]}") from None


def _is_pil(img):
    return Image is not None and isinstance(img, Image.Image)


def _image(img):
    """``img``'s array in ``(..., C, H, W)`` layout and a function turning such an array back
    into ``img``'s kind and layout."""
    if isinstance(img, Tensor):
        if img.ndim < 2:
            raise ValueError(f"transforms: expected a Tensor image of shape (..., H, W), got shape {img.shape}")
        return img.data, Tensor
    a = np.asarray(img)          # a PIL image becomes (H, W) or (H, W, C)
    if a.ndim == 2:
        return a[None], lambda out: out[0]
    if a.ndim == 3:
        return np.moveaxis(a, 2, 0), lambda out: np.moveaxis(out, 0, 2)
    raise ValueError(f"transforms: expected a numpy image of shape (H, W) or (H, W, C), got shape {a.shape}")


def _max_value(dtype):
    """The value of white: 1.0 for float images, the largest value for integer ones."""
    return 1.0 if np.dtype(dtype).kind == 'f' else np.iinfo(dtype).max


def _float(a):
    """``a`` as a float array (integer images in float32, as torchvision)."""
    return a if a.dtype.kind == 'f' else a.astype(np.float32)


def _round_back(out, dtype):
    """A float result back to ``dtype``: integer images are rounded first (torchvision's rule)."""
    if np.dtype(dtype).kind == 'f':
        return out.astype(dtype, copy=False)
    return get_array_module(out).round(out).astype(dtype)


def get_dimensions(img):
    """``[channels, height, width]`` of an image."""
    if _is_pil(img):
        return [len(img.getbands()), img.height, img.width]
    if isinstance(img, Tensor):
        return [1 if img.ndim == 2 else img.shape[-3], img.shape[-2], img.shape[-1]]
    a, _ = _image(img)
    return list(a.shape)


def get_image_size(img):
    """``[width, height]`` of an image."""
    _, h, w = get_dimensions(img)
    return [w, h]


def get_image_num_channels(img):
    """The number of channels of an image."""
    return get_dimensions(img)[0]


# ---------------------------------------------------------------- conversions

def to_tensor(pic):
    """A PIL image or numpy array ``(H, W[, C])`` -> a Tensor ``(C, H, W)``; uint8 scaled to float32
    in [0, 1], bool (a 1-bit image) to 0 and 1, other dtypes kept."""
    if isinstance(pic, Tensor):
        raise TypeError("to_tensor: pic should be a PIL Image or a numpy array, got a Tensor")
    a, _ = _image(pic)
    if a.dtype == np.uint8:
        return Tensor(a.astype(np.float32) / 255)
    if a.dtype == np.bool_:
        return Tensor(a.astype(np.float32))
    return Tensor(np.ascontiguousarray(a))


def pil_to_tensor(pic):
    """A PIL image -> a Tensor ``(C, H, W)`` of its values, dtype kept (uint8 stays uint8;
    a 1-bit image gives bool)."""
    if not _is_pil(pic):
        raise TypeError(f"pil_to_tensor: pic should be PIL Image, got {type(pic).__name__}")
    a = np.array(pic, copy=True)
    return Tensor(np.ascontiguousarray(_image(a)[0]))


_ONE_CHANNEL_MODES = {'uint8': 'L', 'int16': 'I;16', 'int32': 'I', 'float32': 'F'}
_MODES_FOR_CHANNELS = {2: ['LA'], 3: ['RGB', 'YCbCr', 'HSV'], 4: ['RGBA', 'CMYK', 'RGBX']}


def to_pil_image(pic, mode=None):
    """A Tensor ``(C, H, W)`` or numpy array ``(H, W[, C])`` -> a PIL image.

    Float values are scaled by 255 and truncated to uint8 (torchvision's
    ``(pic * 255).astype(uint8)``) unless ``mode='F'``. The mode is inferred
    from channels and dtype (1 channel: L, I;16, I or F by dtype; LA; RGB; RGBA)
    unless given.
    """
    if Image is None:
        raise ImportError("to_pil_image needs Pillow: pip install 'tinygrad_cnn[data]'")
    if isinstance(pic, Tensor):
        if pic.ndim not in (2, 3):
            raise ValueError(f"to_pil_image: pic should be 2/3 dimensional, got {pic.ndim} dimensions")
        a = pic.numpy()
        a = np.moveaxis(a, 0, 2) if a.ndim == 3 else a
    elif isinstance(pic, np.ndarray):
        a = pic
    else:
        raise TypeError(f"to_pil_image: pic should be Tensor or ndarray, got {type(pic).__name__}")
    a = a[:, :, None] if a.ndim == 2 else a
    if a.ndim != 3:
        raise ValueError(f"to_pil_image: pic should be 2/3 dimensional, got {a.ndim} dimensions")
    channels = a.shape[2]
    if channels > 4:
        raise ValueError(f"to_pil_image: pic should not have > 4 channels, got {channels} channels")
    if a.dtype.kind == 'f' and mode != 'F':
        a = (a * 255).astype(np.uint8)
    if channels == 1:
        a = a[:, :, 0]
        expected = _ONE_CHANNEL_MODES.get(a.dtype.name)
        if mode is not None and mode != expected:
            raise ValueError(f"to_pil_image: incorrect mode ({mode}) supplied for input type {a.dtype}, "
                             f"should be {expected}")
        mode = expected
    else:
        if mode is not None and mode not in _MODES_FOR_CHANNELS[channels]:
            raise ValueError(f"to_pil_image: only modes {_MODES_FOR_CHANNELS[channels]} are supported for "
                             f"{channels}-channel inputs")
        if mode is None and a.dtype == np.uint8:
            mode = _MODES_FOR_CHANNELS[channels][0]
    if mode is None:
        raise TypeError(f"to_pil_image: input type {a.dtype} is not supported")
    # frombuffer reads the bytes in the given mode (what fromarray(a, mode) did before Pillow 11.3)
    return Image.frombuffer(mode, (a.shape[1], a.shape[0]), np.ascontiguousarray(a).tobytes(), 'raw', mode, 0, 1)


def convert_image_dtype(image, dtype=np.float32):
    """A Tensor image to ``dtype``, rescaling values (torchvision's rule: float images are in [0, 1],
    integer ones in [0, max]). Works elementwise, on any shape."""
    a, back = (image.data, Tensor) if isinstance(image, Tensor) else (np.asarray(image), lambda out: out)
    dtype = np.dtype(dtype)
    if a.dtype == dtype:
        return image
    if a.dtype.kind == 'f':
        if dtype.kind == 'f':
            return back(a.astype(dtype))
        if (a.dtype == np.float32 and dtype in (np.int32, np.int64)) or (a.dtype == np.float64 and dtype == np.int64):
            raise RuntimeError(f"convert_image_dtype: the cast from {a.dtype} to {dtype} cannot be performed safely")
        # 1 - eps keeps 1.0 inside the range after truncation, and the bins equal width
        return back((a * (_max_value(dtype) + 1.0 - 1e-3)).astype(dtype))
    in_max = _max_value(a.dtype)
    if dtype.kind == 'f':
        return back(a.astype(dtype) / dtype.type(in_max))
    out_max = _max_value(dtype)
    if in_max > out_max:
        return back((a // ((in_max + 1) // (out_max + 1))).astype(dtype))
    return back(a.astype(dtype) * ((out_max + 1) // (in_max + 1)))


def normalize(tensor, mean, std, inplace=False):
    """``(x - mean[c]) / std[c]`` on a float image, dtype kept (see :class:`Normalize`)."""
    a, back = _image(tensor)
    if a.dtype.kind != 'f':
        raise TypeError(f"normalize: input should be a float image, got dtype {a.dtype}")
    xp = get_array_module(a)
    mean = xp.asarray(mean, dtype=a.dtype).reshape(-1, 1, 1)    # the image's dtype: float32 stays float32
    std = xp.asarray(std, dtype=a.dtype).reshape(-1, 1, 1)
    if mean.shape[0] not in (1, a.shape[-3]) or std.shape[0] not in (1, a.shape[-3]):
        raise ValueError(f"normalize: mean and std need 1 or {a.shape[-3]} values for an image with "
                         f"{a.shape[-3]} channels, got {len(mean)} and {len(std)}")
    if (std == 0).any():
        raise ValueError(f"normalize: std evaluated to zero after conversion to {a.dtype}, leading to "
                         "division by zero")
    if inplace:
        a -= mean
        a /= std
        return tensor
    return back((a - mean) / std)


# ---------------------------------------------------------------- geometry

def hflip(img):
    """Mirror left-right."""
    if _is_pil(img):
        return img.transpose(Image.FLIP_LEFT_RIGHT)
    a, back = _image(img)
    return back(a[..., ::-1].copy())


def vflip(img):
    """Mirror top-bottom."""
    if _is_pil(img):
        return img.transpose(Image.FLIP_TOP_BOTTOM)
    a, back = _image(img)
    return back(a[..., ::-1, :].copy())


def _ltrb(padding, op="pad"):
    """(left, top, right, bottom) from torchvision's padding forms: p, (p,), (lr, tb) or (l, t, r, b)."""
    given = padding
    padding = (int(padding),) if isinstance(padding, numbers.Integral) else tuple(int(p) for p in padding)
    if len(padding) not in (1, 2, 4) or min(padding) < 0:
        raise ValueError(f"{op}: padding must be a non-negative int or a sequence of 1, 2 or 4 of them, "
                         f"got {given!r}")
    return padding * (4 // len(padding))


def _pil_fill(fill, img):
    """Pillow's ``fillcolor`` for ``fill`` (torchvision's ``_parse_fill``)."""
    fill = 0 if fill is None else fill
    bands = len(img.getbands())
    if isinstance(fill, (list, tuple)):
        if len(fill) == 1:
            fill = fill * bands
        elif len(fill) != bands:
            raise ValueError(f"The number of elements in 'fill' does not match the number of bands of the "
                             f"image ({len(fill)} != {bands})")
        fill = tuple(fill) if bands > 1 else fill[0]
    elif bands > 1:
        fill = (fill,) * bands
    if img.mode != 'F':
        fill = tuple(int(f) for f in fill) if isinstance(fill, tuple) else int(fill)
    return fill


def pad(img, padding, fill=0, padding_mode='constant'):
    """Pad the borders: ``padding`` is p, (left/right, top/bottom) or (left, top, right, bottom);
    modes 'constant' (with ``fill``), 'edge', 'reflect', 'symmetric'."""
    if padding_mode not in ('constant', 'edge', 'reflect', 'symmetric'):
        raise ValueError("pad: padding_mode should be 'constant', 'edge', 'reflect' or 'symmetric', "
                         f"got {padding_mode!r}")
    left, top, right, bottom = _ltrb(padding)
    if _is_pil(img):
        if padding_mode == 'constant':
            return ImageOps.expand(img, border=(left, top, right, bottom), fill=_pil_fill(fill, img))
        # as torchvision: numpy pads the array, Pillow wraps it again (palette images keep their palette)
        out = Image.fromarray(np.pad(np.asarray(img), [(top, bottom), (left, right)]
                                     + [(0, 0)] * (np.asarray(img).ndim - 2), mode=padding_mode))
        if img.mode == 'P':
            out.putpalette(img.getpalette())
        return out
    a, back = _image(img)
    xp = get_array_module(a)
    if padding_mode != 'constant':
        return back(xp.pad(a, [(0, 0)] * (a.ndim - 2) + [(top, bottom), (left, right)], mode=padding_mode))
    # np.pad is general but slow (~40 us for 28x28); a filled array and one copy is ~10x faster.
    h, w = a.shape[-2:]
    out = xp.full(a.shape[:-2] + (h + top + bottom, w + left + right), fill, dtype=a.dtype)
    out[..., top:top + h, left:left + w] = a
    return back(out)


def crop(img, top, left, height, width):
    """The ``height x width`` window at (top, left); parts outside the image are 0 (as torchvision)."""
    if _is_pil(img):
        return img.crop((left, top, left + width, top + height))
    _, h, w = get_dimensions(img)
    right, bottom = left + width, top + height
    a, back = _image(img)
    if left < 0 or top < 0 or right > w or bottom > h:
        window = back(a[..., max(top, 0):max(bottom, 0), max(left, 0):max(right, 0)])
        return pad(window, [max(-left + min(0, right), 0), max(-top + min(0, bottom), 0),
                            max(right - max(w, left), 0), max(bottom - max(h, top), 0)])
    return back(a[..., top:bottom, left:right])


def _size_pair(size, op):
    """(h, w) from an int or a sequence of one or two ints."""
    if isinstance(size, numbers.Integral):
        return int(size), int(size)
    if isinstance(size, (list, tuple)) and len(size) in (1, 2):
        return (int(size[0]), int(size[-1]))
    raise ValueError(f"{op}: size must be an int or a sequence of 1 or 2 ints, got {size!r}")


def center_crop(img, output_size):
    """The central ``output_size`` window; an image smaller than it is zero-padded first (as torchvision)."""
    th, tw = _size_pair(output_size, "center_crop")
    _, h, w = get_dimensions(img)
    if th > h or tw > w:
        img = pad(img, [(tw - w) // 2 if tw > w else 0, (th - h) // 2 if th > h else 0,
                        (tw - w + 1) // 2 if tw > w else 0, (th - h + 1) // 2 if th > h else 0])
        _, h, w = get_dimensions(img)
        if (th, tw) == (h, w):
            return img
    return crop(img, int(round((h - th) / 2.0)), int(round((w - tw) / 2.0)), th, tw)


def resized_crop(img, top, left, height, width, size, interpolation='bilinear', antialias=True):
    """:func:`crop`, then :func:`resize` to ``size``."""
    return resize(crop(img, top, left, height, width), size, interpolation, antialias=antialias)


def five_crop(img, size):
    """The four corner windows and the central one of ``size``: (tl, tr, bl, br, center)."""
    ch, cw = _size_pair(size, "five_crop")
    _, h, w = get_dimensions(img)
    if ch > h or cw > w:
        raise ValueError(f"five_crop: requested crop size {(ch, cw)} is bigger than input size {(h, w)}")
    return (crop(img, 0, 0, ch, cw), crop(img, 0, w - cw, ch, cw), crop(img, h - ch, 0, ch, cw),
            crop(img, h - ch, w - cw, ch, cw), center_crop(img, (ch, cw)))


def ten_crop(img, size, vertical_flip=False):
    """:func:`five_crop` of the image, then of its flip (horizontal, or vertical)."""
    return five_crop(img, size) + five_crop(vflip(img) if vertical_flip else hflip(img), size)


def _output_size(h, w, size, max_size):
    """torchvision's rule: an int (or [n]) matches the smaller edge, keeping the aspect ratio
    (the longer edge truncated, then capped at ``max_size``); (h, w) is exact."""
    if isinstance(size, numbers.Integral) or len(size) == 1:
        requested = size if isinstance(size, numbers.Integral) else size[0]
        short, long = (w, h) if w <= h else (h, w)
        new_short, new_long = requested, int(requested * long / short)
        if max_size is not None:
            if max_size <= requested:
                raise ValueError(f"resize: max_size = {max_size} must be strictly greater than the requested "
                                 f"size for the smaller edge size = {size}")
            if new_long > max_size:
                new_short, new_long = int(max_size * new_short / new_long), max_size
        return (new_long, new_short) if w <= h else (new_short, new_long)
    if max_size is not None:
        raise ValueError("resize: max_size should only be passed if size specifies the length of the smaller "
                         "edge, i.e. size should be an int or a sequence of length 1")
    if len(size) != 2:
        raise ValueError(f"resize: size must be an int or a sequence of 1 or 2 ints, got {size!r}")
    return int(size[0]), int(size[1])


def _bilinear_weights(n_in, n_out, antialias, xp, dtype):
    """The ``(n_out, n_in)`` matrix of bilinear weights with half-pixel centres, computed in
    ``dtype`` with PyTorch's arithmetic so that results match to the last bit where possible.

    ``antialias``: PyTorch's ``_upsample_bilinear2d_aa`` (PIL's algorithm): a triangle
    filter, widened by the scale factor when shrinking so that every input pixel
    contributes, normalised to sum 1. Otherwise the plain two-tap filter.
    """
    dt = np.dtype(dtype).type
    scale = dt(n_in) / dt(n_out)
    i = np.arange(n_out, dtype=dt)
    weights = np.zeros((n_out, n_in), dtype=dt)
    if antialias:
        support, invscale = (scale, dt(1) / scale) if scale >= 1 else (dt(1), dt(1))
        centres = scale * (i + dt(0.5))
        first = np.maximum((centres - support + dt(0.5)).astype(np.int64), 0)    # int() truncates, as C
        last = np.minimum((centres + support + dt(0.5)).astype(np.int64), n_in)
        j = np.arange(n_in)
        x = (j.astype(dt) - centres[:, None] + dt(0.5)) * invscale
        weights = np.where((j >= first[:, None]) & (j < last[:, None]), np.maximum(dt(1) - np.abs(x), dt(0)), dt(0))
        weights = weights / weights.sum(1, keepdims=True)
    else:
        src = np.maximum(scale * (i + dt(0.5)) - dt(0.5), dt(0))
        i0 = src.astype(np.int64)
        lam = src - i0.astype(dt)
        i1 = np.minimum(i0 + 1, n_in - 1)
        rows = np.arange(n_out)
        weights[rows, i0] += dt(1) - lam
        weights[rows, i1] += lam
    return xp.asarray(weights.astype(dt))


def _nearest_index(n_in, n_out, exact, xp):
    """Source index of each output pixel: PyTorch's 'nearest' (floor(i * scale)) or
    'nearest-exact' (the pixel under the output centre)."""
    scale = n_in / n_out
    pos = (np.arange(n_out) + 0.5) * scale if exact else np.arange(n_out) * scale
    return xp.asarray(np.minimum(pos.astype(np.int64), n_in - 1))


def resize(img, size, interpolation='bilinear', max_size=None, antialias=True):
    """Resize to ``size`` (an int: the smaller edge, keeping the aspect ratio; (h, w): exact).

    PIL images are resized by Pillow (``img.resize``), which always antialiases.
    Tensors and arrays: 'nearest', 'nearest-exact' and 'bilinear' as
    ``F.interpolate(..., align_corners=False, antialias=antialias)``; integer
    images are interpolated in float32 and rounded.
    """
    mode = _mode(interpolation, "resize")
    _, h, w = get_dimensions(img)
    oh, ow = _output_size(h, w, size, max_size)
    if (oh, ow) == (h, w):
        return img
    if _is_pil(img):
        if mode == 'nearest-exact':
            raise ValueError("resize: 'nearest-exact' is not supported for PIL images (as torchvision)")
        return img.resize((ow, oh), _PIL_MODES[mode])
    if mode not in ('nearest', 'nearest-exact', 'bilinear'):
        raise NotImplementedError(f"resize: {mode!r} interpolation of Tensors and arrays is not implemented; "
                                  "use 'bilinear' or 'nearest', or pass a PIL image")
    a, back = _image(img)
    xp = get_array_module(a)
    if mode != 'bilinear':
        exact = mode == 'nearest-exact'
        rows, cols = _nearest_index(h, oh, exact, xp), _nearest_index(w, ow, exact, xp)
        return back(a[..., rows[:, None], cols])
    work = _float(a)
    # rows after columns, as PyTorch's separable kernel (the width pass first)
    out = _bilinear_weights(h, oh, antialias, xp, work.dtype) @ (work @ _bilinear_weights(w, ow, antialias, xp,
                                                                                           work.dtype).T)
    return back(_round_back(out, a.dtype))


def _inverse_affine_matrix(center, angle, translate, scale, shear):
    """The 2x3 matrix (flattened) taking output pixel coordinates to input ones (torchvision's
    ``_get_inverse_affine_matrix``): rotation by ``angle`` degrees and shear about ``center``,
    scaling, then translation."""
    rot, sx, sy = math.radians(angle), math.radians(shear[0]), math.radians(shear[1])
    cx, cy = center
    tx, ty = translate
    a = math.cos(rot - sy) / math.cos(sy)
    b = -math.cos(rot - sy) * math.tan(sx) / math.cos(sy) - math.sin(rot)
    c = math.sin(rot - sy) / math.cos(sy)
    d = -math.sin(rot - sy) * math.tan(sx) / math.cos(sy) + math.cos(rot)
    m = [x / scale for x in (d, -b, 0.0, -c, a, 0.0)]
    m[2] += m[0] * (-cx - tx) + m[1] * (-cy - ty) + cx
    m[5] += m[3] * (-cx - tx) + m[4] * (-cy - ty) + cy
    return m


def _grid_transform(a, matrix, out_h, out_w, mode, fill):
    """Sample ``a`` (..., C, H, W) at the input points of each output pixel (``grid_sample`` with
    zero padding and half-pixel centres, as torchvision's tensor affine/rotate).

    ``matrix`` maps output coordinates relative to the output centre to input coordinates
    relative to the input centre. ``fill``: None leaves outside pixels 0; else a value per
    channel (or one), blended by the share of the sample that fell inside the image.
    """
    xp = get_array_module(a)
    h, w = a.shape[-2:]
    work = _float(a)
    # torchvision's arithmetic, in the image's float dtype, so that rounding ties fall the same way:
    # normalised grid = [x, y, 1] @ (theta.T / (w/2, h/2)), then grid_sample's unnormalisation
    dt = work.dtype.type
    xs = np.arange(out_w, dtype=dt) - dt(out_w * 0.5 - 0.5)
    ys = np.arange(out_h, dtype=dt) - dt(out_h * 0.5 - 0.5)
    base = np.stack(np.broadcast_arrays(xs[None, :], ys[:, None], dt(1)), axis=-1)
    rescaled = np.array(matrix, dtype=dt).reshape(2, 3).T / np.array([0.5 * w, 0.5 * h], dtype=dt)
    grid = base @ rescaled
    src_x = ((grid[..., 0] + 1) * w - 1) / 2
    src_y = ((grid[..., 1] + 1) * h - 1) / 2
    if mode == 'nearest':
        taps = [(np.rint(src_y).astype(np.int64), np.rint(src_x).astype(np.int64), np.ones_like(src_x))]
    else:
        x0, y0 = np.floor(src_x).astype(np.int64), np.floor(src_y).astype(np.int64)
        fx, fy = src_x - x0, src_y - y0
        taps = [(y0, x0, (1 - fx) * (1 - fy)), (y0, x0 + 1, fx * (1 - fy)),
                (y0 + 1, x0, (1 - fx) * fy), (y0 + 1, x0 + 1, fx * fy)]
    out = xp.zeros(a.shape[:-2] + (out_h, out_w), dtype=work.dtype)
    inside = np.zeros((out_h, out_w))          # how much of each sample came from inside the image
    for y, x, weight in taps:
        valid = (y >= 0) & (y < h) & (x >= 0) & (x < w)
        weight = np.where(valid, weight, 0)
        rows, cols = xp.asarray(np.clip(y, 0, h - 1)), xp.asarray(np.clip(x, 0, w - 1))
        out += work[..., rows, cols] * xp.asarray(weight, dtype=work.dtype)
        inside += weight
    if fill is not None:
        fill = xp.asarray(fill, dtype=work.dtype).reshape(-1, 1, 1)
        mask = xp.asarray(inside, dtype=work.dtype)
        out = xp.where(mask < 0.5, fill, out) if mode == 'nearest' else out * mask + (1 - mask) * fill
    return _round_back(out, a.dtype)


def _tensor_fill(fill, channels):
    if fill is None:
        return None
    return [float(f) for f in fill] if isinstance(fill, (list, tuple)) else [float(fill)] * channels


def rotate(img, angle, interpolation='nearest', expand=False, center=None, fill=None):
    """Rotate counter-clockwise by ``angle`` degrees about ``center`` (default: the image centre).

    ``expand`` enlarges the output to hold the whole rotated image; ``fill`` colours the
    pixels that come from outside (default 0). PIL images use ``Image.rotate``.
    """
    mode = _mode(interpolation, "rotate")
    if not isinstance(angle, (int, float)):
        raise TypeError("rotate: argument angle should be int or float")
    if _is_pil(img):
        return img.rotate(angle, _PIL_MODES[mode], expand, center, fillcolor=_pil_fill(fill, img))
    if mode not in ('nearest', 'bilinear'):
        raise ValueError(f"rotate: interpolation {mode!r} is unsupported for Tensors; use 'nearest' or 'bilinear'")
    c, h, w = get_dimensions(img)
    center_f = [0.0, 0.0] if center is None else [cc - s * 0.5 for cc, s in zip(center, (w, h))]
    matrix = _inverse_affine_matrix(center_f, -angle, [0.0, 0.0], 1.0, [0.0, 0.0])
    ow, oh = w, h
    if expand:       # the bounding box of the rotated corners, as PIL (to 1e-4, against rounding noise)
        corners = np.array([[-0.5 * w, -0.5 * h, 1.0], [-0.5 * w, 0.5 * h, 1.0],
                            [0.5 * w, 0.5 * h, 1.0], [0.5 * w, -0.5 * h, 1.0]], dtype=np.float32)
        pts = corners @ np.array(matrix, dtype=np.float32).reshape(2, 3).T + np.array([w * 0.5, h * 0.5], np.float32)
        cmax = np.ceil(np.trunc(pts.max(0) / 1e-4) * 1e-4)
        cmin = np.floor(np.trunc(pts.min(0) / 1e-4) * 1e-4)
        ow, oh = (int(s) for s in cmax - cmin)
    a, back = _image(img)
    return back(_grid_transform(a, matrix, oh, ow, mode, _tensor_fill(fill, c)))


def _shear_pair(shear):
    if isinstance(shear, numbers.Number):
        return [float(shear), 0.0]
    shear = list(shear)
    if len(shear) == 1:
        shear = shear * 2
    if len(shear) != 2:
        raise ValueError(f"affine: shear should be a sequence containing two values, got {shear}")
    return [float(s) for s in shear]


def affine(img, angle, translate, scale, shear, interpolation='nearest', fill=None, center=None):
    """Rotate by ``angle`` degrees, translate by ``translate`` = (dx, dy) pixels, scale and shear
    (degrees, one value for x or (x, y)), keeping the image size. PIL images use ``Image.transform``."""
    mode = _mode(interpolation, "affine")
    if not isinstance(angle, (int, float)):
        raise TypeError("affine: argument angle should be int or float")
    if not isinstance(translate, (list, tuple)):
        raise TypeError("affine: argument translate should be a sequence")
    if len(translate) != 2:
        raise ValueError("affine: argument translate should be a sequence of length 2")
    if scale <= 0.0:
        raise ValueError("affine: argument scale should be positive")
    shear = _shear_pair(shear)
    c, h, w = get_dimensions(img)
    if _is_pil(img):
        center = [w * 0.5, h * 0.5] if center is None else center
        matrix = _inverse_affine_matrix(center, angle, translate, scale, shear)
        return img.transform(img.size, Image.AFFINE, matrix, _PIL_MODES[mode], fillcolor=_pil_fill(fill, img))
    if mode not in ('nearest', 'bilinear'):
        raise ValueError(f"affine: interpolation {mode!r} is unsupported for Tensors; use 'nearest' or 'bilinear'")
    center_f = [0.0, 0.0] if center is None else [cc - s * 0.5 for cc, s in zip(center, (w, h))]
    matrix = _inverse_affine_matrix(center_f, angle, [float(t) for t in translate], scale, shear)
    a, back = _image(img)
    return back(_grid_transform(a, matrix, h, w, mode, _tensor_fill(fill, c)))


# ---------------------------------------------------------------- colour

def _color_image(img, op):
    """The array and back-function of a Tensor/array image with 1 or 3 channels."""
    a, back = _image(img)
    if a.ndim < 3 or a.shape[-3] not in (1, 3):
        raise TypeError(f"{op}: input image should have 1 or 3 channels, got shape {tuple(a.shape)}")
    return a, back


def _blend(a, b, ratio):
    """``ratio * a + (1 - ratio) * b``, clipped to the image range, in ``a``'s dtype (truncating)."""
    xp = get_array_module(a)
    out = xp.clip(ratio * _float(a) + (1.0 - ratio) * b, 0, _max_value(a.dtype))
    return out.astype(a.dtype)


def _gray(a):
    """Luma ``0.2989 R + 0.587 G + 0.114 B`` (torchvision's weights), shape (..., 1, H, W), a's dtype."""
    if a.shape[-3] == 1:
        return a.copy()
    r, g, b = (_float(a[..., i:i + 1, :, :]) for i in range(3))
    return (0.2989 * r + 0.587 * g + 0.114 * b).astype(a.dtype)


def rgb_to_grayscale(img, num_output_channels=1):
    """Luma of an RGB image (PIL: ``convert('L')``), with 1 or 3 identical output channels."""
    if num_output_channels not in (1, 3):
        raise ValueError("rgb_to_grayscale: num_output_channels should be either 1 or 3")
    if _is_pil(img):
        gray = img.convert('L')
        if num_output_channels == 3:
            gray = Image.fromarray(np.dstack([np.asarray(gray)] * 3), 'RGB')
        return gray
    a, back = _color_image(img, "rgb_to_grayscale")
    gray = _gray(a)
    if num_output_channels == 3:
        gray = get_array_module(a).broadcast_to(gray, gray.shape[:-3] + (3,) + gray.shape[-2:]).copy()
    return back(gray)


def adjust_brightness(img, brightness_factor):
    """Multiply by ``brightness_factor`` (0: black, 1: unchanged), clipped."""
    if _is_pil(img):        # as torchvision, Pillow's enhancers take any factor
        return ImageEnhance.Brightness(img).enhance(brightness_factor)
    if brightness_factor < 0:
        raise ValueError(f"brightness_factor ({brightness_factor}) is not non-negative.")
    a, back = _color_image(img, "adjust_brightness")
    return back(_blend(a, 0.0, brightness_factor))


def adjust_contrast(img, contrast_factor):
    """Blend with the mean grey level (0: solid grey, 1: unchanged)."""
    if _is_pil(img):        # as torchvision, Pillow's enhancers take any factor
        return ImageEnhance.Contrast(img).enhance(contrast_factor)
    if contrast_factor < 0:
        raise ValueError(f"contrast_factor ({contrast_factor}) is not non-negative.")
    a, back = _color_image(img, "adjust_contrast")
    mean = _float(_gray(a)).mean(axis=(-3, -2, -1), keepdims=True)
    return back(_blend(a, mean, contrast_factor))


def adjust_saturation(img, saturation_factor):
    """Blend with the grey image (0: grey, 1: unchanged); 1-channel images are returned as they are."""
    if _is_pil(img):        # as torchvision, Pillow's enhancers take any factor
        return ImageEnhance.Color(img).enhance(saturation_factor)
    if saturation_factor < 0:
        raise ValueError(f"saturation_factor ({saturation_factor}) is not non-negative.")
    a, back = _color_image(img, "adjust_saturation")
    if a.shape[-3] == 1:
        return img
    return back(_blend(a, _float(_gray(a)), saturation_factor))


def _rgb_to_hsv(a):
    xp = get_array_module(a)
    r, g, b = a[..., 0, :, :], a[..., 1, :, :], a[..., 2, :, :]
    maxc, minc = a.max(axis=-3), a.min(axis=-3)
    eqc = maxc == minc                 # grey pixels: hue and saturation 0, no division by zero
    cr = maxc - minc
    s = cr / xp.where(eqc, 1, maxc)
    div = xp.where(eqc, 1, cr)
    rc, gc, bc = (maxc - r) / div, (maxc - g) / div, (maxc - b) / div
    h = ((maxc == r) * (bc - gc) + ((maxc == g) & (maxc != r)) * (2.0 + rc - bc)
         + ((maxc != g) & (maxc != r)) * (4.0 + gc - rc))
    return xp.fmod(h / 6.0 + 1.0, 1.0).astype(a.dtype), s, maxc


def _hsv_to_rgb(h, s, v):
    xp = get_array_module(h)
    i = xp.floor(h * 6.0)
    f = h * 6.0 - i
    i = i.astype(np.int64) % 6
    p, q, t = (xp.clip(x, 0.0, 1.0) for x in (v * (1.0 - s), v * (1.0 - s * f), v * (1.0 - s * (1.0 - f))))
    channels = [(v, q, p, p, t, v), (t, v, v, q, p, p), (p, p, t, v, v, q)]
    return xp.stack([xp.choose(i, c) for c in channels], axis=-3)


def adjust_hue(img, hue_factor):
    """Shift the hue by ``hue_factor`` turns (in [-0.5, 0.5]) in HSV space; 1-channel images unchanged."""
    if not -0.5 <= hue_factor <= 0.5:
        raise ValueError(f"hue_factor ({hue_factor}) is not in [-0.5, 0.5].")
    if _is_pil(img):
        if img.mode in ('L', '1', 'I', 'F'):
            return img
        h, s, v = img.convert('HSV').split()
        np_h = np.array(h, dtype=np.uint8)
        np_h += np.array(np.int8(hue_factor * 255)).astype(np.uint8)     # wraps around, as torchvision
        return Image.merge('HSV', (Image.fromarray(np_h, 'L'), s, v)).convert(img.mode)
    a, back = _color_image(img, "adjust_hue")
    if a.shape[-3] == 1:
        return img
    work = a if a.dtype.kind == 'f' else a.astype(np.float32) / np.float32(_max_value(a.dtype))
    h, s, v = _rgb_to_hsv(work)
    rgb = _hsv_to_rgb((h + hue_factor) % 1.0, s, v).astype(work.dtype)
    if a.dtype.kind != 'f':          # back as convert_image_dtype does: scale and truncate
        rgb = (rgb * (_max_value(a.dtype) + 1.0 - 1e-3)).astype(a.dtype)
    return back(rgb)


def invert(img):
    """``max - x`` (255 - x for uint8, 1 - x for float images)."""
    if _is_pil(img):
        return ImageOps.invert(img)
    a, back = _color_image(img, "invert")
    return back((_max_value(a.dtype) - a).astype(a.dtype))


def autocontrast(img):
    """Stretch each channel to the full range [0, max]."""
    if _is_pil(img):
        return ImageOps.autocontrast(img)
    a, back = _color_image(img, "autocontrast")
    xp = get_array_module(a)
    bound = _max_value(a.dtype)
    lo, hi = (_float(f(a, axis=(-2, -1), keepdims=True)) for f in (xp.min, xp.max))
    flat = hi == lo                     # a constant channel is left as it is
    scale = xp.reciprocal(xp.where(flat, 1, hi - lo)) * bound      # PyTorch's scalar / tensor
    lo, scale = xp.where(flat, 0, lo), xp.where(flat, 1, scale)
    return back(xp.clip((a - lo) * scale, 0, bound).astype(a.dtype))


def _gaussian_kernel1d(size, sigma, dtype):
    x = np.linspace(-(size - 1) * 0.5, (size - 1) * 0.5, size, dtype=dtype)
    pdf = np.exp(-0.5 * (x / dtype(sigma)) ** 2)
    return pdf / pdf.sum()


def gaussian_blur(img, kernel_size, sigma=None):
    """Blur with a Gaussian kernel of ``kernel_size`` (odd ints, (kx, ky)) and standard deviation
    ``sigma`` ((sx, sy); default ``0.3 * ((k - 1) * 0.5 - 1) + 0.8``), borders reflected.
    PIL images are blurred as Tensors and converted back (as torchvision)."""
    ks = [int(kernel_size)] * 2 if isinstance(kernel_size, numbers.Integral) else [int(k) for k in kernel_size]
    if len(ks) == 1:
        ks = ks * 2
    if len(ks) != 2 or any(k <= 0 or k % 2 == 0 for k in ks):
        raise ValueError(f"gaussian_blur: kernel_size should have odd and positive integers, got {kernel_size}")
    if sigma is None:
        sigma = [k * 0.15 + 0.35 for k in ks]
    sig = [float(sigma)] * 2 if isinstance(sigma, numbers.Number) else [float(s) for s in sigma]
    if len(sig) == 1:
        sig = sig * 2
    if len(sig) != 2 or any(s <= 0 for s in sig):
        raise ValueError(f"gaussian_blur: sigma should have positive values, got {sigma}")
    if _is_pil(img):
        return to_pil_image(gaussian_blur(pil_to_tensor(img), ks, sig), mode=img.mode)
    a, back = _image(img)
    xp = get_array_module(a)
    work = _float(a)
    kx, ky = (xp.asarray(_gaussian_kernel1d(k, s, work.dtype.type)) for k, s in zip(ks, sig))
    padded = xp.pad(work, [(0, 0)] * (a.ndim - 2) + [(ks[1] // 2,) * 2, (ks[0] // 2,) * 2], mode='reflect')
    h, w = a.shape[-2:]
    rows = sum(ky[i] * padded[..., i:i + h, :] for i in range(ks[1]))     # separable: columns, then rows
    out = sum(kx[i] * rows[..., :, i:i + w] for i in range(ks[0]))
    return back(_round_back(out, a.dtype))


def erase(img, i, j, h, w, v, inplace=False):
    """Set the window ``[i:i+h, j:j+w]`` of a Tensor image to ``v`` (a value or a broadcastable array)."""
    if not isinstance(img, Tensor):
        raise TypeError(f"erase: img should be a Tensor image, got {type(img).__name__}")
    out = img if inplace else Tensor(img.data.copy())
    out.data[..., i:i + h, j:j + w] = v.data if isinstance(v, Tensor) else v
    return out
