"""Padding layers: constant (and zero), reflection, replication and circular padding.

``padding`` is an int (the same on every side) or PyTorch's tuple
``(left, right[, top, bottom[, front, back]])`` -- last dim first.
"""
from .. import functional as F
from ..functional._windows import ntuple
from .module import Module

__all__ = ['ConstantPad1d', 'ConstantPad2d', 'ConstantPad3d', 'ZeroPad1d', 'ZeroPad2d',
           'ZeroPad3d', 'ReflectionPad1d', 'ReflectionPad2d', 'ReflectionPad3d',
           'ReplicationPad1d', 'ReplicationPad2d', 'ReplicationPad3d', 'CircularPad1d',
           'CircularPad2d', 'CircularPad3d']


class _PadNd(Module):
    _ndim = 0
    mode = 'constant'

    def __init__(self, padding):
        super().__init__()
        self.padding = ntuple(padding, 2 * self._ndim, type(self).__name__, 'padding')

    def forward(self, input):
        return F.pad(input, self.padding, self.mode)

    def extra_repr(self):
        return f'{self.padding}'


class _ConstantPadNd(_PadNd):
    def __init__(self, padding, value):
        super().__init__(padding)
        self.value = value

    def forward(self, input):
        return F.pad(input, self.padding, 'constant', self.value)

    def extra_repr(self):
        return f'padding={self.padding}, value={self.value}'


class ConstantPad1d(_ConstantPadNd):
    """Pad the last dim with ``value``: (left, right)."""
    _ndim = 1


class ConstantPad2d(_ConstantPadNd):
    """Pad the last two dims with ``value``: (left, right, top, bottom)."""
    _ndim = 2


class ConstantPad3d(_ConstantPadNd):
    """Pad the last three dims with ``value``: (left, right, top, bottom, front, back)."""
    _ndim = 3


class _ZeroPadNd(_ConstantPadNd):
    def __init__(self, padding):
        super().__init__(padding, 0.0)

    def extra_repr(self):
        return f'{self.padding}'


class ZeroPad1d(_ZeroPadNd):
    """Pad the last dim with zeros."""
    _ndim = 1


class ZeroPad2d(_ZeroPadNd):
    """Pad the last two dims with zeros: (left, right, top, bottom)."""
    _ndim = 2


class ZeroPad3d(_ZeroPadNd):
    """Pad the last three dims with zeros."""
    _ndim = 3


class ReflectionPad1d(_PadNd):
    """Mirror the input at its edges, without repeating the edge: [1 2 3] -> 3 2 [1 2 3] 2 1."""
    _ndim, mode = 1, 'reflect'


class ReflectionPad2d(_PadNd):
    """Mirror the last two dims at their edges (edge not repeated)."""
    _ndim, mode = 2, 'reflect'


class ReflectionPad3d(_PadNd):
    _ndim, mode = 3, 'reflect'


class ReplicationPad1d(_PadNd):
    """Repeat the edge values: [1 2 3] -> 1 1 [1 2 3] 3 3."""
    _ndim, mode = 1, 'replicate'


class ReplicationPad2d(_PadNd):
    """Repeat the edge values of the last two dims."""
    _ndim, mode = 2, 'replicate'


class ReplicationPad3d(_PadNd):
    _ndim, mode = 3, 'replicate'


class CircularPad1d(_PadNd):
    """Wrap around: [1 2 3] -> 2 3 [1 2 3] 1 2."""
    _ndim, mode = 1, 'circular'


class CircularPad2d(_PadNd):
    """Wrap the last two dims around (a torus)."""
    _ndim, mode = 2, 'circular'


class CircularPad3d(_PadNd):
    _ndim, mode = 3, 'circular'
