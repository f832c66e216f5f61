"""Dropout: zero random elements (or whole channels) during training.

The kept values are scaled by 1 / (1 - p) at training time ("inverted
dropout", as PyTorch), so the expected activation is unchanged and the layer
is the identity in evaluation. The mask is drawn from the global generator
(``tg.manual_seed`` makes it reproducible) and multiplies the input as a
constant, so the gradient is masked and scaled the same way.
"""
import warnings

import numpy as np

from ...backend import to_device
from ...ops.elementwise import _const
from ...random import get_rng

__all__ = ['dropout', 'dropout1d', 'dropout2d', 'dropout3d', 'alpha_dropout',
           'feature_alpha_dropout']

# SELU's alpha times its scale: the value SELU saturates to at -infinity (negated)
_ALPHA_PRIME = 1.7580993408473766


def _check_p(op, p):
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"{op}: dropout probability has to be between 0 and 1, but got {p}")


def _dropout(input, p, mask_shape):
    """input * Bernoulli(1 - p) mask of ``mask_shape`` (broadcast over input) / (1 - p)."""
    if p == 1.0:
        return input * 0
    dtype = input.dtype if input.dtype in (np.float32, np.float64) else np.dtype(np.float64)
    keep = get_rng().random(mask_shape, dtype=dtype) >= p
    mask = keep.astype(input.dtype) * input.dtype.type(1 / (1 - p))
    return input * _const(to_device(mask, input.device))


def dropout(input, p=0.5, training=True, inplace=False):
    """Zero each element with probability ``p`` and scale the rest by 1 / (1 - p) when
    ``training``; the identity otherwise."""
    _check_p('dropout', p)
    if not training or p == 0.0:
        return input
    return _dropout(input, p, input.shape)


def _feature_dropout(input, p, batched):
    """Channel-wise dropout: one draw per channel of (N, C, *) input, or per channel of
    unbatched (C, *) input; the mask broadcasts over the remaining (spatial) dims."""
    lead = 2 if batched else 1
    return _dropout(input, p, tuple(input.shape[:lead]) + (1,) * (input.ndim - lead))


def dropout1d(input, p=0.5, training=True, inplace=False):
    """Zero whole channels of (N, C, L) or unbatched (C, L) input, one draw per channel."""
    _check_p('dropout1d', p)
    if input.ndim not in (2, 3):
        raise RuntimeError(f"dropout1d: expected 2D (C, L) or 3D (N, C, L) input, got "
                           f"input.shape={tuple(input.shape)}")
    if not training or p == 0.0:
        return input
    return _feature_dropout(input, p, batched=input.ndim == 3)


def dropout2d(input, p=0.5, training=True, inplace=False):
    """Zero whole channels: input (N, C, H, W) (or (N, C, L)), one draw per (sample, channel)."""
    _check_p('dropout2d', p)
    if input.ndim not in (3, 4):
        raise ValueError(f"dropout2d: expected input of shape (N, C, H, W) or (N, C, L), got "
                         f"input.shape={tuple(input.shape)}")
    if not training or p == 0.0:
        return input
    return _feature_dropout(input, p, batched=True)


def dropout3d(input, p=0.5, training=True, inplace=False):
    """Zero whole channels of (N, C, D, H, W) or unbatched (C, D, H, W) input.

    As in PyTorch, other ranks are deprecated (a warning) and treated as unbatched:
    the channels are then along dim 0.
    """
    _check_p('dropout3d', p)
    if input.ndim not in (4, 5):
        warnings.warn(f"dropout3d: received a {input.ndim}-D input (shape "
                      f"{tuple(input.shape)}), which is deprecated and will be an error in a "
                      "future release; dropout3d expects (N, C, D, H, W) or (C, D, H, W) input "
                      "(use dropout for other shapes)", stacklevel=2)
    if not training or p == 0.0:
        return input
    return _feature_dropout(input, p, batched=input.ndim == 5)


def _alpha_dropout(input, p, mask_shape):
    """Set dropped elements to SELU's saturation value -alpha' and apply the affine map
    ``a x + b`` that restores zero mean and unit variance (Klambauer et al. 2017), with
    PyTorch's constants: ``a = 1 / sqrt((alpha'^2 p + 1)(1 - p))``, ``b = a alpha' p``."""
    if p == 1.0:
        return input * 0
    dtype = input.dtype if input.dtype in (np.float32, np.float64) else np.dtype(np.float64)
    keep = (get_rng().random(mask_shape, dtype=dtype) >= p).astype(input.dtype)
    a = 1.0 / np.sqrt((_ALPHA_PRIME ** 2 * p + 1) * (1 - p))
    shift = (keep - 1) * input.dtype.type(_ALPHA_PRIME * a) + input.dtype.type(_ALPHA_PRIME * a * p)
    scale = keep * input.dtype.type(a)
    return input * _const(to_device(scale, input.device)) + _const(to_device(shift, input.device))


def alpha_dropout(input, p=0.5, training=False, inplace=False):
    """Dropout for SELU networks: each element is set with probability ``p`` to SELU's
    saturation value ``-alpha'`` (``alpha' ~ 1.7581``), then ``a x + b`` restores the
    input's mean and variance. The identity unless ``training`` (False by default, as
    PyTorch)."""
    _check_p('alpha_dropout', p)
    if not training or p == 0.0 or input.numel() == 0:
        return input
    return _alpha_dropout(input, p, input.shape)


def feature_alpha_dropout(input, p=0.5, training=False, inplace=False):
    """:func:`alpha_dropout` of whole channels: one draw per (sample, channel) of
    ``(N, C, *)`` input."""
    _check_p('feature_alpha_dropout', p)
    if input.ndim < 2:
        raise RuntimeError(f"feature_alpha_dropout: Feature dropout requires at least 2 "
                           f"dimensions in the input, got input.shape={tuple(input.shape)}")
    if not training or p == 0.0 or input.numel() == 0:
        return input
    return _alpha_dropout(input, p, tuple(input.shape[:2]) + (1,) * (input.ndim - 2))
