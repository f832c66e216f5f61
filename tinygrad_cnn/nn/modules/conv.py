"""Convolution layers: ``Conv1d/2d/3d`` and ``ConvTranspose1d/2d/3d``.

They own the weight and bias (PyTorch's shapes and initialisation) and call
the functional ops in :mod:`tinygrad_cnn.nn.functional.conv`. ``padding_mode``
other than ``'zeros'`` pads the input with ``F.pad`` first and then convolves
without padding, as PyTorch does.
"""
import math

from ...tensor import empty
from .. import functional as F
from .. import init
from ..functional._windows import ntuple
from ..parameter import Parameter
from .module import Module

__all__ = ['Conv1d', 'Conv2d', 'Conv3d', 'ConvTranspose1d', 'ConvTranspose2d', 'ConvTranspose3d']

_PADDING_MODES = ('zeros', 'reflect', 'replicate', 'circular')


class _ConvNd(Module):
    """Shared by all convolutions: argument checks, parameters, init and repr.

    ``weight`` is (out, in/groups, *kernel) for a convolution and
    (in, out/groups, *kernel) for a transposed one; weight and bias start as
    U(-1/sqrt(fan_in), 1/sqrt(fan_in)) with fan_in = weight.shape[1] * prod(kernel).
    """
    _ndim = 0           # number of spatial dims, set by the subclasses

    def __init__(self, in_channels, out_channels, kernel_size, stride, padding, dilation,
                 transposed, output_padding, groups, bias, padding_mode, device=None, dtype=None):
        super().__init__()
        name, n = type(self).__name__, self._ndim
        if not isinstance(groups, int) or groups <= 0:
            raise ValueError(f"{name}: groups must be a positive integer, got {groups!r}")
        if in_channels % groups:
            raise ValueError(f"{name}: in_channels={in_channels} must be divisible by "
                             f"groups={groups}")
        if out_channels % groups:
            raise ValueError(f"{name}: out_channels={out_channels} must be divisible by "
                             f"groups={groups}")
        if padding_mode not in _PADDING_MODES:
            raise ValueError(f"{name}: padding_mode must be one of {_PADDING_MODES}, but got "
                             f"padding_mode={padding_mode!r}")
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.kernel_size = ntuple(kernel_size, n, name, 'kernel_size', minimum=1)
        self.stride = ntuple(stride, n, name, 'stride', minimum=1)
        self.dilation = ntuple(dilation, n, name, 'dilation', minimum=1)
        if isinstance(padding, str):
            if padding not in ('same', 'valid'):
                raise ValueError(f"{name}: invalid padding string {padding!r}, should be one of "
                                 "'same', 'valid'")
            if padding == 'same' and any(s != 1 for s in self.stride):
                raise ValueError(f"{name}: padding='same' is not supported for strided "
                                 "convolutions")
            self.padding = padding
        else:
            self.padding = ntuple(padding, n, name, 'padding', minimum=0)
        self.transposed = transposed
        self.output_padding = ntuple(output_padding, n, name, 'output_padding', minimum=0)
        self.groups = groups
        self.padding_mode = padding_mode
        # F.pad's (left, right) pairs, last dim first
        self._reversed_padding_repeated_twice = self._pad_pairs()
        shape = ((in_channels, out_channels // groups) if transposed
                 else (out_channels, in_channels // groups)) + self.kernel_size
        self.weight = Parameter(empty(shape, dtype=dtype, device=device))
        if bias:
            self.bias = Parameter(empty(out_channels, dtype=dtype, device=device))
        else:
            self.register_parameter('bias', None)
        self.reset_parameters()

    def _pad_pairs(self):
        if self.padding == 'valid':
            return (0, 0) * self._ndim
        if self.padding == 'same':
            pads = []
            for d, k in zip(reversed(self.dilation), reversed(self.kernel_size)):
                total = d * (k - 1)          # the odd extra element goes to the right
                pads += [total // 2, total - total // 2]
            return tuple(pads)
        return tuple(p for p in reversed(self.padding) for _ in range(2))

    def reset_parameters(self):
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in, _ = init._calculate_fan_in_and_fan_out(self.weight)
            if fan_in != 0:
                bound = 1 / math.sqrt(fan_in)
                init.uniform_(self.bias, -bound, bound)

    def extra_repr(self):
        s = (f'{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, '
             f'stride={self.stride}')
        if self.padding != (0,) * self._ndim:
            s += f', padding={self.padding}'
        if self.dilation != (1,) * self._ndim:
            s += f', dilation={self.dilation}'
        if self.output_padding != (0,) * self._ndim:
            s += f', output_padding={self.output_padding}'
        if self.groups != 1:
            s += f', groups={self.groups}'
        if self.bias is None:
            s += ', bias=False'
        if self.padding_mode != 'zeros':
            s += f', padding_mode={self.padding_mode}'
        return s


class _Conv(_ConvNd):
    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1,
                 groups=1, bias=True, padding_mode='zeros', device=None, dtype=None):
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation,
                         False, 0, groups, bias, padding_mode, device, dtype)

    def _conv_forward(self, input, weight, bias):
        if self.padding_mode != 'zeros':
            input = F.pad(input, self._reversed_padding_repeated_twice, mode=self.padding_mode)
            return self._conv(input, weight, bias, 0)
        return self._conv(input, weight, bias, self.padding)

    def forward(self, input):
        return self._conv_forward(input, self.weight, self.bias)


class Conv1d(_Conv):
    """1-d convolution: input (N, C_in, L) -> (N, C_out, L_out); weight (C_out, C_in/groups, k)."""
    _ndim = 1

    def _conv(self, input, weight, bias, padding):
        return F.conv1d(input, weight, bias, self.stride, padding, self.dilation, self.groups)


class Conv2d(_Conv):
    """2-d convolution: input (N, C_in, H, W) -> (N, C_out, H_out, W_out);
    weight (C_out, C_in/groups, kH, kW), bias (C_out,)."""
    _ndim = 2

    def _conv(self, input, weight, bias, padding):
        return F.conv2d(input, weight, bias, self.stride, padding, self.dilation, self.groups)


class Conv3d(_Conv):
    """3-d convolution: input (N, C_in, D, H, W); weight (C_out, C_in/groups, kD, kH, kW)."""
    _ndim = 3

    def _conv(self, input, weight, bias, padding):
        return F.conv3d(input, weight, bias, self.stride, padding, self.dilation, self.groups)


class _ConvTranspose(_ConvNd):
    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0,
                 output_padding=0, groups=1, bias=True, dilation=1, padding_mode='zeros',
                 device=None, dtype=None):
        if padding_mode != 'zeros':
            raise ValueError(f'Only "zeros" padding mode is supported for {type(self).__name__}')
        if isinstance(padding, str):
            raise ValueError(f"{type(self).__name__}: padding must be an int or a tuple of ints, "
                             f"got {padding!r}")
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation,
                         True, output_padding, groups, bias, padding_mode, device, dtype)

    def _output_padding(self, input, output_size):
        """output_padding that makes the output ``output_size`` (spatial dims, or the full
        shape); without it, the layer's own ``output_padding``."""
        if output_size is None:
            return self.output_padding
        n = self._ndim
        output_size = tuple(output_size)[-n:] if len(output_size) in (n + 1, n + 2) \
            else tuple(output_size)
        if len(output_size) != n:
            raise ValueError(f"{type(self).__name__}: output_size must have {n} or {n + 2} "
                             f"elements, got {output_size}")
        spatial = input.shape[-n:]
        smallest = [(i - 1) * s - 2 * p + d * (k - 1) + 1 for i, s, p, d, k in
                    zip(spatial, self.stride, self.padding, self.dilation, self.kernel_size)]
        largest = [lo + s - 1 for lo, s in zip(smallest, self.stride)]
        if any(not lo <= o <= hi for o, lo, hi in zip(output_size, smallest, largest)):
            raise ValueError(f"{type(self).__name__}: requested an output size of {output_size}, "
                             f"but valid sizes range from {smallest} to {largest} (for an input "
                             f"of {tuple(spatial)})")
        return tuple(o - lo for o, lo in zip(output_size, smallest))

    def forward(self, input, output_size=None):
        return self._conv_transpose(input, self._output_padding(input, output_size))


class ConvTranspose1d(_ConvTranspose):
    """1-d transposed convolution: input (N, C_in, L); weight (C_in, C_out/groups, k)."""
    _ndim = 1

    def _conv_transpose(self, input, output_padding):
        return F.conv_transpose1d(input, self.weight, self.bias, self.stride, self.padding,
                                  output_padding, self.groups, self.dilation)


class ConvTranspose2d(_ConvTranspose):
    """2-d transposed convolution ("deconvolution"): input (N, C_in, H, W) -> (N, C_out, H_out,
    W_out) with H_out = (H - 1) stride - 2 padding + dilation (kH - 1) + output_padding + 1;
    weight (C_in, C_out/groups, kH, kW)."""
    _ndim = 2

    def _conv_transpose(self, input, output_padding):
        return F.conv_transpose2d(input, self.weight, self.bias, self.stride, self.padding,
                                  output_padding, self.groups, self.dilation)


class ConvTranspose3d(_ConvTranspose):
    """3-d transposed convolution: input (N, C_in, D, H, W); weight (C_in, C_out/groups, kD, kH,
    kW)."""
    _ndim = 3

    def _conv_transpose(self, input, output_padding):
        return F.conv_transpose3d(input, self.weight, self.bias, self.stride, self.padding,
                                  output_padding, self.groups, self.dilation)
