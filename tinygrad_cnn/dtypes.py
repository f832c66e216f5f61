"""Numeric limits of dtypes: ``tg.finfo`` and ``tg.iinfo``, as PyTorch's.

Thin views of numpy's ``np.finfo``/``np.iinfo`` with PyTorch's attribute
names and types (Python floats and ints; ``dtype`` is a string such as
``'float32'``).
"""
import numpy as np


class finfo:
    """``finfo(type=None)``: limits of a floating dtype (default: ``tg.get_default_dtype()``).

    Attributes: ``bits``, ``eps`` (1.0's distance to the next float), ``max``,
    ``min``, ``tiny`` = ``smallest_normal``, ``resolution`` (10 ** -decimal
    digits) and ``dtype``.
    """

    def __init__(self, type=None):
        if type is None:
            from .tensor import get_default_dtype
            type = get_default_dtype()
        dtype = np.dtype(type)
        if dtype.kind != 'f':
            raise TypeError(f"finfo() requires a floating point input type, got {dtype}; use "
                            "tg.iinfo for integer types")
        info = np.finfo(dtype)
        self.bits, self.dtype = info.bits, dtype.name
        self.eps, self.max, self.min = float(info.eps), float(info.max), float(info.min)
        self.tiny = self.smallest_normal = float(info.smallest_normal)
        self.resolution = 10.0 ** -info.precision     # a Python float, as PyTorch's

    def __eq__(self, other):
        return isinstance(other, finfo) and other.dtype == self.dtype

    def __hash__(self):
        return hash(self.dtype)

    def __repr__(self):
        return (f"finfo(resolution={self.resolution:g}, min={self.min:g}, max={self.max:g}, "
                f"eps={self.eps:g}, smallest_normal={self.smallest_normal:g}, "
                f"tiny={self.tiny:g}, dtype={self.dtype})")


class iinfo:
    """``iinfo(type)``: limits of an integer dtype: ``bits``, ``max``, ``min``, ``dtype``."""

    def __init__(self, type):
        dtype = np.dtype(type)
        if dtype.kind == 'b':
            raise TypeError("torch.bool is not supported by iinfo")
        if dtype.kind not in 'iu':
            raise TypeError(f"iinfo() requires an integer input type, got {dtype}; use "
                            "tg.finfo for floating types")
        info = np.iinfo(dtype)
        self.bits, self.dtype = info.bits, dtype.name
        self.max, self.min = int(info.max), int(info.min)

    def __eq__(self, other):
        return isinstance(other, iinfo) and other.dtype == self.dtype

    def __hash__(self):
        return hash(self.dtype)

    def __repr__(self):
        return f"iinfo(min={self.min:g}, max={self.max:g}, dtype={self.dtype})"
