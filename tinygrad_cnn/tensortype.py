"""PyTorch's legacy tensor types: ``tg.FloatTensor``, ``tg.LongTensor``, ...

Older tutorials write ``torch.FloatTensor([1, 2])``, ``torch.LongTensor(3)``,
``x.type(torch.FloatTensor)`` and ``isinstance(x, torch.FloatTensor)``. Each name
here is a class whose metaclass gives exactly that: calling it makes a tensor of
its dtype, and ``isinstance`` asks whether a Tensor has that dtype.
"""
import numpy as np

from .tensor import _TYPE_NAMES, Tensor, empty, tensor


class tensortype(type):      # noqa: N801 - PyTorch's name (type(torch.FloatTensor))
    """The metaclass of the legacy types; ``cls.dtype`` is the numpy dtype they stand for."""

    def __call__(cls, *args):
        """``T()``: an empty tensor; ``T(2, 3)``: a (2, 3) tensor (zeroed); ``T(data)``: data
        (a list, numpy array or Tensor) converted to the dtype (floats truncate toward 0)."""
        if all(isinstance(a, (int, np.integer)) and not isinstance(a, bool) for a in args):
            return empty(*args if args else (0,), dtype=cls.dtype)
        if len(args) == 1:
            data = args[0].numpy() if isinstance(args[0], Tensor) else args[0]
            return tensor(np.asarray(data).astype(cls.dtype))
        raise TypeError(f"{cls.__name__}(): expected sizes (ints) or one sequence of data, got "
                        f"{tuple(type(a).__name__ for a in args)}")

    def __instancecheck__(cls, obj):
        return isinstance(obj, Tensor) and obj.dtype == cls.dtype and obj.device == 'cpu'

    def __repr__(cls):
        return f"<class 'torch.{cls.__name__}'>"


def _legacy(dtype):
    name = _TYPE_NAMES[np.dtype(dtype)]
    return tensortype(name, (), {'dtype': np.dtype(dtype), '__module__': __name__,
                                 '__doc__': f"Legacy constructor of {np.dtype(dtype)} tensors."})


FloatTensor = _legacy(np.float32)
DoubleTensor = _legacy(np.float64)
HalfTensor = _legacy(np.float16)
LongTensor = _legacy(np.int64)
IntTensor = _legacy(np.int32)
ShortTensor = _legacy(np.int16)
CharTensor = _legacy(np.int8)
ByteTensor = _legacy(np.uint8)
BoolTensor = _legacy(np.bool_)
