"""``Parameter``: a Tensor that a Module registers as one of its weights.

A Parameter is an ordinary leaf Tensor with ``requires_grad=True`` by default.
Its only job is to be recognised: assigning one to a Module attribute
(``self.weight = Parameter(...)``) registers it, so ``parameters()``,
``state_dict()`` and the optimisers find it.
"""
import numpy as np

from ..backend import device_of, to_device
from ..tensor import Tensor, get_default_dtype


class Parameter(Tensor):
    """``Parameter(data=None, requires_grad=True)``: shares memory with ``data``
    (a Tensor or array), as ``torch.nn.Parameter`` does."""
    __slots__ = ()

    def __init__(self, data=None, requires_grad=True):
        if data is None:
            data = np.empty((0,), dtype=get_default_dtype())
        super().__init__(data, requires_grad=requires_grad)

    def __repr__(self):
        return 'Parameter containing:\n' + super().__repr__()


class Buffer(Tensor):
    """``Buffer(data=None, *, persistent=True)``: assigning one to a Module attribute
    (``self.mask = nn.Buffer(t)``) registers it as a buffer, as ``register_buffer`` does
    (``persistent=False``: left out of ``state_dict``). Shares memory with ``data``."""
    __slots__ = ('persistent',)

    def __init__(self, data=None, *, persistent=True):
        if data is None:
            data = np.empty((0,), dtype=get_default_dtype())
        super().__init__(data, requires_grad=isinstance(data, Tensor) and data.requires_grad)
        self.persistent = persistent


_UNINITIALIZED = ("Can't access the shape of an uninitialized parameter or buffer. This error "
                  "usually happens in `load_state_dict` when trying to load an uninitialized "
                  "parameter into an initialized one. Call `forward` to initialize the "
                  "parameters before accessing their attributes.")


class _Uninitialized:
    """A placeholder of unknown shape (lazy modules); ``materialize(shape)`` turns it, in
    place, into an ordinary Parameter or Tensor, so references to it stay valid."""
    __slots__ = ()
    cls_to_become = None

    @property
    def shape(self):
        raise RuntimeError(_UNINITIALIZED)

    def materialize(self, shape, device=None, dtype=None):
        """Allocate the data (zeros of ``shape``; dtype and device kept unless given) and
        become ``cls_to_become``."""
        shape = tuple(shape) if isinstance(shape, (tuple, list)) else (shape,)
        dtype = self.data.dtype if dtype is None else np.dtype(dtype)
        data = np.zeros(shape, dtype=dtype)
        self.data = to_device(data, device_of(self.data) if device is None else device)
        self.__class__ = self.cls_to_become

    def __repr__(self):
        return f'<{type(self).__name__}>'


class UninitializedParameter(_Uninitialized, Parameter):
    """``UninitializedParameter(requires_grad=True, device=None, dtype=None)``: a Parameter
    whose shape a lazy module fixes at its first forward (see ``nn.LazyLinear``)."""
    __slots__ = ()
    cls_to_become = Parameter

    def __init__(self, requires_grad=True, device=None, dtype=None):
        dtype = get_default_dtype() if dtype is None else dtype
        super().__init__(to_device(np.empty((0,), dtype=dtype), device or 'cpu'), requires_grad)


class UninitializedBuffer(_Uninitialized, Tensor):
    """``UninitializedBuffer(requires_grad=False, device=None, dtype=None)``: a buffer whose
    shape a lazy module fixes at its first forward (see ``nn.LazyBatchNorm2d``)."""
    __slots__ = ()
    cls_to_become = Tensor

    def __init__(self, requires_grad=False, device=None, dtype=None):
        dtype = get_default_dtype() if dtype is None else dtype
        super().__init__(to_device(np.empty((0,), dtype=dtype), device or 'cpu'),
                         requires_grad=requires_grad)
