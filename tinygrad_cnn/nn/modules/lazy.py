"""Lazy layers: ``nn.LazyLinear``, ``nn.LazyConv2d``, ... infer their input size from the
first batch, as PyTorch's.

A lazy layer is built without its input size: its weights are
``UninitializedParameter``\\ s (and BatchNorm's statistics ``UninitializedBuffer``\\ s).
The first call reads the size (``in_features`` from the last dim, ``in_channels`` /
``num_features`` from the channel dim), materialises them with the usual shapes and
the usual initialisation, and turns the module into the ordinary layer
(``LazyLinear`` becomes ``Linear``: ``cls_to_become``). Materialising fills the same
Parameter objects in place, so references to them stay valid; still, create the
optimiser after a first (dry-run) forward pass, as PyTorch advises, so that nothing
sees a parameter before it has its shape. ``load_state_dict`` into a lazy module also
materialises it, with the checkpoint's shapes.
"""
from ...autograd import no_grad
from ...tensor import tensor
from ..parameter import UninitializedBuffer, UninitializedParameter
from .conv import Conv1d, Conv2d, Conv3d, ConvTranspose1d, ConvTranspose2d, ConvTranspose3d
from .linear import Linear
from .normalization import (BatchNorm1d, BatchNorm2d, BatchNorm3d, InstanceNorm1d,
                            InstanceNorm2d, InstanceNorm3d)

__all__ = ['LazyModuleMixin', 'LazyLinear', 'LazyConv1d', 'LazyConv2d', 'LazyConv3d',
           'LazyConvTranspose1d', 'LazyConvTranspose2d', 'LazyConvTranspose3d',
           'LazyBatchNorm1d', 'LazyBatchNorm2d', 'LazyBatchNorm3d', 'LazyInstanceNorm1d',
           'LazyInstanceNorm2d', 'LazyInstanceNorm3d']


class LazyModuleMixin:
    """Mixed in before a layer class: a forward pre-hook calls ``initialize_parameters(*args)``
    once, then the module becomes ``cls_to_become``."""
    cls_to_become = None

    def _start_lazy(self):
        """Register the hook that initialises on the first call (end of a lazy ``__init__``)."""
        self._initialize_hook = self.register_forward_pre_hook(self._infer_parameters,
                                                               with_kwargs=True)

    def has_uninitialized_params(self):
        """True while a parameter or buffer still waits for its shape."""
        return any(isinstance(t, (UninitializedParameter, UninitializedBuffer))
                   for t in list(self._parameters.values()) + list(self._buffers.values()))

    def initialize_parameters(self, *args, **kwargs):
        raise NotImplementedError(f"initialize_parameters is not implemented for "
                                  f"{type(self).__name__}")

    @staticmethod
    def _infer_parameters(module, args, kwargs):
        module.initialize_parameters(*args, **kwargs)
        if module.has_uninitialized_params():
            raise RuntimeError(f"module {type(module).__name__} has not been fully initialized")
        module._initialize_hook.remove()
        del module._initialize_hook
        if module.cls_to_become is not None:
            module.__class__ = module.cls_to_become

    def reset_parameters(self):
        # nothing to reset before the shapes are known; afterwards the layer's own init
        if not self.has_uninitialized_params():
            super().reset_parameters()


class LazyLinear(LazyModuleMixin, Linear):
    """``Linear`` whose ``in_features`` is the last dim of the first input.

    ``LazyLinear(out_features, bias=True, device=None, dtype=None)``.
    """
    cls_to_become = Linear

    def __init__(self, out_features, bias=True, device=None, dtype=None):
        super().__init__(0, out_features, False, device, dtype)    # nothing real to allocate
        self.weight = UninitializedParameter(device=device, dtype=dtype)
        if bias:
            self.bias = UninitializedParameter(device=device, dtype=dtype)
        self._start_lazy()

    def reset_parameters(self):
        if not self.has_uninitialized_params() and self.in_features != 0:
            super().reset_parameters()

    def initialize_parameters(self, input):
        if self.has_uninitialized_params():
            with no_grad():
                self.in_features = input.shape[-1]
                self.weight.materialize((self.out_features, self.in_features))
                if self.bias is not None:
                    self.bias.materialize((self.out_features,))
                self.reset_parameters()
        if self.in_features == 0:       # materialised by load_state_dict: read it off the weight
            if input.shape[-1] != self.weight.shape[-1]:
                raise RuntimeError(f"LazyLinear: the in_features inferred from input "
                                   f"({input.shape[-1]}) is not equal to in_features from "
                                   f"self.weight ({self.weight.shape[-1]})")
            self.in_features = input.shape[-1]


class _LazyConvNd(LazyModuleMixin):
    """``in_channels`` from dim 1 of the first (batched) input, or dim 0 when unbatched."""

    def _make_lazy(self, bias, device, dtype):
        self.weight = UninitializedParameter(device=device, dtype=dtype)
        if bias:
            self.bias = UninitializedParameter(device=device, dtype=dtype)
        self._start_lazy()

    def initialize_parameters(self, input, *args, **kwargs):
        if not self.has_uninitialized_params():
            return
        n = self._ndim
        if input.ndim not in (n + 1, n + 2):
            raise RuntimeError(f"Expected {n + 1}D (unbatched) or {n + 2}D (batched) input to "
                               f"{type(self).__name__}, but got input of size: "
                               f"{tuple(input.shape)}")
        self.in_channels = input.shape[1] if input.ndim == n + 2 else input.shape[0]
        if self.in_channels % self.groups:
            raise ValueError(f"{type(self).__name__}: in_channels must be divisible by groups "
                             f"(in_channels={self.in_channels}, groups={self.groups})")
        shape = ((self.in_channels, self.out_channels // self.groups) if self.transposed
                 else (self.out_channels, self.in_channels // self.groups)) + self.kernel_size
        with no_grad():
            self.weight.materialize(shape)
            if self.bias is not None:
                self.bias.materialize((self.out_channels,))
            self.reset_parameters()


def _lazy_conv(base):
    class LazyConv(_LazyConvNd, base):
        __doc__ = (f"``{base.__name__}`` whose ``in_channels`` is read from the first input: "
                   f"``Lazy{base.__name__}(out_channels, kernel_size, stride=1, padding=0, "
                   f"dilation=1, groups=1, bias=True, padding_mode='zeros', device=None, "
                   f"dtype=None)``.")
        cls_to_become = base

        def __init__(self, out_channels, kernel_size, stride=1, padding=0, dilation=1, groups=1,
                     bias=True, padding_mode='zeros', device=None, dtype=None):
            # groups as in_channels: divisible, and a (out, 1, *k) weight is cheap to replace
            super().__init__(groups, out_channels, kernel_size, stride, padding, dilation, groups,
                             False, padding_mode, device, dtype)
            self.in_channels = 0
            self._make_lazy(bias, device, dtype)
    LazyConv.__name__ = LazyConv.__qualname__ = 'Lazy' + base.__name__
    return LazyConv


def _lazy_conv_transpose(base):
    class LazyConvTranspose(_LazyConvNd, base):
        __doc__ = (f"``{base.__name__}`` whose ``in_channels`` is read from the first input: "
                   f"``Lazy{base.__name__}(out_channels, kernel_size, stride=1, padding=0, "
                   f"output_padding=0, groups=1, bias=True, dilation=1, padding_mode='zeros', "
                   f"device=None, dtype=None)``.")
        cls_to_become = base

        def __init__(self, out_channels, kernel_size, stride=1, padding=0, output_padding=0,
                     groups=1, bias=True, dilation=1, padding_mode='zeros', device=None,
                     dtype=None):
            super().__init__(groups, out_channels, kernel_size, stride, padding, output_padding,
                             groups, False, dilation, padding_mode, device, dtype)
            self.in_channels = 0
            self._make_lazy(bias, device, dtype)
    LazyConvTranspose.__name__ = LazyConvTranspose.__qualname__ = 'Lazy' + base.__name__
    return LazyConvTranspose


LazyConv1d, LazyConv2d, LazyConv3d = map(_lazy_conv, (Conv1d, Conv2d, Conv3d))
LazyConvTranspose1d, LazyConvTranspose2d, LazyConvTranspose3d = map(
    _lazy_conv_transpose, (ConvTranspose1d, ConvTranspose2d, ConvTranspose3d))


class _LazyNormBase(LazyModuleMixin):
    """``num_features`` from dim 1 of the first input (PyTorch's rule, also for
    InstanceNorm); defaults ``affine=True, track_running_stats=True`` for both families."""

    def __init__(self, eps=1e-5, momentum=0.1, affine=True, track_running_stats=True,
                 device=None, dtype=None, *, bias=True):
        # built with nothing to allocate; the real flags and placeholders follow
        super().__init__(0, eps, momentum, False, False, device, dtype, bias=False)
        self.affine, self.track_running_stats = affine, track_running_stats
        if affine:
            self.weight = UninitializedParameter(device=device, dtype=dtype)
            if bias:
                self.bias = UninitializedParameter(device=device, dtype=dtype)
        if track_running_stats:
            self.running_mean = UninitializedBuffer(device=device, dtype=dtype)
            self.running_var = UninitializedBuffer(device=device, dtype=dtype)
            self.num_batches_tracked = tensor(0, device=device)
        self._start_lazy()

    def reset_parameters(self):
        if not self.has_uninitialized_params() and self.num_features != 0:
            super().reset_parameters()

    def initialize_parameters(self, input):
        if not self.has_uninitialized_params():
            return
        self.num_features = input.shape[1]
        with no_grad():
            for t in (self.weight, self.bias, self.running_mean, self.running_var):
                if t is not None:
                    t.materialize((self.num_features,))
            self.reset_parameters()


def _lazy_norm(base):
    class LazyNorm(_LazyNormBase, base):
        __doc__ = (f"``{base.__name__}`` whose ``num_features`` is read from dim 1 of the first "
                   f"input: ``Lazy{base.__name__}(eps=1e-5, momentum=0.1, affine=True, "
                   f"track_running_stats=True, device=None, dtype=None)``.")
        cls_to_become = base
    LazyNorm.__name__ = LazyNorm.__qualname__ = 'Lazy' + base.__name__
    return LazyNorm


LazyBatchNorm1d, LazyBatchNorm2d, LazyBatchNorm3d = map(
    _lazy_norm, (BatchNorm1d, BatchNorm2d, BatchNorm3d))
LazyInstanceNorm1d, LazyInstanceNorm2d, LazyInstanceNorm3d = map(
    _lazy_norm, (InstanceNorm1d, InstanceNorm2d, InstanceNorm3d))
