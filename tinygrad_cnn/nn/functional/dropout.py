"""Dropout: zero random elements (or whole channels) during training.

The kept values are scaled by 1 / (1 - p) at training time ("inverted
dropout", as PyTorch), so the expected activation is unchanged and the layer
is the identity in evaluation. The mask is drawn from the global generator
(``tg.manual_seed`` makes it reproducible) and multiplies the input as a
constant, so the gradient is masked and scaled the same way.
"""
import numpy as np

from ...backend import to_device
from ...ops.elementwise import _const
from ...random import get_rng

__all__ = ['dropout', 'dropout2d']


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


def dropout2d(input, p=0.5, training=True, inplace=False):
    """Zero whole channels: input (N, C, H, W) (or (N, C, L)), one draw per (sample, channel)."""
    _check_p('dropout2d', p)
    if input.ndim not in (3, 4):
        raise ValueError(f"dropout2d: expected input of shape (N, C, H, W) or (N, C, L), got "
                         f"input.shape={tuple(input.shape)}")
    if not training or p == 0.0:
        return input
    return _dropout(input, p, tuple(input.shape[:2]) + (1,) * (input.ndim - 2))
