"""Normalisation: batch_norm, instance_norm, layer_norm, group_norm, local_response_norm,
normalize.

BatchNorm, InstanceNorm, LayerNorm and GroupNorm differ only in the axes the
statistics are taken over (N and the spatial dims per channel; the spatial dims
per sample and channel; the trailing dims per sample; the channels of a group
per sample), so all four run one op,
:class:`Normalize`: ``y = (x - mean) / sqrt(var + eps)`` (times weight plus
bias, fused for BatchNorm) with the gradient of the batch statistics included
in its backward.
"""
import math

import numpy as np

from ...autograd import Function, is_grad_enabled
from ...backend import get_array_module
from ...ops.elementwise import _const
from ...tensor import cat, zeros

__all__ = ['batch_norm', 'instance_norm', 'layer_norm', 'group_norm', 'local_response_norm',
           'normalize', 'rms_norm']


def _sum_of_products(a, b, axes):
    """``(a * b).sum(axes, keepdims=True)`` for same-shape arrays, without the full-size
    product: the trailing summed axes as one dot product per row (matmul), then a sum over
    the other summed axes. Reads a and b once: about 4x faster than writing and re-reading
    a product array, and as accurate (numpy sums in blocks either way)."""
    xp = get_array_module(a)
    axes = tuple(ax % a.ndim for ax in axes)
    t = 0                                    # how many of the last axes are summed
    while t < a.ndim and a.ndim - 1 - t in axes:
        t += 1
    if t == 0:
        return (a * b).sum(axis=axes, keepdims=True)
    lead, row = a.shape[:a.ndim - t], math.prod(a.shape[a.ndim - t:])
    dots = xp.matmul(a.reshape(lead + (1, row)), b.reshape(lead + (row, 1)))
    dots = dots.reshape(lead + (1,) * t)
    rest = tuple(ax for ax in axes if ax < a.ndim - t)
    return dots.sum(axis=rest, keepdims=True) if rest else dots


class Normalize(Function):
    """y = (x - mean) / sqrt(var + eps) * weight + bias, mean and (biased) var over ``axes``.

    ``weight``/``bias`` (or None) broadcast against x and must be constant along
    ``axes`` (per channel for BatchNorm). With c = x - mean, s = 1/sqrt(var + eps)
    and n the number of elements averaged, the gradient of the batch statistics
    folds into ``dx = s w (dy - sum(dy)/n) - c s^3 w sum(dy c)/n``.
    In training mode forward also updates ``running_mean``/``running_var``
    (Tensors, or None) in place, as PyTorch's kernel does.
    """
    def forward(self, x, weight, bias, *, axes, eps, running_mean=None, running_var=None,
                momentum=0.1):
        xp = get_array_module(x)
        self.axes, self.eps = axes, eps
        mean = x.mean(axis=axes, keepdims=True)
        self.centered = x - mean
        self.n = x.size // mean.size
        var = _sum_of_products(self.centered, self.centered, axes) / self.n
        self.invstd = 1 / xp.sqrt(var + eps)
        if running_mean is not None:
            running_mean.mul_(1 - momentum).add_(mean.reshape(running_mean.shape) * momentum)
        if running_var is not None:      # the running variance is the unbiased one
            unbiased = var.reshape(running_var.shape) * (self.n / max(self.n - 1, 1))
            running_var.mul_(1 - momentum).add_(unbiased * momentum)
        out = self.centered * (self.invstd if weight is None else self.invstd * weight)
        if bias is not None:
            out += bias
        return out

    def backward(self, grad):
        x, weight, bias = self.inputs
        need_x, need_w, need_b = self.needs_input_grad
        axes, n = self.axes, self.n
        create_graph = is_grad_enabled()
        gx = gw = gb = None
        sum_g = grad.sum(axes, keepdim=True) if need_x or need_b else None
        if create_graph:
            # rebuild c and s from x so that they are differentiated too
            c = x - x.mean(axes, keepdim=True)
            s = ((c * c).mean(axes, keepdim=True) + self.eps).rsqrt()
            sum_gc = (grad * c).sum(axes, keepdim=True) if need_x or need_w else None
        else:
            c, s = _const(self.centered), _const(self.invstd)
            sum_gc = _const(_sum_of_products(grad.data, self.centered, axes)) \
                if need_x or need_w else None
        if need_x:
            k = s if weight is None else s * weight
            if create_graph:
                gx = (grad - sum_g * (1 / n)) * k - c * (k * s * s * sum_gc * (1 / n))
            else:   # the same, as k (dy - sum(dy)/n - c s^2 sum(dy c)/n), in place in one
                # buffer: four passes, no full-size temporaries (the Tensor expression makes five)
                gx = get_array_module(grad.data).multiply(c.data, (s * s * sum_gc * (-1 / n)).data)
                gx += grad.data
                gx -= (sum_g * (1 / n)).data
                gx *= k.data
                gx = _const(gx)
        if need_w:
            gw = (sum_gc * s)._sum_to(weight.shape)
        if need_b:
            gb = sum_g._sum_to(bias.shape)
        return gx, gw, gb


def _check_params(op, input, shape, **params):
    """Each given parameter must have ``shape`` and input's dtype (PyTorch refuses mixed
    dtypes on the CPU rather than silently computing in float64)."""
    for name, t in params.items():
        if t is None:
            continue
        if tuple(t.shape) != tuple(shape):
            raise RuntimeError(f"{op}: expected {name} of shape {tuple(shape)} for input.shape="
                               f"{tuple(input.shape)}, got {name}.shape={tuple(t.shape)}")
        if t.dtype != input.dtype:
            raise RuntimeError(f"{op}: mixed dtype: expected {name} to have input's dtype "
                               f"{input.dtype}, got {name}.dtype={t.dtype}")


def _channel_shape(input):
    """(1, C, 1, ...): per-channel parameters broadcast against (N, C, *)."""
    return (1, input.shape[1]) + (1,) * (input.ndim - 2)


def batch_norm(input, running_mean, running_var, weight=None, bias=None, training=False,
               momentum=0.1, eps=1e-5):
    """Normalise each channel of ``input`` (N, C, *) and scale/shift it per channel.

    ``training=True``: use the batch's mean and biased variance over (N, *), and
    update ``running_mean``/``running_var`` (if given) in place:
    ``r = (1 - momentum) r + momentum s``, with the *unbiased* variance for
    ``running_var``. ``training=False``: use the running statistics.
    """
    if input.ndim < 2:
        raise ValueError(f"batch_norm: expected input of shape (N, C, *), got "
                         f"input.shape={tuple(input.shape)}")
    C = input.shape[1]
    _check_params('batch_norm', input, (C,), running_mean=running_mean, running_var=running_var,
                  weight=weight, bias=bias)
    shape = _channel_shape(input)
    if training:
        if input.numel() // C <= 1:
            raise ValueError(f"batch_norm: expected more than 1 value per channel when training, "
                             f"got input.shape={tuple(input.shape)}")
        return Normalize.apply(input,
                               None if weight is None else weight.reshape(shape),
                               None if bias is None else bias.reshape(shape),
                               axes=(0,) + tuple(range(2, input.ndim)), eps=eps,
                               running_mean=running_mean, running_var=running_var,
                               momentum=momentum)
    if running_mean is None or running_var is None:
        raise RuntimeError("batch_norm: running_mean and running_var must be given when "
                           "training=False")
    # the running statistics are constants: the op is a per-channel affine map
    scale = (running_var + eps).rsqrt()
    if weight is not None:
        scale = scale * weight
    shift = -running_mean * scale
    if bias is not None:
        shift = shift + bias
    return input * scale.reshape(shape) + shift.reshape(shape)


def instance_norm(input, running_mean=None, running_var=None, weight=None, bias=None,
                  use_input_stats=True, momentum=0.1, eps=1e-5):
    """Normalise each channel of each sample of ``input`` (N, C, *) over its spatial dims,
    then scale/shift per channel.

    ``use_input_stats=True``: use each instance's own mean and biased variance, and update
    ``running_mean``/``running_var`` (if given) in place with their average over the
    batch, ``r = (1 - momentum) r + momentum mean_n(s)`` (the variance unbiased), as
    PyTorch does. ``use_input_stats=False``: normalise with the running statistics.
    """
    if input.ndim < 2:
        raise ValueError(f"instance_norm: expected input of shape (N, C, *), got "
                         f"input.shape={tuple(input.shape)}")
    N, C = input.shape[:2]
    _check_params('instance_norm', input, (C,), running_mean=running_mean,
                  running_var=running_var, weight=weight, bias=bias)
    if not use_input_stats:
        if running_mean is None or running_var is None:
            raise RuntimeError("instance_norm: running_mean and running_var must be given when "
                               "use_input_stats=False")
        return batch_norm(input, running_mean, running_var, weight, bias, False, momentum, eps)
    if input.numel() // max(N * C, 1) <= 1:
        raise ValueError(f"instance_norm: expected more than 1 spatial element when training, "
                         f"got input.shape={tuple(input.shape)}")
    # Normalize updates running statistics shaped like its per-(sample, channel) ones: give
    # it (N, C) copies and average them over the batch afterwards
    stats = [None if r is None else r.detach().repeat(N, 1) for r in (running_mean, running_var)]
    shape = _channel_shape(input)
    out = Normalize.apply(input,
                          None if weight is None else weight.reshape(shape),
                          None if bias is None else bias.reshape(shape),
                          axes=tuple(range(2, input.ndim)), eps=eps,
                          running_mean=stats[0], running_var=stats[1], momentum=momentum)
    for running, per_instance in zip((running_mean, running_var), stats):
        if running is not None:
            running.copy_(per_instance.mean(0))
    return out


def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-5):
    """Normalise over the trailing dims ``normalized_shape`` of each sample; ``weight`` and
    ``bias`` have shape ``normalized_shape``."""
    normalized_shape = (normalized_shape,) if isinstance(normalized_shape, int) \
        else tuple(normalized_shape)
    k = len(normalized_shape)
    if k == 0 or input.ndim < k or tuple(input.shape[input.ndim - k:]) != normalized_shape:
        raise RuntimeError(f"layer_norm: expected input of shape (*, "
                           f"{', '.join(map(str, normalized_shape))}) for normalized_shape="
                           f"{normalized_shape}, got input.shape={tuple(input.shape)}")
    _check_params('layer_norm', input, normalized_shape, weight=weight, bias=bias)
    # weight varies along the normalised axes, so the affine map is applied outside Normalize
    out = Normalize.apply(input, None, None, axes=tuple(range(input.ndim - k, input.ndim)),
                          eps=eps)
    if weight is not None:
        out = out * weight
    if bias is not None:
        out = out + bias
    return out


def rms_norm(input, normalized_shape, weight=None, eps=None):
    """``x / sqrt(mean(x^2) + eps) * weight``, the mean over the trailing dims
    ``normalized_shape`` (no centring, no bias); ``eps=None`` is the dtype's machine epsilon."""
    normalized_shape = (normalized_shape,) if isinstance(normalized_shape, int) \
        else tuple(normalized_shape)
    k = len(normalized_shape)
    if input.ndim < k or tuple(input.shape[input.ndim - k:]) != normalized_shape:
        raise RuntimeError(f"rms_norm: Given normalized_shape={list(normalized_shape)}, expected "
                           f"input with shape [*, {', '.join(map(str, normalized_shape))}], but "
                           f"got input of size{list(input.shape)}")
    if weight is not None and tuple(weight.shape) != normalized_shape:
        raise RuntimeError(f"rms_norm: Expected weight to be of same shape as normalized_shape, "
                           f"but got weight of shape {list(weight.shape)} and normalized_shape = "
                           f"{list(normalized_shape)}")
    if eps is None:
        eps = float(np.finfo(input.dtype).eps)
    dims = tuple(range(input.ndim - k, input.ndim))
    out = input * ((input * input).mean(dims, keepdim=True) + eps).rsqrt()
    return out if weight is None else out * weight


def group_norm(input, num_groups, weight=None, bias=None, eps=1e-5):
    """Split the C channels of ``input`` (N, C, *) into ``num_groups`` groups, normalise each
    group of each sample, then scale/shift per channel."""
    if input.ndim < 2 or input.shape[1] % num_groups:
        raise RuntimeError(f"group_norm: expected the number of channels of input (N, C, *) to be "
                           f"divisible by num_groups={num_groups}, got input.shape="
                           f"{tuple(input.shape)}")
    _check_params('group_norm', input, (input.shape[1],), weight=weight, bias=bias)
    grouped = input.reshape(input.shape[0], num_groups, -1)
    out = Normalize.apply(grouped, None, None, axes=(2,), eps=eps).reshape(input.shape)
    shape = _channel_shape(input)
    if weight is not None:
        out = out * weight.reshape(shape)
    if bias is not None:
        out = out + bias.reshape(shape)
    return out


def local_response_norm(input, size, alpha=1e-4, beta=0.75, k=1.0):
    """AlexNet's normalisation across channels (input (N, C, *)):
    ``b_c = a_c / (k + alpha / size * sum_{c'} a_{c'}^2) ** beta``, the sum over the ``size``
    channels c - size//2 ... c + (size-1)//2 (zero beyond the edges), as PyTorch computes it."""
    if input.ndim < 3:
        raise ValueError(f"local_response_norm: expected input of shape (N, C, *) with 3 or more "
                         f"dimensions, got input.shape={tuple(input.shape)}")
    C = input.shape[1]
    sq = input * input
    # zero channels before and after, so every window has ``size`` channels
    edges = [zeros((input.shape[0], n) + tuple(input.shape[2:]), dtype=input.dtype,
                   device=input.device) for n in (size // 2, (size - 1) // 2)]
    padded = cat([edges[0], sq, edges[1]], 1)
    window = padded[:, 0:C]
    for i in range(1, size):
        window = window + padded[:, i:i + C]
    return input / (window * (alpha / size) + k) ** beta


def normalize(input, p=2.0, dim=1, eps=1e-12):
    """``input / max(||input||_p, eps)`` along ``dim``."""
    if p == 2:
        # max(sqrt(s), eps) = sqrt(max(s, eps^2)): no infinite slope at s = 0
        norm = (input * input).sum(dim, keepdim=True).clamp(min=eps * eps).sqrt()
    else:
        norm = input.norm(p, dim, keepdim=True).clamp(min=eps)
    return input / norm

