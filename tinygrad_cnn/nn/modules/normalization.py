"""Normalisation layers: ``BatchNorm1d/2d/3d``, ``InstanceNorm1d/2d/3d``, ``LayerNorm``,
``GroupNorm``, ``LocalResponseNorm``.

BatchNorm and InstanceNorm keep PyTorch's state exactly: ``weight`` (1s),
``bias`` (0s), ``running_mean`` (0s), ``running_var`` (1s) and
``num_batches_tracked`` (an int64 count), so checkpoints load in both
directions and eval outputs match.
"""
import warnings

import numpy as np

from ...tensor import ones, tensor, zeros
from .. import functional as F
from .. import init
from ..parameter import Parameter
from .module import Module

__all__ = ['BatchNorm1d', 'BatchNorm2d', 'BatchNorm3d', 'InstanceNorm1d', 'InstanceNorm2d',
           'InstanceNorm3d', 'LayerNorm', 'GroupNorm', 'LocalResponseNorm', 'RMSNorm']


def _register_affine(module, shape, affine, bias, dtype, device):
    """Give ``module`` a learnable ``weight`` (1s) and ``bias`` (0s) of ``shape``: both when
    ``affine``, the bias only when ``bias`` too; the absent ones are registered as None."""
    weight = Parameter(ones(shape, dtype=dtype, device=device)) if affine else None
    offset = Parameter(zeros(shape, dtype=dtype, device=device)) if affine and bias else None
    module.register_parameter('weight', weight)
    module.register_parameter('bias', offset)


def _reset_affine(module):
    """Refill ``module``'s ``weight`` with 1s and its ``bias`` with 0s (those it has)."""
    if module.weight is not None:
        init.ones_(module.weight)
    if module.bias is not None:
        init.zeros_(module.bias)


class _NormBase(Module):
    """The state shared by BatchNorm and InstanceNorm: per-channel ``weight``/``bias`` (when
    ``affine``) and, when ``track_running_stats``, the running statistics."""

    _version = 2     # version 2 added num_batches_tracked

    def __init__(self, num_features, eps=1e-5, momentum=0.1, affine=True,
                 track_running_stats=True, device=None, dtype=None, *, bias=True):
        super().__init__()
        self.num_features = num_features
        self.eps = eps
        self.momentum = momentum
        self.affine = affine
        self.track_running_stats = track_running_stats
        _register_affine(self, num_features, affine, bias, dtype, device)
        if track_running_stats:
            self.register_buffer('running_mean', zeros(num_features, dtype=dtype, device=device))
            self.register_buffer('running_var', ones(num_features, dtype=dtype, device=device))
            self.register_buffer('num_batches_tracked', tensor(0, dtype=np.int64, device=device))
        else:
            self.register_buffer('running_mean', None)
            self.register_buffer('running_var', None)
            self.register_buffer('num_batches_tracked', None)
        self.reset_parameters()

    def _upgrade_state_dict(self, state_dict, prefix, version):
        # as PyTorch: a checkpoint without the count (older, or a plain dict) keeps ours
        key = prefix + 'num_batches_tracked'
        if (version is None or version < 2) and self.track_running_stats and key not in state_dict:
            state_dict[key] = self.num_batches_tracked

    def reset_running_stats(self):
        if self.track_running_stats:
            self.running_mean.zero_()
            self.running_var.fill_(1)
            self.num_batches_tracked.zero_()

    def reset_parameters(self):
        self.reset_running_stats()
        _reset_affine(self)

    def extra_repr(self):
        return (f'{self.num_features}, eps={self.eps}, momentum={self.momentum}, '
                f'affine={self.affine}, bias={self.bias is not None}, '
                f'track_running_stats={self.track_running_stats}')


class _BatchNorm(_NormBase):
    """Shared by BatchNorm1d/2d/3d; they differ only in the input ranks they accept.

    Training: normalise with the batch statistics and update the running
    ones, ``r = (1 - momentum) r + momentum s`` (``momentum=None``: the
    cumulative average, momentum = 1 / num_batches_tracked), the variance
    unbiased. Eval: normalise with the running statistics.
    ``track_running_stats=False`` uses batch statistics in both modes.
    """
    _ranks = ()

    def forward(self, input):
        if input.ndim not in self._ranks:
            raise ValueError(f"{type(self).__name__}: expected "
                             f"{' or '.join(f'{r}D' for r in self._ranks)} input (got "
                             f"{input.ndim}D input of shape {tuple(input.shape)})")
        factor = 0.0 if self.momentum is None else self.momentum
        if self.training and self.track_running_stats:
            self.num_batches_tracked.add_(1)
            if self.momentum is None:           # cumulative moving average
                factor = 1.0 / float(self.num_batches_tracked.item())
        # batch statistics in training, and in eval when there are no running ones
        use_batch_stats = self.training or self.running_mean is None
        track = not self.training or self.track_running_stats
        return F.batch_norm(input, self.running_mean if track else None,
                            self.running_var if track else None, self.weight, self.bias,
                            use_batch_stats, factor, self.eps)


class BatchNorm1d(_BatchNorm):
    """Batch normalisation of (N, C) or (N, C, L) input, per channel C."""
    _ranks = (2, 3)


class BatchNorm2d(_BatchNorm):
    """Batch normalisation of (N, C, H, W) input, per channel C (statistics over N, H, W)."""
    _ranks = (4,)


class BatchNorm3d(_BatchNorm):
    """Batch normalisation of (N, C, D, H, W) input, per channel C."""
    _ranks = (5,)


class _InstanceNorm(_NormBase):
    """Shared by InstanceNorm1d/2d/3d: normalise each channel of each sample over its spatial
    dims. Unlike BatchNorm the defaults are ``affine=False, track_running_stats=False``;
    with ``track_running_stats`` the running statistics (the batch average of the
    instances' ones) are updated in training and used in eval. ``num_batches_tracked`` is
    kept for checkpoints but not counted, and ``momentum=None`` means 0, as in PyTorch.
    Unbatched input (one fewer dim) is accepted.
    """
    _spatial_dims = 0

    def __init__(self, num_features, eps=1e-5, momentum=0.1, affine=False,
                 track_running_stats=False, device=None, dtype=None, *, bias=True):
        super().__init__(num_features, eps, momentum, affine, track_running_stats, device,
                         dtype, bias=bias)

    def forward(self, input):
        unbatched = self._spatial_dims + 1
        if input.ndim not in (unbatched, unbatched + 1):
            raise ValueError(f"{type(self).__name__}: expected {unbatched}D or {unbatched + 1}D "
                             f"input (got {input.ndim}D input of shape {tuple(input.shape)})")
        channel_dim = input.ndim - unbatched
        if input.shape[channel_dim] != self.num_features:
            if self.affine:
                raise ValueError(f"{type(self).__name__}: expected input's size at dim="
                                 f"{channel_dim} to match num_features ({self.num_features}), "
                                 f"but got input.shape={tuple(input.shape)}")
            warnings.warn(f"{type(self).__name__}: input's size at dim={channel_dim} does not "
                          f"match num_features ({self.num_features}), which is unused since "
                          "affine=False", stacklevel=2)
        batch = input.unsqueeze(0) if input.ndim == unbatched else input
        out = F.instance_norm(batch, self.running_mean, self.running_var, self.weight,
                              self.bias, self.training or not self.track_running_stats,
                              0.0 if self.momentum is None else self.momentum, self.eps)
        return out.squeeze(0) if input.ndim == unbatched else out


class InstanceNorm1d(_InstanceNorm):
    """Instance normalisation of (N, C, L) or (C, L) input: each (sample, channel) over L."""
    _spatial_dims = 1


class InstanceNorm2d(_InstanceNorm):
    """Instance normalisation of (N, C, H, W) or (C, H, W) input: each (sample, channel)
    over H, W."""
    _spatial_dims = 2


class InstanceNorm3d(_InstanceNorm):
    """Instance normalisation of (N, C, D, H, W) or (C, D, H, W) input."""
    _spatial_dims = 3


class LayerNorm(Module):
    """Normalise each sample over its trailing dims ``normalized_shape``; ``weight`` (1s) and
    ``bias`` (0s) have that shape (``elementwise_affine``)."""

    def __init__(self, normalized_shape, eps=1e-5, elementwise_affine=True, bias=True,
                 device=None, dtype=None):
        super().__init__()
        self.normalized_shape = (normalized_shape,) if isinstance(normalized_shape, int) \
            else tuple(normalized_shape)
        self.eps = eps
        self.elementwise_affine = elementwise_affine
        _register_affine(self, self.normalized_shape, elementwise_affine, bias, dtype, device)

    def reset_parameters(self):
        _reset_affine(self)

    def forward(self, input):
        return F.layer_norm(input, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self):
        return (f'{self.normalized_shape}, eps={self.eps}, '
                f'elementwise_affine={self.elementwise_affine}, bias={self.bias is not None}')


class RMSNorm(Module):
    """Divide each sample by the root mean square over its trailing dims ``normalized_shape``
    (``eps=None``: the dtype's machine epsilon), times ``weight`` (1s, when
    ``elementwise_affine``)."""

    def __init__(self, normalized_shape, eps=None, elementwise_affine=True, device=None,
                 dtype=None):
        super().__init__()
        self.normalized_shape = (normalized_shape,) if isinstance(normalized_shape, int) \
            else tuple(normalized_shape)
        self.eps = eps
        self.elementwise_affine = elementwise_affine
        weight = Parameter(ones(self.normalized_shape, dtype=dtype, device=device)) \
            if elementwise_affine else None
        self.register_parameter('weight', weight)

    def reset_parameters(self):
        if self.weight is not None:
            init.ones_(self.weight)

    def forward(self, input):
        return F.rms_norm(input, self.normalized_shape, self.weight, self.eps)

    def extra_repr(self):
        return (f'{self.normalized_shape}, eps={self.eps}, '
                f'elementwise_affine={self.elementwise_affine}')


class GroupNorm(Module):
    """Normalise each group of ``num_channels // num_groups`` channels per sample; per-channel
    ``weight`` (1s) and ``bias`` (0s) when ``affine``."""

    def __init__(self, num_groups, num_channels, eps=1e-5, affine=True, device=None, dtype=None,
                 *, bias=True):
        super().__init__()
        if num_channels % num_groups:
            raise ValueError(f"GroupNorm: num_channels={num_channels} must be divisible by "
                             f"num_groups={num_groups}")
        self.num_groups = num_groups
        self.num_channels = num_channels
        self.eps = eps
        self.affine = affine
        _register_affine(self, num_channels, affine, bias, dtype, device)

    def reset_parameters(self):
        _reset_affine(self)

    def forward(self, input):
        return F.group_norm(input, self.num_groups, self.weight, self.bias, self.eps)

    def extra_repr(self):
        return (f'{self.num_groups}, {self.num_channels}, eps={self.eps}, affine={self.affine}, '
                f'bias={self.bias is not None}')


class LocalResponseNorm(Module):
    """AlexNet's cross-channel normalisation,
    b_c = a_c / (k + alpha / size * sum of a^2 over ``size`` neighbouring channels) ** beta."""

    def __init__(self, size, alpha=1e-4, beta=0.75, k=1.0):
        super().__init__()
        self.size = size
        self.alpha = alpha
        self.beta = beta
        self.k = k

    def forward(self, input):
        return F.local_response_norm(input, self.size, self.alpha, self.beta, self.k)

    def extra_repr(self):
        return f'{self.size}, alpha={self.alpha}, beta={self.beta}, k={self.k}'
