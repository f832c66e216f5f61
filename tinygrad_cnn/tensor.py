"""The Tensor: an n-d array that remembers how it was made.

A Tensor wraps a numpy (or CuPy) array in ``.data``. Ops on Tensors run a
:class:`~tinygrad_cnn.autograd.Function`, which computes the result and, when a
gradient is needed, links it into the backward graph through ``.grad_fn``.
The methods below are thin: they normalise arguments the PyTorch way and call
the ops in :mod:`tinygrad_cnn.ops`.
"""
import collections
import functools
import inspect
import math

import numpy as np

from . import autograd
from .backend import device_of, get_array_module, normalize_device, to_device, to_numpy
from .devices import device as _device
from .ops import elementwise as E
from .ops import index as I
from .ops import movement as M
from .ops import reduce as R
from .printing import tensor_repr
from .random import get_rng
from .tensor_index import IndexMethods
from .tensor_math import MathMethods

_default_dtype = np.dtype(np.float32)


def get_default_dtype():
    """The dtype of floating Tensors made from Python numbers (float32)."""
    return _default_dtype


def set_default_dtype(dtype):
    """Make ``dtype`` (float32 or float64) the default floating dtype."""
    global _default_dtype
    dtype = np.dtype(dtype)
    if dtype.kind != 'f':
        raise TypeError(f"set_default_dtype: only floating dtypes are supported, got {dtype}")
    _default_dtype = dtype


def _as_array(data, dtype=None, device=None):
    """Convert ``data`` to an array the PyTorch way: Python floats -> default float
    dtype, Python ints -> int64, bools -> bool, arrays keep their dtype."""
    if isinstance(data, Tensor):
        data = data.data
    xp = get_array_module(data)
    if xp is np and not isinstance(data, (np.ndarray, np.generic)):
        arr = np.asarray(data)
        if arr.dtype == np.float64 and dtype is None:    # else cast once, from full precision
            arr = arr.astype(_default_dtype)
        elif arr.dtype == np.complex128 and dtype is None:    # complex64 under a float32 default
            arr = arr.astype(np.result_type(_default_dtype, np.complex64))
        elif arr.dtype.kind in 'iu':
            arr = arr.astype(np.int64)
        elif arr.dtype.kind not in 'bfc':
            raise TypeError(f"tensor: cannot make a Tensor from data of type {type(data).__name__} "
                            f"(numpy dtype {arr.dtype})")
    else:
        arr = xp.asarray(data)
    if dtype is not None and arr.dtype != np.dtype(dtype):
        arr = arr.astype(dtype)
    if device is not None:
        arr = to_device(arr, device)
    return arr


def _shape_arg(shape):
    """Accept f(2, 3) and f((2, 3)), as PyTorch does."""
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        return tuple(shape[0])
    return tuple(shape)


def _dim(dim, ndim, op):
    if not -max(ndim, 1) <= dim < max(ndim, 1):
        raise IndexError(f"{op}: dim {dim} is out of range for a tensor with {ndim} dimensions")
    return dim % max(ndim, 1)


_CATEGORY = {'b': 0, 'u': 1, 'i': 1, 'f': 2, 'c': 3}


def _result_type(*tensors):
    """PyTorch's type promotion: the highest category (bool < integer < floating) wins, and
    within it tensors with dimensions decide over 0-d ones (float32 * 0-d float64 is float32)."""
    top = max(_CATEGORY[t.dtype.kind] for t in tensors)
    candidates = [t for t in tensors if _CATEGORY[t.dtype.kind] == top]
    return np.result_type(*[t.dtype for t in ([t for t in candidates if t.ndim] or candidates)])


def _parse_to_args(args, dtype=None, device=None):
    """Sort the positional arguments of ``Tensor.to`` / ``Module.to`` (a device string, a dtype
    or a tensor to copy both from) into ``(dtype, device)``, normalized; None where not given."""
    for a in args:
        if isinstance(a, str):
            device = a
        elif isinstance(a, Tensor):
            device, dtype = a.device, a.dtype
        else:
            dtype = a
    return (None if dtype is None else np.dtype(dtype),
            None if device is None else normalize_device(device))


# (values, indices) results, named as PyTorch's torch.return_types
_max_result = collections.namedtuple('max', ['values', 'indices'])
_min_result = collections.namedtuple('min', ['values', 'indices'])
_median_result = collections.namedtuple('median', ['values', 'indices'])
_sort_result = collections.namedtuple('sort', ['values', 'indices'])
_topk_result = collections.namedtuple('topk', ['values', 'indices'])


class Tensor(MathMethods, IndexMethods):  # math: tensor_math.py; indexing: tensor_index.py
    """An n-d array with autograd.

    ``Tensor(data, requires_grad=False, dtype=None, device=None)``: ``data`` is a
    number, a nested list, a numpy/CuPy array or a Tensor.
    """
    # _version: set by autograd.mark_modified on the first in-place change (absent = never);
    # _inference: set on tensors made inside tg.inference_mode(); _post_hooks: see
    # register_post_accumulate_grad_hook. ``grad``/``requires_grad`` are properties over
    # ``_grad``/``_requires_grad`` that check what users assign; ops set the slots directly.
    __slots__ = ('data', '_grad', '_requires_grad', 'grad_fn', '_hooks', '_version', '_inference',
                 '_post_hooks', '__weakref__')
    __array_ufunc__ = None      # make ``ndarray * tensor`` call Tensor.__rmul__

    def __init__(self, data, requires_grad=False, dtype=None, device=None):
        self.data = _as_array(data, dtype, device)
        self._grad = None
        self.grad_fn = None
        self._hooks = None
        self._requires_grad = False
        if autograd._state.inference:
            self._inference = True
        if requires_grad:
            self.requires_grad_(True)

    @classmethod
    def _make(cls, data, requires_grad, grad_fn):
        """Fast constructor used by ops: no conversion, no checks."""
        t = cls.__new__(cls)
        if data.__class__ is not np.ndarray and isinstance(data, np.generic):
            data = np.asarray(data)            # numpy returns scalars from 0-d math
        t.data, t._requires_grad, t.grad_fn = data, requires_grad, grad_fn
        t._grad = t._hooks = None
        return t

    @property
    def requires_grad(self):
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, value):
        if self.grad_fn is not None:
            raise RuntimeError("you can only change requires_grad flags of leaf variables. If you "
                               "want to use a computed variable in a subgraph that doesn't require "
                               "differentiation use var_no_grad = var.detach().")
        self.requires_grad_(value)

    @property
    def grad(self):
        """The accumulated gradient (a Tensor of self's shape and dtype) or None."""
        return self._grad

    @grad.setter
    def grad(self, value):
        if value is not None:
            if not isinstance(value, Tensor):
                raise TypeError(f"assigned grad expected to be a Tensor or None but got grad of "
                                f"type {type(value).__name__}")
            if value.shape != self.shape:
                raise RuntimeError(f"attempting to assign a gradient of size {list(value.shape)} "
                                   f"to a tensor of size {list(self.shape)}. Please ensure that the "
                                   "gradient and the tensor are the same size")
            if value.dtype != self.dtype:
                raise RuntimeError(f"attempting to assign a gradient with dtype {value.dtype} to a "
                                   f"tensor of dtype {self.dtype}; the gradient must match the "
                                   "tensor's dtype")
            if value.device != self.device:
                raise RuntimeError(f"attempting to assign a gradient on device {value.device} to a "
                                   f"tensor on device {self.device}")
        self._grad = value

    @grad.deleter
    def grad(self):
        self._grad = None

    # ------------------------------------------------------------ attributes
    @property
    def shape(self):
        return self.data.shape

    @property
    def dtype(self):
        return self.data.dtype

    @property
    def ndim(self):
        return self.data.ndim

    @property
    def device(self):
        """Where the data lives: ``device('cpu')`` or ``device('cuda')`` (a ``str`` subclass)."""
        return _DEVICES[device_of(self.data)]

    @property
    def is_leaf(self):
        """True for tensors made by the user (not by an op that recorded a graph)."""
        return self.grad_fn is None

    @property
    def is_cuda(self):
        return self.device == 'cuda'

    def size(self, dim=None):
        return self.shape if dim is None else self.shape[_dim(dim, self.ndim, 'size')]

    def dim(self):
        return self.ndim

    def numel(self):
        return self.data.size

    def element_size(self):
        return self.data.itemsize

    def is_floating_point(self):
        return self.dtype.kind == 'f'

    def __len__(self):
        if self.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self.shape[0]

    def __iter__(self):
        if self.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return (self[i] for i in range(self.shape[0]))

    def __hash__(self):          # == is elementwise, so hash by identity as PyTorch
        return id(self)

    # ------------------------------------------------------------ conversion
    def numpy(self):
        """A host numpy array sharing memory with the tensor on the CPU."""
        return to_numpy(self.data)

    def __array__(self, dtype=None, copy=None):
        a = self.numpy()
        return a if dtype is None else a.astype(dtype, copy=False)

    def item(self):
        if self.numel() != 1:
            raise RuntimeError(f"item: a Tensor with {self.numel()} elements (shape "
                               f"{tuple(self.shape)}) cannot be converted to a Python scalar")
        return self.numpy().reshape(()).item()

    def tolist(self):
        return self.numpy().tolist()

    def __float__(self):
        return float(self._scalar('float'))

    def __int__(self):
        return int(self._scalar('int'))

    def _scalar(self, op):
        """The one element, for Python's float()/int(): ValueError otherwise, as PyTorch."""
        if self.numel() != 1:
            raise ValueError(f"{op}(): only one element tensors can be converted to Python "
                             f"scalars, got shape {tuple(self.shape)}")
        return self.item()

    def __bool__(self):
        if self.numel() != 1:
            raise RuntimeError(f"Boolean value of Tensor with {self.numel()} elements (shape "
                               f"{tuple(self.shape)}) is ambiguous")
        return bool(self.item())

    def __index__(self):
        if self.dtype.kind not in 'iu' or self.numel() != 1:
            raise TypeError("only integer tensors of a single element can be converted to an index")
        return int(self.item())

    def to(self, *args, dtype=None, device=None, non_blocking=False, copy=False,
           memory_format=None):
        """``to(device)``, ``to(dtype)``, ``to(device, dtype)`` or ``to(tensor)``;
        differentiable. ``copy=True`` returns a new tensor even when nothing changes;
        ``non_blocking`` and ``memory_format`` are accepted and change nothing here."""
        dtype, device = _parse_to_args(args, dtype, device)
        out = self
        if dtype is not None and dtype != self.dtype:
            # only floating tensors carry gradients: a cast to int/bool leaves the graph
            out = E.Cast.apply(out if dtype.kind in 'fc' else out.detach(), dtype=dtype)
        if device is not None and device != self.device:
            out = _ToDevice.apply(out, device=device)
        return out.clone() if copy and out is self else out

    def cpu(self):
        return self.to('cpu')

    def cuda(self, device=None, non_blocking=False):
        return self.to('cuda')

    def float(self):
        return self.to(np.float32)

    def double(self):
        return self.to(np.float64)

    def half(self):
        return self.to(np.float16)

    def long(self):
        return self.to(np.int64)

    def int(self):
        return self.to(np.int32)

    def bool(self):
        return self.to(np.bool_)

    def type_as(self, other):
        return self.to(other.dtype)

    def detach(self):
        """The same data, cut from the graph."""
        return Tensor._make(self.data, False, None)

    def detach_(self):
        self.grad_fn, self._requires_grad = None, False
        return self

    def clone(self):
        return self * 1 if self.requires_grad else Tensor._make(self.data.copy(), False, None)

    def contiguous(self):
        xp = get_array_module(self.data)
        if self.data.flags.c_contiguous:
            return self
        return _Contiguous.apply(self) if self.requires_grad else Tensor._make(
            xp.ascontiguousarray(self.data), False, None)

    def requires_grad_(self, requires_grad=True):
        if requires_grad and self.dtype.kind not in 'fc':
            raise RuntimeError(f"requires_grad_: only Tensors of floating point dtype can require "
                               f"gradients, got dtype {self.dtype}")
        if not requires_grad and self.grad_fn is not None:
            raise RuntimeError("requires_grad_: you can only change requires_grad flags of leaf "
                               "variables; use .detach() for a non-leaf tensor")
        if requires_grad and self.is_inference() and not autograd._state.inference:
            raise RuntimeError("Setting requires_grad=True on inference tensor outside "
                               "InferenceMode is not allowed.")
        self._requires_grad = bool(requires_grad)
        return self

    # ------------------------------------------------------------ autograd
    def backward(self, gradient=None, retain_graph=None, create_graph=False, inputs=None):
        """Accumulate d(self)/d(leaf) into every leaf's ``.grad`` (only ``inputs``' if given).

        The graph's saved values are freed afterwards unless ``retain_graph``;
        a second backward through it then raises a RuntimeError.
        """
        autograd.backward([self], [gradient], retain_graph, create_graph, inputs)

    def register_hook(self, hook):
        """Call ``hook(grad)`` when this tensor's gradient is computed; a returned
        Tensor replaces the gradient."""
        if not self.requires_grad:
            raise RuntimeError("register_hook: cannot register a hook on a tensor that doesn't "
                               "require gradient")
        if self.grad_fn is not None:
            return self.grad_fn.register_hook(hook)
        if self._hooks is None:
            self._hooks = []
        self._hooks.append(hook)
        return autograd.RemovableHandle(self._hooks, hook)

    def retain_grad(self):
        """Keep ``.grad`` for a non-leaf tensor too."""
        if self.grad_fn is None or any(getattr(h, 'retains_grad', False)
                                       for h in self.grad_fn._hooks or ()):
            return                      # a leaf, or already retained: calling twice is a no-op
        import weakref
        ref = weakref.ref(self)         # a strong ref would make a cycle tensor -> node -> hook

        def store(grad):
            t = ref()
            if t is not None:
                t.grad = grad.detach() if t.grad is None else t.grad + grad.detach()
        store.retains_grad = True       # the node keeps it after the other hooks
        self.grad_fn.register_hook(store)

    # ------------------------------------------------------------ arithmetic
    def _other(self, other):
        """``other`` as a Tensor; a Python or numpy scalar gets the dtype PyTorch would mix
        it in with (self's, unless it is a float and self is not)."""
        if isinstance(other, Tensor):
            return other
        if isinstance(other, np.generic):
            other = other.item()       # numpy scalars mix like Python numbers, as in PyTorch
        if isinstance(other, (bool, int, float)):
            dtype = self.data.dtype
            if isinstance(other, float) and dtype.kind != 'f':
                dtype = _default_dtype
            elif isinstance(other, int) and dtype.kind == 'b' and not isinstance(
                    other, bool):
                dtype = np.dtype(np.int64)
            xp = get_array_module(self.data)
            return Tensor._make(xp.asarray(other, dtype=dtype), False, None)
        return Tensor(other, device=self.device)

    def _binary(self, op, other, reverse=False):
        other = self._other(other)
        a = self
        if other.data.dtype != self.data.dtype:
            dtype = _result_type(self, other)
            a = self if self.data.dtype == dtype else self.to(dtype)
            other = other if other.data.dtype == dtype else other.to(dtype)
        x, y = (other, a) if reverse else (a, other)
        try:
            return op.apply(x, y)
        except ValueError:
            shapes_ok = True
            try:
                np.broadcast_shapes(x.shape, y.shape)
            except ValueError:
                shapes_ok = False
            if shapes_ok:
                raise
            raise RuntimeError(f"{op.__name__.lower()}: the shapes {tuple(x.shape)} and "
                               f"{tuple(y.shape)} cannot be broadcast together") from None

    def __add__(self, other):
        return self._binary(E.Add, other)

    def __radd__(self, other):
        return self._binary(E.Add, other, reverse=True)

    def __sub__(self, other):
        return self._binary(E.Sub, other)

    def __rsub__(self, other):
        return self._binary(E.Sub, other, reverse=True)

    def __mul__(self, other):
        return self._binary(E.Mul, other)

    def __rmul__(self, other):
        return self._binary(E.Mul, other, reverse=True)

    def __truediv__(self, other):
        if self.dtype.kind != 'f' and not (isinstance(other, Tensor) and other.dtype.kind == 'f'):
            return self.to(_default_dtype)._binary(E.Div, other)   # int / int -> float
        return self._binary(E.Div, other)

    def __rtruediv__(self, other):
        if self.dtype.kind != 'f':
            return self.to(_default_dtype)._binary(E.Div, other, reverse=True)
        return self._binary(E.Div, other, reverse=True)

    def __floordiv__(self, other):
        return self._binary(E.FloorDiv, other)

    def __rfloordiv__(self, other):
        return self._binary(E.FloorDiv, other, reverse=True)

    def __mod__(self, other):
        return self._binary(E.Remainder, other)

    def __rmod__(self, other):
        return self._binary(E.Remainder, other, reverse=True)

    def __neg__(self):
        return E.Neg.apply(self)

    neg = negative = __neg__

    def __pos__(self):
        return self

    def __pow__(self, exponent):
        if isinstance(exponent, np.generic):
            exponent = exponent.item()     # np.float64 would make float32 math float64 (NEP 50)
        if isinstance(exponent, (int, float)) and not isinstance(
                exponent, bool):
            if self.dtype.kind != 'f' and isinstance(exponent, float):
                return self.to(_default_dtype) ** exponent
            return E.PowScalar.apply(self, exponent=exponent)
        return self._binary(E.Pow, exponent)

    def __rpow__(self, base):
        if isinstance(base, np.generic):
            base = base.item()
        if isinstance(base, (int, float)):
            # int ** int tensor stays integer (PyTorch); a float base makes it floating
            x = self if self.dtype.kind == 'f' or type(base) is int else self.to(_default_dtype)
            return E.RPowScalar.apply(x, base=base)
        return self._binary(E.Pow, base, reverse=True)

    def __matmul__(self, other):
        return self.matmul(other)

    def __rmatmul__(self, other):
        return self._other(other).matmul(self)

    def __abs__(self):
        return self.abs()

    # in-place updates: for parameters under no_grad (``w -= lr * w.grad``),
    # buffers and initialisers. They change .data and record nothing.
    def _check_inplace(self, op):
        if self.is_inference() and not autograd._state.inference:
            raise RuntimeError(f"{op}: Inplace update to inference tensor outside InferenceMode is "
                               "not allowed. You can make a clone to get a normal tensor before "
                               "doing inplace update.")
        if self.requires_grad and autograd.is_grad_enabled():
            kind = "a leaf Variable that requires grad" if self.is_leaf else \
                "a tensor that is part of a graph"
            raise RuntimeError(f"{op}: {kind} (shape {tuple(self.shape)}) is being used in an "
                               "in-place operation; wrap it in tg.no_grad() or use .data")

    def _inplace(self, op, value, result_kind=None):
        """Check an in-place op on ``self``, and on a read-only view swap in a copy; returns
        ``value``'s array. ``result_kind``: the numpy kind of the op's result dtype, which
        must not rank above self's (no float into an integer tensor, as PyTorch)."""
        self._check_inplace(op)
        if result_kind is not None and _CATEGORY[result_kind] > _CATEGORY[self.dtype.kind]:
            kind = {'b': 'a bool', 'i': 'an integer', 'u': 'an integer', 'f': 'a floating point',
                    'c': 'a complex'}[result_kind]
            raise RuntimeError(f"{op}: the result is {kind} type, which can't be cast to the "
                               f"desired output type {self.dtype} (shape {tuple(self.shape)})")
        value = value.data if isinstance(value, Tensor) else value
        try:     # the result must keep self's shape: (3,) += (2, 3) broadcasts, but not in place
            shape = np.broadcast_shapes(get_array_module(value).shape(value), self.shape)
        except ValueError:
            shape = None
        if shape != self.shape:
            raise RuntimeError(f"{op}: the value of shape {tuple(np.shape(value))} cannot be "
                               f"broadcast to the tensor's shape {tuple(self.shape)}")
        if not getattr(self.data.flags, 'writeable', True):   # read-only numpy view; CuPy has none
            self.data = self.data.copy()
        autograd.mark_modified(self)
        return value

    def _rebind(self, op, compute, keep_shape=True):
        """An in-place op on a tensor that takes part in autograd (``out += identity``).

        numpy arrays saved by earlier nodes must not change, so the result is computed out
        of place, by ``compute(stand_in)``, and ``self`` then becomes that result (new data,
        new ``grad_fn``), as PyTorch's in-place ops are seen by its graph.
        """
        if self.requires_grad and self.is_leaf:
            self._check_inplace(op)            # raises: a leaf that requires grad
        out = compute(Tensor._make(self.data, self.requires_grad, self.grad_fn))
        if keep_shape and out.shape != self.shape:
            raise RuntimeError(f"{op}: the result of shape {tuple(out.shape)} cannot be written "
                               f"into the tensor's shape {tuple(self.shape)}")
        out = out if out.dtype == self.dtype else out.to(self.dtype)   # in place keeps the dtype
        old, retained = self.grad_fn, self.retains_grad
        self.data, self.grad_fn, self._requires_grad = out.data, out.grad_fn, out.requires_grad
        if retained:      # .grad is the gradient of the new value: move retain_grad's hook
            old._hooks = [h for h in old._hooks if not getattr(h, 'retains_grad', False)]
            self.retain_grad()
        autograd.mark_modified(self)
        return self

    def _in_graph(self, other):
        """True when an in-place op with ``other`` must be recorded for autograd."""
        return autograd.is_grad_enabled() and (
            self.requires_grad or isinstance(other, Tensor) and other.requires_grad)

    def __iadd__(self, other):
        if self._in_graph(other):
            return self._rebind('add_', lambda t: t + other)
        v = self._inplace('add_', other, self._other(other).dtype.kind)   # may copy a read-only view
        self.data += v
        return self

    def __isub__(self, other):
        if self._in_graph(other):
            return self._rebind('sub_', lambda t: t - other)
        v = self._inplace('sub_', other, self._other(other).dtype.kind)   # may copy a read-only view
        self.data -= v
        return self

    def __imul__(self, other):
        if self._in_graph(other):
            return self._rebind('mul_', lambda t: t * other)
        v = self._inplace('mul_', other, self._other(other).dtype.kind)   # may copy a read-only view
        self.data *= v
        return self

    def __itruediv__(self, other):
        if self._in_graph(other):
            return self._rebind('div_', lambda t: t / other)
        kind = max(self._other(other).dtype.kind, 'f', key=_CATEGORY.get)    # true division
        v = self._inplace('div_', other, kind)    # may swap a read-only view for a copy
        self.data /= v
        return self

    # out-of-place method forms, as in PyTorch (x.add(y, alpha=2) is x + 2 * y)
    def add(self, other, alpha=1):
        return self + (other * alpha if alpha != 1 else other)

    def sub(self, other, alpha=1):
        return self - (other * alpha if alpha != 1 else other)

    def mul(self, other):
        return self * other

    def div(self, other, *, rounding_mode=None):
        """``self / other``; ``rounding_mode='floor'`` or ``'trunc'`` rounds the quotient."""
        if rounding_mode is None:
            return self / other
        if rounding_mode == 'floor':
            return self // other
        if rounding_mode == 'trunc':         # integers stay integers, as with 'floor'
            dtype = _result_type(self, self._other(other))
            q = (self / other).trunc()
            return q if q.dtype == dtype else q.to(dtype)
        raise ValueError(f"div: rounding_mode must be None, 'floor' or 'trunc', "
                         f"got {rounding_mode!r}")

    divide = true_divide = div
    multiply = mul
    subtract = sub

    def remainder(self, other):
        return self % other

    def floor_divide(self, other):
        return self // other

    def add_(self, other, alpha=1):
        return self.__iadd__(other * alpha if alpha != 1 else other)

    def sub_(self, other, alpha=1):
        return self.__isub__(other * alpha if alpha != 1 else other)

    def mul_(self, other):
        return self.__imul__(other)

    def div_(self, other):
        return self.__itruediv__(other)

    def copy_(self, src):
        v = self._inplace('copy_', src)
        self.data[...] = to_device(get_array_module(v).asarray(v), self.device)
        return self

    def fill_(self, value):
        self._inplace('fill_', value)
        self.data[...] = value.item() if isinstance(value, Tensor) else value
        return self

    def zero_(self):
        return self.fill_(0)

    def uniform_(self, a=0.0, b=1.0, *, generator=None):
        self._inplace('uniform_', 0)
        self.data[...] = _to_like(get_rng(generator).uniform(a, b, self.shape), self.data)
        return self

    def normal_(self, mean=0.0, std=1.0, *, generator=None):
        self._inplace('normal_', 0)
        self.data[...] = _to_like(get_rng(generator).normal(mean, std, self.shape), self.data)
        return self

    # ------------------------------------------------------------ comparisons (no grad)
    def _compare(self, op, other):
        other = other.data if isinstance(other, Tensor) else other
        try:
            return Tensor._make(op(self.data, other), False, None)
        except ValueError:      # numpy's broadcast error; PyTorch raises RuntimeError
            raise RuntimeError(f"comparison: the shapes {tuple(self.shape)} and "
                               f"{tuple(np.shape(other))} cannot be broadcast together") from None

    def __eq__(self, other):
        return self._compare(lambda a, b: a == b, other)

    def __ne__(self, other):
        return self._compare(lambda a, b: a != b, other)

    def __lt__(self, other):
        return self._compare(lambda a, b: a < b, other)

    def __le__(self, other):
        return self._compare(lambda a, b: a <= b, other)

    def __gt__(self, other):
        return self._compare(lambda a, b: a > b, other)

    def __ge__(self, other):
        return self._compare(lambda a, b: a >= b, other)

    eq, ne, lt, le, gt, ge = __eq__, __ne__, __lt__, __le__, __gt__, __ge__

    def __invert__(self):
        return Tensor._make(~self.data, False, None)

    def __and__(self, other):
        return self._compare(lambda a, b: a & b, other)

    def __or__(self, other):
        return self._compare(lambda a, b: a | b, other)

    def __xor__(self, other):
        return self._compare(lambda a, b: a ^ b, other)

    def logical_not(self):
        return Tensor._make(get_array_module(self.data).logical_not(self.data), False, None)

    def isnan(self):
        return Tensor._make(get_array_module(self.data).isnan(self.data), False, None)

    def isfinite(self):
        return Tensor._make(get_array_module(self.data).isfinite(self.data), False, None)

    def isinf(self):
        return Tensor._make(get_array_module(self.data).isinf(self.data), False, None)

    def allclose(self, other, rtol=1e-05, atol=1e-08):
        other = other.data if isinstance(other, Tensor) else other
        return bool(get_array_module(self.data).allclose(self.data, other, rtol, atol))

    def equal(self, other):
        return self.shape == other.shape and bool((self.data == other.data).all())

    def all(self, dim=None, keepdim=False):
        axis = None if dim is None else R._axes(dim, self.ndim)
        return Tensor._make(self.data.all(axis=axis, keepdims=keepdim), False, None)

    def any(self, dim=None, keepdim=False):
        axis = None if dim is None else R._axes(dim, self.ndim)
        return Tensor._make(self.data.any(axis=axis, keepdims=keepdim), False, None)

    # piecewise-constant functions: differentiable with gradient 0, as in PyTorch
    def sign(self):
        return E.Step.apply(self, fn='sign')

    def _rounded(self, fn):
        return E.Step.apply(self, fn=fn) if self.dtype.kind == 'f' else self.clone()  # ints stay

    def floor(self):
        return self._rounded('floor')

    def ceil(self):
        return self._rounded('ceil')

    def round(self, decimals=0):
        """Round half to even; to ``decimals`` digits after the point (before it if negative),
        computed as PyTorch does: ``round(x * 10**decimals) / 10**decimals``."""
        if decimals == 0:
            return self._rounded('round')
        if self.dtype.kind != 'f':
            raise NotImplementedError(f"round: decimals={decimals} is only implemented for floating "
                                      f"point tensors, got {self.dtype}")
        scale = 10.0 ** abs(decimals)
        if decimals > 0:
            return (self * scale)._rounded('round') / scale
        return (self / scale)._rounded('round') * scale

    def trunc(self):
        return self._rounded('trunc')

    # ------------------------------------------------------------ elementwise math
    def exp(self):
        return E.Exp.apply(self._floating('exp'))

    def log(self):
        return E.Log.apply(self._floating('log'))

    def sqrt(self):
        return E.Sqrt.apply(self._floating('sqrt'))

    def rsqrt(self):
        return 1 / self.sqrt()

    def sin(self):
        return E.Sin.apply(self._floating('sin'))

    def cos(self):
        return E.Cos.apply(self._floating('cos'))

    def tanh(self):
        return E.Tanh.apply(self._floating('tanh'))

    def sigmoid(self):
        return E.Sigmoid.apply(self._floating('sigmoid'))

    def relu(self):
        return E.Relu.apply(self)

    def abs(self):
        return E.Abs.apply(self)

    def square(self):
        return self * self

    def reciprocal(self):
        return 1 / self

    def log1p(self):
        return E.Log1p.apply(self._floating('log1p'))

    def expm1(self):
        return E.Expm1.apply(self._floating('expm1'))

    def pow(self, exponent):
        return self ** exponent

    def clamp(self, min=None, max=None):
        if min is None and max is None:
            raise RuntimeError("clamp: at least one of 'min' or 'max' must not be None")
        if isinstance(min, Tensor) or isinstance(max, Tensor):
            bounds = [None if b is None else self._other(b) for b in (min, max)]
            dtype = _result_type(self, *[b for b in bounds if b is not None])
            x, lo, hi = (None if t is None else t.to(dtype) for t in (self, *bounds))
            return E.ClampTensor.apply(x, lo, hi)
        # bounds mix like scalar operands: np.float64 keeps float32, a float bound makes ints float
        min, max = (b.item() if isinstance(b, np.generic) else b for b in (min, max))
        x = self._floating('clamp') if isinstance(min, float) or isinstance(max, float) else self
        return E.Clamp.apply(x, min=min, max=max)

    clip = clamp

    def clamp_min(self, min):
        return self.clamp(min=min)

    def clamp_max(self, max):
        return self.clamp(max=max)

    def where(self, condition, other):
        """``tg.where(condition, self, other)``."""
        return where(condition, self, other)

    def maximum(self, other):
        return self._binary(E.Maximum, other)

    def minimum(self, other):
        return self._binary(E.Minimum, other)

    def masked_fill(self, mask, value):
        """``value`` where ``mask`` holds; the result keeps self's dtype (the value is cast)."""
        value = value if isinstance(value, Tensor) else self._other(value)
        return where(mask, value if value.dtype == self.dtype else value.to(self.dtype), self)

    def _floating(self, op):
        return self if self.dtype.kind == 'f' else self.to(_default_dtype)

    # ------------------------------------------------------------ reductions
    def sum(self, dim=None, keepdim=False, dtype=None):
        x = self if dtype is None else self.to(dtype)
        if dtype is None and x.dtype.kind in 'biu':     # bool and integer sums are int64 (PyTorch)
            x = x.to(np.int64)
        return R.Sum.apply(x, dim=dim, keepdim=keepdim)

    def mean(self, dim=None, keepdim=False, dtype=None):
        x = self if dtype is None else self.to(dtype)
        if x.dtype.kind not in 'fc':      # PyTorch does not guess a float dtype for int means
            raise RuntimeError(f"mean(): could not infer output dtype. Input dtype must be either "
                               f"a floating point or complex dtype. Got: {x.dtype} (input shape "
                               f"{tuple(self.shape)}); pass dtype= or use .float()")
        n = np.prod([self.shape[a] for a in R._axes(dim, self.ndim)], dtype=np.int64)
        return R.Sum.apply(x, dim=dim, keepdim=keepdim) * (1.0 / max(int(n), 1)
                                                             if n else float('nan'))

    def var(self, dim=None, unbiased=None, keepdim=False, *, correction=None):
        """Variance with Bessel's correction by default (``correction=1``), as PyTorch.

        ``x.var(False)`` is PyTorch's ``var(unbiased=False)`` overload, not ``dim=0``.
        """
        if isinstance(dim, bool):
            dim, unbiased = None, dim
        if correction is None:
            correction = 1 if unbiased is None or unbiased else 0
        if self.dtype.kind not in 'fc':
            raise RuntimeError(f"var/std: only floating point and complex dtypes are supported, got "
                               f"{self.dtype} (input shape {tuple(self.shape)}); use .float()")
        x = self
        n = int(np.prod([self.shape[a] for a in R._axes(dim, self.ndim)]))
        centered = x - x.mean(dim, keepdim=True)
        # n - correction <= 0 divides by 0: inf (nan for 0/0), as PyTorch
        return (centered * centered).sum(dim, keepdim=keepdim) / float(max(n - correction, 0))

    def std(self, dim=None, unbiased=None, keepdim=False, *, correction=None):
        """Standard deviation; its gradient is 0 where it is 0 (PyTorch's convention)."""
        return E.NormSqrt.apply(self.var(dim, unbiased, keepdim, correction=correction))

    def prod(self, dim=None, keepdim=False, *, dtype=None):
        x = self if dtype is None else self.to(dtype)
        if dtype is None and x.dtype.kind in 'biu':     # as sum: int64 unless dtype says otherwise
            x = x.to(np.int64)
        return R.Prod.apply(x, dim=dim, keepdim=keepdim)

    def _extreme(self, dim, keepdim, largest, result):
        values = R.Max.apply(self, dim=dim, keepdim=keepdim, largest=largest)
        if dim is None or isinstance(dim, (tuple, list)):
            return values
        return result(values, self.argmax(dim, keepdim) if largest else self.argmin(dim, keepdim))

    def max(self, dim=None, keepdim=False):
        """``max()`` -> value; ``max(dim)`` -> (values, indices); ``max(other)`` = maximum."""
        if isinstance(dim, Tensor):
            return self.maximum(dim)
        return self._extreme(dim, keepdim, True, _max_result)

    def min(self, dim=None, keepdim=False):
        if isinstance(dim, Tensor):
            return self.minimum(dim)
        return self._extreme(dim, keepdim, False, _min_result)

    def amax(self, dim=None, keepdim=False):
        """Max over ``dim`` (int or tuple); ties share the gradient evenly, and a slice whose
        max is NaN gets a NaN gradient, as in PyTorch."""
        dims = None if dim is None else tuple(np.atleast_1d(dim).tolist())
        return R.Max.apply(self, dim=dims, keepdim=keepdim, largest=True, amax=True)

    def amin(self, dim=None, keepdim=False):
        dims = None if dim is None else tuple(np.atleast_1d(dim).tolist())
        return R.Max.apply(self, dim=dims, keepdim=keepdim, largest=False, amax=True)

    def median(self, dim=None, keepdim=False):
        """The lower median (for an even count the smaller of the two middle values, as
        PyTorch); NaN where there is a NaN.

        ``median()`` gives a 0-d tensor whose gradient is shared evenly by the elements equal
        to it. ``median(dim)`` gives ``(values, indices)``: the index of the median in a stable
        sort (equal elements in index order; the first NaN if any), gradient to that index.
        """
        if dim is None:
            return R.Median.apply(self)
        d = _dim(dim, self.ndim, 'median')
        x = self.reshape(self.shape or (1,))        # a 0-d tensor is its own median
        n = x.shape[d]
        if n == 0:
            raise IndexError(f"median: expected reduction dim {dim} to have non-zero size, "
                             f"got input shape {tuple(self.shape)}")
        xp = get_array_module(x.data)
        nans = (x.data != x.data).sum(axis=d, keepdims=True)
        position = xp.where(nans > 0, n - nans, (n - 1) // 2)    # NaNs sort last
        indices = Tensor._make(xp.take_along_axis(M.argsort(x.data, d), position, axis=d),
                               False, None)
        values = x.gather(d, indices)
        if not keepdim or self.ndim == 0:
            values, indices = values.squeeze(d), indices.squeeze(d)
        return _median_result(values, indices)

    def nansum(self, dim=None, keepdim=False, dtype=None):
        """``sum`` with NaNs counted as zero (their gradient is 0)."""
        return where(self.isnan(), 0, self).sum(dim, keepdim, dtype)

    def nanmean(self, dim=None, keepdim=False, *, dtype=None):
        """``mean`` of the elements that are not NaN (NaN, with NaN gradient, where all are)."""
        x = self if dtype is None else self.to(dtype)
        if x.dtype.kind != 'f':
            raise RuntimeError(f"nanmean: expected input of floating point dtype, got {x.dtype} "
                               f"(input shape {tuple(self.shape)}); pass dtype= or use .float()")
        count = x.isnan().logical_not().sum(dim, keepdim)
        return x.nansum(dim, keepdim) / count.to(x.dtype)

    def count_nonzero(self, dim=None):
        """The number of nonzero elements over ``dim`` (None, an int or a tuple), as int64."""
        axes = R._axes(dim, self.ndim)
        return Tensor._make((self.data != 0).sum(axis=axes).astype(np.int64), False, None)

    def cumsum(self, dim, dtype=None):
        """Running sum along ``dim``: ``out[i] = x[0] + ... + x[i]``; integer and bool inputs
        give int64 unless ``dtype`` says otherwise, as in PyTorch."""
        return self._scan(R.CumSum, dim, dtype, 'cumsum')

    def cumprod(self, dim, dtype=None):
        """Running product along ``dim``; its gradient is exact also where ``self`` has zeros."""
        return self._scan(R.CumProd, dim, dtype, 'cumprod')

    def _scan(self, op, dim, dtype, name):
        x = self if dtype is None else self.to(dtype)
        if dtype is None and x.dtype.kind in 'biu':
            x = x.to(np.int64)
        d = _dim(dim, self.ndim, name)
        return op.apply(x.reshape(x.shape or (1,)), dim=d).reshape(x.shape)

    def argmax(self, dim=None, keepdim=False):
        if dim is None:      # the flat index; keepdim gives shape (1, ..., 1), as PyTorch
            return Tensor._make(self.data.argmax(keepdims=keepdim).astype(np.int64), False, None)
        d = _dim(dim, self.ndim, 'argmax')
        return Tensor._make(self.data.argmax(axis=d, keepdims=keepdim).astype(np.int64), False, None)

    def argmin(self, dim=None, keepdim=False):
        if dim is None:
            return Tensor._make(self.data.argmin(keepdims=keepdim).astype(np.int64), False, None)
        d = _dim(dim, self.ndim, 'argmin')
        return Tensor._make(self.data.argmin(axis=d, keepdims=keepdim).astype(np.int64), False, None)

    def logsumexp(self, dim, keepdim=False):
        return R.LogSumExp.apply(self._floating('logsumexp'), dim=dim, keepdim=keepdim)

    def softmax(self, dim, dtype=None):
        x = self._floating('softmax') if dtype is None else self.to(dtype)   # cast first
        return R.Softmax.apply(x, dim=_dim(dim, self.ndim, 'softmax'))

    def log_softmax(self, dim, dtype=None):
        x = self._floating('log_softmax') if dtype is None else self.to(dtype)
        return R.LogSoftmax.apply(x, dim=_dim(dim, self.ndim, 'log_softmax'))

    def norm(self, p=2, dim=None, keepdim=False):
        if p == 2 or p == 'fro':        # gradient 0 at the zero vector, as PyTorch
            return E.NormSqrt.apply((self * self).sum(dim, keepdim))
        if p == 1:
            return self.abs().sum(dim, keepdim)
        if p == float('inf'):
            return self.abs().amax(dim, keepdim)
        if p == -float('inf'):
            return self.abs().amin(dim, keepdim)
        if p == 0:                      # the number of non-zero entries: a step, gradient 0
            return self.abs().sign().sum(dim, keepdim)
        return (self.abs() ** p).sum(dim, keepdim) ** (1.0 / p)

    def dist(self, other, p=2):
        """The p-norm of ``self - other`` over all elements (see ``tg.dist``)."""
        from .nn.functional.distance import dist     # nn is imported after this module
        return dist(self, other, p)

    # ------------------------------------------------------------ sorting
    def sort(self, dim=-1, descending=False, *, stable=False):
        """``(values, indices)`` sorted along ``dim``. The sort is always stable (``stable`` is
        accepted for PyTorch's signature): equal elements keep their index order, as PyTorch's
        CPU sort. NaN sorts above every number. The gradient of ``values`` flows back to the
        elements they came from."""
        d = _dim(dim, self.ndim, 'sort')
        x = self.reshape(self.shape or (1,))        # a 0-d tensor sorts as one element
        indices = Tensor._make(M.argsort(x.data, d, descending), False, None)
        return _sort_result(x.gather(d, indices).reshape(self.shape),
                            indices.reshape(self.shape))

    def argsort(self, dim=-1, descending=False, *, stable=False):
        """The int64 indices of ``sort(dim, descending)``."""
        d = _dim(dim, self.ndim, 'argsort')
        order = M.argsort(self.data.reshape(self.shape or (1,)), d, descending)
        return Tensor._make(order.reshape(self.shape), False, None)

    def topk(self, k, dim=-1, largest=True, sorted=True):
        """The ``k`` largest (``largest=False``: smallest) elements along ``dim`` as
        ``(values, indices)``, largest first (smallest first).

        Always in sorted order (``sorted=False`` leaves the order unspecified in PyTorch).
        Among equal elements the lower index comes first; PyTorch's CPU kernel leaves that
        order unspecified, so tied *indices* may differ from it, values never do. NaN counts
        as larger than every number. The gradient of ``values`` goes to the selected
        elements. Top-5 accuracy: ``(logits.topk(5).indices == labels[:, None]).any(1)``.
        """
        d = _dim(dim, self.ndim, 'topk')
        if self.ndim == 0 and k in (0, 1):          # PyTorch: a 0-d tensor is its own top-k
            values, indices = self.reshape(1).topk(1)
            return _topk_result(values.reshape(()), indices.reshape(()))
        n = self.shape[d] if self.ndim else 1
        if not 0 <= k <= n:
            raise RuntimeError(f"topk: k={k} is out of range for dim {dim} of size {n} "
                               f"(input shape {tuple(self.shape)})")
        order = M.argsort(self.data, d, descending=largest)
        indices = Tensor._make(order[(slice(None),) * d + (slice(0, k),)], False, None)
        return _topk_result(self.gather(d, indices), indices)

    def _sum_to(self, shape):
        """Sum a broadcast gradient back to ``shape`` (used by backward of binary ops)."""
        shape = tuple(shape)
        return self if self.shape == shape else R.SumTo.apply(self, shape=shape)

    # ------------------------------------------------------------ shape ops
    def reshape(self, *shape):
        shape = _shape_arg(shape)
        if shape == self.shape:
            return self
        try:
            return M.Reshape.apply(self, shape=shape)
        except ValueError:
            raise RuntimeError(f"reshape: shape {list(shape)} is invalid for input of shape "
                               f"{tuple(self.shape)} ({self.numel()} elements)") from None

    def view(self, *shape):
        if len(shape) == 1 and not isinstance(shape[0], (int, tuple, list)):
            return self.to(shape[0])      # view(dtype) is not supported beyond a cast
        return self.reshape(*shape)

    def view_as(self, other):
        return self.reshape(other.shape)

    reshape_as = view_as

    def flatten(self, start_dim=0, end_dim=-1):
        if self.ndim == 0:
            return self.reshape(1)
        s, e = _dim(start_dim, self.ndim, 'flatten'), _dim(end_dim, self.ndim, 'flatten')
        if s > e:
            raise RuntimeError(f"flatten: start_dim {start_dim} cannot come after end_dim {end_dim}")
        shape = self.shape[:s] + (int(np.prod(self.shape[s:e + 1])),) + self.shape[e + 1:]
        return self.reshape(shape)

    def unflatten(self, dim, sizes):
        d = _dim(dim, self.ndim, 'unflatten')
        sizes = list(sizes)
        if -1 in sizes:
            known = int(np.prod([s for s in sizes if s != -1]))
            sizes[sizes.index(-1)] = self.shape[d] // max(known, 1)
        if int(np.prod(sizes)) != self.shape[d]:
            raise RuntimeError(f"unflatten: sizes {tuple(sizes)} don't multiply up to the size of "
                               f"dim {dim} ({self.shape[d]}) of input shape {tuple(self.shape)}")
        return self.reshape(self.shape[:d] + tuple(sizes) + self.shape[d + 1:])

    def squeeze(self, dim=None):
        if dim is None:
            return self.reshape(tuple(s for s in self.shape if s != 1))
        dims = {_dim(d, self.ndim, 'squeeze') for d in ((dim,) if isinstance(dim, int)
                                                        else dim)}
        return self.reshape(tuple(s for i, s in enumerate(self.shape) if not (i in dims and s == 1)))

    def unsqueeze(self, dim):
        d = _dim(dim, self.ndim + 1, 'unsqueeze')
        return self.reshape(self.shape[:d] + (1,) + self.shape[d:])

    def permute(self, *dims):
        dims = tuple(_dim(d, self.ndim, 'permute') for d in _shape_arg(dims))
        if sorted(dims) != list(range(self.ndim)):
            raise RuntimeError(f"permute: dims {dims} are not a permutation of the "
                               f"{self.ndim} dims of input shape {tuple(self.shape)}")
        return M.Permute.apply(self, dims=dims)

    def transpose(self, dim0, dim1):
        dims = list(range(self.ndim))
        a, b = _dim(dim0, self.ndim, 'transpose'), _dim(dim1, self.ndim, 'transpose')
        dims[a], dims[b] = dims[b], dims[a]
        return M.Permute.apply(self, dims=tuple(dims))

    def t(self):
        if self.ndim > 2:
            raise RuntimeError(f"t: expects a tensor with <= 2 dimensions, got shape {tuple(self.shape)}")
        return self if self.ndim < 2 else self.transpose(0, 1)

    @property
    def T(self):
        return self if self.ndim < 2 else self.permute(*reversed(range(self.ndim)))

    swapaxes = swapdims = transpose

    @property
    def mT(self):
        return self.transpose(-2, -1)

    def expand(self, *shape):
        shape = _shape_arg(shape)
        lead = len(shape) - self.ndim
        if lead < 0:
            raise RuntimeError(f"expand: the target shape {shape} has fewer dimensions than the "
                               f"input shape {tuple(self.shape)}")
        if -1 in shape[:lead]:
            raise RuntimeError(f"expand: the size -1 isn't allowed in a new leading dimension; "
                               f"target {shape}, input shape {tuple(self.shape)}")
        full = tuple(self.shape[i - lead] if s == -1 else s for i, s in enumerate(shape))
        if full == self.shape:
            return self
        for i, s in enumerate(self.shape):
            if s != 1 and s != full[lead + i]:
                raise RuntimeError(f"expand: the expanded size {full[lead + i]} must match the "
                                   f"existing size {s} at non-singleton dimension {lead + i}; "
                                   f"target {shape}, input shape {tuple(self.shape)}")
        return M.Expand.apply(self, shape=full)

    def expand_as(self, other):
        return self.expand(other.shape)

    def broadcast_to(self, shape):
        return self.expand(shape)

    def repeat(self, *sizes):
        """Tile the tensor ``sizes`` times along each dim (numpy's ``tile``)."""
        sizes = _shape_arg(sizes)
        if len(sizes) < self.ndim:
            raise RuntimeError(f"repeat: number of repeat dims {len(sizes)} can not be smaller than "
                               f"the number of dims {self.ndim} of input shape {tuple(self.shape)}")
        x = self.reshape((1,) * (len(sizes) - self.ndim) + self.shape)
        # insert a new axis before each dim, expand it to the repeat count, merge
        inter = [d for s in x.shape for d in (1, s)]
        target = [d for r, s in zip(sizes, x.shape) for d in (r, s)]
        return x.reshape(inter).expand(target).reshape([r * s for r, s in zip(sizes, x.shape)])

    def flip(self, dims):
        dims = (dims,) if isinstance(dims, int) else tuple(dims)
        return M.Flip.apply(self, dims=tuple(_dim(d, self.ndim, 'flip') for d in dims))

    def roll(self, shifts, dims=None):
        """Shift elements by ``shifts`` along ``dims`` (ints, or tuples of equal length),
        wrapping around; with ``dims=None`` the flattened tensor is rolled, as in PyTorch."""
        shifts = (shifts,) if isinstance(shifts, int) else tuple(shifts)
        if dims is None:
            if len(shifts) != 1:
                raise RuntimeError(f"roll: with dims=None give one shift (the flattened tensor "
                                   f"is rolled), got shifts={shifts}")
            return self.flatten().roll(shifts, 0).reshape(self.shape)
        dims = (dims,) if isinstance(dims, int) else tuple(dims)
        if len(shifts) != len(dims):
            raise RuntimeError(f"roll: shifts and dims must align, got shifts={shifts} for "
                               f"dims={dims}")
        dims = tuple(_dim(d, self.ndim, 'roll') for d in dims)
        x = self.reshape(self.shape or (1,))
        return M.Roll.apply(x, shifts=shifts, dims=dims).reshape(self.shape)

    def diff(self, n=1, dim=-1, prepend=None, append=None):
        """The ``n``-th forward difference ``x[i+1] - x[i]`` along ``dim`` (``!=`` for bools),
        after concatenating ``prepend`` and ``append`` (Tensors) along ``dim``."""
        if self.ndim == 0:
            raise RuntimeError("diff: expects input to be at least one-dimensional, got a 0-d "
                               "tensor")
        if n < 0:
            raise RuntimeError(f"diff: order n must be non-negative, got {n}")
        d = _dim(dim, self.ndim, 'diff')
        parts = [t for t in (prepend, self, append) if t is not None]
        if any(t.ndim != self.ndim for t in parts):
            raise RuntimeError(f"diff: prepend and append must have as many dimensions as the "
                               f"input; got shapes {[tuple(t.shape) for t in parts]}")
        x = cat(parts, d) if len(parts) > 1 else self
        lead = (slice(None),) * d
        for _ in range(n):
            after, before = x[lead + (slice(1, None),)], x[lead + (slice(None, -1),)]
            x = after != before if x.dtype.kind == 'b' else after - before
        return x

    def split(self, split_size_or_sections, dim=0):
        return split(self, split_size_or_sections, dim)

    def chunk(self, chunks, dim=0):
        return chunk(self, chunks, dim)

    def narrow(self, dim, start, length):
        d = _dim(dim, self.ndim, 'narrow')
        start = start + self.shape[d] if start < 0 else start    # negative: from the end
        return self[(slice(None),) * d + (slice(start, start + length),)]

    def unbind(self, dim=0):
        d = _dim(dim, self.ndim, 'unbind')
        return tuple(self[(slice(None),) * d + (i,)] for i in range(self.shape[d]))

    def matmul(self, other):
        """Matrix product with PyTorch's rules for 1-d operands and batch broadcasting."""
        other = self._other(other)
        if self.ndim == 0 or other.ndim == 0:
            raise RuntimeError(f"matmul: both arguments need at least 1 dimension, got shapes "
                               f"{tuple(self.shape)} and {tuple(other.shape)}")
        if other.dtype != self.dtype:       # PyTorch does not promote here (int @ float raises)
            raise RuntimeError(f"matmul: expected both arguments to have the same dtype, got "
                               f"{self.dtype} and {other.dtype}")
        x = self.unsqueeze(0) if self.ndim == 1 else self
        y = other.unsqueeze(-1) if other.ndim == 1 else other
        if x.shape[-1] != y.shape[-2]:
            raise RuntimeError(f"matmul: shapes {tuple(self.shape)} and {tuple(other.shape)} cannot "
                               f"be multiplied ({x.shape[-1]} != {y.shape[-2]})")
        try:
            out = M.Matmul.apply(x, y)
        except ValueError:
            raise RuntimeError(f"matmul: batch dimensions of {tuple(self.shape)} and "
                               f"{tuple(other.shape)} cannot be broadcast together") from None
        if self.ndim == 1:
            out = out.squeeze(-2)
        if other.ndim == 1:
            out = out.squeeze(-1)
        return out

    def mm(self, other):
        return self.matmul(other)

    def bmm(self, other):
        return self.matmul(other)

    def dot(self, other):
        """Inner product of two 1-d Tensors of one dtype and size (as PyTorch, no promotion)."""
        other = self._other(other)
        if self.ndim != 1 or other.ndim != 1 or self.shape != other.shape or self.dtype != other.dtype:
            raise RuntimeError(f"dot: expected two 1-d tensors of the same size and dtype, got "
                               f"shapes {tuple(self.shape)} and {tuple(other.shape)}, dtypes "
                               f"{self.dtype} and {other.dtype}")
        return (self * other).sum()

    # ------------------------------------------------------------ indexing
    def _index(self, index):
        """Normalise an index: Tensors/lists become arrays on the tensor's device."""
        if not isinstance(index, tuple):
            index = (index,)
        xp = get_array_module(self.data)
        out = []
        for i in index:
            if isinstance(i, Tensor):
                i = i.data
            elif isinstance(i, list):
                i = np.asarray(i) if i else np.zeros(0, np.int64)   # [] is an empty int index
            if hasattr(i, 'dtype') and hasattr(i, 'shape') and not isinstance(i, np.generic):
                if i.dtype.kind not in 'biu':
                    raise IndexError(f"index: tensors used as indices must be long, int or bool, "
                                     f"got dtype {i.dtype}")
                i = xp.asarray(i)
            elif isinstance(i, np.generic):
                i = i.item()
            out.append(i)
        return tuple(out)

    def __getitem__(self, index):
        index = self._index(index)
        try:
            return M.GetItem.apply(self, index=index)
        except IndexError as e:
            raise IndexError(f"index: {e} (tensor shape {tuple(self.shape)})") from None

    def __setitem__(self, index, value):
        """In-place assignment: a data edit, or recorded for autograd like ``+=`` (see _rebind)."""
        if self._in_graph(value):
            value = value.to(self.dtype) if isinstance(value, Tensor) else Tensor(
                value, dtype=self.dtype, device=self.device)
            index = self._index(index)
            return self._rebind('__setitem__', lambda t: M.SetItem.apply(t, value, index=index))
        self._check_inplace('__setitem__')
        value = value.data if isinstance(value, Tensor) else value
        if not getattr(self.data.flags, 'writeable', True):
            self.data = self.data.copy()
        self.data[self._index(index)] = value
        autograd.mark_modified(self)

    def gather(self, dim, index, *, sparse_grad=False):
        """``out[i][j] = self[i][index[i][j]]`` for ``dim=1`` (PyTorch's gather; the index is
        checked as PyTorch does). ``sparse_grad`` is accepted for PyTorch's signature."""
        d = _dim(dim, self.ndim, 'gather')
        idx = I.index_array(index, 'gather')
        I.check_scatter('gather', self.shape, d, idx)
        if self.ndim == 0:
            return self.reshape(1)[to_device(idx.reshape(1), self.device)].reshape(())
        return self[I.scatter_grids(to_device(idx, self.device), d)]

    def index_select(self, dim, index):
        d = _dim(dim, self.ndim, 'index_select')
        return self[(slice(None),) * d + (index,)]

    # ------------------------------------------------------------ PyTorch's smaller methods
    def is_inference(self):
        """True for tensors made inside ``tg.inference_mode()``."""
        return getattr(self, '_inference', False)

    @property
    def retains_grad(self):
        """True for a non-leaf tensor after ``retain_grad()``."""
        return self.grad_fn is not None and any(getattr(h, 'retains_grad', False)
                                                for h in self.grad_fn._hooks or ())

    def register_post_accumulate_grad_hook(self, hook):
        """Call ``hook(tensor)`` after ``backward`` has accumulated into this leaf's ``.grad``
        (e.g. to step an optimiser per parameter); returns a handle with ``remove()``."""
        if self.grad_fn is not None:
            raise RuntimeError("post accumulate grad hooks cannot be registered on non-leaf "
                               "tensors")
        if not self.requires_grad:
            raise RuntimeError("register_post_accumulate_grad_hook: cannot register a hook on a "
                               "tensor that doesn't require gradient")
        if getattr(self, '_post_hooks', None) is None:
            self._post_hooks = []
        self._post_hooks.append(hook)
        return autograd.RemovableHandle(self._post_hooks, hook)

    def new_tensor(self, data, dtype=None, device=None, requires_grad=False):
        """A copy of ``data`` with self's dtype and device unless given."""
        return tensor(data, dtype=self.dtype if dtype is None else dtype,
                      device=self.device if device is None else device, requires_grad=requires_grad)

    def _new(self, make, size, dtype, device, requires_grad, *args):
        return make(_shape_arg(size), *args, dtype=self.dtype if dtype is None else dtype,
                    device=self.device if device is None else device, requires_grad=requires_grad)

    def new_zeros(self, *size, dtype=None, device=None, requires_grad=False):
        return self._new(zeros, size, dtype, device, requires_grad)

    def new_ones(self, *size, dtype=None, device=None, requires_grad=False):
        return self._new(ones, size, dtype, device, requires_grad)

    def new_empty(self, *size, dtype=None, device=None, requires_grad=False):
        return self._new(empty, size, dtype, device, requires_grad)

    def new_full(self, size, fill_value, dtype=None, device=None, requires_grad=False):
        return self._new(full, (size,), dtype, device, requires_grad, fill_value)

    def byte(self):
        return self.to(np.uint8)

    def char(self):
        return self.to(np.int8)

    def short(self):
        return self.to(np.int16)

    def type(self, dtype=None, non_blocking=False):
        """No argument: PyTorch's type name (``'torch.FloatTensor'``); a dtype, such a name
        or a legacy type (``tg.FloatTensor``): the tensor converted to it."""
        if dtype is None:
            return ('torch.cuda.' if self.device == 'cuda' else 'torch.') + \
                _TYPE_NAMES.get(self.dtype, str(self.dtype))
        if isinstance(getattr(dtype, 'dtype', None), np.dtype):    # tg.FloatTensor and the like
            dtype = dtype.dtype
        if isinstance(dtype, str):
            name = dtype.replace('torch.cuda.', '').replace('torch.', '')
            matches = [d for d, n in _TYPE_NAMES.items() if n == name]
            if not matches:
                raise ValueError(f"type: invalid type: {dtype!r}")
            return self.to(matches[0], device='cuda' if 'cuda.' in dtype else None)
        return self.to(dtype)

    def is_contiguous(self, memory_format=None):
        return bool(self.data.flags.c_contiguous)

    def stride(self, dim=None):
        """Steps in elements between neighbours along each dim (PyTorch's, for contiguous
        tensors also along empty and size-1 dims)."""
        if self.data.flags.c_contiguous:
            strides, step = [], 1
            for n in reversed(self.shape):
                strides.insert(0, step)
                step *= max(n, 1)
            strides = tuple(strides)
        else:
            strides = tuple(s // self.data.itemsize for s in self.data.strides)
        return strides if dim is None else strides[_dim(dim, self.ndim, 'stride')]

    def data_ptr(self):
        """Address of the first element."""
        return _address(self.data)

    def storage_offset(self):
        """Offset, in elements, of the first element in the memory of the array it views."""
        root = self.data
        while root.base is not None and hasattr(root.base, 'dtype'):
            root = root.base
        return (_address(self.data) - _address(root)) // self.data.itemsize

    def nelement(self):
        return self.numel()

    def is_nonzero(self):
        """The truth value of a one-element tensor (an error for any other size)."""
        if self.numel() != 1:
            raise RuntimeError("is_nonzero: Boolean value of Tensor with "
                               f"{'no values' if self.numel() == 0 else 'more than one value'} "
                               "is ambiguous")
        return bool(self.item())

    def ndimension(self):
        return self.ndim

    @property
    def itemsize(self):
        return self.data.itemsize

    @property
    def nbytes(self):
        return self.data.nbytes

    def is_same_size(self, other):
        return self.shape == other.shape

    def sum_to_size(self, *size):
        """Sum over broadcast dims down to ``size``, which must be expandable to self's shape."""
        size = _shape_arg(size)
        lead = self.ndim - len(size)
        if lead < 0 or any(s not in (1, self.shape[lead + i]) for i, s in enumerate(size)):
            raise RuntimeError(f"sum_to_size: size {list(size)} is not expandable to size "
                               f"{list(self.shape)}")
        return self._sum_to(size)

    def __contains__(self, element):
        if not isinstance(element, (Tensor, bool, int, float, np.generic)):
            raise RuntimeError(f"Tensor.__contains__ only supports Tensor or scalar, but you "
                               f"passed in a {type(element)}.")
        return bool((self == element).any().item())

    def __reversed__(self):
        return self if self.ndim == 0 else self.flip(0)

    # in-place shape changes: self takes the new shape (and, in a graph, the new grad_fn)
    def _view_(self, op, compute):
        if self._in_graph(None):
            return self._rebind(op, compute, keep_shape=False)
        self._check_inplace(op)
        self.data = compute(self.detach()).data
        autograd.mark_modified(self)
        return self

    def squeeze_(self, dim=None):
        return self._view_('squeeze_', lambda t: t.squeeze(dim))

    def unsqueeze_(self, dim):
        return self._view_('unsqueeze_', lambda t: t.unsqueeze(dim))

    def t_(self):
        return self._view_('t_', lambda t: t.t())

    def transpose_(self, dim0, dim1):
        return self._view_('transpose_', lambda t: t.transpose(dim0, dim1))

    swapaxes_ = swapdims_ = transpose_

    def resize_(self, *sizes):
        """Give self the shape ``sizes``, keeping the leading elements (new ones are zero)."""
        if self.requires_grad:
            raise RuntimeError("resize_: cannot resize variables that require grad")
        self._check_inplace('resize_')
        shape = _shape_arg(sizes)
        xp = get_array_module(self.data)
        n = math.prod(shape)
        if n == self.numel():
            self.data = xp.ascontiguousarray(self.data).reshape(shape)
        else:
            flat = xp.zeros(n, dtype=self.dtype)
            k = min(n, self.numel())
            flat[:k] = self.data.reshape(-1)[:k]
            self.data = flat.reshape(shape)
        autograd.mark_modified(self)
        return self

    def fill_diagonal_(self, fill_value, wrap=False):
        """Fill the main diagonal (all dims equal for more than 2); ``wrap`` restarts it below
        a tall matrix's square part, as in PyTorch."""
        if self.ndim < 2:
            raise RuntimeError(f"fill_diagonal_: dimensions must larger than 1, got shape "
                               f"{tuple(self.shape)}")
        if self.ndim > 2 and len(set(self.shape)) != 1:
            raise RuntimeError(f"fill_diagonal_: all dimensions of input must be of equal length, "
                               f"got shape {tuple(self.shape)}")
        self._inplace('fill_diagonal_', 0)
        get_array_module(self.data).fill_diagonal(self.data, fill_value, wrap=wrap)
        return self

    # random fills, drawn from ``generator`` (a tg.Generator; None: the global one)
    def _fill_random(self, op, values, floating=False):
        if floating and self.dtype.kind != 'f':
            raise RuntimeError(f"{op}: the distribution is continuous, so dtype must be a "
                               f"floating point, but the tensor's dtype is {self.dtype}")
        self._inplace(op, 0)
        self.data[...] = _to_like(values, self.data)
        return self

    def bernoulli_(self, p=0.5, *, generator=None):
        p = p.numpy() if isinstance(p, Tensor) else p
        return self._fill_random('bernoulli_', get_rng(generator).random(self.shape) < p)

    def exponential_(self, lambd=1.0, *, generator=None):
        return self._fill_random('exponential_',
                                 get_rng(generator).exponential(1.0 / lambd, self.shape), True)

    def geometric_(self, p, *, generator=None):
        """Trials up to the first success, each succeeding with probability ``p``: 1, 2, ..."""
        if not 0 < p < 1:
            raise RuntimeError(f"geometric_ expects p to be in (0, 1), but got p={p}")
        return self._fill_random('geometric_', get_rng(generator).geometric(p, self.shape))

    def log_normal_(self, mean=1.0, std=2.0, *, generator=None):
        return self._fill_random('log_normal_',
                                 get_rng(generator).lognormal(mean, std, self.shape), True)

    def cauchy_(self, median=0.0, sigma=1.0, *, generator=None):
        return self._fill_random(
            'cauchy_', median + sigma * get_rng(generator).standard_cauchy(self.shape), True)

    def random_(self, from_=0, to=None, *, generator=None):
        """Integers in [from_, to); ``random_(to)`` is [0, to); ``random_()`` draws from
        [0, 2**mantissa_bits] for floats (all exactly representable) and [0, max] for ints."""
        if to is None and from_ != 0:
            from_, to = 0, from_
        if to is None:
            if self.dtype.kind == 'f':
                to = 2 ** (np.finfo(self.dtype).nmant + 1) + 1
            elif self.dtype.kind == 'b':
                to = 2
            else:
                to = int(np.iinfo(self.dtype).max) + 1
        if from_ >= to:
            raise RuntimeError(f"random_ expects 'from' to be less than 'to', but got "
                               f"from={from_} >= to={to}")
        return self._fill_random('random_', get_rng(generator).integers(from_, to, self.shape,
                                                                        dtype=np.uint64
                                                                        if to > 2 ** 63 else np.int64))

    def bernoulli(self, p=None, *, generator=None):
        """0/1 samples with probabilities self (see ``tg.bernoulli``)."""
        from .sampling import bernoulli
        return bernoulli(self, p, generator=generator)

    def multinomial(self, num_samples, replacement=False, *, generator=None):
        """Category indices drawn with weights self (see ``tg.multinomial``)."""
        from .sampling import multinomial
        return multinomial(self, num_samples, replacement, generator=generator)

    # ------------------------------------------------------------ printing
    def __repr__(self):
        return tensor_repr(self, _default_dtype)

    def __format__(self, format_spec):
        if self.ndim == 0 and type(self) is Tensor:     # f"{loss:.3f}" formats the number
            return self.item().__format__(format_spec)
        return object.__format__(self, format_spec)


autograd.Tensor = Tensor      # Function.apply wraps its results with Tensor._make


_DEVICES = {'cpu': _device('cpu'), 'cuda': _device('cuda')}

_TYPE_NAMES = {np.dtype(np.float32): 'FloatTensor', np.dtype(np.float64): 'DoubleTensor',
               np.dtype(np.float16): 'HalfTensor', np.dtype(np.int64): 'LongTensor',
               np.dtype(np.int32): 'IntTensor', np.dtype(np.int16): 'ShortTensor',
               np.dtype(np.int8): 'CharTensor', np.dtype(np.uint8): 'ByteTensor',
               np.dtype(np.bool_): 'BoolTensor', np.dtype(np.complex64): 'ComplexFloatTensor',
               np.dtype(np.complex128): 'ComplexDoubleTensor'}


def _address(array):
    """The memory address of a numpy or CuPy array's first element."""
    return array.ctypes.data if isinstance(array, np.ndarray) else array.data.ptr


def _to_like(values, like):
    """Host array ``values`` in the dtype and on the device of array ``like``."""
    return to_device(np.asarray(values, dtype=like.dtype), device_of(like))


class _ToDevice(autograd.Function):
    def forward(self, x, *, device):
        self.in_device = device_of(x)
        return to_device(x, device)

    def backward(self, grad):
        return grad.to(self.in_device)


class _Contiguous(autograd.Function):
    def forward(self, x):
        return get_array_module(x).ascontiguousarray(x)

    def backward(self, grad):
        return grad


# ---------------------------------------------------------------- factories
def tensor(data, dtype=None, device=None, requires_grad=False):
    """Make a Tensor from data (copies it), like ``torch.tensor``."""
    if isinstance(data, Tensor):
        data = data.data.copy()
    elif isinstance(data, np.ndarray):
        data = data.copy()
    return Tensor(data, requires_grad=requires_grad, dtype=dtype, device=device)


def from_numpy(array):
    """A Tensor sharing memory with the numpy array (dtype kept)."""
    if not isinstance(array, np.ndarray):
        raise TypeError(f"from_numpy: expected np.ndarray, got {type(array).__name__}")
    return Tensor._make(array, False, None)


def as_tensor(data, dtype=None, device=None):
    return data.to(dtype=dtype, device=device) if isinstance(data, Tensor) else \
        Tensor(data, dtype=dtype, device=device)


def _factory(make, shape, dtype, device, requires_grad, size=None, op='factory'):
    """A new tensor ``make(shape, dtype)``; the shape comes as ``f(2, 3)``, ``f((2, 3))`` or
    PyTorch's keyword form ``f(size=(2, 3))``."""
    if size is not None:
        if shape:
            raise TypeError(f"{op}(): got multiple values for argument 'size' (sizes {shape} "
                            f"and size={size})")
        shape = (size,)
    dtype = np.dtype(_default_dtype if dtype is None else dtype)
    t = Tensor._make(to_device(make(_shape_arg(shape), dtype), normalize_device(device)), False, None)
    if autograd._state.inference:
        t._inference = True
    return t.requires_grad_(True) if requires_grad else t


def zeros(*shape, size=None, dtype=None, device=None, requires_grad=False):
    return _factory(np.zeros, shape, dtype, device, requires_grad, size, 'zeros')


def ones(*shape, size=None, dtype=None, device=None, requires_grad=False):
    return _factory(np.ones, shape, dtype, device, requires_grad, size, 'ones')


def empty(*shape, size=None, dtype=None, device=None, requires_grad=False):
    # zeroed: no garbage
    return _factory(np.zeros, shape, dtype, device, requires_grad, size, 'empty')


def full(size, fill_value, dtype=None, device=None, requires_grad=False):
    if dtype is None:
        dtype = np.bool_ if isinstance(fill_value, bool) else (
            np.int64 if isinstance(fill_value, int) else None)
    return _factory(lambda s, d: np.full(s, fill_value, d), (size,), dtype, device, requires_grad)


def rand(*shape, size=None, generator=None, dtype=None, device=None, requires_grad=False):
    """Uniform samples in [0, 1); ``generator``: a ``tg.Generator`` (None: the global one)."""
    return _factory(lambda s, d: get_rng(generator).random(s).astype(d), shape, dtype, device,
                    requires_grad, size, 'rand')


def randn(*shape, size=None, generator=None, dtype=None, device=None, requires_grad=False):
    """Standard normal samples; ``generator``: a ``tg.Generator`` (None: the global one)."""
    return _factory(lambda s, d: get_rng(generator).standard_normal(s).astype(d), shape, dtype,
                    device, requires_grad, size, 'randn')


def randint(low, high=None, size=None, *, generator=None, dtype=None, device=None,
            requires_grad=False):
    """Integers in [low, high): ``randint(high, size)`` or ``randint(low, high, size)``."""
    if size is None and isinstance(high, (tuple, list)):    # randint(high, size), as PyTorch
        low, high, size = 0, low, high
    if high is None:
        low, high = 0, low
    if size is None:
        raise TypeError("randint: missing required argument 'size'")
    return _factory(lambda s, d: get_rng(generator).integers(low, high, s).astype(d), (tuple(size),),
                    np.int64 if dtype is None else dtype, device, requires_grad)


def randperm(n, *, generator=None, dtype=None, device=None):
    return Tensor(get_rng(generator).permutation(n).astype(np.int64 if dtype is None else dtype),
                  device=device)


def arange(start=0, end=None, step=1, dtype=None, device=None, requires_grad=False):
    if end is None:
        start, end = 0, start
    if step == 0 or (end - start) * step < 0:
        raise RuntimeError(f"arange: upper bound {end} and lower bound {start} are inconsistent "
                           f"with step {step}")
    values = np.arange(start, end, step)
    if dtype is None:
        dtype = np.int64 if values.dtype.kind in 'iu' else _default_dtype
    t = Tensor(values.astype(dtype), device=device)
    return t.requires_grad_(True) if requires_grad else t


def linspace(start, end, steps, dtype=None, device=None, requires_grad=False):
    t = Tensor(np.linspace(start, end, steps).astype(_default_dtype if dtype is None else dtype),
               device=device)
    return t.requires_grad_(True) if requires_grad else t


def logspace(start, end, steps, base=10.0, dtype=None, device=None, requires_grad=False):
    """``steps`` values from ``base ** start`` to ``base ** end``, evenly spaced in exponent."""
    powers = base ** np.linspace(start, end, steps)
    t = Tensor(powers.astype(_default_dtype if dtype is None else dtype), device=device)
    return t.requires_grad_(True) if requires_grad else t


def eye(n, m=None, dtype=None, device=None, requires_grad=False):
    return _factory(lambda s, d: np.eye(n, m, dtype=d), (), dtype, device, requires_grad)


def _like(make):
    def like(input, dtype=None, device=None, requires_grad=False, **kwargs):
        return make(*input.shape, dtype=input.dtype if dtype is None else dtype,
                    device=input.device if device is None else device, requires_grad=requires_grad,
                    **kwargs)
    like.__name__ = make.__name__ + '_like'
    like.__doc__ = f"``{make.__name__}`` with the shape, dtype and device of ``input``."
    return like


zeros_like, ones_like, empty_like = _like(zeros), _like(ones), _like(empty)
rand_like, randn_like = _like(rand), _like(randn)


def full_like(input, fill_value, dtype=None, device=None, requires_grad=False):
    return full(input.shape, fill_value, dtype=input.dtype if dtype is None else dtype,
                device=input.device if device is None else device, requires_grad=requires_grad)


# ---------------------------------------------------------------- functions on several tensors
def cat(tensors, dim=0):
    """Concatenate along an existing dim."""
    tensors = list(tensors)
    if not tensors:
        raise RuntimeError("cat: expected a non-empty list of Tensors")
    ref = tensors[0]
    if any(t.ndim == 0 for t in tensors):
        raise RuntimeError("cat: zero-dimensional tensors cannot be concatenated; use stack")
    d = _dim(dim, ref.ndim, 'cat')
    for t in tensors[1:]:
        if t.ndim != ref.ndim or any(a != b for i, (a, b) in enumerate(zip(t.shape, ref.shape))
                                     if i != d):
            raise RuntimeError(f"cat: sizes of tensors must match except in dimension {dim}; got "
                               f"shapes {[tuple(x.shape) for x in tensors]}")
    if any(t.dtype != ref.dtype for t in tensors):
        dtype = _result_type(*tensors)
        tensors = [t.to(dtype) for t in tensors]
    return M.Cat.apply(*tensors, dim=d)


concat = concatenate = cat


def stack(tensors, dim=0):
    """Join along a new dim."""
    tensors = list(tensors)
    if not tensors:
        raise RuntimeError("stack: expected a non-empty list of Tensors")
    shapes = {tuple(t.shape) for t in tensors}
    if len(shapes) > 1:
        raise RuntimeError(f"stack: expects each tensor to be equal size, got shapes "
                           f"{[tuple(t.shape) for t in tensors]}")
    d = _dim(dim, tensors[0].ndim + 1, 'stack')
    return cat([t.unsqueeze(d) for t in tensors], d)


def split(tensor, split_size_or_sections, dim=0):
    """Split into chunks of a given size (the last may be smaller) or of given sizes."""
    d = _dim(dim, tensor.ndim, 'split')
    n = tensor.shape[d]
    if isinstance(split_size_or_sections, int):
        step = split_size_or_sections
        if step <= 0:
            raise ValueError(f"split: split_size must be positive, got {step}")
        sizes = [min(step, n - s) for s in range(0, n, step)] or [0]
    else:
        sizes = list(split_size_or_sections)
        if sum(sizes) != n:
            raise RuntimeError(f"split: split_sizes {sizes} must sum to the size {n} of dim {dim} "
                               f"of input shape {tuple(tensor.shape)}")
    out, start = [], 0
    for s in sizes:
        out.append(tensor.narrow(d, start, s))
        start += s
    return tuple(out)


def chunk(tensor, chunks, dim=0):
    n = tensor.shape[_dim(dim, tensor.ndim, 'chunk')]
    return split(tensor, max(1, math.ceil(n / chunks)), dim)


def where(condition, input=None, other=None):
    """Elements of ``input`` where ``condition`` holds, else of ``other``."""
    cond = condition.data if isinstance(condition, Tensor) else condition
    if input is None and other is None:
        return tuple(Tensor._make(i.astype(np.int64), False, None) for i in cond.nonzero())
    x = input if isinstance(input, Tensor) else None
    y = other if isinstance(other, Tensor) else None
    ref = x if x is not None else y
    if ref is None:                    # two scalars: a Python float gives the default dtype
        ref = Tensor(input, device=device_of(cond))
    x = ref._other(input)
    y = ref._other(other)
    if x.dtype != y.dtype:
        dtype = _result_type(x, y)
        x, y = x.to(dtype), y.to(dtype)
    try:
        np.broadcast_shapes(np.shape(cond), x.shape, y.shape)
    except ValueError:
        raise RuntimeError(f"where: condition of shape {tuple(np.shape(cond))}, input of shape "
                           f"{tuple(x.shape)} and other of shape {tuple(y.shape)} cannot be "
                           "broadcast together") from None
    return E.Where.apply(x, y, condition=cond)


def maximum(input, other):
    return input.maximum(other)


def minimum(input, other):
    return input.minimum(other)


def clamp(input, min=None, max=None):
    return input.clamp(min, max)


def pow(input, exponent):
    """``input ** exponent``; either may be a Python number (``tg.pow(2, x)``), as PyTorch."""
    if isinstance(input, Tensor):
        return input ** exponent
    if isinstance(exponent, Tensor):
        return exponent.__rpow__(input)
    raise TypeError(f"pow: expected a Tensor as input or exponent, got "
                    f"{type(input).__name__} and {type(exponent).__name__}")


def is_tensor(obj):
    return isinstance(obj, Tensor)


def manual_seed(seed):
    """Seed the global random number generator (weights, dropout, shuffling)."""
    from . import random as _random
    _random.manual_seed(seed)


# ---------------------------------------------------------------- numpy's keyword names
def _numpy_keywords(fn):
    """Let ``fn`` also take numpy's keyword names, as PyTorch's functions do: ``axis`` for
    ``dim`` and ``keepdims`` for ``keepdim`` (``x.sum(axis=1, keepdims=True)``)."""
    @functools.wraps(fn)
    def with_numpy_keywords(*args, **kwargs):
        if 'axis' in kwargs:
            kwargs['dim'] = kwargs.pop('axis')
        if 'keepdims' in kwargs:
            kwargs['keepdim'] = kwargs.pop('keepdims')
        return fn(*args, **kwargs)
    return with_numpy_keywords


def _takes_dim(fn):
    try:
        params = inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return False
    return 'dim' in params or 'keepdim' in params


# every method (and mixin method) with a ``dim`` or ``keepdim`` parameter, and tg.cat/stack
for _cls in (Tensor, MathMethods, IndexMethods):
    for _name, _fn in list(vars(_cls).items()):
        if inspect.isfunction(_fn) and not _name.startswith('_') and _takes_dim(_fn) \
                and getattr(Tensor, _name) is _fn:
            setattr(Tensor, _name, _numpy_keywords(_fn))
cat, stack, split, chunk = (_numpy_keywords(f) for f in (cat, stack, split, chunk))
del _cls, _name, _fn
